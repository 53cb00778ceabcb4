"""Negotiating the links over REST: /api/designs/trade-off and /api/designs/between, their
cost limits (with and without the token) and their refusals of bad positions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tradeguard.api.app import create_app
from tradeguard.design.negotiate import trade_off
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import read_document

TOKEN = "negotiate-test-token"
TINY = {"first_fy": 2020, "years": 2, "paths": 16, "seed": 5}


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app(None, token=TOKEN), raise_server_exceptions=False)


def test_trade_off_route_answers_what_the_library_answers(client):
    got = client.post("/api/designs/trade-off", json={
        "base": "beef-us-opening", "x_values": [0, 15], "y_values": [26, 38.5],
        "scenario": TINY})
    assert got.status_code == 200, got.text
    body = got.json()
    doc, _ = read_document("beef-us-opening")
    library = trade_off(doc, "protection", ["trigger_growth", "safeguard_rate"],
                        {"trigger_growth": [0, 15], "safeguard_rate": [26, 38.5]},
                        Scenario(**TINY))
    assert [p["x"] for p in body["curve"]] == [0.0, 15.0]
    assert body["curve"] == library["curve"] and body["grid"] == library["grid"]
    assert body["target"] == library["target"] and body["base"] == "beef-us-opening"
    assert body["limitations"][0].startswith("Tariff-rate quotas are simulated at a month's resolution")


def test_between_route_lists_the_frontier_packages_and_every_point(client):
    got = client.post("/api/designs/between", json={
        "a": "beef-japan-opening", "b": "beef-us-opening", "steps": 2, "scenario": TINY})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["levels"]["trigger_growth"] == [-5.0, 15.0]
    assert body["levels"]["safeguard_rate"] == [38.5, 30.0]
    assert body["packages_simulated"] == 16 and len(body["points"]) == 16
    assert sum(p["between"] for p in body["points"]) == body["on_frontier_between"] \
        == len(body["packages"])
    # Japan's opening is a corner of the grid: on the same seeded paths the most protective
    # package between the positions has exactly its protection.
    assert body["packages"][-1]["protection_points"] \
        == body["positions"][0]["protection_points"]


def test_paths_over_the_open_limit_are_refused_before_any_work(client):
    over = client.post("/api/designs/between", json={
        "a": "beef-japan-opening", "b": "beef-us-opening", "steps": 2,
        "scenario": {**TINY, "paths": 501}})
    assert over.status_code == 413
    problem = over.json()
    assert problem["limit_name"] == "open_design_paths"
    assert (problem["limit"], problem["asked"]) == (500, 501)
    assert "send the token" in problem["detail"]


def test_the_token_lifts_the_open_paths_limit_but_not_the_design_limits(client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    big = client.post("/api/designs/trade-off", headers=auth, json={
        "base": "beef-us-opening", "scenario": {**TINY, "paths": 9_000}})
    # 7 x 7 + 1 = 50 designs x 9,000 paths = 450,000: over the 400,000 designs x paths.
    assert big.status_code == 413
    assert (big.json()["limit_name"], big.json()["asked"]) == ("max_path_runs", 450_000)
    grid = client.post("/api/designs/trade-off", headers=auth, json={
        "base": "beef-us-opening", "x_values": list(range(20)),
        "y_values": [20 + i for i in range(20)], "scenario": TINY})
    assert grid.status_code == 413 and grid.json()["asked"] == 401


def test_a_position_is_an_example_name_or_a_document_never_a_file(client):
    path = client.post("/api/designs/between", json={
        "a": "/etc/passwd", "b": "beef-us-opening", "steps": 2, "scenario": TINY})
    assert path.status_code == 422
    assert "no example design `/etc/passwd`" in path.json()["detail"]
    bad = client.post("/api/designs/trade-off", json={
        "base": {"id": "x", "title": "x", "base": "usjta.beef_safeguard",
                 "overrides": {"snap_back": "45%"}}, "scenario": TINY})
    assert bad.status_code == 422 and bad.json()["title"] == "Invalid design"
    assert "above the MFN rate of 38.5%" in bad.json()["detail"]
    unknown = client.post("/api/designs/between", json={
        "a": "beef-japan-opening", "b": "beef-us-opening", "vary": {"speed": [1, 2]},
        "scenario": TINY})
    assert unknown.status_code == 422 and "unknown element 'speed'" in unknown.json()["detail"]


def test_the_routes_are_in_the_openapi_document_with_their_limits(client):
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/designs/trade-off", "/api/designs/between"):
        post = paths[route]["post"]
        assert "at most 500 paths without the token" in post["description"]
        assert {"413", "422", "429"} <= set(post["responses"])
