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


# --------------------------------------------------------------------------- import records

#: Real Japanese 9-digit beef codes (all of them occur in the bundled Japan Customs extract,
#: except 020210000, frozen carcasses), with weights for the synthetic mix.
IMPORT_LINES: dict[str, float] = {
    "020110000": 0.005, "020120000": 0.02, "020130010": 0.06, "020130020": 0.12,
    "020130030": 0.08, "020130090": 0.13,
    "020210000": 0.005, "020220000": 0.05, "020230010": 0.08, "020230020": 0.12,
    "020230030": 0.10, "020230090": 0.23,
}

#: First day and last day (inclusive) of the synthetic day-level import records: FY2015-FY2024.
IMPORT_FIRST_DAY = dt.date(2015, 4, 1)
IMPORT_LAST_DAY = dt.date(2025, 3, 31)

#: (partner, regime, first day, first day after): the regime each synthetic record claims.
#: A record outside every span of its partner has no known regime (null).  The dates follow
#: the shipped rules: the Japan-Australia EPA from 15 January 2015 until CPTPP took over,
#: CPTPP from each party's entry into force, the US-Japan Trade Agreement from 2020.
IMPORT_REGIMES: tuple[tuple[str, str, dt.date, dt.date], ...] = (
    ("AU", "jaepa", dt.date(2015, 1, 15), dt.date(2018, 12, 30)),
    ("AU", "cptpp", dt.date(2018, 12, 30), dt.date(9999, 12, 31)),
    ("US", "usjta", dt.date(2020, 1, 1), dt.date(9999, 12, 31)),
    ("CA", "cptpp", dt.date(2018, 12, 30), dt.date(9999, 12, 31)),
    ("NZ", "cptpp", dt.date(2018, 12, 30), dt.date(9999, 12, 31)),
    ("MX", "cptpp", dt.date(2018, 12, 30), dt.date(9999, 12, 31)),
    ("VN", "cptpp", dt.date(2019, 1, 14), dt.date(9999, 12, 31)),
    ("CL", "cptpp", dt.date(2023, 2, 21), dt.date(9999, 12, 31)),
    ("GB", "cptpp", dt.date(2024, 12, 15), dt.date(9999, 12, 31)),
)

#: Mean tonnes per synthetic day-level record (lognormal, sigma 1): ten million records over
#: ten years then total a little over 500,000 t a year, roughly Japan's beef imports.
_MEAN_RECORD_KG = 550.0


def _fill(label: str, n: int) -> pa.Array:
    """A plain string column holding ``label`` on all ``n`` rows."""
    return pc.take(pa.array([label], pa.string()), pa.array(np.zeros(n, dtype=np.int32)))


def import_records(n: int, seed: int = DEFAULT_SEED, first: dt.date = IMPORT_FIRST_DAY,
                   last: dt.date = IMPORT_LAST_DAY) -> pa.Table:
    """``n`` synthetic day-level import records in the canonical import schema.

    One record per (synthetic) declaration: ``period_start = period_end`` = a day drawn
    uniformly from ``first`` to ``last`` (default FY2015-FY2024), ``granularity`` "day",
    ``tariff_line`` one of :data:`IMPORT_LINES`, ``partner`` from :data:`ORIGINS`,
    ``quantity`` in kg (float64, lognormal), ``value`` in JPY (float64), ``regime`` from
    :data:`IMPORT_REGIMES` (null where no span applies), ``source``
    ``"synthetic (seed N)"`` and ``batch_id`` the sha256 of that label.
    """
    import hashlib

    from tradeguard.data.schema import CANONICAL_SCHEMA

    if n < 0:
        raise ValueError(f"n must be zero or more, got {n}")
    rng = np.random.default_rng(seed)
    lines, line_index = _pick(rng, IMPORT_LINES, n)
    partners, partner_index = _pick(rng, ORIGINS, n)
    lo, hi = (first - _EPOCH).days, (last - _EPOCH).days
    days = rng.integers(lo, hi + 1, size=n, dtype=np.int32)
    dates = pa.Array.from_buffers(pa.date32(), n, [None, pa.py_buffer(days)])

    sigma = 1.0  # lognormal mean = exp(mu + sigma^2 / 2)
    quantity = rng.lognormal(mean=np.log(_MEAN_RECORD_KG) - sigma**2 / 2, sigma=sigma, size=n)
    frozen = np.array([code.startswith("0202") for code in IMPORT_LINES])[line_index]
    unit_value = np.where(frozen, _UNIT_VALUE_FROZEN, _UNIT_VALUE_CHILLED)
    value = quantity * unit_value * rng.lognormal(mean=0.0, sigma=0.25, size=n)

    regime_names = sorted({r for _, r, _, _ in IMPORT_REGIMES})
    regime_index = np.full(n, -1, dtype=np.int32)
    partner_names = list(ORIGINS)
    for partner, regime, start, stop in IMPORT_REGIMES:
        hit = ((partner_index == partner_names.index(partner))
               & (days >= (start - _EPOCH).days) & (days < (stop - _EPOCH).days))
        regime_index[hit] = regime_names.index(regime)
    regimes = pc.take(pa.array(regime_names, pa.string()),
                      pa.array(regime_index, mask=regime_index < 0))

    label = source_label(seed)
    return pa.table({
        "period_start": dates,
        "period_end": dates,
        "granularity": _fill("day", n),
        "tariff_line": lines,
        "partner": partners,
        "quantity": pa.array(quantity, pa.float64()),
        "quantity_unit": _fill("kg", n),
        "value": pa.array(value, pa.float64()),
        "currency": _fill("JPY", n),
        "regime": regimes,
        "source": _fill(label, n),
        "batch_id": _fill(hashlib.sha256(label.encode()).hexdigest(), n),
    }, schema=CANONICAL_SCHEMA)


