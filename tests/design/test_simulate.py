"""The forward simulation: equality with the back-test, and invariants (Hypothesis, seeded)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.design.backtest import backtest
from tradeguard.design.engine import PE, response
from tradeguard.design.simulate import Scenario, fit, simulate, zero_path_records
from tradeguard.design.spec import baseline, example_paths, load_design, parse

EXAMPLES = example_paths()[0].parent  # shipped in the package
SMALL = Scenario(first_fy=2020, years=5, paths=64, seed=7)


@lru_cache(maxsize=1)
def fitted_zero():
    scenario = Scenario(first_fy=2020, years=6, growth=0.12).zero()
    return scenario, fit(None, scenario)


@pytest.mark.parametrize("design", [
    "usjta", "jaepa-frozen", "cptpp-quarterly-110", "jaepa-frozen-quarterly-100",
    "beef-japan-opening", "mean-of-three"])
def test_zero_shocks_and_zero_elasticities_equal_the_backtest_of_the_same_path(design):
    d = {"usjta": lambda: baseline("usjta.beef_safeguard"),
         "jaepa-frozen": lambda: baseline("jaepa.beef_frozen_safeguard"),
         # Three earlier years: the engine's history must not read this year for the third.
         "mean-of-three": lambda: parse({
             "id": "mean-of-three", "title": "JAEPA frozen, 115% of the 3-year average",
             "base": "jaepa.beef_frozen_safeguard", "overrides": {
                 "trigger": {"basis": "percent_of_average", "percent": 115,
                             "average_years": 3}}}),
         }.get(design, lambda: load_design(EXAMPLES / f"{design}.yaml"))()
    scenario, fitted = fitted_zero()
    records, _ = zero_path_records(fitted, scenario, d)
    sim = simulate([d], scenario).design(d.id)
    bt = backtest(d, records, as_of=dt.date(2026, 3, 31))
    periods = {p.fy: p for p in bt.periods}
    for year in sim["years"]:
        p = periods.get(year["year"])
        triggered = bool(p and p.triggered)
        assert year["trigger_probability"] == float(triggered), year["year"]
        assert year["expected_days"] == (p.days_under_safeguard if p else 0), year["year"]
        if p is not None:
            assert year["volumes_hit_t"] == pytest.approx(p.volumes_hit_t, rel=1e-9, abs=1e-6)
            assert year["extra_duty_jpy"] == pytest.approx(p.extra_duty_jpy, rel=1e-6, abs=1)
    assert any(y["trigger_probability"] for y in sim["years"])


def test_the_price_response_is_neutral_at_reference_tariffs_and_falls_with_a_snap_back():
    shares = np.array([0.5, 0.3, 0.2])
    ref = np.array([25.8, 25.8, 38.5])
    pe = PE()
    assert np.allclose(response(ref, ref, shares, pe), 1.0)
    up = response(np.array([38.5, 25.8, 38.5]), ref, shares, pe)
    assert up[0] < 1 < up[1]  # the hit partner loses, the others gain (Armington diversion)
    assert np.allclose(response(up * 0 + 50, ref, shares, PE(0, 0, 0)), 1.0)


@settings(max_examples=6, deadline=None, derandomize=True, database=None)
@given(st.floats(0.8, 1.3), st.floats(0.01, 0.3))
def test_raising_the_trigger_never_raises_the_probability_of_triggering(scale, step):
    low = parse({"id": "low", "title": "low", "base": "usjta.beef_safeguard",
                 "overrides": {"trigger_scale": scale}})
    high = parse({"id": "high", "title": "high", "base": "usjta.beef_safeguard",
                  "overrides": {"trigger_scale": scale + step}})
    res = simulate([low, high], SMALL)
    assert res.design("high")["trigger_probability_any"] <= \
        res.design("low")["trigger_probability_any"]
    first_low, first_high = res.design("low")["years"][0], res.design("high")["years"][0]
    assert first_high["trigger_probability"] <= first_low["trigger_probability"]


@settings(max_examples=6, deadline=None, derandomize=True, database=None)
@given(st.integers(1, 60), st.integers(1, 60), st.integers(0, 40))
def test_a_longer_duration_never_lowers_the_expected_days(feb, mar, extra):
    def design(name, add):
        return parse({"id": name, "title": name, "base": "usjta.beef_safeguard",
                      "overrides": {"trigger_scale": 0.97, "late_crossing.2": feb + add,
                                    "late_crossing.3": mar + add}})

    res = simulate([design("short", 0), design("long", extra)], SMALL.model_copy(
        update={"elasticities": SMALL.elasticities.model_copy(
            update={"armington": 0, "domestic": 0, "demand": 0}), "front_loading": 0.0}))
    short = sum(y["expected_days"] for y in res.design("short")["years"])
    long_ = sum(y["expected_days"] for y in res.design("long")["years"])
    assert long_ >= short


def test_a_design_with_no_overrides_simulates_like_the_baseline():
    plain = parse({"id": "plain", "title": "plain", "base": "usjta.beef_safeguard",
                   "overrides": {}})
    res = simulate([baseline("usjta.beef_safeguard"), plain], SMALL)
    a, b = res.designs
    assert a["years"] == b["years"]


def test_the_simulation_is_seeded():
    d = baseline("usjta.beef_safeguard")
    assert simulate([d], SMALL).designs == simulate([d], SMALL).designs


def test_the_fit_reads_each_flows_history_as_a_loop_over_every_row_does():
    """The history reader filters a flow's rows with arrow compute; the monthly sums by
    fiscal year must be those of a plain loop over the whole table (same rows, same order)."""
    from tradeguard.design.backtest import bundled_imports
    from tradeguard.design.simulate import _History, _monthly_by_fy
    from tradeguard.periods import fiscal_month_index, fiscal_year

    table = bundled_imports()
    cols = table.to_pydict()
    want: dict[int, np.ndarray] = {}
    for d, ln, p, q, u in zip(cols["period_start"], cols["tariff_line"], cols["partner"],
                              cols["quantity"], cols["quantity_unit"], strict=True):
        if u == "kg" and ln.startswith("0202") and p == "AU":
            want.setdefault(fiscal_year(d), np.zeros(12))[fiscal_month_index(d)] += q / 1000
    got = _monthly_by_fy(_History(table), "AU", "0202")
    assert len(want) >= 3  # the bundled data hold several years of Australian frozen beef
    assert sorted(got) == sorted(want)
    for fy, months in want.items():
        assert np.array_equal(got[fy], months), fy
