"""Forecast for an open period: projected year-end imports and the chance of crossing.

Method (documented in docs/monitor.md): the seasonal pattern is learnt from past
complete fiscal years of a *reference series* (the same partners and lines, any
regime).  For each past year y, f_y(k) is the share of the year's imports in by
the end of month k.  With cumulative C imports by month k*, year y projects the
year-end total C / f_y(k*).  Draws pick a past year at random (bootstrap) and
multiply the projection by a log-normal error whose spread is the leave-one-out
error of the same method on the past years, so the interval is calibrated on
the data itself.  Years with a month of (almost) no imports are left out (see
:func:`seasonal_shares`).  A path reaches month k as C + (T - C)(f_y(k) - f_y(k*)) / (1 - f_y(k*)).
The generator is seeded: the same inputs give the same forecast.

A series without a complete earlier year borrows a *prior* (see :data:`PRIORS`): first the
same partners' imports of the same lines under other regimes (the reference series reaches
before the measure), else the pooled season of the same lines across every partner in the
data.  Every forecast names the prior it used.  ``tradeguard design validate`` scores the
method out of sample (docs/design-lab.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from tradeguard.monitor.triggers import Series
from tradeguard.periods import add_months, fiscal_year_start, month_end

DEFAULT_DRAWS = 2000
DEFAULT_SEED = 20261127
MIN_SIGMA = 0.02
MIN_MONTH_SHARE = 0.1  # never claim more precision than 2% on a year-end total

# Which history taught the season, from the closest to the farthest.
PRIORS = {
    "own_history": "complete earlier years of the counted series itself (the same partners "
                   "and lines)",
    "partner_other_regimes": "the same partners' imports of the same lines under other "
                             "regimes, in years before the counted series was complete",
    "pooled_partners": "the pooled season of the same lines across every partner in the "
                       "data (any regime): the partners themselves have no complete earlier "
                       "year",
}
# The series tried for the season, in order: the same partners (any regime), then pooled.
VARIANTS = ("reference", "pooled")
BANDS = {"50": (0.25, 0.75), "90": (0.05, 0.95)}


@dataclass
class Forecast:
    projected_t: float            # median projected year-end cumulative (binding condition)
    low_t: float                  # 10th percentile
    high_t: float                 # 90th percentile
    probability: float            # P(every condition crosses by year end)
    crossing_months: dict[str, float] = field(default_factory=dict)  # "YYYY-MM" → probability
    years_used: list[int] = field(default_factory=list)
    sigma: float = 0.0
    prior: str = "own_history"    # a key of PRIORS: which history taught the season
    bands: dict[str, tuple[float, float]] = field(default_factory=dict)  # "50", "90" → (lo, hi)

    @property
    def prior_description(self) -> str:
        return PRIORS[self.prior]


def month_ends(fy: int, start_month: int = 4) -> list[dt.date]:
    start = fiscal_year_start(fy, start_month)
    return [month_end(add_months(start, k)) for k in range(12)]


def seasonal_shares(series: Series, measure_id: str, condition_id: str, before_fy: int,
                    data_span: tuple[dt.date, dt.date], start_month: int = 4,
                    variant: str = "reference") -> dict[int, np.ndarray]:
    """f_y(k) for every past year of the series ``variant`` that the data fully covers."""
    out = {}
    for fy in series.fiscal_years(measure_id, condition_id, variant):
        months = month_ends(fy, start_month)
        if (fy >= before_fy or data_span[0] > fiscal_year_start(fy, start_month)
                or data_span[1] < months[-1]):
            continue
        cum = np.array([series.at(measure_id, condition_id, variant, fy, d) for d in months])
        # A month with (almost) no imports from the whole scope means the series did not
        # yet cover that month (e.g. preferential-only data before an agreement existed), not
        # a real lull: bulk farm imports arrive every month.  Such a year would teach a false
        # season, so a year needs every month above a tenth of its monthly average.
        monthly = np.diff(cum, prepend=0.0)
        if cum[-1] > 0 and np.all(monthly > MIN_MONTH_SHARE * cum[-1] / 12):
            out[fy] = cum / cum[-1]
    return out


def from_start(f: np.ndarray, months: list[dt.date], start: dt.date) -> np.ndarray:
    """Shares of the part of the year from ``start``: 0 before it, 1 at the year's end.

    The share already in before ``start`` is f at the previous month's end plus the elapsed
    days' part of the start month (imports spread evenly within a month).
    """
    s = next(i for i, d in enumerate(months) if d >= start)
    before_month = f[s - 1] if s > 0 else 0.0
    elapsed = (start.day - 1) / months[s].day
    before = before_month + elapsed * (f[s] - before_month)
    if before >= 1.0:
        return np.ones_like(f)
    return np.clip((f - before) / (1.0 - before), 0.0, 1.0)


def _loo_sigma(shares: dict[int, np.ndarray], k: int) -> float:
    """Spread of log(projected / actual) when each past year is projected from the others."""
    if len(shares) < 3:
        return 0.15  # too little history to measure it: a wide, honest default
    errors = []
    for y, f in shares.items():
        others = [g[k] for z, g in shares.items() if z != y and g[k] > 0]
        if f[k] > 0 and others:
            errors.append(math.log(f[k] / float(np.median(others))))
    return max(float(np.std(errors)), MIN_SIGMA) if errors else 0.15


def season_for(series: Series, measure_id: str, condition_ids: list[str], fy: int,
               data_span: tuple[dt.date, dt.date], start_month: int = 4,
               train_years: list[int] | None = None, variants: tuple[str, ...] = VARIANTS,
               ) -> tuple[str, dict[str, dict[int, np.ndarray]], list[int]]:
    """(prior, shares per condition, years): the closest history with a complete year.

    The season is learnt from complete years before ``fy``, or from ``train_years``.
    """
    before = fy if train_years is None else max(train_years, default=fy - 1) + 1
    for variant in variants:
        shares = {c: seasonal_shares(series, measure_id, c, before, data_span, start_month,
                                     variant) for c in condition_ids}
        if train_years is not None:
            shares = {c: {y: f for y, f in v.items() if y in train_years}
                      for c, v in shares.items()}
        years = sorted(set.intersection(*(set(v) for v in shares.values())))
        if years:
            return _prior_name(series, measure_id, condition_ids, variant, years), shares, years
    return "", {}, []


def _prior_name(series: Series, measure_id: str, condition_ids: list[str], variant: str,
                years: list[int]) -> str:
    if variant == "pooled":
        return "pooled_partners"
    own = all(series.has(measure_id, c, "counted", y) for c in condition_ids for y in years)
    return "own_history" if own else "partner_other_regimes"


def forecast(series: Series, measure_id: str, conditions: list[tuple[str, float, float]],
             fy: int, data_day: dt.date, data_span: tuple[dt.date, dt.date],
             start_month: int = 4, draws: int = DEFAULT_DRAWS,
             seed: int = DEFAULT_SEED, train_years: list[int] | None = None,
             variants: tuple[str, ...] = VARIANTS,
             period_start: dt.date | None = None) -> Forecast | None:
    """``conditions``: (condition id, cumulative now, year-end trigger) for each condition.

    The season is learnt from complete years before ``fy``, or from ``train_years``
    (the back-test passes every other year); without one, from a prior (:data:`PRIORS`).
    ``variants=("pooled",)`` forces the pooled prior (validation scores it on every year).
    ``period_start``: a counting period that starts after the fiscal year does (a partial
    Year 1, e.g. CPTPP from 30 December 2018) counts from then, so the season is cut there.
    """
    months = month_ends(fy, start_month)
    if data_day < months[0] or data_day >= months[-1]:
        return None
    k = max(i for i, d in enumerate(months) if d <= data_day)
    prior, shares, years = season_for(series, measure_id, [c for c, _, _ in conditions], fy,
                                      data_span, start_month, train_years, variants)
    if not years:
        return None
    if period_start is not None and period_start > months[0].replace(day=1):
        shares = {c: {y: from_start(f, months, period_start) for y, f in v.items()}
                  for c, v in shares.items()}
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(years), size=draws)
    # Every condition must be exceeded at once, and cumulative imports only grow, so a
    # draw crosses in the latest of its conditions' first-crossing months (12: never).
    first_cross = np.zeros(draws, dtype=int)
    binding: tuple[float, np.ndarray] | None = None
    for cond_id, cum_now, trigger in conditions:
        f = np.stack([shares[cond_id][y] for y in years])[picks]          # draws × 12
        noise = np.exp(rng.normal(0.0, _loo_sigma(shares[cond_id], k), size=draws))
        fk = np.clip(f[:, k], 1e-9, None)
        totals = cum_now / fk * noise
        remaining = np.clip((f - fk[:, None]) / np.clip(1 - fk[:, None], 1e-9, None), 0, 1)
        paths = cum_now + (totals - cum_now)[:, None] * remaining
        crossed = paths > trigger
        month_of = np.where(crossed.any(axis=1), crossed.argmax(axis=1), 12)
        first_cross = np.maximum(first_cross, month_of)
        median_share = float(np.median(totals)) / trigger if trigger > 0 else math.inf
        if binding is None or median_share < binding[0]:
            binding = (median_share, totals)
    assert binding is not None
    crossing_months = {}
    for m in range(k + 1, 12):
        p = float(np.mean(first_cross == m))
        if p > 0:
            crossing_months[months[m].strftime("%Y-%m")] = round(p, 4)
    totals = binding[1]
    bands = {name: (float(np.quantile(totals, lo)), float(np.quantile(totals, hi)))
             for name, (lo, hi) in BANDS.items()}
    return Forecast(projected_t=float(np.median(totals)), low_t=float(np.quantile(totals, 0.1)),
                    high_t=float(np.quantile(totals, 0.9)),
                    probability=float(np.mean(first_cross < 12)), crossing_months=crossing_months,
                    years_used=years, sigma=_loo_sigma(shares[conditions[0][0]], k),
                    prior=prior, bands=bands)
