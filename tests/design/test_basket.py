"""The basket in the design lab: pork's gate price, the dairy and rice quotas, sugar.

Real-data checks cite the rule library: the Japan-Mexico EPA pork quota's FY2016 volume and
certificates (jmepa.pork_quota, Shokuniku Shimbun 2017, secondary) and the CPTPP Year-1 pork
gate price (cptpp.pork_tariff, Global Affairs Canada's Annex 2-D staging tables, confirmed).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.design import price_safeguard as ps
from tradeguard.design.backtest import backtest, bundled_imports
from tradeguard.design.compare import compare
from tradeguard.design.rates import ave_percent, duty_per_kg
from tradeguard.design.simulate import Scenario, simulate
from tradeguard.design.spec import load_design, load_designs, parse
from tradeguard.rules.duties import parse_duty
from tradeguard.rules.loader import shipped_rules
from tradeguard.rules.lookup import value_on

BASKET = ["pork-usjta-gate-price", "smp-cptpp-quota", "rice-au-cptpp-quota",
          "sugar-au-cptpp-snapback"]


def bundled():
    return bundled_imports()  # read once for every design test


@pytest.fixture(scope="module")
def report():
    return compare(load_designs(BASKET), Scenario(years=3, paths=32, seed=11),
                   imports=bundled(), backtest_years=(2016, 2019))


def test_every_basket_example_compares_backtests_and_lists_its_limitations(report):
    items = {d["id"]: d for d in report["designs"]}
    assert list(items) == BASKET
    for item in items.values():
        assert [y["year"] for y in item["years"]] == [2020, 2021, 2022]
        assert all(0.0 <= y["trigger_probability"] <= 1.0 for y in item["years"])
    assert any("US 020319 is not in the bundled data" in s
               for s in items["pork-usjta-gate-price"]["limitations"])
    assert any("allocated by licence" in s for s in items["smp-cptpp-quota"]["limitations"])
    assert any("allocated by tender" in s for s in items["rice-au-cptpp-quota"]["limitations"])
    assert report["limitations"][0].startswith("Tariff-rate quotas are simulated")
    # The pork measure starts in 2020, after the bundled data: the back-test says so.
    pork_bt = items["pork-usjta-gate-price"]["backtest"]
    assert pork_bt["periods"] == [] and "after the data end on 2019-12-31" in pork_bt["note"]
    assert items["smp-cptpp-quota"]["backtest"]["note"] is None
    for name in BASKET[1:]:  # quotas and sugar start in CPTPP Year 1 (FY2018's last quarter)
        assert [p["fy"] for p in items[name]["backtest"]["periods"]] == [2018, 2019]
    sugar = items["sugar-au-cptpp-snapback"]["backtest"]["periods"]
    # FY2019 to December: 883,490 t of AU raw sugar, above 110% of FY2018's same months.
    assert sugar[1]["triggered"] is True and sugar[1]["cumulative_t"] == pytest.approx(883490.0)
    flows = {(f["partner"], f["line"]): f for f in report["fitted"]["flows"]}
    assert flows[("US", "020319")]["source"].startswith("assumption")
    assert flows[("AU", "170114200")]["source"] == "fitted to the bundled data"
    assert flows[("AU", "170114200")]["base_t"] > 100_000   # FY2019's raw sugar, not zero


def test_a_price_trigger_beside_the_quota_reports_how_often_it_would_apply(report):
    smp = next(d for d in report["designs"] if d["id"] == "smp-cptpp-quota")
    price = smp["price_safeguard"]
    assert price["trigger_price_jpy_kg"] == 230 and price["source"].startswith("assumption")
    assert all(0.0 <= y["probability"] <= 1.0 for y in price["years"])
    assert next(d for d in report["designs"] if d["id"] == "rice-au-cptpp-quota"
                )["price_safeguard"] is None


def test_the_gate_price_enters_as_its_ad_valorem_equivalent_at_the_unit_value():
    gate = shipped_rules().tariffs["wto.pork_tariff"].schedules[0].rates[0].duty
    assert ave_percent(gate, 600.0) == pytest.approx(4.3)          # above the branch point
    assert ave_percent(gate, 400.0) == pytest.approx(36.6325)      # 146.53 yen on 400 yen
    assert ave_percent(gate, 50.0) == pytest.approx(964.0)         # the 482 yen cap
    assert ave_percent(parse_duty("25% + 130 JPY/kg"), 260.0) == pytest.approx(75.0)
    assert ave_percent(parse_duty("38.5%"), None) == 38.5
    assert ave_percent(parse_duty("21.5 JPY/kg"), None) is None    # needs a unit value


def test_a_quota_is_in_quota_until_its_volume_fills_then_pays_the_out_of_quota_rate():
    small, large = (parse({"id": f"smp-{k}", "title": k, "quota": "cptpp.smp_quota",
                           "overrides": {"trigger_scale": scale},
                           "flows": [{"partner": "NZ", "line": "040210229", "regime": "cptpp"}]})
                    for k, scale in (("small", 0.01), ("large", 100)))
    res = simulate([small, large], Scenario(years=2, paths=1).zero(), imports=bundled())
    tiny, huge = res.totals("smp-small"), res.totals("smp-large")
    assert tiny["trigger_probability"] == 1.0 and tiny["volumes_hit_t"] > 0
    assert tiny["extra_duty_jpy"] > 0           # the MFN rate is above the in-quota rate
    assert huge["trigger_probability"] == 0.0 and huge["volumes_hit_t"] == 0.0


@lru_cache(maxsize=8)
def _quota_run(scales: tuple[float, ...], seed: int):
    designs = [parse({"id": f"q{i}", "title": "q", "quota": "cptpp.smp_quota",
                      "overrides": {"trigger_scale": s},
                      "flows": [{"partner": "NZ", "line": "040210229", "regime": "cptpp"},
                                {"partner": "AU", "line": "040210229", "regime": "cptpp"}]})
               for i, s in enumerate(scales)]
    scenario = Scenario(years=3, paths=24, seed=seed, front_loading=0.0).model_copy(
        update={"elasticities": Scenario().zero().elasticities})
    return simulate(designs, scenario, imports=bundled())


@settings(max_examples=6, deadline=None, derandomize=True)
@given(st.floats(0.2, 1.5), st.floats(1.01, 2.0), st.integers(0, 3))
def test_a_larger_quota_never_raises_the_out_of_quota_imports_or_their_duty(scale, more, seed):
    res = _quota_run((round(scale, 3), round(scale * more, 3)), seed)
    smaller, larger = res.totals("q0"), res.totals("q1")
    assert larger["volumes_hit_t"] <= smaller["volumes_hit_t"] + 1e-9
    assert larger["extra_duty_jpy"] <= smaller["extra_duty_jpy"] + 1e-6


@settings(max_examples=10, deadline=None, derandomize=True)
@given(st.floats(150, 400), st.floats(1.0, 80.0), st.integers(0, 5))
def test_a_higher_trigger_price_never_lowers_the_probability_that_the_price_safeguard_applies(
        trigger, higher_by, seed):
    model = ps.PriceModel(300.0, 0.15, 0.1)
    low = ps.summary(model, trigger, first_fy=2020, years=3, paths=64, seed=seed)
    high = ps.summary(model, trigger + higher_by, first_fy=2020, years=3, paths=64, seed=seed)
    for a, b in zip(low, high, strict=True):
        assert b["probability"] >= a["probability"]
        assert b["additional_duty_jpy_per_kg"] >= a["additional_duty_jpy_per_kg"]


def test_mexico_pork_quota_fy2016_fill_is_reproduced_from_the_bundled_data():
    """jmepa.pork_quota: FY2016 volume 90,000 t and 78,490 t of quota certificates issued
    (Shokuniku Shimbun 2017, https://shokuniku.co.jp/?p=1960, secondary)."""
    quota = shipped_rules().quotas["jmepa.pork_quota"]
    volume = quota.volumes[0]
    assert (volume.value, volume.cite, volume.status) == (90000, "shokuniku-2017", "secondary")
    design = parse({"id": "jmepa-pork", "title": "JMEPA pork quota", "quota": "jmepa.pork_quota"})
    row = backtest(design, bundled(), years=(2016, 2016)).rows()[0]
    # 77,344.695 t of Mexican pork took the EPA's in-quota rate in FY2016 (Apr 2016-Mar 2017):
    # 85.9% of the quota, and within the certificates issued.
    assert row["cumulative_t"] == pytest.approx(77344.695, abs=1e-3)
    assert row["trigger_t"] == 90000 and row["triggered"] is False
    assert row["cumulative_t"] / 90000 == pytest.approx(0.8594, abs=1e-4)
    assert row["cumulative_t"] < 78490


def test_cptpp_smp_quota_year1_fill_from_the_bundled_data():
    """cptpp.smp_quota Year 1 (30 Dec 2018 - 31 Mar 2019): 3,188 t (ALIC/J-milk, secondary).
    New Zealand's and Australia's SMP that took the CPTPP rate: 8.4 + 631.2 + 210.4 t."""
    volume = shipped_rules().quotas["cptpp.smp_quota"].volumes[0]
    assert (volume.value, volume.cite, volume.status) == (3188, "alic", "secondary")
    row = backtest(load_design("smp-cptpp-quota"), bundled(), years=(2018, 2018)).rows()[0]
    assert row["cumulative_t"] == pytest.approx(850.0, abs=1e-6)
    assert row["trigger_t"] == 3188 and row["triggered"] is False


def test_cptpp_year1_pork_gate_price_duty_from_the_bundled_data():
    """cptpp.pork_tariff Year 1 (30 Dec 2018 - 31 Mar 2019): cuts pay 2.2% above the 524 yen
    branch point, else 535.528 yen less the value, at most 125 yen/kg (Global Affairs
    Canada, TPP Annex 2-D, General Notes para. 4; confirmed).  Evaluated at each monthly
    record's unit value (per declaration it would differ where values straddle 524 yen)."""
    rules = shipped_rules()
    cuts = rules.tariffs["cptpp.pork_tariff"].schedules[0]
    found = value_on(cuts.rates, dt.date(2019, 2, 1), dt.date(2019, 2, 1))
    assert found is not None and found[1].cite == "gac-annex-2d"
    assert found[1].status == "confirmed"
    t = bundled()
    mask = pc.and_(pc.and_(pc.equal(t["regime"], "cptpp"), pc.starts_with(t["tariff_line"], "0203")),
                   pc.less_equal(t["period_end"], pc.cast(dt.date(2019, 3, 31), t["period_end"].type)))
    year1 = t.filter(mask)
    assert set(year1["partner"].to_pylist()) == {"CA", "MX"}
    assert not any(ln.startswith(("020311", "020321")) for ln in year1["tariff_line"].to_pylist())
    kg, value = year1["quantity"].to_numpy(), year1["value"].to_numpy()
    duty = duty_per_kg(found[1].duty, value, kg)
    assert kg.sum() == 67_545_426 and value.sum() == 35_569_147_000
    assert duty.sum() == pytest.approx(866_210_702.19, abs=1.0)
    # Declared just below the branch point, cuts pay the specific leg; cheap ones the 125 cap.
    unit = value / kg
    assert np.allclose(duty[unit < 300] / kg[unit < 300], 125.0)


def test_a_design_names_an_unknown_quota_clearly():
    from tradeguard.errors import RuleValidationError

    with pytest.raises(RuleValidationError, match="is not a tariff-rate quota"):
        parse({"id": "x", "title": "x", "quota": "cptpp.no_such_quota"})


def test_the_basket_examples_load_by_name():
    for name in BASKET:
        assert load_design(name).id == name


def test_design_compare_on_the_command_line_writes_a_quota_report_with_its_limits(tmp_path):
    import json

    from typer.testing import CliRunner

    from tradeguard.cli import app

    result = CliRunner().invoke(app, ["design", "compare", "rice-au-cptpp-quota", "--paths",
                                      "8", "--years", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "report.json").read_text())
    rice = data["designs"][0]
    assert rice["base"] == "cptpp.rice_au_quota"
    assert [p["trigger_t"] for p in rice["backtest"]["periods"]] == [2000, 6000]
    assert any("allocated by tender" in s for s in data["limitations"])
    html = (tmp_path / "report.html").read_text()
    assert "allocated by tender" in html[:html.index("<table>")]


def test_a_quota_simulated_without_shocks_equals_its_backtest_on_the_same_path():
    from tradeguard.design.simulate import fit, zero_path_records

    d = parse({"id": "smp-fifth", "title": "the SMP quota at a fifth of its volume",
               "quota": "cptpp.smp_quota", "overrides": {"trigger_scale": 0.2},
               "flows": [{"partner": "NZ", "line": "040210229", "regime": "cptpp_smp_quota"}]})
    scenario = Scenario(first_fy=2020, years=3, flows=list(d.flows)).zero()
    records, _ = zero_path_records(fit(None, scenario), scenario, d)
    sim = simulate([d], scenario).design(d.id)
    periods = {p.fy: p for p in backtest(d, records, as_of=dt.date(2023, 3, 31)).periods}
    for year in sim["years"]:
        p = periods[year["year"]]
        assert year["trigger_probability"] == float(p.triggered), year["year"]
        assert year["expected_days"] == p.days_under_safeguard, year["year"]
        assert year["volumes_hit_t"] == pytest.approx(p.volumes_hit_t, rel=1e-9, abs=1e-6)
        assert year["extra_duty_jpy"] == pytest.approx(p.extra_duty_jpy, rel=1e-6, abs=1)
    assert all(y["trigger_probability"] == 1.0 for y in sim["years"])   # 680 t fills each year


def test_a_price_model_takes_its_spread_from_the_data_or_says_its_default():
    mexico = ps.fit_price_model(bundled(), "MX", "020329")
    # Mexican frozen pork cuts, 2012-2019: declared close to the gate price's branch point.
    assert mexico.unit_value == pytest.approx(533.03, abs=0.01)
    assert mexico.monthly_spread == pytest.approx(0.01285, abs=1e-5)
    assert mexico.annual_spread == pytest.approx(0.03269, abs=1e-5)
    few = ps.fit_price_model(bundled(), "NZ", "040210229")   # seven months of SMP only
    assert (few.monthly_spread, few.annual_spread) == (ps.DEFAULT_MONTHLY_SPREAD,
                                                       ps.DEFAULT_ANNUAL_SPREAD)


def test_a_measure_ends_on_its_last_day_and_a_design_may_move_it():
    from tradeguard.design.spec import read_document

    doc, _ = read_document("pork-usjta-gate-price")
    as_rule = dict(doc["overrides"])
    del as_rule["valid_to"]   # the USJTA pork safeguard's own end: 31 March 2022
    designs = [parse(doc), parse(dict(doc, id="pork-as-rule", overrides=as_rule))]
    res = simulate(designs, Scenario(years=4, paths=64, seed=3), imports=bundled())
    kept, ends = res.design("pork-usjta-gate-price")["years"], res.design("pork-as-rule")["years"]
    assert [y["trigger_probability"] for y in ends[2:]] == [0.0, 0.0]       # FY2022 on
    assert [y["trigger_probability"] for y in kept[:2]] == [y["trigger_probability"]
                                                            for y in ends[:2]]
    assert any(y["trigger_probability"] > 0 for y in kept[2:])


def test_a_smaller_quota_puts_the_datas_later_claims_out_of_quota_in_the_backtest():
    design = parse({"id": "smp-tenth", "title": "the SMP quota at a tenth of its volume",
                    "quota": "cptpp.smp_quota", "overrides": {"trigger_scale": 0.1}})
    fy2019 = backtest(design, bundled(), years=(2019, 2019)).rows()[0]
    # 329.4 t is filled by the end of July 2019; August-December claims (554.65 t) pay the
    # MFN rate (26% + 130 yen/kg) instead of Year 2's in-quota 25% + 117 yen/kg.
    assert (str(fy2019["crossing_date"]), str(fy2019["activation_start"])) == (
        "2019-07-31", "2019-08-01")
    assert fy2019["volumes_hit_t"] == pytest.approx(554.65)
    assert fy2019["extra_duty_jpy"] == pytest.approx(9_126_070.0, abs=1.0)
