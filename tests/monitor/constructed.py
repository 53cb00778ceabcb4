"""Constructed import data for the monitor's worked cases.

Everything here is made up to exercise a rule, and labelled so in the `source` column.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from tradeguard.data.schema import CANONICAL_SCHEMA

SOURCE = "constructed test case (not real data)"


def daily(records: list[tuple[dt.date, str, str, float, str | None]]) -> pa.Table:
    """Rows of (date, tariff line, partner, tonnes, regime) as day-level import records."""
    return pa.Table.from_pylist([
        {"period_start": day, "period_end": day, "granularity": "day", "tariff_line": line,
         "partner": partner, "quantity": tonnes * 1000.0, "quantity_unit": "kg",
         "value": tonnes * 1_000_000.0, "currency": "JPY", "regime": regime,
         "source": SOURCE, "batch_id": "constructed"}
        for day, line, partner, tonnes, regime in records], schema=CANONICAL_SCHEMA)


def spread(start: dt.date, days: int, total_t: float, line: str, partner: str,
           regime: str | None) -> list[tuple[dt.date, str, str, float, str | None]]:
    """``total_t`` tonnes spread evenly over ``days`` consecutive days from ``start``."""
    return [(start + dt.timedelta(days=i), line, partner, total_t / days, regime)
            for i in range(days)]
