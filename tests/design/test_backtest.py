"""Back-tests on the bundled real Japan Customs data."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pyarrow.compute as pc
import pytest

from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.readers import read_any
from tradeguard.design.backtest import backtest
from tradeguard.design.spec import baseline, example_paths, load_design
from tradeguard.monitor.report import monitor

EXAMPLES = example_paths()[0].parent  # shipped in the package
D = dt.date


@lru_cache(maxsize=1)
def imports():
    return read_any(bundled_extract_path())


def _quarter_end(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3 + 1) * 3
    nxt = dt.date(day.year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def test_quarterly_trigger_at_100_percent_of_the_prior_years_same_quarter():
    """Acceptance: JAEPA frozen beef with each quarter tested against the same quarter of
    the year before; the quarters that would have triggered, FY2015-FY2019, from the data."""
    t = imports()
    rows = t.filter(pc.and_(pc.and_(pc.equal(t["partner"], "AU"), pc.equal(t["regime"], "jaepa")),
                            pc.starts_with(t["tariff_line"], "0202"))).to_pylist()
    by_quarter: dict[dt.date, float] = {}
    for r in rows:
        q = _quarter_end(r["period_start"])
        by_quarter[q] = by_quarter.get(q, 0.0) + r["quantity"] / 1000
    expected = []
    for q, tonnes in sorted(by_quarter.items()):
        prior = by_quarter.get(dt.date(q.year - 1, q.month, q.day), 0.0)
        if D(2015, 4, 1) <= q <= D(2019, 12, 31) and tonnes > prior:
            expected.append(q)
    assert expected == [D(2015, 6, 30), D(2015, 9, 30), D(2015, 12, 31), D(2016, 3, 31),
                        D(2016, 9, 30), D(2016, 12, 31), D(2017, 3, 31), D(2017, 6, 30),
                        D(2017, 9, 30), D(2018, 3, 31), D(2018, 9, 30), D(2018, 12, 31)]
    design = load_design(EXAMPLES / "jaepa-frozen-quarterly-100.yaml")
    report = backtest(design, t, years=(2015, 2019))
    assert report.triggered_quarters == expected
    fy2015 = report.period(2015)
    assert fy2015.crossing_date == D(2015, 6, 30)
    assert (fy2015.activation_start, fy2015.activation_end) == (D(2015, 8, 1), D(2016, 3, 31))
    assert fy2015.days_under_safeguard == 244 and fy2015.safeguard_rate == "38.5%"
    assert fy2015.volumes_hit_t > 0 and fy2015.extra_duty_jpy > 0
    assert not report.period(2019).triggered


@pytest.mark.parametrize("measure_id", ["jaepa.beef_chilled_safeguard",
                                        "jaepa.beef_frozen_safeguard", "cptpp.beef_safeguard"])
def test_the_baseline_design_reproduces_the_monitor_exactly(measure_id):
    as_of = D(2019, 12, 31)
    mon = monitor(imports(), as_of=as_of, measures=[measure_id], draws=200)
    bt = backtest(baseline(measure_id), imports(), as_of=as_of)
    assert [p.fy for p in bt.periods] == [p.fy for p in mon.periods]
    for a, b in zip(bt.periods, mon.periods, strict=True):
        assert a.crossing_date == b.crossing_date
        assert a.triggered_checkpoints == [cp.day for cp in b.checkpoints if cp.triggered]
        assert a.cumulative_t == (b.latest.binding.cumulative_t if b.latest else None)
        assert a.trigger_t == (b.latest.binding.trigger_t if b.latest else None)
        assert (a.activation_start, a.activation_end) == (
            (b.activation.start, b.activation.end) if b.activation else (None, None))
        assert a.notes == b.notes
    inner = bt.monitor_report.periods
    assert [(p.fy, p.crossing_date, p.row()["cumulative_t"]) for p in inner] == [
        (p.fy, p.crossing_date, p.row()["cumulative_t"]) for p in mon.periods]


def test_a_cumulative_quarter_design_runs_through_the_monitor_with_days_and_duty():
    design = load_design(EXAMPLES / "cptpp-quarterly-110.yaml")
    bt = backtest(design, imports(), as_of=D(2019, 12, 31))
    assert bt.method == "monitor"
    for p in bt.periods:
        assert all(d.month in (3, 6, 9, 12) for d in p.triggered_checkpoints)
        assert p.days_under_safeguard >= 0
