"""The desk mirrors `tradeguard rules coverage` (issue 16)."""

from __future__ import annotations

from tradeguard.rules.coverage import coverage
from tradeguard.rules.loader import shipped_rules


def test_the_coverage_page_and_its_twin_show_every_agreement_and_group(client):
    twin = client.get("/rules/coverage", params={"format": "json"}).json()
    assert twin["groups"] == ["beef", "pork", "dairy", "rice", "sugar"]
    cells = [c for row in twin["rows"] for c in row["cells"]]
    assert len(cells) == len(coverage(shipped_rules()))
    rcep = next(r for r in twin["rows"] if r["agreement"] == "rcep")
    assert [c["text"] for c in rcep["cells"]] == ["excluded (1/0/0/0)"] * 5
    html = client.get("/rules/coverage").text
    assert 'id="coverage"' in html and 'data-treatment="partly_encoded"' in html
    assert '<a href="/rules/jeuepa.beef_tariff">jeuepa.beef_tariff</a>' in html
    assert 'href="/rules/coverage"' in client.get("/rules").text
