"""The REST API: answers equal the Python API's, problems are RFC 9457, uploads need the token."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from tests.api.conftest import TOKEN, digest, make_client

AUTH = {"Authorization": f"Bearer {TOKEN}"}

BAD = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"
AS_OF = dt.date(2019, 12, 31)


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_duty_get_equals_the_library(client):
    from tradeguard.engine.duty import duty

    r = client.get("/api/duty", params={"line": "0202.30", "origin": "US", "date": "2021-03-20",
                                        "value": 1e6, "quantity": 1000})
    assert r.status_code == 200
    body = r.json()
    lib = duty("0202.30", "US", dt.date(2021, 3, 20), customs_value=1e6, quantity=1000,
               as_of=dt.date(2021, 3, 20)).model_dump(mode="json")
    assert body == lib
    assert (body["chosen"]["regime"], body["chosen"]["ad_valorem_percent"]) == ("usjta", 38.5)
    assert body["chosen"]["trace"]


def test_duty_get_carries_the_warnings_at_the_top_level(client):
    r = client.get("/api/duty", params={"line": "0202.30", "origin": "US", "date": "2021-03-18",
                                        "as_of": "2021-03-01"})
    assert r.status_code == 200
    body = r.json()
    assert (body["chosen"]["ad_valorem_percent"], body["chosen"]["safeguard"]) == (25.8, False)
    assert [w["code"] for w in body["warnings"]] == ["safeguard_announced_after_as_of"]
    france = client.get("/api/duty", params={"line": "1108.13", "origin": "FR",
                                             "date": "2025-06-01"}).json()
    assert [w["code"] for w in france["warnings"]] == ["agreement_not_encoded"]
    assert "Japan-EU EPA" in france["warnings"][0]["message"]


def test_status_is_the_library_status(client, report):
    body = client.get("/api/status").json()  # default as_of: the data's last day
    assert body["as_of"] == "2019-12-31"
    lib = {r["measure_id"]: r for r in report.status()}
    assert {r["measure_id"] for r in body["rows"]} == set(lib)
    for row in body["rows"]:
        for key, value in lib[row["measure_id"]].items():
            if key != "conditions":
                assert row[key] == value, key
        assert [c["cumulative_t"] for c in row["conditions"]] == [
            c["cumulative_t"] for c in lib[row["measure_id"]]["conditions"]]


@pytest.mark.parametrize(("query", "expected"), [
    ({"product": "beef"}, {"cptpp.beef_safeguard", "jaepa.beef_chilled_safeguard",
                           "jaepa.beef_frozen_safeguard", "jeuepa.beef_safeguard",
                           "wto.beef_chilled_emergency", "wto.beef_frozen_emergency"}),
    ({"product": "pork"}, {"jeuepa.pork_safeguard", "wto.pork_emergency"}),
    ({"partner": "AU", "product": "beef"}, {"cptpp.beef_safeguard", "jaepa.beef_chilled_safeguard",
                                            "jaepa.beef_frozen_safeguard"}),
    ({"measure": "cptpp.beef_safeguard"}, {"cptpp.beef_safeguard"}),
])
def test_status_filters(client, query, expected):
    rows = client.get("/api/status", params=query).json()["rows"]
    assert {r["measure_id"] for r in rows} == expected


def test_status_sort_by_share(client):
    rows = client.get("/api/status", params={"sort": "share"}).json()["rows"]
    shares = [r["share"] or 0 for r in rows]
    assert shares == sorted(shares, reverse=True)


def test_timeline_alerts_forecasts_equal_the_library(client, report):
    tl = client.get("/api/measures/cptpp.beef_safeguard/periods/FY2019/timeline").json()
    lib = report.period("cptpp.beef_safeguard", 2019).timeline()
    assert {k: v for k, v in tl.items() if k != "as_of"} == lib
    assert client.get("/api/alerts").json() == [a.row() for a in report.alerts()]
    fc = {f["measure_id"]: f for f in client.get("/api/forecasts").json()}
    p = report.period("cptpp.beef_safeguard", 2019)
    assert fc["cptpp.beef_safeguard"]["projected_t"] == round(p.forecast.projected_t, 1)
    assert fc["cptpp.beef_safeguard"]["probability"] == round(p.forecast.probability, 4)


def test_alerts_with_other_thresholds(client, report):
    from dataclasses import replace

    got = client.get("/api/alerts", params={"thresholds": "0.5"}).json()
    assert got == [a.row() for a in replace(report, thresholds=(0.5,)).alerts()]


def test_chart_svg(client):
    r = client.get("/api/measures/jaepa.beef_chilled_safeguard/periods/FY2014/chart.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and r.text.count('class="mark"') >= 3


def test_quotas_without_declarations_in_the_store_say_no_data_never_a_balance(client):
    # The bundled store holds monthly statistics only, no declaration records: the volume is
    # the rule's, the balance is unknown (it used to show the full volume as the balance).
    rows = {q["order_id"]: q for q in client.get("/api/quotas").json()}
    butter = rows["cptpp-tpp-butter"]
    assert (butter["volume_t"], butter["balance_t"], butter["allocated_t"]) == (3294.0, None, None)
    assert butter["status"] == "no_data" and "no declaration records" in butter["note"]
    hist = client.get("/api/quotas/cptpp-tpp-butter/history").json()
    assert hist["history"] == [] and "no declaration records" in hist["ledger"]


def test_rules_list_show_and_quality(client):
    from tradeguard.rules.loader import shipped_rules
    from tradeguard.rules.quality import quality_report

    ids = [r["id"] for r in client.get("/api/rules").json()]
    assert ids == shipped_rules().ids()
    rule = client.get("/api/rules/usjta.beef_safeguard").json()
    assert rule["document"]["kind"] == "volume_safeguard"
    assert any(v["value"] == "38.5%" and v["status"] == "secondary" and v["citation"]
               for v in rule["values"])
    q = client.get("/api/rules-quality", params={"as_of": "2026-11-27"}).json()
    lib = quality_report(shipped_rules(), as_of=dt.date(2026, 11, 27)).model_dump(mode="json")
    assert q == lib


def test_batch_json_and_csv(client):
    import pyarrow as pa

    from tradeguard.engine.batch import duty_batch

    decl = {"tariff_line": "0202.30", "origin": "US", "date": "2021-03-20",
            "customs_value": 1e6, "quantity": 1000}
    r = client.post("/api/duty/batch", json={"as_of": "2026-11-27", "trace": True,
                                             "declarations": [decl]})
    assert r.status_code == 200, r.text
    row = r.json()["rows"][0]
    lib = duty_batch(pa.table({"tariff_line": ["0202.30"], "origin": ["US"],
                               "date": pa.array([dt.date(2021, 3, 20)], pa.date32()),
                               "customs_value": [1e6], "quantity": [1000.0]}),
                     as_of=dt.date(2026, 11, 27)).to_pylist()[0]
    # Exact amounts: a Decimal in the library, a decimal string in JSON.
    assert (lib["chosen_regime"], lib["duty_amount"]) == ("usjta", Decimal("385000"))
    assert (row["chosen_regime"], row["duty_amount"]) == ("usjta", "385000")
    assert row["trace"]
    csv = "tariff_line,origin,date,customs_value,quantity\n0202.30,US,2021-03-20,1000000,1000\n"
    r = client.post("/api/duty/batch", params={"as_of": "2026-11-27"}, content=csv,
                    headers={"content-type": "text/csv"})
    assert r.status_code == 200 and r.json()["rows"][0]["duty_amount"] == "385000"


@pytest.mark.parametrize(("url", "status", "slug"), [
    ("/api/rules/usjta.lamb", 404, "not-found"),
    ("/api/duty?line=xx&origin=US&date=2021-03-20", 422, "invalid-input"),
    ("/api/duty?line=0202&origin=XX&date=2021-03-20", 404, "not-found"),
    ("/api/duty?line=0202&origin=US&date=1901-01-01", 422, "invalid-input"),
    ("/api/duty?line=0202&origin=US&date=not-a-date", 422, "invalid-request"),
    ("/api/measures/cptpp.beef_safeguard/periods/FY2001/timeline", 422, "invalid-input"),
    ("/api/status?partner=ZZ", 404, "not-found"),
    ("/api/nothing-here", 404, "http-404"),
])
def test_errors_are_problem_details(client, url, status, slug):
    r = client.get(url)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == f"urn:tradeguard:problem:{slug}" and body["status"] == status
    assert body["title"] and body["detail"]


def test_quotas_of_the_tpp_as_signed_are_listed_only_with_include_signed(client):
    default = {q["rule_id"] for q in client.get("/api/quotas").json()}
    assert not {r for r in default if r.startswith("tpp.")}
    signed = {q["rule_id"]: q for q in client.get("/api/quotas?include_signed=true").json()}
    assert {r for r in signed if r.startswith("tpp.")} == {"tpp.rice_us_quota",
                                                           "tpp.rice_au_quota"}
    assert {signed[r]["status"] for r in signed if r.startswith("tpp.")} == {"not_in_force"}


def test_past_the_end_of_the_data_the_desk_says_no_data_not_zero(client):
    rows = {r["measure_id"]: r for r in client.get("/?as_of=2021-03-31&format=json").json()[
        "rows"]}
    usjta = rows["usjta.beef_safeguard"]
    assert (usjta["state"], usjta["coverage"], usjta["cumulative_t"]) == ("no data", "none",
                                                                           None)
    assert usjta["trigger_t"] is None and usjta["share"] is None
    html = client.get("/?as_of=2021-03-31").text
    card = html.split('data-measure="usjta.beef_safeguard"')[1].split("</li>")[0]
    assert "no data" in card and ">0<" not in card


def test_status_rows_carry_coverage_and_what_is_in_force(client):
    rows = {r["measure_id"]: r for r in client.get("/api/status?as_of=2017-09-01").json()["rows"]}
    frozen = rows["wto.beef_frozen_emergency"]
    assert (frozen["coverage"], frozen["cumulative_t"], frozen["state"]) == ("none", None,
                                                                             "no data")
    assert (frozen["safeguard_in_force"], frozen["safeguard_rate_in_force"]) == (True, "50%")
    chilled = rows["jaepa.beef_chilled_safeguard"]  # monthly data: August is the last month
    assert (chilled["coverage"], chilled["data_through"]) == ("partial", "2017-08-31")
    assert chilled["coverage_reason"] == ("the data ends on 2017-08-31; imports from "
                                          "2017-09-01 to 2017-09-01 are not known")


def test_empty_store_says_no_data(tmp_path):
    from tradeguard.api.app import create_app

    c = make_client(create_app(tmp_path / "none.duckdb", token=TOKEN))
    r = c.get("/api/status")
    assert r.status_code == 404 and r.json()["type"].endswith("no-data")
    assert c.get("/api/batches", headers=AUTH).json() == []


# ------------------------------------------------------------------ authorization


def test_ingest_without_token_is_401_and_with_a_wrong_one_403(upload_client, store_copy):
    good = (BAD / "valid_declarations.csv").read_bytes()
    before = digest(store_copy)
    r = upload_client.post("/api/ingest", params={"filename": "ok.csv"}, content=good)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"] == "application/problem+json"
    r = upload_client.post("/api/ingest", params={"filename": "ok.csv"}, content=good,
                           headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 403
    r = upload_client.post("/data", files={"file": ("ok.csv", good, "text/csv")},
                           data={"token": "wrong"})
    assert r.status_code == 403
    assert digest(store_copy) == before
    assert len(upload_client.get("/api/batches", headers=AUTH).json()) == 1


def test_uploads_disabled_without_a_configured_token(store_copy, monkeypatch):
    from tradeguard.api.app import create_app

    monkeypatch.delenv("TRADEGUARD_API_TOKEN", raising=False)
    monkeypatch.setenv("TRADEGUARD_API_CONFIG", str(store_copy.parent / "absent.toml"))
    c = make_client(create_app(store_copy))
    before = digest(store_copy)
    r = c.post("/api/ingest", content=b"x", headers={"Authorization": "Bearer anything"})
    assert r.status_code == 403 and "disabled" in r.json()["title"].lower()
    assert digest(store_copy) == before


def test_token_from_env_and_config(tmp_path, monkeypatch):
    from tradeguard.api.settings import load_settings

    cfg = tmp_path / "api.toml"
    cfg.write_text('token = "from-file"\nmax_upload_bytes = 1000\n')
    monkeypatch.setenv("TRADEGUARD_API_CONFIG", str(cfg))
    monkeypatch.delenv("TRADEGUARD_API_TOKEN", raising=False)
    assert load_settings().token == "from-file" and load_settings().max_upload_bytes == 1000
    monkeypatch.setenv("TRADEGUARD_API_TOKEN", "from-env")
    assert load_settings().token == "from-env"


def test_upload_ingests_and_reports(upload_client, store_copy):
    good = (BAD / "valid_declarations.csv").read_bytes()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    r = upload_client.post("/api/ingest", params={"filename": "ok.csv", "dry_run": True},
                           content=good, headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "dry run"
    r = upload_client.post("/api/ingest", files={"file": ("ok.csv", good, "text/csv")},
                           headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ingested" and r.json()["filename"] == "ok.csv"
    assert len(upload_client.get("/api/batches", headers=AUTH).json()) == 2
    again = upload_client.post("/api/ingest", params={"filename": "ok.csv"}, content=good,
                               headers=auth)
    assert again.json()["status"] == "already ingested"


def test_bad_upload_returns_the_row_level_report(upload_client, store_copy):
    before = digest(store_copy)
    r = upload_client.post("/api/ingest", params={"filename": "neg.csv"},
                           content=(BAD / "negative_quantity.csv").read_bytes(),
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 422
    body = r.json()
    assert body["type"].endswith("ingest-rejected")
    assert body["problems"] == [{"row": 3, "column": "quantity", "value": "-800.0",
                                 "reason": "is negative"}]
    assert "upload 'neg.csv'" in body["detail"] and "tradeguard-upload" not in body["detail"]
    assert digest(store_copy) == before


def test_request_size_limit(upload_client, store_copy):
    before = digest(store_copy)
    r = upload_client.post("/api/ingest", params={"filename": "big.csv"}, content=b"x" * 5000,
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 413 and r.json()["type"].endswith("too-large")

    def chunks():  # no content-length: counted while streaming
        for _ in range(5):
            yield b"x" * 1000

    r = upload_client.post("/api/ingest", params={"filename": "big.csv"}, content=chunks(),
                           headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 413
    assert digest(store_copy) == before


def test_upload_names_are_never_paths():
    from tradeguard.api.uploads import upload_suffix

    assert upload_suffix("../../etc/passwd") == ".upload"
    assert upload_suffix("x.CSV.GZ") == ".csv.gz"
    assert upload_suffix("evil/../a.xlsx") == ".xlsx"
    assert upload_suffix(None) == ".upload"


def test_cors_is_off_by_default(client):
    r = client.get("/api/rules", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in r.headers


def test_openapi_is_generated_with_examples_and_problems(client):
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path, item in spec["paths"].items():
        for method, op in item.items():
            text = str(op) + str(spec["components"]["schemas"])
            assert "example" in text, (method, path)
            for code, resp in op["responses"].items():
                if code.startswith("4"):
                    assert "application/problem+json" in resp["content"], (method, path, code)


def test_status_is_cached(app, client):
    client.get("/api/status")
    monitor = app.state.services.monitor
    # Without as_of the report is the data's default (each measure as of its data), cached
    # under that name; its latest day is the data's last covered day.
    assert monitor.cached(None).as_of == AS_OF
