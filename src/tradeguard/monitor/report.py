"""The monitor: every volume safeguard, every period, against the import data.

``monitor(imports, as_of=...)`` counts the imports each condition counts, sets
each trigger, finds the crossing, computes the activation window and the
safeguard duty, forecasts open periods and lists threshold alerts.  Its
``activations`` are a ledger that :func:`tradeguard.duty` accepts directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis

from tradeguard.data.coverage import Coverage
from tradeguard.engine import expressions as ex
from tradeguard.monitor import activation as act
from tradeguard.monitor.counting import cumulative, specs_for
from tradeguard.monitor.evaluate import Context, evaluate_period
from tradeguard.monitor.forecast import DEFAULT_DRAWS, DEFAULT_SEED
from tradeguard.monitor.status import (  # re-exported: the report's parts
    Alert,
    Checkpoint,
    ConditionState,
    PeriodStatus,
)
from tradeguard.monitor.triggers import Series, TriggerBook, counted_scope, period_start
from tradeguard.periods import fiscal_year, period_key
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet

__all__ = ["Alert", "Checkpoint", "ConditionState", "MonitorReport", "PeriodStatus",
           "data_as_of", "monitor", "monitor_latest"]

DEFAULT_THRESHOLDS = (0.8, 0.9, 1.0)


@dataclass
class MonitorReport:
    as_of: dt.date  # the latest knowledge date of the report
    periods: list[PeriodStatus]
    thresholds: tuple[float, ...]
    # Per measure, when it was evaluated as of another day (``monitor_latest``: each
    # measure as of the last day the data covers what it counts).
    as_of_by_measure: dict[str, dt.date] = field(default_factory=dict)

    def as_of_for(self, measure_id: str) -> dt.date:
        return self.as_of_by_measure.get(measure_id, self.as_of)

    def status(self) -> list[dict[str, Any]]:
        """One row per measure and open period, with the day it is known as of."""
        return [{**p.row(), "as_of": self.as_of_for(p.measure_id).isoformat()}
                for p in self.periods if p.open]

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
                share = cp.binding.share
                for threshold in self.thresholds:
                    if threshold not in reached and share is not None and share >= threshold:
                        reached.add(threshold)
                        out.append(Alert(p.measure_id, period_key(p.fy), threshold, cp.day, share))
        return sorted(out, key=lambda a: (a.day, a.measure_id, a.threshold))


def _fiscal_years(measure: s.VolumeSafeguard, last_day: dt.date) -> list[int]:
    first = fiscal_year(measure.valid_from, measure.year_start_month)
    last = fiscal_year(min(last_day, measure.valid_to or last_day), measure.year_start_month)
    return list(range(first, last + 1))


def monitor(imports: Any = None, *, as_of: dt.date, store: Any = None,
            rules: RuleSet | None = None, measures: list[str] | None = None,
            thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, draws: int = DEFAULT_DRAWS,
            seed: int = DEFAULT_SEED) -> MonitorReport:
    """Every volume safeguard against the import data, as known on ``as_of``.

    ``imports`` is an Ibis table, Arrow table or Polars/pandas frame in the canonical
    import schema; without it the embedded store at ``store`` (or the default store)
    is read.  ``measures`` limits the run to some rule ids.  Every period says how far
    the data covers what its measure counts (``coverage``, ``coverage_reason``).
    """
    from tradeguard.rules.loader import shipped_rules

    rules = rules or shipped_rules()
    table = _imports_table(imports, store, as_of)
    ids = sorted(measures or rules.safeguards)
    specs = [spec for mid in ids for spec in specs_for(rules, mid)]
    series = Series(cumulative(table, specs, rules, as_of).to_pyarrow())
    span = table.filter(table.period_end <= as_of).aggregate(
        lo=table.period_start.min(), hi=table.period_end.max()).to_pyarrow().to_pylist()[0]
    covered = Coverage.of(table, as_of)
    ctx = Context(rules, series, TriggerBook(rules, series, as_of, covered), covered, as_of,
                  _sources(table), draws, seed, (span["lo"] or as_of, span["hi"] or as_of))
    return report_of(ctx, ids, thresholds)


def report_of(ctx: Context, ids: list[str], thresholds: tuple[float, ...]) -> MonitorReport:
    """Every period of the measures ``ids``, judged in ``ctx`` (counts, coverage and
    triggers as known on ``ctx.as_of``): ``monitor``'s and the prepared monitor's last step."""
    rules, as_of = ctx.rules, ctx.as_of
    periods = []
    for mid in ids:
        measure = rules.safeguards[mid]
        carry: dict[str, float] = {}
        own = []
        for fy in _fiscal_years(measure, as_of):
            if period_start(measure, fy) > as_of:
                continue
            period = evaluate_period(ctx, mid, fy, carry)
            own.append(period)
            carry = _carried_out(measure, period)
        _mark_in_force(rules, mid, own, as_of)
        periods += own
    return MonitorReport(as_of=as_of, periods=periods, thresholds=tuple(thresholds))


def data_as_of(imports: Any = None, *, store: Any = None, rules: RuleSet | None = None,
               measures: list[str] | None = None) -> dict[str, dt.date | None]:
    """Per measure, the last day the data covers what it counts (at most the measure's last
    day); None where the data does not hold it.  The default ``as_of`` of the CLI, the API and
    the desk: one stray row of another line, or of a regime the measure does not count, does
    not move it."""
    from tradeguard.rules.loader import shipped_rules

    rules = rules or shipped_rules()
    return last_days(rules, Coverage.of(_imports_table(imports, store)), measures)


def last_days(rules: RuleSet, covered: Coverage,
              measures: list[str] | None = None) -> dict[str, dt.date | None]:
    """``data_as_of`` from the coverage of every record."""
    out: dict[str, dt.date | None] = {}
    for mid in sorted(measures or rules.safeguards):
        measure = rules.safeguards[mid]
        days = [covered.last_day(counted_scope(rules, measure, c)) for c in measure.conditions]
        known = [d for d in days if d is not None]
        last = min(known) if known else None
        if last is not None and measure.valid_to is not None:
            last = min(last, measure.valid_to)
        out[mid] = last if last is None or last >= measure.valid_from else None
    return out


def monitor_latest(imports: Any = None, *, store: Any = None, rules: RuleSet | None = None,
                   measures: list[str] | None = None,
                   thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, draws: int = DEFAULT_DRAWS,
                   seed: int = DEFAULT_SEED) -> MonitorReport:
    """Each measure as of the last day the data covers what it counts (``data_as_of``).

    Measures the data does not hold are shown as of the latest of those days (or, if it
    holds none, of its last record), each saying why it cannot be computed.
    """
    from tradeguard.rules.loader import shipped_rules

    rules = rules or shipped_rules()
    table = _imports_table(imports, store)
    days = data_as_of(table, rules=rules, measures=measures)
    known = [d for d in days.values() if d is not None]
    fallback = max(known) if known else table.period_end.max().to_pyarrow().as_py()
    return latest_of(days, fallback, lambda day, mids: monitor(
        table, as_of=day, rules=rules, measures=mids, thresholds=thresholds, draws=draws,
        seed=seed), thresholds)


def latest_of(days: dict[str, dt.date | None], fallback: dt.date | None,
              run: Callable[[dt.date, list[str]], MonitorReport],
              thresholds: tuple[float, ...]) -> MonitorReport:
    """``monitor_latest``'s report from each measure's last day (``days``), the day of the
    measures without one (``fallback``) and a monitor run for a day and some measures."""
    from tradeguard.errors import PeriodError, problem

    if fallback is None:
        raise PeriodError(problem("the data holds no import records", where="monitor_latest",
                                  fix="ingest import data first (e.g. `tradeguard ingest "
                                      "--bundled`), or give an as_of"))
    groups: dict[dt.date, list[str]] = {}
    for mid, day in days.items():
        groups.setdefault(day or fallback, []).append(mid)
    periods: list[PeriodStatus] = []
    for day, mids in sorted(groups.items()):
        periods += run(day, mids).periods
    periods.sort(key=lambda p: (p.measure_id, p.fy))
    by_measure = {mid: day or fallback for mid, day in days.items()}
    return MonitorReport(as_of=fallback, periods=periods, thresholds=tuple(thresholds),
                         as_of_by_measure=by_measure)


def _mark_in_force(rules: RuleSet, measure_id: str, periods: list[PeriodStatus],
                   as_of: dt.date) -> None:
    """What is in force on ``as_of``: an activation known by then (official, else computed)
    whose window contains it, whichever fiscal year it started in."""
    official = [a for a in rules.activations if a.measure_id == measure_id
                and (a.announced_on is None or a.announced_on <= as_of)]
    computed = [p.activation for p in periods if p.activation is not None]
    running = next((a for a in [*official, *computed] if a.start <= as_of <= a.end), None)
    for p in periods:
        p.safeguard_in_force = running is not None
        p.safeguard_rate_in_force = ex.format_duty(running.duty) if running else None
        if running is not None and p.open and not (p.period_start <= running.start):
            p.notes.append(f"in force on {as_of}: {p.safeguard_rate_in_force} from "
                           f"{running.start} to {running.end} ({running.origin})")


def _carried_out(measure: s.VolumeSafeguard, period: PeriodStatus) -> dict[str, float]:
    """The excess a late crossing carries into the next year (JAEPA), by condition."""
    if period.crossing_date is None or not period.checkpoints:
        return {}
    late = act.late_rule(measure, period.crossing_date)
    if late is None or not late.carry_over:
        return {}
    final = period.checkpoints[-1]
    return {c.condition_id: max(c.cumulative_t - c.trigger_t, 0.0) for c in final.conditions
            if c.trigger_t is not None}


def _imports_table(imports: Any, store: Any, as_of: dt.date | None = None) -> ibis.Table:
    if imports is None:  # the store's records as known on as_of (latest revisions)
        from tradeguard.data.store import open_imports

        return open_imports(store, known_on=as_of)
    if isinstance(imports, ibis.Table):
        return imports
    return ibis.memtable(imports)


def _sources(table: ibis.Table) -> str:
    names = table.select("source").distinct().to_pyarrow().column(0).to_pylist()
    return ", ".join(sorted(map(str, names))[:3]) or "no data"
