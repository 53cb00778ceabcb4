"""The design lab on the desk: the REST router and the dashboard page, over the Python API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tradeguard.api.app import create_app
from tradeguard.design.compare import compare
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import example_paths, load_design


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(None))


def test_design_page_lists_the_examples_and_compares_them(client):
    page = client.get("/designs")
    assert page.status_code == 200
    assert "beef-japan-opening" in page.text and "beef-us-opening" in page.text
    twin = client.get("/designs", params={"id": ["beef-japan-opening", "beef-us-opening"],
                                          "paths": 50, "format": "json"}).json()
    ids = [d["id"] for d in twin["report"]["designs"]]
    assert ids == ["beef-japan-opening", "beef-us-opening"]
    # The page's numbers are the library's, for the same designs and scenario.
    files = {p.stem: p for p in example_paths()}
    library = compare([load_design(files["beef-japan-opening"]),
                       load_design(files["beef-us-opening"])], Scenario(paths=50))
    assert twin["report"]["designs"][0]["years"] == library["designs"][0]["years"]


def test_design_router_is_mounted_and_bad_designs_are_problems(client):
    examples = client.get("/api/designs/examples").json()
    assert {e["id"] for e in examples} >= {"beef-japan-opening", "usjta-same-formula"}
    bad = client.post("/api/designs/compare",
                      json={"designs": [{"id": "x", "title": "x", "base": "no.such_rule"}]})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert client.get("/designs", params={"id": "nope"}).status_code == 422


def test_surges_page_lists_labelled_flags_with_evidence_links(store_copy):
    from tradeguard.surge.api import filter_flags, scan_store

    store = store_copy
    client = TestClient(create_app(store))
    twin = client.get("/surges", params={"partner": "AU", "line": "0202",
                                         "label": "tariff timing", "format": "json"}).json()
    library = filter_flags(scan_store(store), tariff_line="0202", partner="AU",
                           label="tariff timing")
    assert twin["total"] + twin["left_out"]["left out"] == library.num_rows > twin["total"] > 0
    assert {f["label"] for f in twin["flags"]} == {"tariff timing"}
    assert ("2018-04", "020230020") in {(f["period"], f["tariff_line"]) for f in twin["flags"]}
    page = client.get("/surges", params={"partner": "AU", "line": "0202"})
    assert page.status_code == 200 and "/api/surges/evidence?" in page.text
    assert client.get("/surges", params={"label": "spike"}).status_code == 422
