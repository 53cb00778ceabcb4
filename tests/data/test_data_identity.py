"""Record identity by content, revisions as known on a date, and undo (issue 11, ADR 0004).

The revision cases use *constructed* tidy Japan Customs rows (made-up figures, labelled so in
:func:`constructed_tidy`); the double-counting case uses the real bundled extract and the real
2017 sample from ``../shared``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import INGESTED_AT, workbook_row, write_workbook
from test_data_store import store_digest

from tradeguard.data.batches import list_batches, remove_batch
from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.readers import TIDY_COLUMNS, read_any
from tradeguard.data.store import ingest, open_imports
from tradeguard.errors import IngestError, InputError
from tradeguard.monitor.report import monitor

CHILLED = "jaepa.beef_chilled_safeguard"
REMOVED_AT = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC)


def constructed_tidy(path: Path, rows: list[tuple[int, int, float]], *, newline: str = "\n",
                     bom: bool = False, reverse_columns: bool = False) -> Path:
    """Constructed (made-up) tidy rows: Australian chilled beef loin under the JAEPA, one row
    per (year, month, kg); value = kg thousand yen.  Not real data."""
    columns = list(TIDY_COLUMNS)
    lines = []
    for year, month, kg in rows:
        values = dict(zip(columns, [str(year), str(month), "JPN", "import", "601", "", "1",
                                    "020130010", "", "KG", "0", f"{kg:g}", f"{kg:g}"],
                          strict=True))
        order = columns[::-1] if reverse_columns else columns
        lines.append(",".join(values[c] for c in order))
    header = ",".join(columns[::-1] if reverse_columns else columns)
    text = newline.join([header, *lines]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def total_kg(store: Path, known_on: dt.date | None = None) -> float:
    table = open_imports(store, known_on=known_on)
    try:
        return table.quantity.sum().to_pyarrow().as_py()
    finally:
        table.get_backend().disconnect()


def test_bundled_extract_plus_the_2017_sample_gives_exactly_the_bundled_figures(tmp_path, epa_dir):
    store = tmp_path / "store.duckdb"
    ingest(bundled_extract_path(), store, ingested_at=INGESTED_AT)
    before = store_digest(store)
    again = ingest(epa_dir / "sample_beef_0201_0202_2017.csv", store, ingested_at=INGESTED_AT)
    assert again.status == "already ingested" and again.batch_no == 1
    assert again.notes["already stored in"][0].startswith("batch #1 (00ac96e11e90, "
                                                          "'jp_epa_imports_tpp_basket")
    assert store_digest(store) == before
    row = monitor(store=store, as_of=dt.date(2017, 12, 31)).period(CHILLED, 2017).row()
    assert (round(row["share"], 3), row["triggered"]) == (0.691, False)


def test_lf_crlf_bom_and_column_order_copies_are_one_batch(tmp_path):
    store = tmp_path / "store.duckdb"
    rows = [(2017, 4, 1000.0), (2017, 5, 2500.5)]
    first = ingest(constructed_tidy(tmp_path / "lf.csv", rows), store, ingested_at=INGESTED_AT)
    copies = [constructed_tidy(tmp_path / "crlf.csv", rows, newline="\r\n"),
              constructed_tidy(tmp_path / "bom.csv", rows, bom=True),
              constructed_tidy(tmp_path / "reversed.csv", rows, reverse_columns=True)]
    reports = [ingest(p, store, ingested_at=INGESTED_AT) for p in copies]
    assert [r.status for r in reports] == ["already ingested"] * 3
    assert {r.batch_id for r in reports} == {first.batch_id}
    assert [b["batch_no"] for b in list_batches(store)["batches"]] == [1]
    assert total_kg(store) == 3500.5


def test_the_same_records_as_parquet_are_not_a_new_batch(tmp_path):
    store = tmp_path / "store.duckdb"
    csv = constructed_tidy(tmp_path / "a.csv", [(2017, 4, 1000.0)])
    ingest(csv, store, ingested_at=INGESTED_AT)
    pq.write_table(read_any(csv), tmp_path / "a.parquet")
    again = ingest(tmp_path / "a.parquet", store, ingested_at=INGESTED_AT)
    assert again.status == "already ingested" and total_kg(store) == 1000.0


def test_the_same_records_in_the_customs_workbook_layout_are_not_a_new_batch(tmp_path):
    store = tmp_path / "store.duckdb"
    ingest(constructed_tidy(tmp_path / "a.csv", [(2017, 4, 1000.0), (2017, 5, 20.0)]), store,
           ingested_at=INGESTED_AT)
    book = write_workbook(tmp_path / "2017_EPA.xlsx", [  # constructed: the same two months
        workbook_row(2017, "K", "   ", 601, "020130010", 1, "KG", {4: (1000, 1000),
                                                                   5: (20, 20)})])
    again = ingest(book, store, ingested_at=INGESTED_AT)
    assert (again.status, again.batch_no) == ("already ingested", 1)
    assert total_kg(store) == 1020.0


def test_partial_overlap_is_refused_counting_it_and_naming_the_earlier_batch(tmp_path):
    store = tmp_path / "store.duckdb"
    ingest(constructed_tidy(tmp_path / "apr.csv", [(2017, 4, 1000.0)]), store,
           ingested_at=INGESTED_AT)
    before = store_digest(store)
    both = constructed_tidy(tmp_path / "apr_may.csv", [(2017, 4, 1000.0), (2017, 5, 800.0)])
    with pytest.raises(IngestError) as caught:
        ingest(both, store, ingested_at=INGESTED_AT)
    text = str(caught.value)
    assert "the file repeats records already in the store; nothing was ingested" in text
    assert ("1 of the file's 2 records are already in the store (same source, period, tariff "
            "line, partner, regime and unit): 1 with the same figures, 0 with different ones"
            ) in text
    assert "earlier batch #1 (" in text and "'apr.csv', known on 2026-01-01" in text
    assert "--replace" in text and "tradeguard batches remove 1" in text
    assert store_digest(store) == before
    assert total_kg(store) == 1000.0


def test_replace_adds_new_records_without_counting_repeated_ones_twice(tmp_path):
    store = tmp_path / "store.duckdb"
    ingest(constructed_tidy(tmp_path / "apr.csv", [(2017, 4, 1000.0)]), store,
           ingested_at=INGESTED_AT)
    both = constructed_tidy(tmp_path / "apr_may.csv", [(2017, 4, 1000.0), (2017, 5, 800.0)])
    report = ingest(both, store, ingested_at=INGESTED_AT, replace=True)
    assert (report.status, report.batch_no, report.revision) == ("ingested", 2, True)
    assert report.notes["superseded records"] == 1
    assert total_kg(store) == 1800.0


def revised_store(tmp_path: Path) -> Path:
    """A preliminary April 2017 figure known on 31 May, confirmed higher on 30 June."""
    store = tmp_path / "store.duckdb"
    ingest(constructed_tidy(tmp_path / "preliminary.csv", [(2017, 4, 1_000_000.0)]), store,
           ingested_at=INGESTED_AT, known_on=dt.date(2017, 5, 31))
    ingest(constructed_tidy(tmp_path / "confirmed.csv", [(2017, 4, 1_200_000.0)]), store,
           ingested_at=INGESTED_AT, known_on=dt.date(2017, 6, 30), replace=True)
    return store


def test_status_between_two_revisions_uses_the_preliminary_figure(tmp_path):
    store = revised_store(tmp_path)
    between = monitor(store=store, as_of=dt.date(2017, 6, 15)).period(CHILLED, 2017).row()
    after = monitor(store=store, as_of=dt.date(2017, 7, 15)).period(CHILLED, 2017).row()
    assert round(between["cumulative_t"], 3) == 1000.0
    assert round(after["cumulative_t"], 3) == 1200.0


def test_the_cli_status_reads_the_figures_known_on_its_as_of(tmp_path):
    import json

    from typer.testing import CliRunner

    from tradeguard.cli import app

    store = revised_store(tmp_path)
    answers = []
    for day in ("2017-06-15", "2017-07-15"):
        out = CliRunner().invoke(app, ["status", "--store", str(store), "--as-of", day, "--json"])
        assert out.exit_code == 0, out.output
        rows = {r["measure_id"]: r for r in json.loads(out.stdout)}
        answers.append(round(rows[CHILLED]["cumulative_t"], 3))
    assert answers == [1000.0, 1200.0]


def test_first_figures_count_before_any_batch_is_known_and_a_revision_only_from_its_day(
        tmp_path):
    store = revised_store(tmp_path)
    assert total_kg(store, dt.date(2017, 5, 1)) == 1_000_000.0  # the first figures
    assert total_kg(store, dt.date(2017, 6, 29)) == 1_000_000.0
    assert total_kg(store, dt.date(2017, 6, 30)) == 1_200_000.0
    assert total_kg(store) == 1_200_000.0


def test_an_old_store_without_known_on_keeps_working_and_migrates_on_ingest(tmp_path):
    import duckdb

    store = tmp_path / "store.duckdb"
    ingest(constructed_tidy(tmp_path / "apr.csv", [(2017, 4, 1000.0)]), store,
           ingested_at=INGESTED_AT)
    con = duckdb.connect(str(store))  # make it look like a store from before revisions
    for column in ("batch_no", "known_on", "revision"):
        con.execute(f"ALTER TABLE batches DROP COLUMN {column}")
    con.execute("DROP TABLE batch_events")
    con.close()
    assert total_kg(store) == 1000.0
    assert [b["batch_no"] for b in list_batches(store)["batches"]] == [1]
    report = ingest(constructed_tidy(tmp_path / "may.csv", [(2017, 5, 500.0)]), store,
                    ingested_at=INGESTED_AT)
    assert (report.batch_no, total_kg(store)) == (2, 1500.0)
    first = list_batches(store)["batches"][0]
    assert (first["batch_no"], first["known_on"]) == (1, "2026-01-01")


def test_removing_a_revision_brings_the_earlier_figures_back_and_is_recorded(tmp_path):
    store = revised_store(tmp_path)
    plan = remove_batch(2, store, removed_at=REMOVED_AT, removed_by="ana", dry_run=True)
    assert (plan.status, plan.rows, plan.reinstated) == ("dry run", 1, 1)
    done = remove_batch("2", store, removed_at=REMOVED_AT, removed_by="ana")
    assert done.status == "removed" and done.source_name == "confirmed.csv"
    assert total_kg(store) == 1_000_000.0
    listed = list_batches(store)
    assert [b["batch_no"] for b in listed["batches"]] == [1]
    event = listed["removed"][0]
    assert (event["event"], event["batch_no"], event["done_by"], event["row_count"]) == (
        "removed", 2, "ana", 1)
    assert event["batch"]["source_name"] == "confirmed.csv"
    again = ingest(tmp_path / "confirmed.csv", store, ingested_at=INGESTED_AT, replace=True,
                   known_on=dt.date(2017, 6, 30))
    assert again.batch_no == 3  # numbers are never reused


def test_dry_run_and_refused_removals_leave_the_store_byte_identical(tmp_path):
    store = revised_store(tmp_path)
    before = store_digest(store)
    remove_batch(1, store, removed_at=REMOVED_AT, dry_run=True)
    with pytest.raises(IngestError, match=r"the store holds no batch 7 .*its batches: #1, #2"):
        remove_batch(7, store, removed_at=REMOVED_AT)
    with pytest.raises(InputError, match="is not a batch number or id"):
        remove_batch("abc", store, removed_at=REMOVED_AT)
    assert store_digest(store) == before


def test_a_bad_known_on_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(InputError, match="known_on must be a date"):
        ingest(constructed_tidy(tmp_path / "a.csv", [(2017, 4, 1.0)]), tmp_path / "s.duckdb",
               ingested_at=INGESTED_AT, known_on="2017-05-31")
    assert not (tmp_path / "s.duckdb").exists()


def test_removing_the_only_batch_leaves_no_records_and_the_batch_can_come_back(tmp_path):
    store = tmp_path / "store.duckdb"
    csv = constructed_tidy(tmp_path / "a.csv", [(2017, 4, 10.0)])
    ingest(csv, store, ingested_at=INGESTED_AT)
    remove_batch(1, store, removed_at=REMOVED_AT)
    assert total_kg(store) is None  # no records: a sum of nothing, never shown as zero
    back = ingest(csv, store, ingested_at=INGESTED_AT)
    assert (back.status, back.batch_no, total_kg(store)) == ("ingested", 2, 10.0)


def test_the_cli_ingests_a_revision_lists_batches_and_removes_one(tmp_path):
    import json

    from typer.testing import CliRunner

    from tradeguard.cli import app

    run = CliRunner().invoke
    store = str(tmp_path / "store.duckdb")
    first = constructed_tidy(tmp_path / "preliminary.csv", [(2017, 4, 1000.0)])
    second = constructed_tidy(tmp_path / "confirmed.csv", [(2017, 4, 1200.0)])
    assert run(app, ["ingest", str(first), "--store", store, "--known-on", "2017-05-31"]
               ).exit_code == 0
    refused = run(app, ["ingest", str(second), "--store", store])
    assert refused.exit_code == 1 and "1 with different ones" in " ".join(refused.stderr.split())
    revised = run(app, ["ingest", str(second), "--store", store, "--replace", "--known-on",
                        "2017-06-30", "--json"])
    assert revised.exit_code == 0, revised.output
    body = json.loads(revised.stdout)
    assert (body["batch_no"], body["revision"], body["known_on"]) == (2, True, "2017-06-30")
    listed = json.loads(run(app, ["batches", "list", "--store", store, "--json"]).stdout)
    assert [(b["batch_no"], b["known_on"], b["revision"]) for b in listed["batches"]] == [
        (1, "2017-05-31", False), (2, "2017-06-30", True)]
    table = run(app, ["batches", "list", "--store", store])
    assert table.exit_code == 0 and "confirmed.csv" in table.stdout
    plan = json.loads(run(app, ["batches", "remove", "2", "--store", store, "--dry-run",
                                "--json"]).stdout)
    assert (plan["status"], plan["reinstated"]) == ("dry run", 1)
    done = run(app, ["batches", "remove", "2", "--store", store])
    assert done.exit_code == 0 and done.stdout.startswith("removed: batch #2 ")
    assert total_kg(Path(store)) == 1000.0
    after = json.loads(run(app, ["batches", "list", "--store", store, "--json"]).stdout)
    assert [e["batch_no"] for e in after["removed"]] == [2]
