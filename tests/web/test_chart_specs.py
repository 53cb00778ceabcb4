"""The desk's Vega-Lite specs, built from small synthetic timelines (hand-written below, not
real data), and the package's own chart scripts as the desk serves them."""

from __future__ import annotations

import html
import json

from tradeguard.web.design_specs import (
    comparison_specs,
    frontier_spec,
    sensitivity_spec,
    year_lines_spec,
)
from tradeguard.web.measure_chart import measure_spec
from tradeguard.web.overview_chart import overview_spec
from tradeguard.web.surge_chart import series_spec


def _timeline(period: str, year: int, totals: list[float], **extra) -> dict:
    """A synthetic monthly timeline: one cumulative total per month end from April."""
    ends = ["04-30", "05-31", "06-30", "07-31", "08-31", "09-30", "10-31", "11-30", "12-31",
            "01-31", "02-28", "03-31"]
    points = [{"date": f"{year + (i >= 9)}-{ends[i]}", "cumulative_t": t, "trigger_t": 1000.0,
               "decisive": True} for i, t in enumerate(totals)]
    return {"measure_id": "demo.safeguard", "period": period,
            "period_start": f"{year}-04-01", "period_end": f"{year + 1}-03-31",
            "crossing_date": None, "activation": None, "forecast": None,
            "conditions": [{"condition_id": "aggregate", "points": points}], **extra}


def _layer_rows(spec: dict, series: str) -> list[dict]:
    """The rows of ``series`` in the first layer that draws it (lines and points share them)."""
    for layer in spec["layer"]:
        rows = [r for r in layer.get("data", {}).get("values", []) if r.get("series") == series]
        if rows:
            return rows
    return []


def test_each_months_total_is_drawn_under_its_own_month():
    spec = measure_spec(_timeline("FY2019", 2019, [100.0, 250.0]), [], "2019-05-31")
    april = _layer_rows(spec, "FY2019 imports")[0]
    assert (april["month"], april["day"], april["value"]) == ("2019-04-01", "2019-04-30",
                                                              "100 t")


def test_earlier_years_stop_at_the_month_this_years_data_reaches():
    current = _timeline("FY2019", 2019, [100.0, 250.0, 400.0])
    earlier = _timeline("FY2018", 2018, [90.0 * (i + 1) for i in range(12)])
    spec = measure_spec(current, [earlier], "2019-06-30")
    past = _layer_rows(spec, "FY2018 imports to date")
    assert [r["month"] for r in past] == ["2019-04-01", "2019-05-01", "2019-06-01"]
    assert [r["day"] for r in past] == ["2018-04-30", "2018-05-31", "2018-06-30"]


def test_the_forecast_runs_from_the_last_count_to_the_periods_end_with_its_band():
    forecast = {"projected_t": 1200.0, "low_t": 900.0, "high_t": 1500.0, "probability": 0.6}
    spec = measure_spec(_timeline("FY2019", 2019, [100.0, 250.0], forecast=forecast), [],
                        "2019-05-31")
    median = _layer_rows(spec, "forecast (median)")
    assert [(r["month"], r["t"]) for r in median] == [("2019-05-01", 250.0),
                                                      ("2020-03-01", 1200.0)]
    band = _layer_rows(spec, "forecast 10-90%")
    assert [(r["low"], r["high"]) for r in band] == [(250.0, 250.0), (900.0, 1500.0)]


def test_an_unknown_trigger_is_left_out_not_drawn_as_zero():
    timeline = _timeline("FY2019", 2019, [100.0, 250.0])
    timeline["conditions"][0]["points"][1]["trigger_t"] = None
    triggers = _layer_rows(measure_spec(timeline, [], "2019-05-31"), "FY2019 trigger")
    assert [r["day"] for r in triggers] == ["2019-04-30"]


def test_the_crossing_and_the_activation_window_are_marks():
    activation = {"start": "2019-08-01", "end": "2020-03-31", "duty": "38.5%",
                  "announced_on": "2019-07-28"}
    spec = measure_spec(_timeline("FY2019", 2019, [600.0, 1100.0], activation=activation,
                                  crossing_date="2019-05-31"), [], "2019-05-31")
    window = spec["layer"][0]
    assert window["mark"]["type"] == "rect"
    assert window["data"]["values"][0]["what"] == ("safeguard 38.5%: 2019-08-01 to 2020-03-31 "
                                                   "(announced 2019-07-28)")
    crossing = spec["layer"][-1]
    assert crossing["data"]["values"] == [{"month": "2019-05-01",
                                           "what": "trigger crossed: 2019-05-31"}]


def test_the_overview_names_a_measure_without_a_share_instead_of_drawing_zero():
    rows = [{"measure_id": "a.m", "period": "FY2019", "share": 0.5, "state": "open",
             "cumulative_t": 500.0, "trigger_t": 1000.0, "as_of": "2019-12-31"},
            {"measure_id": "b.m", "period": "FY2019", "share": None, "state": "no data",
             "cumulative_t": None, "trigger_t": None, "as_of": "2019-12-31"}]
    spec = overview_spec(rows)
    values = spec["data"]["values"]
    assert [(v["measure"], v["share"], v["share_text"]) for v in values] == [
        ("a.m FY2019", 0.5, "50.0%"), ("b.m FY2019", None, "no data")]
    bars, _names, unknown, trigger = spec["layer"]
    assert bars["transform"] == [{"filter": "isValid(datum.share)"}]
    assert unknown["mark"]["type"] == "text" and trigger["data"]["values"][0]["share"] == 1


