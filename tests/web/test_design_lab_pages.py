"""The design lab's desk pages: a copy of an example edited and run, its problems beside the
fields, and the packages between two positions (through Starlette's test client)."""

from __future__ import annotations

import json
import re

from tradeguard.design.compare import compare
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import load_design, parse
from tradeguard.web.design_form import document_from_form, form_from_document

RUN = {"example": "beef-us-opening", "run": "1", "id": "us-softer", "title": "US, softer",
       "base": "usjta.beef_safeguard", "trigger_scale": "1.1", "snap_back": "",
       "late_february_days": "30", "late_march_days": "15",
       "other": "safeguard_duty@2021-04-01: 30%", "paths": "8", "years": "2", "seed": "7",
       "compare_example": "on"}


def _value(html: str, field: str) -> str:
    found = re.search(rf'<input id="{field}" name="{field}" value="([^"]*)"', html)
    assert found, f"no input {field}"
    return found.group(1)


def test_the_edit_form_holds_a_copy_of_the_example(client):
    page = client.get("/designs/edit", params={"example": "beef-us-opening"})
    assert page.status_code == 200
    assert _value(page.text, "id") == "beef-us-opening-copy"
    assert _value(page.text, "trigger_scale") == "1.15"
    assert (_value(page.text, "late_february_days"), _value(page.text, "late_march_days")) \
        == ("30", "15")
    # The dated snap-back rates have no field of their own: they stay, as YAML.
    other = re.search(r'<textarea id="other"[^>]*>([^<]*)</textarea>', page.text).group(1)
    assert "safeguard_duty@2021-04-01: 30%" in other
    assert "safeguard_duty@2028-04-01: 20%" in other


def test_a_copy_of_every_example_rebuilds_the_example_as_it_was():
    from tradeguard.api.lab import examples

    for example in examples():
        doc = example["document"]
        form = form_from_document(doc)
        copy, errors = document_from_form(form | {"id": doc["id"], "title": doc["title"]},
                                          doc)
        assert errors == {}
        assert parse(copy).measure == parse(doc).measure, example["id"]


def test_a_field_that_is_not_a_number_comes_back_beside_the_field_with_the_inputs(client):
    page = client.get("/designs/edit", params={**RUN, "trigger_scale": "abc"})
    assert page.status_code == 422
    assert 'id="trigger_scale-error"' in page.text and "`abc` is not a number" in page.text
    assert _value(page.text, "trigger_scale") == "abc" and _value(page.text, "id") == "us-softer"
    assert 'id="result"' not in page.text  # nothing ran


def test_a_snap_back_above_mfn_is_the_validators_message_beside_the_rate(client):
    page = client.get("/designs/edit", params={**RUN, "snap_back": "45%"})
    assert page.status_code == 422
    error = re.search(r'id="snap_back-error"[^>]*>([^<]*)<', page.text).group(1)
    assert "snap-back rate 45% from" in error and "above the MFN rate of 38.5%" in error
    twin = client.get("/designs/edit", params={**RUN, "snap_back": "45%", "format": "json"})
    assert twin.status_code == 422 and "snap_back: " in twin.json()["detail"]


def test_running_the_copy_gives_the_librarys_report_beside_the_example(client):
    twin = client.get("/designs/edit", params={**RUN, "format": "json"}).json()
    report = twin["report"]
    assert [d["id"] for d in report["designs"]] == ["us-softer", "beef-us-opening"]
    assert report["limitations"][0].startswith("Tariff-rate quotas are simulated at a month's resolution")
    library = compare([parse(twin["document"]), load_design("beef-us-opening")],
                      Scenario(paths=8, years=2, seed=7), backtest_years=(2015, 2019))
    assert report["designs"][0]["totals"] == library["designs"][0]["totals"]
    assert twin["document"]["overrides"]["trigger_scale"] == 1.1
    # The USJTA safeguard starts on 1 January 2020, after the bundled data's last day: the
    # answer says there is no back-test instead of "triggered in 0 of 0 years".
    assert [n.split(":")[0] for n in twin["notes"]] == ["us-softer", "beef-us-opening"]
    assert report["designs"][0]["backtest"]["periods"] == []
    page = client.get("/designs/edit", params=RUN)
    assert page.status_code == 200 and 'id="limitations"' in page.text
    assert page.text.count('<tr data-design="') == 2
    assert page.text.count("no back-test (below)") == 2 and 'id="notes"' in page.text


