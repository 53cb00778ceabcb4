"""Point-in-time lookups over dated values (the scalar path)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any


def known_since(entry: Any, known_from: dt.date | None = None) -> dt.date | None:
    """The day a value became known: its ``published_on``, else ``known_from`` (the
    signature of the agreement that holds it, see docs/semantics.md), else None
    (known at every ``as_of``)."""
    published = getattr(entry, "published_on", None)
    return published if published is not None else known_from


def known_on(entry: Any, as_of: dt.date, known_from: dt.date | None = None) -> bool:
    """Knowledge time: a value published after ``as_of`` was not yet known."""
    since = known_since(entry, known_from)
    return since is None or since <= as_of


def value_on(values: Sequence[Any], day: dt.date, as_of: dt.date,
             known_from: dt.date | None = None) -> tuple[int, Any] | None:
    """The dated value in force on ``day``, as known on ``as_of``: the latest known
    ``valid_from`` on or before ``day``.

    Returns ``(index, entry)`` or None when no value is in force: before the first
    value, after a ``null`` value, or after an entry's own ``valid_to``.
    """
    found = None
    for i, entry in enumerate(values):
        if entry.valid_from <= day and known_on(entry, as_of, known_from):
            found = (i, entry)
    if found is None:
        return None
    entry = found[1]
    value = getattr(entry, "payload", None)  # a dated value's one name for what it states
    if value is None or (entry.valid_to is not None and day > entry.valid_to):
        return None
    return found


def normalise_line(text: str) -> str:
    """A tariff line or prefix as digits: "0202.30", "0202-30" and "0202 30" are "020230"."""
    return str(text).replace(".", "").replace("-", "").replace(" ", "").strip()


def covers(prefixes: Sequence[str], line: str) -> bool:
    return any(line.startswith(p) for p in prefixes)
