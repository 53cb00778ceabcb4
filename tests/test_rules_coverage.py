"""The coverage table (issue 16): every agreement x product group, from research data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tradeguard.errors import RuleValidationError
from tradeguard.rules.coverage import GROUPS, coverage, markdown_table
from tradeguard.rules.loader import LIBRARY, load_rules, shipped_rules

ROOT = Path(__file__).parents[1]


def _cells() -> dict[tuple[str, str], object]:
    return {(c.short_name, c.group): c for c in coverage(shipped_rules())}


def test_every_agreement_has_a_researched_cell_for_each_of_the_five_groups():
    cells = coverage(shipped_rules())
    assert len(cells) == 20 * len(GROUPS)
    assert [c for c in cells if c.status is None] == []  # none reads "no research recorded"
    assert [c for c in cells if c.treatment == "not_encoded" and not c.note] == []


def test_cells_name_the_treatment_and_count_values_by_status():
    cells = _cells()
    rcep = cells[("RCEP", "rice")]
    assert (rcep.treatment, rcep.counts) == (
        "excluded", {"confirmed": 1, "secondary": 0, "derived": 0, "unconfirmed": 0})
    eu = cells[("Japan-EU EPA", "beef")]
    assert eu.treatment == "partly_encoded"
    assert eu.rules == ["jeuepa.beef_safeguard", "jeuepa.beef_tariff"]
    assert eu.counts == {"confirmed": 1, "secondary": 5, "derived": 7, "unconfirmed": 11}
    assert cells[("Japan-Thailand EPA", "beef")].status == "derived"
    assert cells[("Japan-Peru EPA", "pork")].treatment == "not_encoded"


def test_the_docs_page_holds_the_table_the_function_writes():
    page = (ROOT / "docs" / "rules-coverage.md").read_text(encoding="utf-8")
    assert markdown_table(coverage(shipped_rules())) in page


def test_a_treatment_the_rules_contradict_is_refused(tmp_path):
    root = tmp_path / "library"
    shutil.copytree(LIBRARY, root)
    path = root / "economic_partnerships.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("rice: {treatment: excluded, lines: [\"1006\"], status: "
                                 "confirmed, cite: maff-eu-2017}",
                                 "rice: {treatment: encoded, status: confirmed, "
                                 "cite: maff-eu-2017, note: \"wrong\"}", 1), encoding="utf-8")
    with pytest.raises(RuleValidationError) as caught:
        coverage(load_rules(root))
    assert "Japan-EU EPA rice is recorded as encoded but no rule of the agreement covers" in (
        str(caught.value))


def test_the_cli_prints_the_table_and_the_cells_as_json():
    import json

    from typer.testing import CliRunner

    from tradeguard.cli import app

    runner = CliRunner()
    table = runner.invoke(app, ["rules", "coverage"])
    assert table.exit_code == 0, table.output
    assert "RCEP" in table.stdout and "excluded (1/0/0/0)" in table.stdout
    assert "Japan-Peru EPA · pork: frozen-pork quota" in table.stdout
    data = json.loads(runner.invoke(app, ["rules", "coverage", "--json"]).stdout)
    rice = next(c for c in data if c["agreement"] == "eu" and c["group"] == "rice")
    assert (rice["treatment"], rice["status"], rice["rules"]) == ("excluded", "confirmed", [])
    assert rice["citation"].startswith("MAFF press release and minister's statement, 6 Jul 2017")


def test_the_cli_markdown_is_the_docs_table():
    from typer.testing import CliRunner

    from tradeguard.cli import app

    result = CliRunner().invoke(app, ["rules", "coverage", "--markdown"])
    assert result.exit_code == 0, result.output
    assert result.stdout == markdown_table(coverage(shipped_rules())) + "\n"


def test_no_cell_reads_unknown_or_not_researched_without_saying_what_was_searched():
    cells = coverage(shipped_rules())
    assert [c for c in cells if "not researched" in (c.note or "")] == []
    # an unconfirmed treatment names the search behind it
    assert [c for c in cells if c.status == "unconfirmed" and "searched" not in (c.note or "")] == []
    # a derived exclusion of the ASEAN agreements says what was searched for a stronger source
    asean = [c for c in cells if c.agreement in {"singapore", "thailand", "indonesia", "brunei",
                                                  "ajcep", "vietnam"} and c.status == "derived"]
    assert asean and all("searched" in (c.note or "") for c in asean)


def test_usjta_rice_is_excluded_from_the_minister_and_sugar_from_the_empty_schedule():
    cells = _cells()
    rice, sugar = cells[("USJTA", "rice")], cells[("USJTA", "sugar")]
    assert (rice.treatment, rice.status, rice.counts["confirmed"]) == ("excluded", "confirmed", 1)
    assert rice.citation.startswith("MAFF press release and minister's statement, 26 Sep 2019")
    assert (sugar.treatment, sugar.status) == ("excluded", "derived")
    dairy = cells[("USJTA", "dairy")]
    assert dairy.treatment == "not_encoded" and "SMP and butter: no US quota" in dairy.note


def test_malaysia_beef_pork_and_rice_are_confirmed_exclusions_from_the_mofa_outline():
    cells = _cells()
    for group in ("beef", "pork", "rice"):
        cell = cells[("Japan-Malaysia EPA", group)]
        assert (cell.treatment, cell.status) == ("excluded", "confirmed"), group
        assert cell.citation.startswith("MOFA, Japan-Malaysia EPA joint press release, May 2005")
    assert cells[("Japan-Malaysia EPA", "sugar")].status == "derived"


def test_the_eu_and_uk_pork_safeguards_count_in_their_cells():
    cells = _cells()
    eu, uk = cells[("Japan-EU EPA", "pork")], cells[("Japan-UK CEPA", "pork")]
    assert eu.rules == ["jeuepa.pork_safeguard", "jeuepa.pork_tariff"]
    assert uk.rules == ["jukcepa.pork_safeguard", "jukcepa.pork_tariff"]
    assert eu.counts["unconfirmed"] == 4  # the trigger, the duty, start and duration: not found
