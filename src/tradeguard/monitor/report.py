"""The monitor: every volume safeguard, every period, against the import data.

``monitor(imports, as_of=...)`` counts the imports each condition counts, sets
each trigger, finds the crossing, computes the activation window and the
safeguard duty, forecasts open periods and lists threshold alerts.  Its
``activations`` are a ledger that :func:`tradeguard.duty` accepts directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import ibis

from tradeguard.engine import expressions as ex
from tradeguard.monitor import activation as act
from tradeguard.monitor.calendar import fiscal_year, fiscal_year_end, quarter_ends
from tradeguard.monitor.counting import cumulative, specs_for
from tradeguard.monitor.forecast import DEFAULT_DRAWS, DEFAULT_SEED, Forecast, forecast
from tradeguard.monitor.triggers import Series, TriggerBook, period_start, weakest
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet

DEFAULT_THRESHOLDS = (0.8, 0.9, 1.0)


@dataclass
class ConditionState:
    condition_id: str
    cumulative_t: float  # includes any excess carried in from the previous year
    trigger_t: float
    share: float
    exceeded: bool
    trigger_status: str
    notes: list[str] = field(default_factory=list)


@dataclass
class Checkpoint:
    day: dt.date
    conditions: list[ConditionState]
    decisive: bool  # a day on which the rule tests the trigger (quarter ends for quarterly rules)

    @property
    def triggered(self) -> bool:
        return self.decisive and bool(self.conditions) and all(c.exceeded for c in self.conditions)

    @property
    def binding(self) -> ConditionState:
        return min(self.conditions, key=lambda c: c.share)


@dataclass
class PeriodStatus:
    """One measure in one counting year, as of a date."""

    measure_id: str
    fy: int
    period_start: dt.date
    period_end: dt.date
    open: bool
    data_through: dt.date | None
    checkpoints: list[Checkpoint]
    crossing_date: dt.date | None
    activation: s.Activation | None
    safeguard_rate: str | None
    safeguard_rate_status: str | None
    forecast: Forecast | None
    notes: list[str]

    @property
    def latest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def triggered(self) -> bool:
        return self.crossing_date is not None

    def timeline(self) -> dict[str, Any]:
        """Cumulative imports and the trigger at every checkpoint, per condition, as data."""
        conditions: dict[str, dict[str, Any]] = {}
        for cp in self.checkpoints:
            for c in cp.conditions:
                entry = conditions.setdefault(c.condition_id, {
                    "condition_id": c.condition_id, "points": []})
                entry["points"].append({"date": cp.day.isoformat(),
                                        "cumulative_t": round(c.cumulative_t, 3),
                                        "trigger_t": round(c.trigger_t, 3),
                                        "decisive": cp.decisive})
        return {
            "measure_id": self.measure_id, "period": f"FY{self.fy}",
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "crossing_date": self.crossing_date.isoformat() if self.crossing_date else None,
            "activation": ({"start": self.activation.start.isoformat(),
                            "end": self.activation.end.isoformat(),
                            "duty": ex.format_duty(self.activation.duty)}
                           if self.activation else None),
            "conditions": list(conditions.values()),
            "forecast": ({"projected_t": round(self.forecast.projected_t, 1),
                          "low_t": round(self.forecast.low_t, 1),
                          "high_t": round(self.forecast.high_t, 1),
                          "probability": round(self.forecast.probability, 4),
                          "crossing_months": self.forecast.crossing_months}
                         if self.forecast else None),
        }

    def row(self) -> dict[str, Any]:
        """The status row: the fields of ``tradeguard status --json``."""
        latest = self.latest
        binding = latest.binding if latest else None
        return {
            "measure_id": self.measure_id,
            "period": f"FY{self.fy}",
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "data_through": self.data_through.isoformat() if self.data_through else None,
            "cumulative_t": round(binding.cumulative_t, 3) if binding else 0.0,
            "trigger_t": round(binding.trigger_t, 3) if binding else None,
            "trigger_status": binding.trigger_status if binding else None,
            "share": _finite(binding.share) if binding else 0.0,
            "triggered": self.triggered,
            "crossing_date": self.crossing_date.isoformat() if self.crossing_date else None,
            "activation_start": self.activation.start.isoformat() if self.activation else None,
            "activation_end": self.activation.end.isoformat() if self.activation else None,
            "safeguard_rate": self.safeguard_rate,
            "safeguard_rate_status": self.safeguard_rate_status,
            "forecast_probability": (round(self.forecast.probability, 4)
                                     if self.forecast else None),
            "forecast_projected_t": (round(self.forecast.projected_t, 1)
                                     if self.forecast else None),
            "conditions": [asdict(c) for c in (latest.conditions if latest else [])],
            "notes": self.notes,
        }


def _finite(share: float) -> float | None:
    """JSON has no infinity: a share of a zero trigger is reported as null."""
    return round(share, 6) if share != float("inf") else None


@dataclass
class Alert:
    measure_id: str
    period: str
    threshold: float
    day: dt.date
    share: float

    def row(self) -> dict[str, Any]:
        return {"measure_id": self.measure_id, "period": self.period,
                "threshold": self.threshold, "date": self.day.isoformat(),
                "share": _finite(self.share)}


@dataclass
class MonitorReport:
    as_of: dt.date
    periods: list[PeriodStatus]
    thresholds: tuple[float, ...]

    def status(self) -> list[dict[str, Any]]:
        """One row per measure and open period."""
        return [p.row() for p in self.periods if p.open]

    @property
    def activations(self) -> list[s.Activation]:
        return [p.activation for p in self.periods if p.activation is not None]

    def period(self, measure_id: str, fy: int) -> PeriodStatus:
        from tradeguard.errors import PeriodError, problem

        for p in self.periods:
            if p.measure_id == measure_id and p.fy == fy:
                return p
        known = sorted({f"{p.measure_id} FY{p.fy}" for p in self.periods
                        if p.measure_id == measure_id})
        raise PeriodError(problem(f"no period FY{fy} for {measure_id}",
                                  why="the measure was not in force then, or no data was given",
                                  fix=f"choose one of: {', '.join(known) or '(none)'}"))

    def alerts(self) -> list[Alert]:
        """Change-only events: the first day each period's binding share reached each threshold."""
        out = []
        for p in self.periods:
            reached: set[float] = set()
            for cp in p.checkpoints:
                for threshold in self.thresholds:
                    if threshold not in reached and cp.binding.share >= threshold:
                        reached.add(threshold)
                        out.append(Alert(p.measure_id, f"FY{p.fy}", threshold, cp.day,
                                         cp.binding.share))
        return sorted(out, key=lambda a: (a.day, a.measure_id, a.threshold))


