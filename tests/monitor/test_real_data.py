"""The monitor on the bundled real Japan Customs data (issue #3 acceptance).

Expected figures were computed independently with a DuckDB query straight on the source
tidy CSV (sum of quantity2 / 1000 over the rows named in each comment), then written here.
"""

from __future__ import annotations

import datetime as dt
import itertools
from functools import lru_cache

import pyarrow.compute as pc
import pytest

from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.readers import read_any
from tradeguard.monitor.report import monitor

D = dt.date


@lru_cache(maxsize=1)
def imports():
    return read_any(bundled_extract_path())


@lru_cache(maxsize=4)
def report(as_of: dt.date):
    return monitor(imports(), as_of=as_of)


def test_cptpp_beef_year_one_is_not_triggered():
    period = report(D(2019, 12, 31)).period("cptpp.beef_safeguard", 2018)
    assert (period.period_start, period.period_end) == (D(2018, 12, 30), D(2019, 3, 31))
    last = period.latest.conditions[0]
    # hs4 0201+0202, agreement_group_raw 600 (CPTPP), January-March 2019.
    assert last.cumulative_t == pytest.approx(59_357.170, abs=1e-6)
    assert last.trigger_t == 147_500
    assert not period.triggered


def test_cptpp_beef_fy2019_as_of_december_is_open_with_a_forecast():
    rows = {r["measure_id"]: r for r in report(D(2019, 12, 31)).status()}
    row = rows["cptpp.beef_safeguard"]
    # hs4 0201+0202, group 600, April-December 2019.
    assert row["cumulative_t"] == pytest.approx(290_148.676, abs=1e-6)
    assert row["trigger_t"] == 601_800
    assert row["trigger_status"] == "secondary"
    assert row["triggered"] is False and row["crossing_date"] is None
    assert row["data_through"] == "2019-12-31"
    # The forecast projects the rest of the year from Australia's (and others') past seasons.
    assert row["cumulative_t"] < row["forecast_projected_t"] < row["trigger_t"]
    assert 0.0 <= row["forecast_probability"] < 0.05


def test_australian_beef_moves_from_jaepa_to_cptpp_rows_without_loss_or_double_count():
    table = imports()
    beef_au = table.filter(pc.and_(pc.equal(table["partner"], "AU"),
                                   pc.starts_with(table["tariff_line"], "020")))
    beef_au = beef_au.filter(pc.or_(pc.starts_with(beef_au["tariff_line"], "0201"),
                                    pc.starts_with(beef_au["tariff_line"], "0202")))
    fy2018 = beef_au.filter(pc.and_(pc.greater_equal(beef_au["period_start"], D(2018, 4, 1)),
                                    pc.less_equal(beef_au["period_start"], D(2019, 3, 31))))
    total = pc.sum(fy2018["quantity"]).as_py() / 1000
    by_regime = {r: pc.sum(fy2018.filter(pc.equal(fy2018["regime"], r))["quantity"]).as_py() / 1000
                 for r in ("jaepa", "cptpp")}
    assert total == pytest.approx(309_518.473, abs=1e-6)   # the README's 309,518 t
    assert by_regime["cptpp"] == pytest.approx(44_915.355, abs=1e-6)  # "of which 44,915"
    assert by_regime["jaepa"] + by_regime["cptpp"] == pytest.approx(total, abs=1e-6)
    # The monitor counts each tonne once: the JAEPA measures count the JAEPA rows, CPTPP the rest.
    rep = report(D(2019, 12, 31))
    jaepa = sum(rep.period(m, 2018).latest.conditions[0].cumulative_t
                for m in ("jaepa.beef_chilled_safeguard", "jaepa.beef_frozen_safeguard"))
    assert jaepa == pytest.approx(by_regime["jaepa"], abs=1e-6)


def test_jaepa_first_chilled_safeguard_crossing_carries_the_excess_into_fy2015():
    """The real first use (Asahi, 30 Apr 2015): Year-1 chilled trigger 130,000 t × 2/12 =
    21,667 t; chilled EPA imports 15 Jan - 31 Mar 2015 were 24,706 t; crossed after January,
    so no tariff rise, and the excess is counted into FY2015."""
    rep = report(D(2019, 12, 31))
    y1 = rep.period("jaepa.beef_chilled_safeguard", 2014)
    last = y1.latest.conditions[0]
    assert last.trigger_t == pytest.approx(130_000 * 2 / 12)
    assert last.cumulative_t == pytest.approx(24_706.437, abs=1e-6)  # hs4 0201, AU, Jan-Mar 2015
    assert y1.triggered and y1.crossing_date.month in (2, 3)
    assert y1.activation is None
    assert any("counted into the next year" in n for n in y1.notes)
    fy2015 = rep.period("jaepa.beef_chilled_safeguard", 2015)
    excess = 24_706.437 - 130_000 * 2 / 12
    assert fy2015.latest.conditions[0].cumulative_t == pytest.approx(125_639.652 + excess, abs=1e-3)
    assert not fy2015.triggered  # 128,679 t against 131,700 t


@pytest.mark.parametrize(("fy", "chilled", "frozen", "total"), [
    (2015, 125_639.652 + (24_706.437 - 130_000 * 2 / 12), 162_708.316, 288_348 + 3_040),
    (2016, 115_528.966, 161_370.754, 276_900),
    (2017, 119_866.293, 177_203.580, 297_070),
    (2018, 100_900.873, 163_702.245, 309_518 - 44_915),  # the CPTPP part is not JAEPA's
])
def test_jaepa_beef_chilled_and_frozen_against_their_triggers(fy, chilled, frozen, total):
    rep = report(D(2019, 12, 31))
    c = rep.period("jaepa.beef_chilled_safeguard", fy)
    f = rep.period("jaepa.beef_frozen_safeguard", fy)
    assert c.latest.conditions[0].cumulative_t == pytest.approx(chilled, abs=1e-3)
    assert f.latest.conditions[0].cumulative_t == pytest.approx(frozen, abs=1e-3)
    assert round(chilled + frozen) == pytest.approx(total, abs=1)  # FY2015 with the carry-in
    assert not c.triggered and not f.triggered
    assert c.latest.conditions[0].trigger_t > chilled
    assert f.latest.conditions[0].trigger_t > frozen


def test_alerts_are_change_only_and_ordered():
    alerts = report(D(2019, 12, 31)).alerts()
    keys = [(a.measure_id, a.period, a.threshold) for a in alerts]
    assert len(keys) == len(set(keys))
    # JAEPA chilled beef reached 80% and 90% of its FY2015 trigger (128,679 of 131,700 t,
    # with the Year-1 excess carried in).
    jaepa = [(a.threshold, a.day) for a in alerts
             if a.measure_id == "jaepa.beef_chilled_safeguard" and a.period == "FY2015"]
    assert [t for t, _ in jaepa] == [0.8, 0.9]
    assert all(a.day <= b.day for a, b in itertools.pairwise(alerts))
