"""Worked and constructed monitor cases (issue #3), on constructed day-level data.

Each case builds import records by hand (labelled constructed in their `source`)
so that a rule's edge is crossed on a known day, then checks the crossing, the
activation window and the safeguard duty against the rule as written.
"""

from __future__ import annotations

import datetime as dt

import pytest

import tradeguard as tg
from tests.monitor.constructed import daily, spread
from tradeguard.engine.expressions import format_duty
from tradeguard.monitor.report import monitor
from tradeguard.periods import add_months

D = dt.date
BEEF = "020230090"


def _period(report, measure_id: str, fy: int):
    return report.period(measure_id, fy)


def usjta_fy2020_report():
    """US imports reach 242,229 t on 10 March 2021 (the real figure), evenly from 1 April 2020."""
    rows = spread(D(2020, 4, 1), 344, 242_229, BEEF, "US", "usjta")
    return monitor(daily(rows), as_of=D(2021, 4, 30), measures=["usjta.beef_safeguard"])


def test_march_crossing_gives_30_days_into_the_next_year_and_the_cut_applies_after_it():
    period = _period(usjta_fy2020_report(), "usjta.beef_safeguard", 2020)
    assert period.crossing_date == D(2021, 3, 10)
    act = period.activation
    # 10-day period ends Wed 10 March; the 5th working day after is Wed 17 March.
    assert (act.start, act.end) == (D(2021, 3, 18), D(2021, 4, 16))  # as MAFF announced
    assert (act.end - act.start).days + 1 == 30
    assert act.end > D(2021, 3, 31)  # runs into FY2021
    assert format_duty(act.duty) == "38.5%"
    assert "until 2021-04-16; that year's scheduled rate applies from 2021-04-17" in act.note
    assert period.row()["activation_start"] == "2021-03-18"


def test_computed_activation_drives_the_duty_engine_like_the_official_one():
    ledger = usjta_fy2020_report().activations
    as_of = D(2026, 11, 27)
    answers = {day: tg.duty("0202.30", "US", day, activations=ledger, as_of=as_of).chosen
               for day in (D(2021, 3, 17), D(2021, 3, 18), D(2021, 4, 10), D(2021, 4, 17))}
    assert [a.ad_valorem_percent for a in answers.values()] == [25.8, 38.5, 38.5, 25.0]
    assert [a.safeguard for a in answers.values()] == [False, True, True, False]


def test_mid_february_crossing_gives_45_days():
    rows = spread(D(2021, 4, 1), 320, 247_000, BEEF, "US", "usjta")  # crosses 246,840 t on 14 Feb
    report = monitor(daily(rows), as_of=D(2022, 3, 31), measures=["usjta.beef_safeguard"])
    period = _period(report, "usjta.beef_safeguard", 2021)
    assert period.crossing_date == D(2022, 2, 14)
    act = period.activation
    # 10-day period ends Sun 20 Feb; working days 21, 22, 24, 25, 28 Feb (23 Feb is a holiday).
    assert act.start == D(2022, 3, 1)
    assert (act.end - act.start).days + 1 == 45
    assert act.end == D(2022, 4, 14)


def _wto_frozen(us_q1_2017: float, au_q1_2017: float):
    rows = []
    for quarter in range(4):  # FY2016: 10,000 t a quarter from the US, 20,000 t from Australia
        start = add_months(D(2016, 4, 1), 3 * quarter)
        days = (add_months(start, 3) - start).days
        rows += spread(start, days, 10_000, BEEF, "US", "mfn")
        rows += spread(start, days, 20_000, BEEF, "AU", "jaepa")
    rows += spread(D(2017, 4, 1), 91, us_q1_2017, BEEF, "US", "mfn")
    rows += spread(D(2017, 4, 1), 91, au_q1_2017, BEEF, "AU", "jaepa")
    report = monitor(daily(rows), as_of=D(2017, 7, 31), measures=["wto.beef_frozen_emergency"])
    return _period(report, "wto.beef_frozen_emergency", 2017)


@pytest.mark.parametrize(("us", "au", "triggered"), [
    (11_000, 30_000, False),  # worldwide 41,000 > 35,100, but non-EPA 11,000 <= 11,700
    (12_000, 20_000, False),  # non-EPA 12,000 > 11,700, but worldwide 32,000 <= 35,100
    (12_000, 30_000, True),   # both tests pass at the end of Q1
])
def test_quarterly_117_percent_rule_needs_both_the_worldwide_and_the_non_epa_test(us, au,
                                                                                   triggered):
    period = _wto_frozen(us, au)
    q1 = next(cp for cp in period.checkpoints if cp.day == D(2017, 6, 30))
    levels = {c.condition_id: round(c.trigger_t, 6) for c in q1.conditions}
    assert levels == {"worldwide": 35_100.0, "non_epa": 11_700.0}
    assert period.triggered is triggered
    if triggered:
        assert period.crossing_date == D(2017, 6, 30)
        # From the first day of the month after next, to the end of the fiscal year: as in 2017.
        assert (period.activation.start, period.activation.end) == (D(2017, 8, 1), D(2018, 3, 31))
        assert format_duty(period.activation.duty) == "50%"


