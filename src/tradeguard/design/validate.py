"""Out-of-sample validation of the monitor's forecast, by rolling origin.

For every monitored measure and every fiscal year t the data holds whole, the forecast is
made at each month's end as if the year were open, from history up to FY t-1 only (the
monitor's own :func:`tradeguard.monitor.forecast.forecast`, priors included), and scored
against what came in: the trigger probability by its Brier score and a reliability table, the
year-end cumulative imports by the coverage of the 50% and 90% bands.  Two naive baselines
stand beside it: last year's outcome as the probability, and last year's growth from the
same point to the year's end as the projection.  A month after the crossing is not scored
(the answer is known).  docs/design-lab.md § Validation records the scores on the bundled
data.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis
import numpy as np

from tradeguard.design.costs import MAX_DRAWS, Progress, check_limit, no_progress
from tradeguard.monitor.counting import cumulative, specs_for
from tradeguard.monitor.forecast import DEFAULT_SEED, PRIORS, forecast, month_ends
from tradeguard.monitor.report import monitor
from tradeguard.monitor.status import PeriodStatus
from tradeguard.monitor.triggers import Series
from tradeguard.periods import fiscal_year_start, period_key
from tradeguard.rules.loader import RuleSet

RELIABILITY_EDGES = (0.0, 0.05, 0.2, 0.4, 0.6, 0.8, 0.95, 1.0)


@dataclass(frozen=True)
class Case:
    """One forecast made at one month's end of one measure's year, and what happened."""

    measure_id: str
    fy: int
    months_in: int                   # month-ends of the fiscal year at the origin (1 = April)
    prior: str                       # which history taught the season (forecast.PRIORS)
    probability: float               # the model's P(crossing by year end)
    crossed: bool                    # what happened
    baseline_probability: float | None  # last year's outcome; None: no scored last year
    actual_t: float                  # year-end cumulative of the binding condition
    projected_t: float               # the model's median
    naive_t: float | None            # last year's same-period growth applied to this year
    band50: tuple[float, float]
    band90: tuple[float, float]
    years_used: tuple[int, ...] = ()  # the years the season was learnt from (all before fy)
    pooled_probability: float | None = None  # the pooled prior's answer, scored as if first-year
    pooled_projected_t: float | None = None


@dataclass
class Validation:
    cases: list[Case]
    skipped: list[dict[str, str]]    # measure, period, reason: years not scored, and why
    draws: int
    seed: int
    data_span: tuple[dt.date, dt.date]
    scores: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"data_span": [d.isoformat() for d in self.data_span], "draws": self.draws,
                "seed": self.seed, "scores": self.scores, "priors": PRIORS,
                "skipped": self.skipped, "cases": [asdict(c) for c in self.cases]}


def validate(imports: Any = None, *, rules: RuleSet | None = None, draws: int = 500,
             seed: int = DEFAULT_SEED, progress: Progress = no_progress) -> Validation:
    """Rolling-origin validation on ``imports`` (default: the bundled real extract)."""
    from tradeguard.design.backtest import _as_arrow
    from tradeguard.rules.loader import shipped_rules

    check_limit("draws", draws, MAX_DRAWS, "design validate",
                f"ask for at most {MAX_DRAWS:,} draws per forecast")
    rules = rules or shipped_rules()
    table = ibis.memtable(_as_arrow(imports))
    bounds = table.aggregate(lo=table.period_start.min(), hi=table.period_end.max())
    span_row = bounds.to_pyarrow().to_pylist()[0]
    span = (span_row["lo"], span_row["hi"])
    specs = [spec for mid in sorted(rules.safeguards) for spec in specs_for(rules, mid)]
    series = Series(cumulative(table, specs, rules, span[1]).to_pyarrow())
    report = monitor(table, as_of=span[1], rules=rules, draws=draws, seed=seed)
    by_key = {(p.measure_id, p.fy): p for p in report.periods}
    scored, skipped = [], []
    for p in report.periods:
        reason = _not_scored(p, span[1])
        (skipped.append({"measure_id": p.measure_id, "period": period_key(p.fy), "reason": reason})
         if reason else scored.append(p))
    cases: list[Case] = []
    for i, p in enumerate(scored):
        progress("validate", i, len(scored))
        found = _cases(series, p, by_key.get((p.measure_id, p.fy - 1)), span, draws, seed,
                       rules.safeguards[p.measure_id].year_start_month)
        if not found:
            skipped.append({"measure_id": p.measure_id, "period": period_key(p.fy), "reason": (
                "no forecast: no complete earlier year, not even of the same lines pooled "
                "across partners")})
        cases += found
    progress("validate", len(scored), len(scored))
    result = Validation(cases, skipped, draws, seed, span)
    result.scores = scores(cases)
    return result


def _not_scored(p: PeriodStatus, data_end: dt.date) -> str | None:
    if p.coverage != "complete":
        return f"not computable from the data: {p.coverage_reason}"
    if p.period_end > data_end:
        return "the year is not complete in the data"
    final = p.latest
    if final is None or any(c.trigger_t is None for c in final.conditions):
        return "the year-end trigger cannot be set from the data"
    return None


def _cases(series: Series, p: PeriodStatus, prev: PeriodStatus | None,
           span: tuple[dt.date, dt.date], draws: int, seed: int,
           start_month: int) -> list[Case]:
    final = p.latest
    assert final is not None
    triggers = {c.condition_id: float(c.trigger_t or 0.0) for c in final.conditions}
    binding = final.binding
    baseline = (None if prev is None or prev.coverage != "complete"
                else float(prev.crossing_date is not None))
    out = []
    for k, day in enumerate(month_ends(p.fy, start_month)[:11]):
        if day < p.period_start:
            continue  # a partial first year: no forecast before it starts
        if p.crossing_date is not None and p.crossing_date <= day:
            break  # the crossing is known: nothing left to forecast
        now = [cp for cp in p.checkpoints if cp.day <= day]
        if not now:
            continue  # no count of the period yet (it started days before this month's end)
        cums = {c.condition_id: c.cumulative_t for c in now[-1].conditions}
        conds = [(cid, cums.get(cid, 0.0), trig) for cid, trig in triggers.items()]
        fc = forecast(series, p.measure_id, conds, p.fy, day, span, start_month, draws, seed,
                      period_start=p.period_start)
        if fc is None:
            continue
        pooled = forecast(series, p.measure_id, conds, p.fy, day, span, start_month, draws,
                          seed, variants=("pooled",), period_start=p.period_start)
        cum_now = cums.get(binding.condition_id, 0.0)
        out.append(Case(p.measure_id, p.fy, k + 1, fc.prior, fc.probability,
                        p.crossing_date is not None, baseline, binding.cumulative_t,
                        fc.projected_t, _naive(series, p, binding.condition_id, k, cum_now,
                                               span, start_month),
                        fc.bands["50"], fc.bands["90"], tuple(fc.years_used),
                        pooled.probability if pooled else None,
                        pooled.projected_t if pooled else None))
    return out


def _naive(series: Series, p: PeriodStatus, condition_id: str, k: int, cum_now: float,
           span: tuple[dt.date, dt.date], start_month: int) -> float | None:
    """This year's count times last year's growth from the same month's end to the year's end
    (the same partners and lines, any regime); None where last year is not whole in the data."""
    ends = month_ends(p.fy - 1, start_month)
    if p.period_start != fiscal_year_start(p.fy, start_month):
        return None  # a partial first year has no same period last year
    if span[0] > fiscal_year_start(p.fy - 1, start_month) or span[1] < ends[-1]:
        return None
    then = series.at(p.measure_id, condition_id, "reference", p.fy - 1, ends[k])
    year = series.at(p.measure_id, condition_id, "reference", p.fy - 1, ends[-1])
    return cum_now * year / then if then > 0 else None


def scores(cases: list[Case]) -> dict[str, Any]:
    """Brier scores, reliability, band coverage and point errors, model beside baseline."""
    if not cases:
        return {"cases": 0}
    prob = np.array([c.probability for c in cases])
    hit = np.array([float(c.crossed) for c in cases])
    with_base = [c for c in cases if c.baseline_probability is not None]
    with_naive = [c for c in cases if c.naive_t is not None]
    out: dict[str, Any] = {
        "cases": len(cases), "crossed": int(hit.sum()),
        "years": len({(c.measure_id, c.fy) for c in cases}),
        "by_prior": {k: sum(c.prior == k for c in cases) for k in PRIORS},
        "brier": _r(np.mean((prob - hit) ** 2)),
        "brier_cases_with_baseline": len(with_base),
        "brier_model_on_those": _brier(with_base, lambda c: c.probability),
        "brier_baseline_last_year_outcome": _brier(with_base, lambda c: c.baseline_probability),
        "coverage_50": _coverage(cases, "band50"),
        "coverage_90": _coverage(cases, "band90"),
        "median_abs_error_model": _r(np.median([_err(c.projected_t, c) for c in cases])),
        "median_abs_error_cases_with_naive": len(with_naive),
        "median_abs_error_model_on_those": _median_err(with_naive, lambda c: c.projected_t),
        "median_abs_error_naive_growth": _median_err(with_naive, lambda c: c.naive_t),
        "pooled_prior": _pooled_scores(cases),
        "reliability": reliability(prob, hit),
        "by_months_in": _by_months(cases),
        "by_year": _by_year(cases),
    }
    return out


def _pooled_scores(cases: list[Case]) -> dict[str, Any]:
    """The first-year prior, scored on every year as if the series had no history of its own."""
    with_pooled = [c for c in cases if c.pooled_probability is not None]
    return {"cases": len(with_pooled),
            "brier": _brier(with_pooled, lambda c: c.pooled_probability),
            "median_abs_error": _median_err(with_pooled, lambda c: c.pooled_projected_t)}


def reliability(prob: np.ndarray, hit: np.ndarray) -> list[dict[str, Any]]:
    """Per bin of forecast probability: cases, mean forecast and the share that crossed."""
    rows = []
    for lo, hi in itertools.pairwise(RELIABILITY_EDGES):
        inside = (prob >= lo) & ((prob < hi) if hi < 1.0 else (prob <= hi))
        n = int(inside.sum())
        rows.append({"bin": f"{lo:.2f}-{hi:.2f}", "cases": n,
                     "mean_probability": _r(prob[inside].mean()) if n else None,
                     "observed_frequency": _r(hit[inside].mean()) if n else None})
    return rows


def _by_months(cases: list[Case]) -> list[dict[str, Any]]:
    rows = []
    for months in sorted({c.months_in for c in cases}):
        group = [c for c in cases if c.months_in == months]
        rows.append({"months_in": months, "cases": len(group),
                     **_group_scores(group, bands=("band50", "band90"))})
    return rows


def _by_year(cases: list[Case]) -> list[dict[str, Any]]:
    rows = []
    for key in sorted({(c.measure_id, c.fy) for c in cases}):
        group = [c for c in cases if (c.measure_id, c.fy) == key]
        rows.append({"measure_id": key[0], "period": period_key(key[1]), "cases": len(group),
                     "crossed": group[0].crossed, "actual_t": round(group[0].actual_t, 1),
                     **_group_scores(group, bands=("band90",))})
    return rows


def _group_scores(group: list[Case], bands: tuple[str, ...]) -> dict[str, Any]:
    """One group's Brier score, band coverages (``coverage_50`` for ``band50``) and median
    errors of the model and of the naive growth (where it exists)."""
    return {"brier": _brier(group, lambda c: c.probability),
            **{f"coverage_{band.removeprefix('band')}": _coverage(group, band) for band in bands},
            "median_abs_error_model": _median_err(group, lambda c: c.projected_t),
            "median_abs_error_naive_growth": _median_err(
                [c for c in group if c.naive_t is not None], lambda c: c.naive_t)}


def _coverage(cases: list[Case], band: str) -> float:
    """The share of cases whose outcome fell inside the band (``band50`` or ``band90``)."""
    return _r(np.mean([getattr(c, band)[0] <= c.actual_t <= getattr(c, band)[1]
                       for c in cases]))


def _brier(cases: list[Case], pick: Any) -> float | None:
    return _r(np.mean([(pick(c) - float(c.crossed)) ** 2 for c in cases])) if cases else None


def _median_err(cases: list[Case], pick: Any) -> float | None:
    return _r(np.median([_err(pick(c), c) for c in cases])) if cases else None


def _err(value: float, case: Case) -> float:
    return abs(value / case.actual_t - 1.0) if case.actual_t > 0 else float("inf")


def _r(x: Any) -> float:
    return round(float(x), 4)