def _fiscal_years(measure: s.VolumeSafeguard, last_day: dt.date) -> list[int]:
    first = fiscal_year(measure.valid_from, measure.year_start_month)
    last = fiscal_year(min(last_day, measure.valid_to or last_day), measure.year_start_month)
    return list(range(first, last + 1))


def _active(cond: s.Condition, start: dt.date) -> bool:
    return ((cond.valid_from is None or cond.valid_from <= start)
            and (cond.valid_to is None or start <= cond.valid_to))


def _evaluate_period(rules: RuleSet, measure_id: str, fy: int, series: Series,
                     book: TriggerBook, as_of: dt.date, granularity: str, source: str,
                     draws: int, seed: int, mfn_in_data: bool,
                     data_span: tuple[dt.date, dt.date],
                     carried_in: dict[str, float] | None = None) -> PeriodStatus:
    measure = rules.safeguards[measure_id]
    start = period_start(measure, fy)
    end = fiscal_year_end(fy, measure.year_start_month)
    if measure.valid_to is not None:
        end = min(end, measure.valid_to)
    conditions = [c for c in measure.conditions if _active(c, start)]
    quarterly = measure.period == "fiscal_quarters_cumulative"
    days = sorted({d for c in conditions
                   for d in series.period_ends(measure_id, c.id, "counted", fy) if d <= as_of})
    data_through = days[-1] if days else None
    decisive_days = set(quarter_ends(fy, measure.year_start_month)) if quarterly else set(days)
    if quarterly:
        days = sorted({*days, *(q for q in decisive_days if start <= q <= (data_through or start)
                                and q <= as_of)})
    notes: list[str] = []
    carry = carried_in or {}
    if any(carry.values()):
        notes.append("includes the excess carried in from the previous year: "
                     + ", ".join(f"{c} {t:,.1f} t" for c, t in carry.items()))
    if not mfn_in_data and any(c.counting.regimes == "all" for c in conditions):
        notes.append("the data holds no imports at the MFN rate; the count covers "
                     "preferential imports only and is a lower bound")
    checkpoints, crossing = [], None
    for day in days:
        # A quarterly rule's trigger for any day is the one for the end of its quarter.
        test_day = min((q for q in decisive_days if q >= day), default=day) if quarterly else day
        states = []
        for cond in conditions:
            cum = series.at(measure_id, cond.id, "counted", fy, day) + carry.get(cond.id, 0.0)
            try:
                level = book.level(measure_id, cond, fy, test_day)
            except Exception as exc:  # a missing reference year: report it, do not stop
                from tradeguard.errors import TradeguardError

                if not isinstance(exc, TradeguardError):
                    raise
                note = str(exc)
                if note not in notes:
                    notes.append(note)
                states = []
                break
            share = (cum / level.volume_t if level.volume_t > 0
                     else (0.0 if cum == 0 else float("inf")))
            states.append(ConditionState(cond.id, cum, level.volume_t, share,
                                         cum > level.volume_t, level.status, level.notes))
        if not states:
            continue
        cp = Checkpoint(day, states, decisive=day in decisive_days)
        checkpoints.append(cp)
        if crossing is None and cp.triggered:
            crossing = day
    status = weakest([c.trigger_status for cp in checkpoints for c in cp.conditions])
    activation, rate, rate_status = None, None, None
    if crossing is not None:
        activation, more = act.activation(rules, measure_id, crossing, granularity, as_of,
                                          status, source)
        notes += more
    sg = act.safeguard_duty(rules, measure, crossing or start, as_of)
    if sg is not None:
        rate, rate_status = ex.format_duty(sg[0]), sg[1]
        if activation is not None:
            rate = ex.format_duty(activation.duty)
    is_open = start <= as_of <= end
    fc = None
    if is_open and crossing is None and data_through is not None and checkpoints:
        year_end_levels = []
        for cond in conditions:
            year_end = book.level(measure_id, cond, fy, end)
            year_end_levels.append((cond.id, series.at(measure_id, cond.id, "counted", fy,
                                                       data_through) + carry.get(cond.id, 0.0),
                                    year_end.volume_t))
        fc = forecast(series, measure_id, year_end_levels, fy, data_through, data_span,
                      measure.year_start_month, draws, seed)
        if fc is None:
            notes.append("no forecast: no complete earlier year in the reference series")
    return PeriodStatus(measure_id, fy, start, end, is_open, data_through, checkpoints,
                        crossing, activation, rate, rate_status, fc, notes)


