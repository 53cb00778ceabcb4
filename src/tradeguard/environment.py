"""Settings read from the environment, one way: a variable is unset (or blank), or a positive
whole number; anything else is an error that names the variable and a value that works.

The settings dataclasses (the read limits, the server's settings) declare their fields with
``number``, ``text`` and ``texts`` and are filled by ``read_settings``, so how a field is read
from the environment or a config file is written once.

At the base, beside ``periods.py``: it imports nothing of the project but ``errors``, so the
core (the read limits of ``data/limits.py``) and the faces (``api/settings.py``) share it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import Field, field, fields
from typing import Any, TypeVar

from tradeguard.errors import InputError, problem

S = TypeVar("S")


def env_whole_number(name: str, example: int) -> int | None:
    """The environment variable ``name`` as a positive whole number (``1_000`` is allowed);
    None when it is unset or blank."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return None
    if not text.strip().replace("_", "").isdigit() or int(text) <= 0:
        raise InputError(problem(f"{name}={text!r} is not a positive whole number",
                                 where="environment",
                                 fix=f"unset {name} or set it to e.g. {example}"))
    return int(text)


# ------------------------------------------------------------------ settings dataclasses
# A frozen settings dataclass declares each field once, with what reads it: `number(...)`,
# `text(...)` or `texts()`, and the environment variable that overrides it, if any.
# `read_settings` then fills every field the same way: the variable, else the config file's
# key of the field's name, else the default.

def number(default: int | float, *, env: str | None = None) -> Any:
    """A positive number: from ``env`` (a positive whole number), else from the file (any
    positive number, as the default's type), else ``default``."""
    return field(default=default, metadata={"env": env, "read": _read_number})


def text(default: str | None, *, env: str | None = None) -> Any:
    """A string: from ``env`` or the file unless blank, else ``default``."""
    return field(default=default, metadata={"env": env, "read": _read_text})


def texts() -> Any:
    """A list of strings, only from the file; none by default."""
    return field(default=(), metadata={"env": None, "read": _read_texts})


def read_settings(kind: type[S], file: Mapping[str, object] | None = None,
                  where: str = "the config file") -> S:
    """The settings dataclass ``kind``, each field from its environment variable, else the
    ``file``'s key of its name (read at ``where``), else its default."""
    values = {}
    for f in fields(kind):
        value = _from_environment(f)
        if value is None and file and f.name in file:
            value = f.metadata["read"](file[f.name], f, where)
        if value is not None:
            values[f.name] = value
    return kind(**values)


def environment_variable(kind: type, name: str) -> str | None:
    """The environment variable that sets the field ``name`` of the settings ``kind``."""
    return next(f.metadata["env"] for f in fields(kind) if f.name == name)


def _from_environment(f: Field) -> Any:
    env = f.metadata.get("env")
    if env is None:
        return None
    if f.metadata["read"] is _read_number:
        value = env_whole_number(env, f.default)
        return None if value is None else type(f.default)(value)
    return os.environ.get(env) or None


def _read_number(value: object, f: Field, where: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(problem(f"`{f.name}` must be a positive number", where=where,
                                 why=f"it is {value!r}", fix=f"write e.g. {f.name} = 100"))
    return type(f.default)(value)


def _read_text(value: object, f: Field, where: str) -> str | None:
    return str(value) if value else None


def _read_texts(value: object, f: Field, where: str) -> tuple[str, ...] | None:
    return tuple(str(v) for v in value) if value else None
