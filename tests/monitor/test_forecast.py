"""The forecast: seeded, bounded, and calibrated on the bundled history."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.readers import read_any
from tradeguard.monitor.backtest import calibration
from tradeguard.monitor.counting import cumulative, specs_for
from tradeguard.monitor.forecast import forecast
from tradeguard.monitor.triggers import Series
from tradeguard.rules.loader import shipped_rules

SPAN = (dt.date(2012, 1, 1), dt.date(2019, 12, 31))
MEASURE = "jaepa.beef_chilled_safeguard"


@pytest.fixture(scope="module")
def series():
    rules = shipped_rules()
    table = ibis.memtable(read_any(bundled_extract_path()))
    return Series(cumulative(table, specs_for(rules, MEASURE), rules, SPAN[1]).to_pyarrow())


def test_forecast_is_reproducible_and_monotone_in_the_trigger(series):
    def run(trigger, seed=7):
        return forecast(series, MEASURE, [("australia", 60_000.0, trigger)], 2019,
                        dt.date(2019, 9, 30), SPAN, seed=seed)

    a, b = run(120_000), run(120_000)
    assert (a.projected_t, a.probability) == (b.projected_t, b.probability)
    assert a.years_used == [2015, 2016, 2017, 2018]
    probabilities = [run(t).probability for t in (90_000, 110_000, 120_000, 140_000)]
    assert probabilities == sorted(probabilities, reverse=True)
    assert a.low_t <= a.projected_t <= a.high_t
    # Half a year in, 60,000 t projects to roughly twice that by March.
    assert 100_000 < a.projected_t < 140_000


def test_backtest_calibration_on_the_bundled_years(series):
    rows = calibration(series, MEASURE, "australia", SPAN)
    assert [r.month for r in rows] == list(range(1, 12))
    assert all(r.cases == 4 for r in rows)
    late = rows[-1]
    assert late.coverage == 1.0 and late.median_abs_error < 0.01
    # Errors shrink as the year fills in.
    assert rows[0].median_abs_error > rows[5].median_abs_error > rows[10].median_abs_error
