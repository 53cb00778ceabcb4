"""Synthetic beef import declarations for the benchmarks (seeded, vectorised, labelled).

Every table made here is **synthetic**: generated from a seed, not drawn from
customs data.  The ``source`` column says so on every row
(``"synthetic (seed N)"``) and the benchmark output repeats the label.  The mix of
tariff lines and origins is only roughly shaped like Japan's beef imports (the
United States and Australia dominate, frozen slightly ahead of chilled); the
values are lognormal around one million yen per declaration.

Units: ``customs_value`` in JPY, ``quantity`` in kg, both float64.

Generation is numpy vectorised (no per-row Python), so ten million rows take a
few seconds.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_SEED = 20261127

#: Japanese 9-digit statistical codes for beef (0201 fresh or chilled, 0202 frozen), weights.
TARIFF_LINES: dict[str, float] = {
    "020110000": 0.01,  # chilled carcasses and half-carcasses
    "020120000": 0.03,  # chilled other cuts with bone in
    "020130010": 0.08,  # chilled boneless
    "020130020": 0.10,
    "020130090": 0.25,
    "020210000": 0.01,  # frozen carcasses and half-carcasses
    "020220000": 0.07,  # frozen other cuts with bone in
    "020230010": 0.10,  # frozen boneless
    "020230020": 0.10,
    "020230090": 0.25,
}

#: ISO alpha-2 origins and weights: US and AU dominate, then CPTPP parties, then MFN-only origins.
ORIGINS: dict[str, float] = {
    "US": 0.38, "AU": 0.36, "CA": 0.08, "NZ": 0.05, "MX": 0.05,
    "UY": 0.02, "BR": 0.01, "AR": 0.01, "CL": 0.01, "GB": 0.01,
    "VN": 0.01, "PY": 0.005, "NI": 0.005,
}

FIRST_DATE = dt.date(2015, 4, 1)
LAST_DATE = dt.date(2025, 3, 31)  # inclusive
_EPOCH = dt.date(1970, 1, 1)

#: Typical unit values (JPY per kg, lognormal median) for chilled and frozen beef.
_UNIT_VALUE_CHILLED = 1_200.0
_UNIT_VALUE_FROZEN = 850.0


def source_label(seed: int = DEFAULT_SEED) -> str:
    """The label every synthetic row carries in its ``source`` column."""
    return f"synthetic (seed {seed})"


def _pick(rng: np.random.Generator, choices: dict[str, float], n: int) -> tuple[pa.Array, np.ndarray]:
    names = list(choices)
    weights = np.fromiter(choices.values(), dtype=np.float64)
    index = rng.choice(len(names), size=n, p=weights / weights.sum()).astype(np.int32)
    return pc.take(pa.array(names, pa.string()), pa.array(index)), index


def declarations(n: int, seed: int = DEFAULT_SEED) -> pa.Table:
    """``n`` synthetic declarations as an Arrow table.

    Columns: ``declaration_id`` (int64, 0..n-1), ``tariff_line`` (9-digit string),
    ``origin`` (ISO alpha-2), ``date`` (date32, uniform from 2015-04-01 to
    2025-03-31), ``customs_value`` (float64 JPY), ``quantity`` (float64 kg) and
    ``source`` (``"synthetic (seed N)"``).
    """
    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}")
    rng = np.random.default_rng(seed)
    lines, line_index = _pick(rng, TARIFF_LINES, n)
    origins, _ = _pick(rng, ORIGINS, n)

    first = (FIRST_DATE - _EPOCH).days
    last = (LAST_DATE - _EPOCH).days
    days = rng.integers(first, last + 1, size=n, dtype=np.int32)
    dates = pa.Array.from_buffers(pa.date32(), n, [None, pa.py_buffer(days)])

    customs_value = rng.lognormal(mean=np.log(1.0e6), sigma=1.0, size=n)
    frozen = np.array([code.startswith("0202") for code in TARIFF_LINES], dtype=bool)[line_index]
    median_unit_value = np.where(frozen, _UNIT_VALUE_FROZEN, _UNIT_VALUE_CHILLED)
    unit_value = median_unit_value * rng.lognormal(mean=0.0, sigma=0.25, size=n)
    quantity = customs_value / unit_value

    source = pc.take(pa.array([source_label(seed)], pa.string()),
                     pa.array(np.zeros(n, dtype=np.int32)))
    return pa.table({
        "declaration_id": pa.array(np.arange(n, dtype=np.int64)),
        "tariff_line": lines,
        "origin": origins,
        "date": dates,
        "customs_value": pa.array(customs_value, pa.float64()),
        "quantity": pa.array(quantity, pa.float64()),
        "source": source,
    })
