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


def test_a_series_with_history_says_its_prior(series):
    fc = forecast(series, MEASURE, [("australia", 60_000.0, 120_000.0)], 2018,
                  dt.date(2018, 9, 30), SPAN, draws=200)
    assert fc.prior == "own_history"
    assert fc.years_used == [2015, 2016, 2017]
    lo50, hi50 = fc.bands["50"]
    lo90, hi90 = fc.bands["90"]
    assert lo90 < lo50 < fc.projected_t < hi50 < hi90


def test_first_year_of_usjta_borrows_the_pooled_beef_season_and_gets_a_probability():
    """US beef under the USJTA in FY2020: no US row exists before 2020 (the bundled data holds
    preferential imports only), so the season comes from beef of every partner, FY2015-18.
    The US rows are constructed (labelled so): the real FY2020 pace, 242,229 t by 10 March
    2021 (MAFF), spread evenly over April-September 2020."""
    import pyarrow as pa

    from tests.monitor.constructed import daily, spread
    from tradeguard.design.backtest import bundled_imports
    from tradeguard.monitor.report import monitor

    bundled = bundled_imports()
    us = daily(spread(dt.date(2020, 4, 1), 183, 242_229 / 344 * 183, "020230090", "US",
                      "usjta")).cast(bundled.schema)
    report = monitor(pa.concat_tables([bundled, us]), as_of=dt.date(2020, 9, 30),
                     measures=["usjta.beef_safeguard"], draws=400)
    period = report.period("usjta.beef_safeguard", 2020)
    fc = period.forecast
    assert fc.prior == "pooled_partners"
    assert fc.years_used == [2015, 2016, 2017, 2018]
    assert 0.15 < fc.probability < 0.45  # a real chance: the trigger was crossed on 10 March 2021
    assert set(fc.crossing_months) <= {"2021-01", "2021-02", "2021-03"}
    row = period.row()
    assert row["forecast_prior"] == "pooled_partners"
    assert period.timeline()["forecast"]["prior"] == "pooled_partners"


def test_a_partial_first_year_is_projected_from_its_own_start():
    """CPTPP Year 1 ran 30 Dec 2018 - 31 Mar 2019 and reached 59,357 t (bundled data). At the
    end of February the forecast projects the rest of *that* period, not of a year from April
    (which would give about 40,543 / 0.85 t), and its 90% band holds the real outcome."""
    from tradeguard.design.backtest import bundled_imports
    from tradeguard.monitor.report import monitor

    report = monitor(bundled_imports(), as_of=dt.date(2019, 2, 28),
                     measures=["cptpp.beef_safeguard"], draws=500)
    fc = report.period("cptpp.beef_safeguard", 2018).forecast
    assert fc.prior == "partner_other_regimes" and fc.years_used == [2015, 2016, 2017]
    lo, hi = fc.bands["90"]
    assert lo < 59_357 < hi
    assert 55_000 < fc.projected_t < 70_000


def test_from_start_cuts_the_season_at_the_period_start():
    import numpy as np

    from tradeguard.monitor.forecast import from_start, month_ends

    months = month_ends(2018)
    f = np.arange(1, 13) / 12.0   # an even year
    g = from_start(f, months, dt.date(2019, 1, 1))   # the last quarter only
    assert list(np.round(g[9:], 6)) == [round(1 / 3, 6), round(2 / 3, 6), 1.0]
    assert float(g[8]) == 0.0
