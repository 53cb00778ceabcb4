"""A safeguard that runs past 31 March, and the next year's scheduled cut (reproduction 11).

With US beef crossing the FY2020 trigger on 25 March 2021, the safeguard runs 8 April –
7 May 2021 (5 working days after the 10-day period ending 31 March, then 30 days).  The
rule data (``usjta.beef_safeguard`` ``next_year_cut: outside_window``) says FY2021's rate
applies on every day outside the window, so the monitor's note and ``tradeguard.duty`` agree:
25.0% on 1–7 April, 38.5% in the window, 25.0% again from 8 May.
"""

from __future__ import annotations

import datetime as dt

import tradeguard as tg
from tests.monitor.constructed import daily
from tradeguard.monitor.report import monitor

D = dt.date
USJTA = "usjta.beef_safeguard"
AS_OF = D(2021, 6, 30)


def _period():
    rows = [(D(2020, 4, 1), "020230090", "US", 1_000.0, "usjta"),
            (D(2021, 3, 25), "020230090", "US", 241_500.0, "usjta")]
    return monitor(daily(rows), as_of=AS_OF, measures=[USJTA]).period(USJTA, 2020)


def test_a_late_march_crossing_runs_the_safeguard_from_8_april_to_7_may():
    period = _period()
    assert period.crossing_date == D(2021, 3, 25)
    assert (period.activation.start, period.activation.end) == (D(2021, 4, 8), D(2021, 5, 7))


def test_the_note_says_the_new_years_rate_applies_outside_the_window():
    note = _period().activation.note
    assert ("that year's scheduled rate applies from 2021-04-01 to 2021-04-07 and from "
            "2021-05-08") in note
    assert "deferred" not in note


def test_duty_agrees_with_the_note_on_every_side_of_the_window():
    ledger = [_period().activation]

    def rate(day):
        result = tg.duty("0202.30", "US", day, activations=ledger, as_of=AS_OF)
        return result.chosen.ad_valorem_percent, result.chosen.safeguard

    assert rate(D(2021, 4, 1)) == (25.0, False)
    assert rate(D(2021, 4, 7)) == (25.0, False)
    assert rate(D(2021, 4, 8)) == (38.5, True)
    assert rate(D(2021, 5, 7)) == (38.5, True)
    assert rate(D(2021, 5, 8)) == (25.0, False)


def test_the_cut_rule_is_cited_rule_data():
    rule = tg.load_rules().safeguards[USJTA].next_year_cut
    assert (rule.applies, rule.status, rule.cite) == ("outside_window", "derived", "cut-2021")
