"""Settings read from the environment, one way: a variable is unset (or blank), or a positive
whole number; anything else is an error that names the variable and a value that works.

At the base, beside ``periods.py``: it imports nothing of the project but ``errors``, so the
core (the read limits of ``data/limits.py``) and the faces (``api/settings.py``) share it.
"""

from __future__ import annotations

import os

from tradeguard.errors import InputError, problem


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
