"""Thin helpers shared by the CLI, the REST routes and the desk: store in, data out.

They return data only.  Opening the store is theirs; each call opens it under the store's
reader lock (``tradeguard.data.access``), so a face need not hold a lock of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from tradeguard.rules.lookup import normalise_line

JSON_FIELDS = ("tariff_line", "partner", "period", "method", "label", "explanation")


def flags_as_json(flags: pa.Table, *, details: bool = False) -> list[dict[str, Any]]:
    """Flags as a list of dicts: ``tariff_line, partner, period, method, label, explanation``
    (and the numbers too with ``details``)."""
    rows = flags.to_pylist()
    return rows if details else [{k: r[k] for k in JSON_FIELDS} for r in rows]


def filter_flags(flags: pa.Table, *, tariff_line: str | None = None,
                 partner: str | None = None, method: str | None = None,
                 label: str | None = None, period_from: str | None = None,
                 period_to: str | None = None) -> pa.Table:
    """Flags whose line starts with ``tariff_line`` and that match the other filters."""
    import pyarrow.compute as pc

    mask = pc.is_valid(flags["tariff_line"])
    if tariff_line:
        mask = pc.and_(mask, pc.starts_with(flags["tariff_line"], normalise_line(tariff_line)))
    for col, val in (("partner", partner), ("method", method), ("label", label)):
        if val:
            mask = pc.and_(mask, pc.equal(flags[col], val))
    if period_from:
        mask = pc.and_(mask, pc.greater_equal(flags["period"], period_from))
    if period_to:
        mask = pc.and_(mask, pc.less_equal(flags["period"], period_to))
    return flags.filter(mask)


def last_day(imports) -> dt.date:
    """The data's last day: the default ``as_of`` of the CLI (as ``tradeguard status``)."""
    return imports.period_end.max().to_pyarrow().as_py()


def scan_store(store: str | Path | None = None, *, as_of: dt.date | None = None,
               backend: str = "duckdb", methods: Sequence[str] | str | None = None) -> pa.Table:
    """Scan the import store (``open_imports``); with ``backend="spark"`` the rows move to a
    local Spark session as Arrow (for data already on shared storage, register the Parquet
    with ``tradeguard.data.backends.read_parquet`` and call ``scan`` on that table)."""
    from tradeguard.data.store import open_imports
    from tradeguard.surge.detect import scan
    from tradeguard.surge.methods import DEFAULT_METHODS

    imports = open_imports(store, known_on=as_of)
    try:
        as_of = as_of or last_day(imports)
        data = imports if backend == "duckdb" else imports.to_pyarrow()
        return scan(data, as_of=as_of, methods=methods or DEFAULT_METHODS,
                    backend=None if backend == "duckdb" else backend)
    finally:
        imports.get_backend().disconnect()