def test_the_between_page_draws_the_frontier_and_lists_the_packages(client):
    params = {"a": "beef-japan-opening", "b": "beef-us-opening", "steps": "2", "paths": "8",
              "years": "2"}
    twin = client.get("/designs/between", params={**params, "format": "json"}).json()
    result = twin["result"]
    assert result["packages_simulated"] == 16
    page = client.get("/designs/between", params=params)
    assert page.status_code == 200
    spec = json.loads(page.text.split('id="frontier-chart-spec">', 1)[1].split("</script>", 1)[0])
    points = next(layer["data"]["values"] for layer in spec["layer"]
                  if layer["mark"]["type"] == "point")
    assert len(points) == 16 + 2  # every package and both positions
    assert sum(p["kind"] == "stated position" for p in points) == 2
    rows = page.text.split('id="packages"', 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") - 1 == result["on_frontier_between"] >= 1  # minus the header
    mixed = client.get("/designs/between", params={**params, "b": "cptpp-quarterly-110"})
    assert mixed.status_code == 422 and 'id="b-error"' in mixed.text


def test_the_trade_off_page_gives_the_curve_and_keeps_a_bad_choice_beside_its_field(client):
    params = {"run": "1", "base": "beef-us-opening", "hold": "protection",
              "x": "trigger_growth", "y": "safeguard_rate", "x_values": "0, 15",
              "y_values": "26, 38.5", "paths": "8", "years": "2"}
    twin = client.get("/designs/trade-off", params={**params, "format": "json"}).json()
    curve = twin["result"]["curve"]
    assert [p["x"] for p in curve] == [0.0, 15.0]
    assert twin["result"]["y"]["values"] == [26.0, 38.5]
    page = client.get("/designs/trade-off", params=params)
    rows = page.text.split('id="curve"', 1)[1].split("</tbody>", 1)[0]
    assert rows.count("<tr>") - 1 == 2 and 'id="limitations"' in page.text
    same = client.get("/designs/trade-off", params={**params, "y": "trigger_growth"})
    assert same.status_code == 422 and "choose an element other than x" in same.text
    assert 'value="0, 15"' in same.text  # the inputs are kept


def test_a_problem_in_the_other_overrides_is_shown_beside_them(client):
    page = client.get("/designs/edit", params={**RUN, "other": "no_such_element: 1"})
    assert page.status_code == 422
    error = re.search(r'id="other-error"[^>]*>([^<]*)<', page.text).group(1)
    assert error.startswith("override `no_such_element`:")
    assert "Other overrides (YAML)." in page.text.split('id="form-errors"', 1)[1]
    broken = client.get("/designs/edit", params={**RUN, "other": "a: [1"})
    assert broken.status_code == 422 and "not YAML" in broken.text


def test_a_run_over_the_cost_limit_is_refused_beside_the_paths_with_the_inputs_kept(client):
    params = {"a": "beef-japan-opening", "b": "beef-us-opening", "steps": "3",
              "paths": "500", "years": "16"}
    page = client.get("/designs/between", params=params)
    # 3^4 packages + 2 positions = 83 designs x 500 paths x (16 + 3 warm-up) years x 12
    assert page.status_code == 413
    error = re.search(r'id="paths-error"[^>]*>([^<]*)<', page.text).group(1)
    assert "9,462,000 asked, at most 2,000,000" in error
    assert _value(page.text, "paths") == "500" and 'id="result"' not in page.text
    twin = client.get("/designs/between", params={**params, "format": "json"})
    assert twin.status_code == 413 and twin.json()["limit_name"] == "max_path_months"


def test_the_example_comparison_page_is_priced_like_every_desk_run(client):
    over = client.get("/designs", params={"id": "beef-us-opening", "paths": 600,
                                          "format": "json"})
    assert over.status_code == 413
    assert (over.json()["limit_name"], over.json()["limit"]) == ("open_design_paths", 500)
    assert client.get("/designs", params={"id": "beef-us-opening", "paths": 0}).status_code \
        == 422
