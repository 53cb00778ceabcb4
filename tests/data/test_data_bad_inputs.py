"""Every file in the bad-input corpus gives a clear IngestError and leaves the store unchanged.

The corpus (``tests/data/bad_inputs/``, constructed fixtures, see its README) is ingested into a
store that already holds one batch; the store file is hashed before and after.  ``non_utf8.csv``
was written with ``(header + rows).encode("shift_jis")`` where one partner name is
"オーストラリア".  Broken workbooks and Parquet files are made here in a temporary directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BAD_INPUTS, INGESTED_AT, workbook_row, write_workbook
from test_data_store import store_digest

from tradeguard.data.problems import IngestProblemsError
from tradeguard.data.store import ingest
from tradeguard.errors import IngestError

# file -> (rows expected in the problem list, fragments the message must contain)
CASES = {
    "wrong_columns.csv": ([None], ["missing: quantity", "unexpected: quantiy"]),
    "negative_quantity.csv": ([3], ["row 3, column quantity", "is negative"]),
    "non_numeric_quantity.csv": ([3], ["row 3, column quantity: 'about 800': is not a number"]),
    "unknown_unit.csv": ([3], ["row 3, column quantity_unit: 'lbs'", "not a known unit"]),
    "unknown_partner.csv": ([3], ["row 3, column partner: 'XX'", "ISO 3166 alpha-2"]),
    "non_utf8.csv": ([3], ["row 3", "not valid UTF-8", "Shift-JIS", "re-save it as UTF-8"]),
    "truncated.csv": ([4], ["row 4", "has 7 fields, expected 18", "truncated"]),
    "header_only.csv": ([None], ["has a header but no data rows"]),
    "empty.csv": ([None], ["the file is empty (0 bytes)"]),
    "comtrade_missing_weight.csv": ([3, 4], ["net weight is missing", "'n/a': is not a number"]),
    "comtrade_mixed_classification.csv": (
        [2, 3, 4, 4], ["two HS revisions in the same period", "is not an HS classification"]),
    # data bounds (docs/semantics.md, "Data bounds")
    "date_9999.csv": ([4], ["row 4, column period_start: '9999-12-31': is outside the "
                            "plausible window 1990-01-01 .. 2100-12-31"]),
    "date_0001_and_2999.csv": ([3, 4], ["row 3, column period_start: '0001-01-01'",
                                        "row 4, column period_start: '2999-06-01'"]),
    "quantity_1e308.csv": ([3], ["row 3, column quantity: '1e+308': is above the plausible "
                                 "ceiling of 1000000000000 kg"]),
    "value_1e307_x40.csv": (list(range(2, 42)), ["40 problems found", "row 2, column value: "
                                                 "'1e+307': is above the plausible ceiling"]),
    "lost_zero_unproven.csv": ([3], ["row 3, column tariff_line: '20230090': has 8 digits",
                                     "write the code as text with all 9 digits"]),
    "lost_zero_wrong_chapter.csv": ([3], ["row 3, column tariff_line: '20230090': has 8 digits"]),
    "chapter_00.csv": ([3], ["row 3, column tariff_line: '001130010': has chapter 00"]),
    "tidy_year_2999.csv": ([3], ["row 3, column year/month: '2999-5': is not a calendar month "
                                 "within 1990-2100"]),
    "tidy_quantity_1e308.csv": ([3], ["row 3, column quantity2: '1e308': is above the "
                                      "plausible ceiling"]),
}


@pytest.fixture(scope="module")
def seeded_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("seed") / "store.duckdb"
    ingest(BAD_INPUTS / "valid_declarations.csv", store, ingested_at=INGESTED_AT)
    return store


@pytest.fixture
def store(seeded_store, tmp_path) -> Path:
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(seeded_store, copy)
    return copy


def assert_rejected(path: Path, store: Path, rows: list, fragments: list[str]) -> None:
    before = store_digest(store)
    with pytest.raises(IngestError) as caught:
        ingest(path, store, ingested_at=INGESTED_AT)
    assert store_digest(store) == before
    err = caught.value
    assert isinstance(err, IngestProblemsError)
    assert [p.row for p in err.problems] == rows
    text = str(err)
    assert str(path) in text and "nothing was ingested" in text and "Fix:" in text
    for fragment in fragments:
        assert fragment in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_file_is_rejected_and_store_unchanged(name, store):
    rows, fragments = CASES[name]
    assert_rejected(BAD_INPUTS / name, store, rows, fragments)


def test_duplicate_file_is_a_no_op(store):
    before = store_digest(store)
    report = ingest(BAD_INPUTS / "valid_declarations.csv", store, ingested_at=INGESTED_AT)
    assert report.status == "already ingested"
    assert store_digest(store) == before


def test_every_corpus_file_has_a_case():
    files = {p.name for p in BAD_INPUTS.iterdir() if p.suffix == ".csv"}
    assert files == set(CASES) | set(REPEATS) | {"valid_declarations.csv"}


# Records the seeded store already holds (ADR 0004): refused whole, by the CLI with exit code 1.
REPEATS = {
    "repeat_other_figures.csv": [
        "the file repeats records already in the store; nothing was ingested",
        "1 of the file's 1 records are already in the store", "0 with the same figures, "
        "1 with different ones", "earlier batch #1 (", "'valid_declarations.csv'", "--replace"],
    "repeat_partial.csv": [
        "1 of the file's 2 records are already in the store", "1 with the same figures, 0 with "
        "different ones", "Adding them again would count them twice",
        "tradeguard batches remove 1"],
}


@pytest.mark.parametrize("name", sorted(REPEATS))
def test_repeated_records_are_refused_by_the_cli_and_store_unchanged(name, store):
    from typer.testing import CliRunner

    from tradeguard.cli import app

    before = store_digest(store)
    result = CliRunner().invoke(app, ["ingest", str(BAD_INPUTS / name), "--store", str(store)])
    assert result.exit_code == 1
    text = " ".join(result.stderr.split())  # Rich wraps long messages
    for fragment in REPEATS[name]:
        assert fragment in text
    assert store_digest(store) == before


@pytest.mark.parametrize(("args", "fragment"), [
    (["batches", "remove", "7"], "the store holds no batch 7"),
    (["batches", "remove", "seven"], "'seven' is not a batch number or id"),
    (["ingest", str(BAD_INPUTS / "repeat_partial.csv"), "--known-on", "31/05/2019"],
     "--known-on `31/05/2019` is not a date"),
])
def test_bad_undo_and_revision_arguments_exit_1_and_leave_the_store_unchanged(
        args, fragment, store):
    from typer.testing import CliRunner

    from tradeguard.cli import app

    before = store_digest(store)
    result = CliRunner().invoke(app, [*args, "--store", str(store)])
    assert result.exit_code == 1
    assert fragment in " ".join(result.stderr.split())
    assert store_digest(store) == before


def test_truncated_workbook(store, tmp_path):
    good = write_workbook(tmp_path / "2019_EPA.xlsx", [
        workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {4: (1000, 900)})])
    cut = tmp_path / "2019_cut.xlsx"
    cut.write_bytes(good.read_bytes()[:-200])
    assert_rejected(cut, store, [None], ["not a readable .xlsx workbook"])


def test_workbook_with_unknown_agreement_code(store, tmp_path):
    path = write_workbook(tmp_path / "2021_EPA.xlsx", [
        workbook_row(2021, "K", "QQ", 601, "020130010", 1, "KG", {4: (1000, 900)})], layout="epa")
    assert_rejected(path, store, [2], ["row 2, column agreement: 'QQ'"])


def test_parquet_with_a_wrong_type_and_a_missing_column(store, tmp_path):
    from tradeguard.data.readers import read_declarations

    rows = read_declarations(BAD_INPUTS / "valid_declarations.csv").to_pydict()
    rows["value"] = ["1", "2", "lots", "4"]
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.table(rows), path)
    # Parquet has no header line: rows count records from 1, so the third value is row 3.
    assert_rejected(path, store, [3], ["row 3, column value: 'lots': is not a number"])
    del rows["currency"]
    rows["value"] = [1.0, 2.0, 3.0, 4.0]
    path = tmp_path / "missing.parquet"
    pq.write_table(pa.table(rows), path)
    assert_rejected(path, store, [None], ["missing column(s) currency"])