def _usjta_fy2023(us_fy2022: float, us_fy2023: float, au_fy2023: float):
    rows = spread(D(2022, 4, 1), 365, us_fy2022, BEEF, "US", "usjta")
    rows += spread(D(2023, 4, 1), 275, us_fy2023, BEEF, "US", "usjta")
    rows += spread(D(2023, 4, 1), 275, au_fy2023, BEEF, "AU", "cptpp")
    # As of 31 January 2024: a December crossing's activation is announced (the day before it
    # starts, in January) by then; as of 31 December it would only be pending.
    report = monitor(daily(rows), as_of=D(2024, 1, 31), measures=["usjta.beef_safeguard"])
    return _period(report, "usjta.beef_safeguard", 2023)


@pytest.mark.parametrize(("us_fy2022", "us_fy2023", "au_fy2023", "us_trigger", "triggered"), [
    # The prior-year clause: FY2022 imports of 265,000 t exceed the FY2023 trigger (256,520 t)
    # and replace it; the US passes it, but US + CPTPP (640,000 t) stays below 649,000 t.
    (265_000, 266_000, 374_000, 265_000, False),
    # The same with more CPTPP imports: all three conditions hold.
    (265_000, 266_000, 384_000, 265_000, True),
    # FY2022 imports below the FY2023 trigger leave it at 256,520 t.
    (250_000, 260_000, 390_000, 256_520, True),
    # The raised trigger (265,000 t) is what stops a US total of 260,000 t.
    (265_000, 260_000, 390_000, 265_000, False),
])
def test_usjta_three_condition_rule(us_fy2022, us_fy2023, au_fy2023, us_trigger, triggered):
    period = _usjta_fy2023(us_fy2022, us_fy2023, au_fy2023)
    last = {c.condition_id: c for c in period.latest.conditions}
    assert last["us_volume"].trigger_t == us_trigger
    assert last["aggregate"].trigger_t == 649_000  # the CPTPP Year-6 trigger (derived)
    assert period.triggered is triggered
    if triggered:
        assert period.activation.end == D(2024, 3, 31)  # crossed in December: to the year's end


def test_usjta_triggered_case_starts_after_the_new_year_closure_and_a_holiday():
    period = _usjta_fy2023(265_000, 266_000, 384_000)
    assert period.crossing_date == D(2023, 12, 31)
    # 1-3 Jan closed, 8 Jan Coming of Age Day: working days 4, 5, 9, 10, 11 Jan.
    assert period.activation.start == D(2024, 1, 12)


def _all_computed_activations():
    acts = list(usjta_fy2020_report().activations)
    acts += [_wto_frozen(12_000, 30_000).activation]
    acts += [_usjta_fy2023(265_000, 266_000, 384_000).activation]
    return [a for a in acts if a is not None]


def test_duty_changes_exactly_at_every_activation_edge():
    """Consistency: inside the window the safeguard applies, the day outside it does not."""
    as_of = D(2026, 11, 27)
    partners = {"usjta.beef_safeguard": "US", "wto.beef_frozen_emergency": "US",
                "wto.beef_chilled_emergency": "US", "wto.potato_starch_ssg": "DE"}
    # The 1995 and 1996 uses predate the MFN rates the rules hold (from FY2000): the ledger
    # records them, and a duty question for those dates is refused.
    activations = _all_computed_activations() + [
        a for a in tg.official_activations() if a.start >= D(2000, 4, 2)]
    assert len(activations) >= 5
    for act in activations:
        origin = partners[act.measure_id]
        one = dt.timedelta(days=1)
        flags = [tg.duty(act.lines[-1], origin, day, 1_000_000.0, 1_000.0, activations=[act],
                         as_of=as_of).chosen.safeguard
                 for day in (act.start - one, act.start, act.end, act.end + one)]
        assert flags == [False, True, True, False], act


def test_same_point_last_year_keeps_month_ends_across_leap_years():
    from tradeguard.monitor.triggers import same_point_last_year

    assert same_point_last_year(D(2021, 2, 28)) == D(2020, 2, 29)
    assert same_point_last_year(D(2020, 2, 29)) == D(2019, 2, 28)
    assert same_point_last_year(D(2021, 2, 14)) == D(2020, 2, 14)
    assert same_point_last_year(D(2021, 6, 30), years=3) == D(2018, 6, 30)
