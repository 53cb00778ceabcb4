"""Every dashboard page has a JSON twin, and its numbers are the library's.

The twin (``?format=json``) is compared with the Python API's answer for the same query, and
the numbers the HTML shows (``data-value`` attributes beside each formatted figure) with
the twin.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.api.conftest import TOKEN

AS_OF = dt.date(2019, 12, 31)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _values(html: str) -> list[str]:
    return re.findall(r'data-value="([^"]*)"', html)


def _same(shown: str, value) -> bool:
    return shown == "None" if value is None else float(shown) == pytest.approx(value)


def test_overview_twin_and_html_equal_the_library(client, report):
    twin = client.get("/?format=json").json()
    lib = {r["measure_id"]: r for r in report.status()}
    assert twin["as_of"] == AS_OF.isoformat()
    assert {r["measure_id"] for r in twin["rows"]} == set(lib)
    for row in twin["rows"]:
        for key in ("cumulative_t", "trigger_t", "share", "forecast_probability",
                    "forecast_projected_t", "triggered", "crossing_date", "safeguard_rate"):
            assert row[key] == lib[row["measure_id"]][key], key
    html = client.get("/").text
    shown = _values(html)
    expected = [r[k] for r in twin["rows"] for k in (
        "share", "cumulative_t", "trigger_t", "forecast_probability", "forecast_projected_t",
        "days_to_projected_crossing")]
    assert len(shown) == len(expected)
    assert all(_same(s, v) for s, v in zip(shown, expected, strict=True))


def test_measure_twin_equals_the_timeline(client, report):
    twin = client.get("/measures/cptpp.beef_safeguard?period=FY2019&format=json").json()
    period = report.period("cptpp.beef_safeguard", 2019)
    assert twin["timeline"] == period.timeline()
    assert twin["status"]["cumulative_t"] == period.row()["cumulative_t"]
    assert [t["period"] for t in twin["earlier"]] == ["FY2018"]
    html = client.get("/measures/cptpp.beef_safeguard?period=FY2019").text
    points = [p for c in twin["timeline"]["conditions"] for p in c["points"]]
    shown = _values(html.split('id="points"')[1].split("</table>")[0])
    assert shown == [str(v) for p in points for v in (p["cumulative_t"], p["trigger_t"])]


def test_duty_twin_equals_duty(client):
    from tradeguard.engine.duty import duty

    q = {"line": "0202.30", "origin": "US", "date": "2021-03-20", "value": "1000000",
         "quantity": "1000"}
    twin = client.get("/duty", params={**q, "format": "json"}).json()
    lib = duty("0202.30", "US", dt.date(2021, 3, 20), customs_value=1e6, quantity=1000,
               as_of=dt.date(2021, 3, 20)).model_dump(mode="json")
    assert twin["result"] == lib
    html = client.get("/duty", params=q).text
    assert "38.5%" in html and 'data-value="385000"' in html
    # The build-up of the amount payable, line by line, with its cuts.
    assert 'id="payable"' in html and "cut down to the 1,000 yen" in html
    assert 'data-value="495700"' in html  # 385,000 + 86,400 + 24,300


def test_duty_page_shows_where_the_answer_does_not_reach(client):
    q = {"line": "1108.13", "origin": "FR", "date": "2025-06-01"}
    twin = client.get("/duty", params={**q, "format": "json"}).json()
    assert [w["code"] for w in twin["result"]["warnings"]] == ["agreement_not_encoded"]
    html = client.get("/duty", params=q).text
    section = html.split('id="warnings"')[1].split("</div>")[0]
    assert 'data-code="agreement_not_encoded"' in section
    assert "applies to FR from 2019-02-01" in section
    plain = client.get("/duty", params={"line": "0202", "origin": "BR",
                                        "date": "2021-03-20"}).text
    assert 'id="warnings"' not in plain


def test_quotas_and_data_twins(client):
    twin = client.get("/quotas?format=json").json()
    assert twin["quotas"] == client.get("/api/quotas").json()
    data = client.get("/data?format=json").json()
    full = client.get("/api/batches", headers=AUTH).json()
    # The open desk withholds who uploaded which file (GET /api/batches needs the token).
    assert [b["source_path"] for b in data["batches"]] == ["withheld"] * len(full)
    withheld = ("source_path", "source_name", "uploaded_by")
    assert [{k: v for k, v in b.items() if k not in withheld} for b in data["batches"]] == \
        [{k: v for k, v in b.items() if k not in withheld} for b in full]
    rules = client.get("/rules?format=json").json()
    assert {a["id"] for a in rules["agreements"]} == {"cptpp", "jaepa", "jcepa", "jeuepa", "jmepa",
                                                      "jukcepa", "tpp", "usjta", "wto"}
    rule = client.get("/rules/usjta.beef_safeguard?format=json").json()
    assert rule == client.get("/api/rules/usjta.beef_safeguard").json()


def test_page_errors_are_pages_and_twins_are_problems(client):
    r = client.get("/measures/usjta.lamb")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    r = client.get("/measures/usjta.lamb?format=json")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/duty?line=0202&origin=US&date=20-03-2021")
    assert r.status_code == 422 and "YYYY-MM-DD" in r.text


def test_the_measure_page_says_what_each_condition_counts_and_why(client):
    html = client.get("/measures/usjta.beef_safeguard?as_of=2021-03-31").text
    table = html.split('id="counting"')[1].split("</table>")[0]
    assert "preference claims" in table
    assert "beef that received the US-Japan Trade Agreement rate" in table
    assert 's-confirmed">confirmed' in table
    twin = client.get("/measures/usjta.beef_safeguard?as_of=2021-03-31&format=json").json()
    basis = twin["rule"]["document"]["conditions"][0]["counting"]["basis"]
    assert (basis["counts"], basis["cite"]) == ("preference_claims", "maff-2021")
