"""The API's fast paths answer exactly what the slow ones do (issue 15, item 5): the duty
route's own query validation, the cached status answers and the rules' memo of derived
values."""

from __future__ import annotations

import json

import pytest
from starlette.requests import Request

from tests.api.conftest import AS_OF

DUTY = "/api/duty?line=0202.30&origin=US&date=2021-03-20&value=1000000&quantity=1000"


def _request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/duty",
                    "query_string": query.encode(), "headers": []})


def test_a_plain_duty_query_is_validated_by_the_model_itself():
    from tradeguard.api.models import DutyQuery
    from tradeguard.api.query_route import plain_query

    q = plain_query(_request("line=0202.30&origin=US&date=2021-03-20&value=5"), DutyQuery)
    assert (q.line, q.origin, q.date.isoformat(), q.value, q.quantity, q.as_of) == (
        "0202.30", "US", "2021-03-20", 5.0, None, None)


@pytest.mark.parametrize("query", [
    "line=0202.30&origin=US&date=2021-03-20&line=0201",   # repeated
    "line=0202.30&origin=US&date=2021-03-20&colour=red",  # unknown
    "line=0202.30&origin=US&date=2021-03-20&value=-1",    # invalid
    "line=0202.30&origin=US",                             # missing
])
def test_any_other_duty_query_is_left_to_fastapi(query):
    from tradeguard.api.models import DutyQuery
    from tradeguard.api.query_route import plain_query

    assert plain_query(_request(query), DutyQuery) is None


def test_the_fast_and_the_fastapi_duty_paths_give_the_same_answer(client):
    fast = client.get(DUTY)
    # A repeated parameter goes through FastAPI's handler, which keeps the last value.
    slow = client.get(DUTY.replace("line=0202.30", "line=0201&line=0202.30"))
    assert fast.status_code == slow.status_code == 200
    assert fast.content == slow.content
    assert fast.headers["content-type"] == slow.headers["content-type"] == "application/json"
    assert json.loads(fast.content)["payable"]["total"] is not None


def test_an_invalid_duty_query_gets_fastapis_own_422(client):
    r = client.get("/api/duty?line=0202.30&origin=US&date=2021-03-20&value=-1")
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "value" in r.text


def test_a_cached_status_answer_is_the_fresh_one_byte_for_byte(app, client, report):
    from fastapi.responses import JSONResponse

    monitor = app.state.services.monitor
    filters = {"measure": None, "partner": "AU", "product": "beef", "sort": "share"}
    first = client.get("/api/status", params={"as_of": AS_OF.isoformat(), "partner": "AU",
                                              "product": "beef", "sort": "share"})
    assert monitor.cached_status_body(AS_OF, **filters) == first.content
    fresh = JSONResponse(monitor.status(report, **filters)).body
    assert first.content == fresh
    again = client.get("/api/status", params={"as_of": AS_OF.isoformat(), "partner": "AU",
                                              "product": "beef", "sort": "share"})
    assert again.content == fresh and again.headers["content-type"] == "application/json"


def test_a_status_with_a_bad_filter_is_refused_and_not_cached(app, client):
    r = client.get("/api/status", params={"as_of": AS_OF.isoformat(), "product": "tofu"})
    assert r.status_code == 422 and "tofu" in r.text
    assert app.state.services.monitor.cached_status_body(
        AS_OF, measure=None, partner=None, product="tofu", sort="measure") is None


def test_the_rules_memo_computes_once_per_key_and_forgets_past_its_bound(monkeypatch):
    from tradeguard.rules import loader
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    calls = []
    assert rules.derived(("test", 1), lambda: calls.append(1) or ["a"]) == ["a"]
    assert rules.derived(("test", 1), lambda: calls.append(1) or ["b"]) == ["a"]
    assert calls == [1]
    monkeypatch.setattr(loader, "DERIVED_LIMIT", len(rules._derived))
    assert rules.derived(("test", 2), lambda: "c") == "c"
    assert len(rules._derived) == 1  # the full memo was forgotten, the new entry kept
