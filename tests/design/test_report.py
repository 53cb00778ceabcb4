"""The comparison report (JSON and HTML with charts), the sweep, sensitivity and the router."""

from __future__ import annotations

import json

import pytest

from tradeguard.design.compare import compare, frontier, load_sweep, sensitivity, sweep
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import example_paths, load_designs
from tradeguard.web.design_report import sensitivity_html, write_report, write_sweep

EXAMPLES = example_paths()[0].parent  # shipped in the package
TINY = Scenario(first_fy=2020, years=4, paths=32, seed=3)


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    designs = load_designs([EXAMPLES / "beef-japan-opening.yaml",
                            EXAMPLES / "beef-us-opening.yaml",
                            EXAMPLES / "jaepa-frozen-quarterly-100.yaml"])
    out = tmp_path_factory.mktemp("report")
    write_report(compare(designs, TINY), out)
    return out


def test_report_json_has_designs_with_years(report_dir):
    data = json.loads((report_dir / "report.json").read_text())
    assert [d["id"] for d in data["designs"]] == ["beef-japan-opening", "beef-us-opening",
                                                  "jaepa-frozen-quarterly-100"]
    for d in data["designs"]:
        assert [y["year"] for y in d["years"]] == [2020, 2021, 2022, 2023]
        for y in d["years"]:
            assert 0 <= y["trigger_probability"] <= 1 and y["expected_days"] >= 0
            for key in ("imports_by_partner_t", "tariff_revenue_jpy", "protection_percent",
                        "loss_of_access_t", "consumer_cost_jpy"):
                assert key in y
        # USJTA designs start in 2020, after the bundled data end: no back-test periods.
        assert bool(d["backtest"]["periods"]) == d["id"].startswith("jaepa")
    assert data["fitted"]["parameters"]["armington"]["value"] == 1.5


def test_report_opens_in_chromium_with_its_charts_rendered(report_dir, browser):
    page = browser.new_page()
    try:
        page.goto((report_dir / "report.html").as_uri())
        assert page.title() == "tradeguard design comparison"
        assert page.locator("svg.tg-chart").count() >= 5
        marks = page.locator("#chart-trigger_probability svg circle.mark")
        assert marks.count() == 3 * 4
        box = page.locator("#chart-trigger_probability svg").bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
        assert page.locator("#chart-trigger_probability polyline.series").count() == 3
    finally:
        page.close()


def test_sweep_marks_the_frontier_and_the_designs_between_the_positions(tmp_path):
    base, vary, positions = load_sweep(EXAMPLES / "sweep-usjta.yaml")
    assert len(vary["trigger_scale"]) * len(vary["snap_back"]) * len(
        vary["late_crossing.3"]) == 1000
    small = {k: v[::4] for k, v in vary.items()}  # 3 × 3 × 3
    result = sweep(base, small, TINY, positions=positions, workers=1)
    assert len(result["designs"]) == 27 and len(result["positions"]) == 2
    assert any(r["frontier"] for r in result["designs"])
    write_sweep(result, tmp_path)
    assert "<svg" in (tmp_path / "sweep.html").read_text()


def test_frontier():
    assert frontier([(0, 1), (1, 0), (0.5, 0.5), (0.2, 0.2)]) == [True, True, True, False]


def test_sensitivity_moves_one_element_and_reports_every_output():
    base, _, _ = load_sweep(EXAMPLES / "sweep-usjta.yaml")
    result = sensitivity(base, "trigger_scale", [0.9, 1.1], TINY)
    assert [r["value"] for r in result["rows"]] == [0.9, 1.1]
    change = result["rows"][1]["change"]
    assert change["expected_days"] <= 0 and "consumer_cost_jpy" in change
    assert "<svg" in sensitivity_html(result)


def test_router_lists_examples_and_rejects_bad_designs():
    pytest.importorskip("fastapi")
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from tradeguard.api.routes.designs import router

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    ids = [x["id"] for x in client.get("/designs/examples").json()]
    assert "beef-japan-opening" in ids and "beef-us-opening" in ids
    bad = client.post("/designs/compare", json={"designs": [
        {"id": "b", "title": "b", "base": "cptpp.beef_safeguard",
         "overrides": {"snap_back": "50%", "colour": 1}}]})
    assert bad.status_code == 422 and len(bad.json()["detail"]["problems"]) == 2
    ok = client.post("/designs/compare", json={
        "designs": [{"id": "a", "title": "a", "base": "usjta.beef_safeguard"}],
        "scenario": {"paths": 16, "years": 2}, "backtest_years": [2019, 2019]})
    assert ok.status_code == 200 and ok.json()["designs"][0]["years"][0]["year"] == 2020


def test_report_lists_what_the_simulation_does_not_model_at_the_top(report_dir):
    from tradeguard.design.limitations import GENERAL

    data = json.loads((report_dir / "report.json").read_text())
    assert data["limitations"][:len(GENERAL)] == list(GENERAL)
    assert any(s.startswith("Tariff-rate quotas are simulated at a month's resolution")
               for s in data["limitations"])
    assert all(isinstance(d["limitations"], list) for d in data["designs"])
    html = (report_dir / "report.html").read_text()
    top = html.index("<section id='limitations'>")
    assert top < html.index("<table>")
    assert "Termination is modelled only as the measure" in html[top:html.index("</section>")]


def test_a_design_whose_base_floor_is_not_applied_says_so():
    from tradeguard.design.limitations import for_design
    from tradeguard.design.spec import parse

    design = parse({"id": "wto-frozen", "title": "WTO-era frozen beef as encoded",
                    "base": "wto.beef_frozen_emergency"})
    found = for_design(design)
    assert any("has a base floor, which is not applied" in s for s in found), found
