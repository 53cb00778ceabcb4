"""From a crossing to an activation: when the safeguard duty starts, ends, and at what rate."""

from __future__ import annotations

import datetime as dt

from tradeguard.engine import expressions as ex
from tradeguard.periods import (
    DAY,
    add_months,
    add_working_days,
    fiscal_year,
    fiscal_year_end,
    month_end,
    ten_day_period_end,
)
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, value_on


def reporting_period_end(measure: s.VolumeSafeguard, crossing: dt.date,
                         granularity: str) -> dt.date:
    """End of the published statistics period in which the crossing shows.

    Monthly data cannot place a crossing inside the month, so its period ends at the
    month's end whatever the rule's own reporting period.
    """
    if granularity == "month" or measure.reporting == "month":
        return month_end(crossing)
    if measure.reporting == "ten_day":
        return ten_day_period_end(crossing)
    return crossing


def window(measure: s.VolumeSafeguard, crossing: dt.date,
           granularity: str = "day") -> tuple[dt.date, dt.date] | None:
    """The activation window [start, end] (inclusive), or None if it would start after
    the year is over and no late-crossing rule carries it into the next year."""
    rule = measure.start
    if rule.kind == "working_days_after_reporting_period":
        period_end = reporting_period_end(measure, crossing, granularity)
        start = add_working_days(period_end, rule.working_days or 0) + DAY
    else:  # month_start_after_period: the month after the period end plus the lag
        start = month_end(add_months(crossing, rule.months_after_period_end or 0)) + DAY
    fy_end = fiscal_year_end(fiscal_year(crossing, measure.year_start_month),
                             measure.year_start_month)
    late = late_rule(measure, crossing)
    if late is not None and late.carry_over:
        return None
    if late is not None and late.days is not None:
        return start, start + dt.timedelta(days=late.days - 1)
    if start > fy_end:
        return None
    return start, fy_end


def late_rule(measure: s.VolumeSafeguard, crossing: dt.date) -> s.LateCrossing | None:
    return next((lc for lc in measure.duration.late_crossing if lc.month == crossing.month), None)


def mfn_duty(rules: RuleSet, line: str, day: dt.date,
             as_of: dt.date) -> ex.DutyExpression | None:
    """The MFN duty expression on a line and day, as known on ``as_of`` (None: not encoded)."""
    for tariff in rules.tariffs.values():
        if tariff.regime != "mfn":
            continue
        for schedule in tariff.schedules:
            if covers(schedule.lines, line):
                found = value_on(schedule.rates, day, as_of)
                return None if found is None else found[1].duty
    return None


def mfn_percent(rules: RuleSet, line: str, day: dt.date, as_of: dt.date) -> float | None:
    """The MFN ad valorem rate on a line and day (None if not ad valorem or not encoded)."""
    duty = mfn_duty(rules, line, day, as_of)
    return None if duty is None else ex.ad_valorem_percent(duty)


def safeguard_duty(rules: RuleSet, measure: s.VolumeSafeguard, day: dt.date,
                   as_of: dt.date) -> tuple[ex.DutyExpression, str, list[str]] | None:
    """The safeguard duty in force on ``day``, capped at the MFN rate where the rule says so.

    CPTPP Appendix B-1 Section A: the safeguard duty may not exceed the MFN applied rate.
    """
    found = value_on(measure.safeguard_duty, day, as_of)
    if found is None:
        return None
    entry = found[1]
    duty, notes = entry.duty, []
    if measure.cap_at_mfn:
        sg = ex.ad_valorem_percent(duty)
        mfn = mfn_percent(rules, measure.lines[0], day, as_of)
        if sg is not None and mfn is not None and mfn < sg:
            duty = ex.parse_duty(f"{mfn}%")
            notes.append(f"capped at the MFN rate of {mfn}%")
    return duty, entry.status, notes


def announcement_day(start: dt.date) -> dt.date:
    """The day a computed activation counts as announced: the day before it starts.

    The rules give the start, not the announcement; a safeguard is made public before it
    applies, at the latest the day before (USJTA, MAFF 17 Mar 2021: data to 10 March,
    announced 17 March, in force 18 March).  An earlier real announcement only makes the
    monitor more cautious than the record, never less.
    """
    return start - DAY


def _next_year_note(start: dt.date, end: dt.date, fy_end: dt.date) -> str:
    """What the new year's scheduled rate does around a window that runs past 31 March.

    The safeguard rate holds on the window's days only (``next_year_cut: outside_window``),
    so the note and :func:`tradeguard.duty` say the same thing.
    """
    new_year = fy_end + DAY
    before = (f"from {new_year} to {start - DAY} and " if start > new_year else "")
    return (f"the safeguard runs into the next fiscal year until {end}; that year's scheduled "
            f"rate applies {before}from {end + DAY}")


def activation(rules: RuleSet, measure_id: str, crossing: dt.date, granularity: str,
               as_of: dt.date, status: str, source: str) -> tuple[s.Activation | None, list[str]]:
    """The computed activation for a crossing, in the ledger shape the duty engine reads."""
    measure = rules.safeguards[measure_id]
    span = window(measure, crossing, granularity)
    late = late_rule(measure, crossing)
    if late is not None and late.carry_over:
        return None, [f"crossed on {crossing}, after January: no duty; the excess is counted "
                      "into the next year's imports"]
    if span is None:
        return None, [f"crossed on {crossing}, too late in the year for the duty to start"]
    duty = safeguard_duty(rules, measure, crossing, as_of)
    if duty is None:
        return None, [f"no safeguard duty in force on {crossing}"]
    expr, duty_status, notes = duty
    start, end = span
    fy_end = fiscal_year_end(fiscal_year(crossing, measure.year_start_month),
                             measure.year_start_month)
    if measure.next_year_cut is not None and end > fy_end:
        notes.append(_next_year_note(start, end, fy_end))
    act = s.Activation(
        measure_id=measure_id, start=start, end=end, lines=measure.lines,
        partners=measure.hits, regimes=measure.hits_regimes, duty=expr, origin="computed",
        announced_on=announcement_day(start),
        status=s.weakest([status, duty_status]),
        cite=f"computed by tradeguard from {source}; crossing on {crossing}",
        note="; ".join(notes) or None)
    return act, notes
