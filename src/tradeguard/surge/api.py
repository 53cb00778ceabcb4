"""Thin helpers shared by the CLI, the REST routes and the desk: store in, data out.

They return data only.  Opening the store is theirs; each call opens it under the store's
reader lock (``tradeguard.data.access``), so a face need not hold a lock of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from tradeguard.rules.lookup import normalise_line

JSON_FIELDS = ("tariff_line", "partner", "period", "method", "label", "explanation")
SIZE_FIELDS = ("quantity_t", "increase_t", "share")


def flags_as_json(flags: pa.Table, *, details: bool = False,
                  sizes: bool = False) -> list[dict[str, Any]]:
    """Flags as a list of dicts: ``tariff_line, partner, period, method, label, explanation``
    (with ``sizes`` also the tonnes and the share, rounded for reading; with ``details`` every
    column)."""
    rows = flags.to_pylist()
    if details:
        return rows
    keys = JSON_FIELDS + (SIZE_FIELDS if sizes else ())
    return [{k: _rounded(k, r[k]) for k in keys} for r in rows]


def _rounded(key: str, value: Any) -> Any:
    """Tonnes to 0.1 t and shares to 0.1% as shown in the explanations (not money)."""
    if value is None or key not in SIZE_FIELDS:
        return value
    return round(value, 4 if key == "share" else 1)


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
               backend: str = "duckdb", methods: Sequence[str] | str | None = None,
               progress: Callable[[str, int, int], None] | None = None) -> pa.Table:
    """Scan the import store (``open_imports``); with ``backend="spark"`` the rows move to a
    local Spark session as Arrow (for data already on shared storage, register the Parquet
    with ``tradeguard.data.backends.read_parquet`` and call ``scan`` on that table).
    ``progress(stage, done, total)`` hears the stages ``read`` and ``scan``."""
    from tradeguard.data.store import open_imports
    from tradeguard.surge.detect import scan
    from tradeguard.surge.methods import DEFAULT_METHODS

    tick = progress or (lambda stage, done, total: None)
    tick("read", 0, 1)
    imports = open_imports(store, known_on=as_of)
    try:
        as_of = as_of or last_day(imports)
        data = imports if backend == "duckdb" else imports.to_pyarrow()
        tick("scan", 0, 1)
        flags = scan(data, as_of=as_of, methods=methods or DEFAULT_METHODS,
                     backend=None if backend == "duckdb" else backend)
        tick("scan", 1, 1)
        return flags
    finally:
        imports.get_backend().disconnect()


def flag_series(store: str | Path | None, tariff_line: str, partner: str, *,
                as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """The monthly imports (t) of one flag's series, ``tariff_line`` x ``partner`` (``*``:
    all partners), as the scan sums them: kg records of months, every month of the series'
    span present (a month without imports is 0 t, as in the scan's complete grid)."""
    from tradeguard.data.store import open_imports
    from tradeguard.surge.context import ALL, month_label

    imports = open_imports(store, known_on=as_of)
    try:
        day = as_of or last_day(imports)
        t = imports.filter((imports.tariff_line == tariff_line.replace(".", ""))
                           & (imports.quantity_unit == "kg") & (imports.granularity != "year")
                           & (imports.period_end <= day))
        if partner != ALL:
            t = t.filter(t.partner == partner.upper())
        mi = (t.period_start.year() * 12 + t.period_start.month() - 1).cast("int64")
        sums = t.mutate(mi=mi).group_by("mi").aggregate(kg=t.quantity.sum()).to_pyarrow()
    finally:
        imports.get_backend().disconnect()
    by_month = dict(zip(sums["mi"].to_pylist(), sums["kg"].to_pylist(), strict=True))
    if not by_month:
        return []
    return [{"period": month_label(m), "quantity_t": round(by_month.get(m, 0.0) / 1000.0, 1)}
            for m in range(min(by_month), max(by_month) + 1)]
