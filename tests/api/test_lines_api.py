"""GET /api/lines: product words for tariff lines, documented in OpenAPI."""

from __future__ import annotations


def test_lines_search_by_words_finds_frozen_beef_first(client):
    response = client.get("/api/lines", params={"q": "frozen beef"})
    assert response.status_code == 200
    first = response.json()[0]
    assert first == {"code": "0202", "level": 4, "description": "Meat of bovine animals; frozen",
                     "names": ["frozen beef", "beef"]}


def test_lines_search_by_code_lists_the_line_then_its_subheadings(client):
    codes = [row["code"] for row in client.get("/api/lines?q=0202&limit=3").json()]
    assert codes == ["0202", "020210", "020220"]


def test_lines_search_without_a_match_is_an_empty_list(client):
    response = client.get("/api/lines", params={"q": "zzzqqq"})
    assert response.status_code == 200 and response.json() == []


def test_lines_search_refuses_an_empty_query_as_problem_json(client):
    response = client.get("/api/lines", params={"q": ""})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_lines_search_is_in_the_openapi_document(client):
    op = client.get("/openapi.json").json()["paths"]["/api/lines"]["get"]
    assert op["tags"] == ["lines"]
    assert {p["name"] for p in op["parameters"]} == {"q", "limit"}
