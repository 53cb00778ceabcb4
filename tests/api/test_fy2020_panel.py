"""The overview shows the three FY2020 beef safeguards (CPTPP, Japan-EU EPA, USJTA) side by
side, each with its coverage statement (issue 16).  The bundled data end in December 2019, so
FY2020 has no count: the panel says so and shows each trigger from the rules, with its status."""

from __future__ import annotations

THREE = ["cptpp.beef_safeguard", "jeuepa.beef_safeguard", "usjta.beef_safeguard"]


def test_the_overview_twin_lists_the_three_fy2020_beef_safeguards_with_coverage(client):
    panel = client.get("/?format=json").json()["fy2020_beef"]
    assert panel["period"] == "FY2020"
    rows = {r["measure_id"]: r for r in panel["rows"]}
    assert list(rows) == THREE
    got = {m: (r["coverage"], r["cumulative_t"], r["trigger_t"], r["trigger_status"])
           for m, r in rows.items()}
    assert got == {"cptpp.beef_safeguard": ("none", None, 613_600, "secondary"),
                   "jeuepa.beef_safeguard": ("none", None, 45_056, "secondary"),
                   "usjta.beef_safeguard": ("none", None, 242_000, "confirmed")}
    assert all("no count, not a zero" in r["coverage_reason"] for r in rows.values())


def test_as_of_the_end_of_fy2020_each_row_carries_the_monitors_coverage_statement(client):
    panel = client.get("/?format=json&as_of=2021-03-31").json()["fy2020_beef"]
    for row in panel["rows"]:
        assert row["coverage"] == "none" and row["cumulative_t"] is None, row
        assert row["coverage_reason"] and "no count, not a zero" not in row["coverage_reason"]


def test_the_overview_page_shows_the_panel_without_counting_it_among_the_measures(client):
    html = client.get("/").text
    panel = html.split('id="fy2020-beef"')[1].split("</section>")[0]
    assert "FY2020: three beef safeguards at once" in panel
    for measure in THREE:
        assert f'<tr data-measure="{measure}">' in panel
    assert "613,600" in panel and "45,056" in panel and "no data" in panel
    assert "data-value" not in panel  # the cards' numbers stay the only data-value figures
