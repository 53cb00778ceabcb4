"""Product words for tariff lines: the shipped HS 2022 table, trade names and the search."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import pytest

from tradeguard.data import nomenclature as nm
from tradeguard.errors import InputError


def test_frozen_beef_finds_heading_0202_first():
    hits = nm.search("frozen beef")
    assert hits[0].code == "0202"
    assert hits[0].description == "Meat of bovine animals; frozen"


def test_hs_words_match_through_synonyms_when_no_trade_name_does():
    # "carcasses" is no trade name; "pork" reaches "swine" in the HS text.
    assert [line.code for line in nm.search("frozen pork carcasses")][:1] == ["020321"]
    assert [line.code for line in nm.search("swine carcasses frozen")] == ["020321"]


def test_skimmed_milk_powder_reaches_its_subheading():
    assert [line.code for line in nm.search("skimmed milk powder")] == ["040210"]


def test_a_code_lists_the_line_then_what_it_contains_then_its_headings():
    assert [line.code for line in nm.search("02.02")] == ["0202", "020210", "020220", "020230",
                                                          "02"]


def test_a_japanese_nine_digit_code_is_described_by_its_hs_subheading():
    assert nm.describe("020230090") == "Meat; of bovine animals, boneless cuts, frozen"
    assert nm.describe("0202.30") == nm.describe("020230")
    assert nm.describe("0000") is None


def test_words_that_match_nothing_give_an_empty_list():
    assert nm.search("unobtainium") == []


def test_an_empty_search_is_refused_with_a_fix():
    with pytest.raises(InputError, match="search is empty"):
        nm.search("   ")


def test_the_shipped_table_is_hs2022_at_three_depths():
    table = nm._table()
    levels = {line.level for line in table.values()}
    assert levels == {2, 4, 6}
    assert len(table) == 6939


def _build_script():
    path = Path(__file__).parents[2] / "scripts" / "build_nomenclature.py"
    spec = importlib.util.spec_from_file_location("build_nomenclature", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_table_rebuilds_byte_for_byte_from_shared(shared_dir):
    script = _build_script()
    shipped = (nm.resources.files("tradeguard.data.reference") / "hs2022.csv.gz").read_bytes()
    assert gzip.decompress(script.build(shared_dir / script.SOURCE)) == gzip.decompress(shipped)