# --------------------------------------------------------------------------- quota declarations

#: First day of the synthetic quota year (365 days from here).
QUOTA_YEAR_START = dt.date(2025, 4, 1)
QUOTA_PERIOD = 2025  # the year's label in the ``period`` column
_OPENING_DAY_SHARE = 0.05  # of all declarations, lodged on the quota year's first day


def quota_requests(n: int = 1_000_000, quotas: int = 100, seed: int = DEFAULT_SEED,
                   year_start: dt.date = QUOTA_YEAR_START) -> tuple[pa.Table, pa.Table]:
    """A synthetic year of ``n`` declarations against ``quotas`` tariff quotas.

    Returns ``(requests, volumes)``.  ``requests``: ``declaration_id`` (int64, 0..n-1),
    ``quota_id`` (``Q001`` ...), ``period`` (int64, :data:`QUOTA_PERIOD`), ``day``
    (date32: 5 % of declarations on the opening day, the rest uniform over 365 days),
    ``request_t`` (float64 tonnes, lognormal, median 5 t) and ``source``
    (``"synthetic (seed N)"``).  Quota popularity is lognormal.  ``volumes``:
    ``quota_id``, ``period``, ``volume_t`` (float64) and ``source``; each quota's volume
    is its total demand times a factor: 0.01-0.04 for a tenth of the quotas (exhausted,
    pro rata, on the oversubscribed opening day), 0.2-0.9 for three tenths (exhausted
    mid-year, pro rata on the day they run out), 1.05-2.0 for the rest (never exhausted).
    """
    if n < 0 or quotas < 1:
        raise ValueError(f"need n >= 0 and quotas >= 1, got n={n}, quotas={quotas}")
    rng = np.random.default_rng(seed)
    names = [f"Q{i + 1:03d}" for i in range(quotas)]
    popularity = rng.lognormal(mean=0.0, sigma=1.0, size=quotas)
    quota_index = rng.choice(quotas, size=n, p=popularity / popularity.sum()).astype(np.int32)
    opening = rng.random(n) < _OPENING_DAY_SHARE
    offset = np.where(opening, 0, rng.integers(0, 365, size=n)).astype(np.int32)
    days = offset + np.int32((year_start - _EPOCH).days)
    request = rng.lognormal(mean=np.log(5.0), sigma=1.0, size=n)

    demand = np.bincount(quota_index, weights=request, minlength=quotas)
    kind = rng.permutation(np.repeat([0, 1, 2], [quotas // 10, (3 * quotas) // 10,
                                                 quotas - quotas // 10 - (3 * quotas) // 10]))
    low = np.array([0.01, 0.2, 1.05])[kind]
    high = np.array([0.04, 0.9, 2.0])[kind]
    volume = demand * rng.uniform(low, high)

    label = source_label(seed)
    quota_names = pa.array(names, pa.string())
    requests = pa.table({
        "declaration_id": pa.array(np.arange(n, dtype=np.int64)),
        "quota_id": pc.take(quota_names, pa.array(quota_index)),
        "period": pa.array(np.full(n, QUOTA_PERIOD, dtype=np.int64)),
        "day": pa.Array.from_buffers(pa.date32(), n, [None, pa.py_buffer(days)]),
        "request_t": pa.array(request, pa.float64()),
        "source": _fill(label, n),
    })
    volumes = pa.table({
        "quota_id": quota_names,
        "period": pa.array(np.full(quotas, QUOTA_PERIOD, dtype=np.int64)),
        "volume_t": pa.array(volume, pa.float64()),
        "source": _fill(label, quotas),
    })
    return requests, volumes
