"""Data bounds and scope: lost leading zeros, chapter scope, obsolete country codes, the CLI.

Workbooks here are *constructed format fixtures* written with openpyxl (made-up numbers) in the
2021 ``EPA`` layout: the real 2021 file is withheld (see ../shared/data/README.md).
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pytest
from conftest import BAD_INPUTS, INGESTED_AT, workbook_row, write_workbook
from test_data_bad_inputs import CASES
from test_data_store import store_digest
from typer.testing import CliRunner

from tradeguard.cli import app
from tradeguard.data import partners
from tradeguard.data.jp_customs import parse_chapters
from tradeguard.data.readers import read_any
from tradeguard.data.store import ingest, open_imports
from tradeguard.errors import InputError

HEADER = "date,tariff_line,partner,quantity,quantity_unit,value,currency,regime"


def declarations(path: Path, extra: str, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER + extra, *rows]) + "\n", encoding="utf-8")
    return path


def test_lost_leading_zero_is_restored_where_hs4_proves_chapter_02(tmp_path):
    # hs4 "202" lost its zero too: padded it is 0202, the restored code's first four digits.
    path = declarations(tmp_path / "d.csv", ",hs4", [
        "2019-04-01,020130010,AU,1200.5,kg,1850000,JPY,jaepa,0201",
        "2019-04-02,20230090,US,1500,kg,1300000,JPY,mfn,202"])
    table = read_any(path)
    assert sorted(table["tariff_line"].to_pylist()) == ["020130010", "020230090"]
    report = ingest(path, tmp_path / "s.duckdb", ingested_at=INGESTED_AT)
    assert report.notes["repaired: leading zero restored to a 9-digit code"] == 1
    assert report.notes["repaired: examples"] == ["row 3: 20230090 -> 020230090"]
    assert "row 3: 20230090 -> 020230090" in report.summary()


def test_lost_leading_zero_is_restored_from_a_chapter_column(tmp_path):
    path = declarations(tmp_path / "d.csv", ",chapter", [
        "2019-04-02,20230090,US,1500,kg,1300000,JPY,mfn,2"])
    assert read_any(path)["tariff_line"].to_pylist() == ["020230090"]


def test_an_hs4_longer_than_four_digits_proves_nothing(tmp_path):
    # lpad would truncate "02023" to "0202": the proof must be at most four digits.
    path = declarations(tmp_path / "d.csv", ",hs4", [
        "2019-04-02,20230090,US,1500,kg,1300000,JPY,mfn,02023"])
    with pytest.raises(Exception, match="row 2, column tariff_line: '20230090': has 8 digits"):
        read_any(path)


def test_tidy_csv_restores_hs9_from_its_hs4_and_hs6(tmp_path):
    rows = list(csv.reader((BAD_INPUTS / "truncated.csv").open(encoding="utf-8")))[:3]
    rows[1][10:13] = ["20230090", "20230", "202"]  # hs9, hs6, hs4 as a spreadsheet leaves them
    path = tmp_path / "tidy.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    table = read_any(path)
    assert sorted(set(table["tariff_line"].to_pylist())) == ["020130010", "020230090"]


def workbook_2021(path: Path) -> Path:
    """2021 layout: AU (jaepa) and TP (cptpp) beef, and code 326 on a chapter-84 line."""
    return write_workbook(path, [
        workbook_row(2021, "K", "AU", 601, "020130010", 1, "KG", {4: (1000, 900)}),
        workbook_row(2021, "C", "TP", 302, "020230090", 1, "KG", {5: (500, 400)}),
        workbook_row(2021, "K", None, 326, "847150000", 1, "KG", {6: (10, 20)}),
    ], layout="epa")


def test_2021_workbook_with_obsolete_code_outside_agriculture_ingests_the_farm_rows(tmp_path):
    store = tmp_path / "s.duckdb"
    report = ingest(workbook_2021(tmp_path / "2021_EPA.xlsx"), store, ingested_at=INGESTED_AT)
    assert report.status == "ingested"
    assert report.rows == 2
    assert report.notes["skipped: outside chapters"] == 1
    assert report.notes["layout_epa_codes"] == 1
    got = open_imports(store).to_pyarrow().sort_by("tariff_line")
    assert got["partner"].to_pylist() == ["AU", "CA"]
    assert got["regime"].to_pylist() == ["jaepa", "cptpp"]
    assert got["quantity"].to_pylist() == [1000.0, 500.0]


def test_chapters_all_keeps_the_obsolete_code_under_its_placeholder(tmp_path):
    table = read_any(workbook_2021(tmp_path / "2021_EPA.xlsx"), chapters="all")
    row = table.filter(pc.equal(table["tariff_line"], "847150000")).to_pylist()
    assert [(r["partner"], r["quantity"]) for r in row] == [("XN", 10.0)]
    assert not partners.is_known_partner("XN")  # never a partner for a rule or a duty question


def test_every_code_of_the_japan_customs_list_is_known(shared_dir):
    with (shared_dir / "data/jp-customs-codes/country_eng.csv").open(encoding="utf-8") as fh:
        codes = [r["Country"] for r in csv.DictReader(fh)]
    mapped = partners.jp_code_partners()
    assert len(codes) == 232
    assert [c for c in codes if c not in mapped] == []
    placeholders = partners.placeholder_partners()
    assert {mapped[c] for c in ("326", "702", "248")} == {"XN", "XU", "XK"}
    assert not set(placeholders) & partners.known_partners()  # never a real country


def test_parse_chapters():
    assert parse_chapters("01-24") == frozenset(f"{c:02d}" for c in range(1, 25))
    assert parse_chapters("01,02, 04-05") == frozenset({"01", "02", "04", "05"})
    assert parse_chapters("all") is None
    for bad in ("24-01", "x", "00-03", ""):
        with pytest.raises(InputError, match=r"Fix: write e\.g\. 01-24"):
            parse_chapters(bad)


def test_chapters_for_a_declarations_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="chapters apply to Japan Customs files"):
        read_any(BAD_INPUTS / "valid_declarations.csv", chapters="01-24")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("seed") / "store.duckdb"
    ingest(BAD_INPUTS / "valid_declarations.csv", store, ingested_at=INGESTED_AT)
    return store


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_refuses_each_corpus_file_with_exit_1_and_the_store_unchanged(name, seeded,
                                                                          tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copyfile(seeded, store)
    before = store_digest(store)
    result = CliRunner().invoke(app, ["ingest", str(BAD_INPUTS / name), "--store", str(store)])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "nothing was ingested" in text and "Traceback" not in text
    assert " ".join(CASES[name][1][0].split()) in text
    assert store_digest(store) == before


def test_cli_chapters_option_reports_the_skipped_rows(tmp_path):
    path = workbook_2021(tmp_path / "2021_EPA.xlsx")
    result = CliRunner().invoke(app, ["ingest", str(path), "--store", str(tmp_path / "s.duckdb"),
                                      "--chapters", "01-24"])
    assert result.exit_code == 0, result.output
    assert "2 rows" in result.output
    assert "skipped: outside chapters: 1" in result.output