def monitor(imports: Any = None, *, as_of: dt.date, store: Any = None,
            rules: RuleSet | None = None, measures: list[str] | None = None,
            thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, draws: int = DEFAULT_DRAWS,
            seed: int = DEFAULT_SEED) -> MonitorReport:
    """Every volume safeguard against the import data, as known on ``as_of``.

    ``imports`` is an Ibis table, Arrow table or Polars/pandas frame in the canonical
    import schema; without it the embedded store at ``store`` (or the default store)
    is read.  ``measures`` limits the run to some rule ids.
    """
    from tradeguard.rules.loader import shipped_rules

    rules = rules or shipped_rules()
    table = _imports_table(imports, store)
    ids = sorted(measures or rules.safeguards)
    specs = [spec for mid in ids for spec in specs_for(rules, mid)]
    cum = cumulative(table, specs, rules, as_of).to_pyarrow()
    series = Series(cum)
    span = table.filter(table.period_end <= as_of).aggregate(
        lo=table.period_start.min(), hi=table.period_end.max()).to_pyarrow().to_pylist()[0]
    data_span = (span["lo"] or as_of, span["hi"] or as_of)
    book = TriggerBook(rules, series, as_of, span["lo"])
    granularity = _granularity(table)
    mfn_in_data = bool(table.filter(table.regime == "mfn").count().to_pyarrow().as_py())
    source = _sources(table)
    periods = []
    for mid in ids:
        measure = rules.safeguards[mid]
        carry: dict[str, float] = {}
        for fy in _fiscal_years(measure, as_of):
            if period_start(measure, fy) > as_of:
                continue
            period = _evaluate_period(rules, mid, fy, series, book, as_of, granularity, source,
                                      draws, seed, mfn_in_data, data_span, carry)
            periods.append(period)
            carry = _carried_out(measure, period)
    return MonitorReport(as_of=as_of, periods=periods, thresholds=tuple(thresholds))


def _carried_out(measure: s.VolumeSafeguard, period: PeriodStatus) -> dict[str, float]:
    """The excess a late crossing carries into the next year (JAEPA), by condition."""
    if period.crossing_date is None or not period.checkpoints:
        return {}
    late = act.late_rule(measure, period.crossing_date)
    if late is None or not late.carry_over:
        return {}
    final = period.checkpoints[-1]
    return {c.condition_id: max(c.cumulative_t - c.trigger_t, 0.0) for c in final.conditions}


def _imports_table(imports: Any, store: Any) -> ibis.Table:
    if imports is None:
        from tradeguard.data.store import open_imports

        return open_imports(store)
    if isinstance(imports, ibis.Table):
        return imports
    return ibis.memtable(imports)


def _granularity(table: ibis.Table) -> str:
    kinds = table.select("granularity").distinct().to_pyarrow().column(0).to_pylist()
    return "day" if kinds == ["day"] else "month"


def _sources(table: ibis.Table) -> str:
    names = table.select("source").distinct().to_pyarrow().column(0).to_pylist()
    return ", ".join(sorted(map(str, names))[:3]) or "no data"
