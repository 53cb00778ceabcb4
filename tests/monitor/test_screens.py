"""The monitor's screens for a desk: the watch state and the projected crossing, from data."""

from __future__ import annotations

import datetime as dt

from tradeguard.monitor.screens import SCREENS, Screens, period_state, projected_crossing


def _row(share, cumulative_t=100.0, triggered=False):
    return {"share": share, "cumulative_t": cumulative_t, "triggered": triggered}


def test_a_period_is_on_watch_from_the_watch_share_of_its_trigger():
    assert SCREENS.watch_share == 0.8
    assert [period_state(_row(s)) for s in (0.79, 0.8, 0.95)] == ["open", "watch", "watch"]
    assert period_state(_row(0.7), Screens(watch_share=0.7)) == "watch"


def test_an_unknown_count_is_no_data_never_open_and_a_crossing_wins_over_watch():
    assert period_state(_row(None, cumulative_t=None)) == "no data"
    assert period_state(_row(1.2, triggered=True)) == "triggered"


def test_the_projected_crossing_is_the_end_of_the_month_the_summed_chance_reaches_half():
    months = {"2019-11": 0.2, "2019-12": 0.3, "2020-01": 0.4}
    assert projected_crossing(months) == dt.date(2019, 12, 31)
    assert projected_crossing(months, Screens(crossing_probability=0.9)) == dt.date(2020, 1, 31)
    assert projected_crossing({"2019-11": 0.1}) is None