def test_a_probability_axis_runs_from_0_to_1_as_percentages():
    spec = year_lines_spec("P", "p", {"d1": [(2020, 0.25), (2021, 0.5)]})
    y = spec["layer"][0]["encoding"]["y"]
    assert y["scale"] == {"domain": [0, 1]} and y["axis"]["format"] == ".0%"
    assert spec["layer"][0]["data"]["values"][0]["value"] == "25.0%"


def test_frontier_axes_are_plain_numbers_never_exponents():
    points = [{"x": 304000.0, "y": 0.125, "label": "a", "frontier": True},
              {"x": 280000.0, "y": 0.2, "label": "b", "frontier": True},
              {"x": 290000.0, "y": 0.1, "label": "c"}]
    spec = frontier_spec("hit imports t", "protection", points)
    dots = spec["layer"][1]
    assert dots["encoding"]["x"]["axis"]["format"] == ",.0f"
    assert dots["encoding"]["y"]["axis"]["format"] == ",.3~f"
    assert dots["data"]["values"][0]["x_text"] == "304,000"
    assert [r["x"] for r in spec["layer"][0]["data"]["values"]] == [280000.0, 304000.0]


def test_sensitivity_bars_have_a_percent_scale():
    spec = sensitivity_spec("moving the trigger", [("expected_days", -0.2)])
    bar = spec["layer"][0]
    assert bar["encoding"]["x"]["axis"]["format"] == "+.0%"
    assert bar["data"]["values"][0]["value"] == "-20.0%"


def test_the_surge_series_shades_the_flagged_month():
    points = [{"period": "2018-03", "quantity_t": 10.0}, {"period": "2018-04", "quantity_t": 95.5}]
    spec = series_spec("020230", "AU", points, "2018-04")
    flag = spec["layer"][0]["data"]["values"][0]
    assert (flag["start"], flag["end"], flag["what"]) == ("2018-04-01", "2018-05-01",
                                                          "flagged 2018-04")
    assert spec["layer"][1]["data"]["values"][1]["value"] == "95.5 t"


def test_a_chart_page_embeds_its_spec_and_loads_only_the_packages_scripts(client):
    page = client.get("/measures/cptpp.beef_safeguard?period=FY2019").text
    scripts = [s.split('"')[0] for s in page.split('<script src="')[1:]]
    assert scripts == ["/static/vendor/vega.min.js", "/static/vendor/vega-interpreter.min.js",
                       "/static/vendor/vega-lite.min.js", "/static/vendor/vega-embed.min.js",
                       "/static/charts.js"]
    raw = page.split('<script type="application/json" id="measure-chart-spec">')[1]
    spec = json.loads(html.unescape(raw.split("</script>")[0]))
    assert spec["title"] == "cptpp.beef_safeguard · FY2019"
    assert "<script" not in client.get("/rules").text  # a page without a chart has no script


def test_the_static_files_are_served_by_name_and_nothing_else(client):
    script = client.get("/static/charts.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "vegaEmbed" in script.text
    assert client.get("/static/vendor/vega-lite.min.js").status_code == 200
    assert client.get("/static/..%2Fassets.py").status_code == 404  # beside static/, not in it
    missing = client.get("/static/vendor/vega.min.js.map")
    assert missing.status_code == 404 and "no file" in missing.json()["detail"]


def test_an_earlier_year_with_no_month_to_date_has_no_legend_entry():
    current = _timeline("FY2019", 2019, [100.0, 250.0])
    earlier = _timeline("FY2018", 2018, [90.0] * 12)
    earlier["conditions"][0]["points"] = earlier["conditions"][0]["points"][9:]  # Jan-Mar only
    spec = measure_spec(current, [earlier], "2019-05-31")
    colors = spec["layer"][0]["encoding"]["color"]["scale"]["domain"]
    assert colors == ["FY2019 imports", "FY2019 trigger"]


def test_a_period_with_nothing_counted_gets_no_chart_as_an_empty_one_would_read_as_zero(client):
    empty = _timeline("FY2017", 2017, [])
    assert measure_spec(empty, [], "2017-12-31") is None
    page = client.get("/measures/wto.beef_frozen_emergency?period=FY2017").text
    assert 'id="no-chart"' in page and "data-vega-spec" not in page
    assert "<script" not in page


def test_a_comparison_chart_with_no_values_is_left_out():
    years = [{"year": 2020, "trigger_probability": 0.5, "expected_days": 10.0,
              "hit_imports_t": 1000.0, "protection_percent": 2.5}]
    report = {"designs": [{"id": "d1", "years": years, "backtest": {"periods": []}}]}
    specs = comparison_specs(report)
    assert list(specs) == ["trigger_probability", "expected_days", "hit_imports_t",
                           "protection_percent"]


def test_the_design_lab_draws_its_comparison_as_charts_and_keeps_the_reports_tables(client):
    page = client.get("/designs", params={"id": ["beef-japan-opening", "cptpp-quarterly-110"],
                                          "paths": 4}).text
    raw = page.split('id="design-chart-trigger_probability-spec">')[1].split("</script>")[0]
    y = json.loads(raw)["layer"][0]["encoding"]["y"]
    assert y["scale"] == {"domain": [0, 1]} and y["axis"]["format"] == ".0%"
    report = html.unescape(page.split('srcdoc="')[1].split('"')[0])
    assert "<svg" not in report and "<h2>Back-test</h2>" in report
    assert "<h2>Simulation by year</h2>" in report
