"""One measure in one counting year: coverage, checkpoints, crossing, activation, forecast.

The order matters for "an answer knows its limits": coverage is judged first, per series
(the lines and regimes each condition counts) and period; a series the data does not cover
is reported as not computable (no count, no crossing), one covered only from a later day
gives a lower bound that is never reported as triggered, and a trigger that the data cannot
set leaves the count standing, with the reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tradeguard.data.coverage import COMPLETE, NONE, PARTIAL, Coverage, Judgement
from tradeguard.engine import expressions as ex
from tradeguard.errors import TradeguardError
from tradeguard.monitor import activation as act
from tradeguard.monitor.forecast import Forecast, forecast
from tradeguard.monitor.status import Checkpoint, ConditionState, PeriodStatus
from tradeguard.monitor.triggers import Series, TriggerBook, counted_scope, period_start, weakest
from tradeguard.periods import fiscal_year_end, quarter_ends
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet

_RANK = {COMPLETE: 0, PARTIAL: 1, NONE: 2}


@dataclass(frozen=True)
class Context:
    """What every period of one monitor run shares."""

    rules: RuleSet
    series: Series
    book: TriggerBook
    coverage: Coverage
    as_of: dt.date
    source: str
    draws: int
    seed: int
    data_span: tuple[dt.date, dt.date]


def active(cond: s.Condition, start: dt.date) -> bool:
    return ((cond.valid_from is None or cond.valid_from <= start)
            and (cond.valid_to is None or start <= cond.valid_to))


def judge_period(ctx: Context, measure: s.VolumeSafeguard, conditions: list[s.Condition],
                 start: dt.date, end: dt.date) -> Judgement:
    """The weakest coverage of the conditions' series over [start, min(as_of, end)]."""
    window_end = min(ctx.as_of, end)
    found = [ctx.coverage.judge(counted_scope(ctx.rules, measure, c), start, window_end)
             for c in conditions]
    if not found:
        return Judgement(NONE, "no condition of the measure is in force", None, False)
    worst = max(found, key=lambda j: _RANK[j.coverage])
    throughs = [j.through for j in found]
    through = None if None in throughs else min(t for t in throughs if t is not None)
    return Judgement(worst.coverage, worst.reason, through, all(j.from_start for j in found))


def evaluate_period(ctx: Context, measure_id: str, fy: int,
                    carried_in: dict[str, float] | None = None) -> PeriodStatus:
    measure = ctx.rules.safeguards[measure_id]
    start = period_start(measure, fy)
    end = fiscal_year_end(fy, measure.year_start_month)
    if measure.valid_to is not None:
        end = min(end, measure.valid_to)
    conditions = [c for c in measure.conditions if active(c, start)]
    judgement = judge_period(ctx, measure, conditions, start, end)
    notes: list[str] = []
    carry = carried_in or {}
    if any(carry.values()):
        notes.append("includes the excess carried in from the previous year: "
                     + ", ".join(f"{c} {t:,.1f} t" for c, t in carry.items()))
    is_open = start <= ctx.as_of <= end
    if judgement.coverage == NONE:
        rate, rate_status = _rule_rate(ctx, measure, start)
        return PeriodStatus(measure_id, fy, start, end, is_open, None, [], None, None, rate,
                            rate_status, None, notes, NONE, judgement.reason)
    checkpoints = _checkpoints(ctx, measure_id, conditions, fy, judgement, carry, notes)
    crossing = next((cp.day for cp in checkpoints if cp.triggered), None)
    if crossing is not None and not judgement.from_start:
        notes.append(f"the count passes the trigger on {crossing}, but the data does not "
                     "cover the period from its first day: not reported as triggered")
        crossing = None
    known, pending = _activation(ctx, measure_id, conditions, crossing, checkpoints, notes)
    rate, rate_status = _rule_rate(ctx, measure, crossing or start)
    if known is not None:
        rate = ex.format_duty(known.duty)
    data_through = judgement.through or (checkpoints[-1].day if checkpoints else None)
    fc = None
    if is_open and crossing is None and data_through is not None and checkpoints:
        fc = _forecast(ctx, measure_id, conditions, fy, end, data_through, carry, notes)
    return PeriodStatus(measure_id, fy, start, end, is_open, data_through, checkpoints,
                        crossing, known, rate, rate_status, fc, notes, judgement.coverage,
                        judgement.reason, pending)


def _rule_rate(ctx: Context, measure: s.VolumeSafeguard,
               start: dt.date) -> tuple[str | None, str | None]:
    """The safeguard duty the rule sets for the period (what a crossing would bring)."""
    sg = act.safeguard_duty(ctx.rules, measure, start, ctx.as_of)
    return (ex.format_duty(sg[0]), sg[1]) if sg is not None else (None, None)


