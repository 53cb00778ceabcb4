"""Every partner, the same formula? Each agreement's beef and pork safeguard side by side
(issue 16): triggers, growth, safeguard duties, duration and what is counted, from the rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from tradeguard.cli import app
from tradeguard.errors import InputError
from tradeguard.rules.loader import shipped_rules
from tradeguard.rules.partner_compare import compare_partners

BEEF = ["cptpp.beef_safeguard", "jaepa.beef_chilled_safeguard", "jaepa.beef_frozen_safeguard",
        "jeuepa.beef_safeguard", "jukcepa.beef_safeguard", "usjta.beef_safeguard"]


@pytest.fixture(scope="module")
def beef():
    return compare_partners(shipped_rules(), "beef")


def _year(data, measure_id, fy):
    m = next(m for m in data["measures"] if m["measure_id"] == measure_id)
    return next((y for y in m["years"] if y["fy"] == fy), None)


def test_every_encoded_agreements_beef_safeguard_is_compared_and_no_wto_measure(beef):
    assert [m["measure_id"] for m in beef["measures"]] == BEEF
    assert beef["lines"] == ["0201", "0202"]
    assert beef["fiscal_years"][0] == 2014 and beef["fiscal_years"][-1] == 2036


def test_fy2020_triggers_growth_and_duties_line_up_partner_by_partner(beef):
    cptpp = _year(beef, "cptpp.beef_safeguard", 2020)
    assert (cptpp["trigger_t"], cptpp["growth_t"], cptpp["growth_pct"]) == (613_600, 11_800, 1.96)
    assert (cptpp["safeguard_duty"], cptpp["trigger_status"]) == ("38.5%", "secondary")
    usjta = _year(beef, "usjta.beef_safeguard", 2020)
    # FY2019 was a part year (from 1 Jan 2020), so no growth is computed against it
    assert (usjta["trigger_t"], usjta["growth_t"], usjta["trigger_status"]) == (
        242_000, None, "confirmed")
    frozen = _year(beef, "jaepa.beef_frozen_safeguard", 2020)
    assert (frozen["trigger_t"], frozen["growth_t"], frozen["safeguard_duty"]) == (
        205_000, 1_700, "38.5%")
    eu = _year(beef, "jeuepa.beef_safeguard", 2020)
    assert (eu["trigger_t"], eu["trigger_status"]) == (45_056, "secondary")


def test_a_trigger_the_research_did_not_find_stays_none_never_zero_or_last_years(beef):
    eu_2021 = _year(beef, "jeuepa.beef_safeguard", 2021)
    assert (eu_2021["trigger_t"], eu_2021["growth_t"], eu_2021["safeguard_duty"]) == (
        None, None, "30%")
    # the UK counts EU + UK imports against the EU trigger: FY2020 is its part year from 1 Jan
    uk = _year(beef, "jukcepa.beef_safeguard", 2020)
    assert (uk["trigger_t"], uk["partial_year"], uk["from"]) == (45_056, True, "2021-01-01")
    assert uk["trigger_basis"] == "the trigger of jeuepa.beef_safeguard#eu"
    assert _year(beef, "jukcepa.beef_safeguard", 2019) is None  # not yet in force


def test_duration_and_counting_basis_are_the_rules_words(beef):
    by_id = {m["measure_id"]: m for m in beef["measures"]}
    assert by_id["cptpp.beef_safeguard"]["duration"]["late_crossing"] == [
        "crossed in month 2: 45 days", "crossed in month 3: 30 days"]
    assert by_id["jaepa.beef_chilled_safeguard"]["duration"]["late_crossing"][0] == (
        "crossed in month 2: no duty, the excess counts into the next year")
    usjta = by_id["usjta.beef_safeguard"]["conditions"]
    assert [(c["condition"], c["counts"], c["status"]) for c in usjta] == [
        ("us_volume", "preference_claims", "confirmed"), ("aggregate", "all_imports", "unconfirmed")]


def test_pork_compares_the_usjta_eu_and_uk_safeguards_with_their_limits():
    pork = compare_partners(shipped_rules(), "pork", as_of=dt.date(2026, 11, 27))
    assert [m["measure_id"] for m in pork["measures"]] == [
        "jeuepa.pork_safeguard", "jukcepa.pork_safeguard", "usjta.pork_safeguard"]
    us = _year(pork, "usjta.pork_safeguard", 2020)
    assert (us["trigger_t"], us["trigger_basis"]) == (
        None, "112% of the largest of the preceding 3 years")
    eu = next(m for m in pork["measures"] if m["measure_id"] == "jeuepa.pork_safeguard")
    assert [y["fy"] for y in eu["years"]][-1] == 2028  # eliminated after Year 11
    assert {(y["trigger_t"], y["safeguard_duty"]) for y in eu["years"]} == {(None, None)}


def test_an_unknown_group_is_refused_with_the_known_ones():
    with pytest.raises(InputError) as caught:
        compare_partners(shipped_rules(), "lamb")
    assert "unknown product group `lamb`" in str(caught.value)
    assert "beef, dairy, pork, rice, sugar" in str(caught.value)


def test_formula_compare_group_prints_json_a_table_and_writes_the_chart(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["formula", "compare", "--group", "beef", "--out",
                                 str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [m["measure_id"] for m in data["measures"]] == BEEF
    svg = (tmp_path / "formula-beef.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.count('class="series"') == len(BEEF)
    assert "cptpp.beef_safeguard FY2020: 613,600 t" in svg
    table = runner.invoke(app, ["formula", "compare", "--group", "pork", "--out", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "jeuepa.pork_safeguard (no trigger found)" in (tmp_path / "formula-pork.svg").read_text()
    assert "not found" in table.stdout and "preference_claims" in table.stdout
    assert "from imports: 112% of the largest" in table.stdout  # USJTA: set from the data
    assert "[secondary]" in runner.invoke(app, ["formula", "compare", "--group", "beef",
                                                "--out", str(tmp_path)]).stdout
    neither = runner.invoke(app, ["formula", "compare"])
    assert neither.exit_code == 1 and "--group beef" in neither.stderr