def _checkpoint_days(ctx: Context, measure: s.VolumeSafeguard, measure_id: str,
                     conditions: list[s.Condition], fy: int,
                     judgement: Judgement) -> tuple[list[dt.date], set[dt.date], bool]:
    quarterly = measure.period == "fiscal_quarters_cumulative"
    days = {d for c in conditions
            for d in ctx.series.period_ends(measure_id, c.id, "counted", fy) if d <= ctx.as_of}
    if judgement.through is not None:
        days.add(judgement.through)  # covered to here: the count is known, even if no rows
    last = max(days, default=None)
    decisive = set(quarter_ends(fy, measure.year_start_month)) if quarterly else set(days)
    if quarterly and last is not None:
        start = period_start(measure, fy)
        days |= {q for q in decisive if start <= q <= last and q <= ctx.as_of}
    return sorted(days), decisive, quarterly


def _checkpoints(ctx: Context, measure_id: str, conditions: list[s.Condition], fy: int,
                 judgement: Judgement, carry: dict[str, float],
                 notes: list[str]) -> list[Checkpoint]:
    measure = ctx.rules.safeguards[measure_id]
    days, decisive, quarterly = _checkpoint_days(ctx, measure, measure_id, conditions, fy,
                                                 judgement)
    out = []
    for day in days:
        # A quarterly rule's trigger for any day is the one for the end of its quarter.
        test_day = min((q for q in decisive if q >= day), default=day) if quarterly else day
        states = [_state(ctx, measure_id, cond, fy, day, test_day, carry, notes)
                  for cond in conditions]
        out.append(Checkpoint(day, states, decisive=day in decisive))
    return out


def _state(ctx: Context, measure_id: str, cond: s.Condition, fy: int, day: dt.date,
           test_day: dt.date, carry: dict[str, float], notes: list[str]) -> ConditionState:
    cum = ctx.series.at(measure_id, cond.id, "counted", fy, day) + carry.get(cond.id, 0.0)
    try:
        level = ctx.book.level(measure_id, cond, fy, test_day)
    except TradeguardError as exc:  # a reference year the data does not cover: say so
        reason = str(exc)
        if reason not in notes:
            notes.append(reason)
        return ConditionState(cond.id, cum, None, None, False, None, [], reason)
    share = (cum / level.volume_t if level.volume_t > 0
             else (0.0 if cum == 0 else float("inf")))
    return ConditionState(cond.id, cum, level.volume_t, share, cum > level.volume_t,
                          level.status, level.notes)


def _activation(ctx: Context, measure_id: str, conditions: list[s.Condition],
                crossing: dt.date | None, checkpoints: list[Checkpoint],
                notes: list[str]) -> tuple[s.Activation | None, s.Activation | None]:
    """(the activation known on ``as_of``, one computed but announced only after it)."""
    if crossing is None:
        return None, None
    measure = ctx.rules.safeguards[measure_id]
    status = weakest([c.trigger_status for cp in checkpoints for c in cp.conditions
                      if c.trigger_status is not None])
    granularity = _granularity(ctx, measure, conditions, crossing)
    found, more = act.activation(ctx.rules, measure_id, crossing, granularity, ctx.as_of,
                                 status, ctx.source)
    notes += more
    if found is None or found.announced_on is None or found.announced_on <= ctx.as_of:
        return found, None
    notes.append(f"crossed on {crossing}; under the rule the safeguard would be announced on "
                 f"{found.announced_on} and run {found.start} to {found.end}: not yet known "
                 f"on {ctx.as_of}")
    return None, found


def _granularity(ctx: Context, measure: s.VolumeSafeguard, conditions: list[s.Condition],
                 day: dt.date) -> str:
    """The finest data that covers the crossing day for every condition's series."""
    kinds = {ctx.coverage.granularity_on(counted_scope(ctx.rules, measure, c), day)
             for c in conditions}
    return "day" if kinds == {"day"} else "month"


def _forecast(ctx: Context, measure_id: str, conditions: list[s.Condition], fy: int,
              end: dt.date, data_through: dt.date, carry: dict[str, float],
              notes: list[str]) -> Forecast | None:
    measure = ctx.rules.safeguards[measure_id]
    levels = []
    for cond in conditions:
        try:
            year_end = ctx.book.level(measure_id, cond, fy, end)
        except TradeguardError:
            notes.append("no forecast: the year-end trigger cannot be set from this data")
            return None
        levels.append((cond.id, ctx.series.at(measure_id, cond.id, "counted", fy, data_through)
                       + carry.get(cond.id, 0.0), year_end.volume_t))
    fc = forecast(ctx.series, measure_id, levels, fy, data_through, ctx.data_span,
                  measure.year_start_month, ctx.draws, ctx.seed,
                  period_start=period_start(measure, fy))
    if fc is None:
        notes.append("no forecast: no complete earlier year in the reference series")
    return fc
