"""Declarations keyed by their declaration id where the file gives one (issue 11, "What to
build" 1; ADR 0004).  The declarations are constructed (made-up figures, one day of Australian
chilled beef), no real data."""

from __future__ import annotations

import duckdb
import pytest
from conftest import INGESTED_AT
from test_data_store import store_digest

from tradeguard.data.problems import IngestProblemsError
from tradeguard.data.store import ingest, open_imports
from tradeguard.errors import IngestError

HEADER = "declaration_id,date,tariff_line,partner,quantity,quantity_unit,value,currency,regime"


def declarations(path, *rows: str):
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def beef_kg(store) -> float:
    imports = open_imports(store)
    try:
        return imports.quantity.sum().to_pyarrow().as_py()
    finally:
        imports.get_backend().disconnect()


def stored_ids(store) -> list:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return [r[0] for r in con.execute(
            "SELECT record_id FROM imports ORDER BY record_id").fetchall()]
    finally:
        con.close()


def test_other_declarations_of_the_same_day_are_added_not_refused(tmp_path):
    store = tmp_path / "s.duckdb"
    morning = declarations(tmp_path / "morning.csv",
                           "D-001,2019-04-02,020130010,AU,1000,kg,1500000,JPY,jaepa",
                           "D-002,2019-04-02,020130010,AU,500,kg,800000,JPY,jaepa")
    evening = declarations(tmp_path / "evening.csv",
                           "D-003,2019-04-02,020130010,AU,200,kg,300000,JPY,jaepa")
    first = ingest(morning, store, ingested_at=INGESTED_AT)
    second = ingest(evening, store, ingested_at=INGESTED_AT)
    assert (first.rows, second.rows) == (2, 1)  # one record per declaration
    assert (second.status, second.revision) == ("ingested", False)
    assert beef_kg(store) == 1700.0
    assert stored_ids(store) == ["D-001", "D-002", "D-003"]


def test_a_declaration_sent_again_is_recognised_by_its_id(tmp_path):
    store = tmp_path / "s.duckdb"
    ingest(declarations(tmp_path / "a.csv",
                        "D-001,2019-04-02,020130010,AU,1000,kg,1500000,JPY,jaepa",
                        "D-002,2019-04-02,020130010,AU,500,kg,800000,JPY,jaepa"),
           store, ingested_at=INGESTED_AT)
    again = tmp_path / "again.csv"  # the same declarations, other order and line endings
    again.write_bytes((HEADER + "\r\n"
                       + "D-002,2019-04-02,020130010,AU,500,kg,800000,JPY,jaepa\r\n"
                       + "D-001,2019-04-02,020130010,AU,1000,kg,1500000,JPY,jaepa\r\n").encode())
    assert ingest(again, store, ingested_at=INGESTED_AT).status == "already ingested"
    before = store_digest(store)
    changed = declarations(tmp_path / "changed.csv",
                           "D-002,2019-04-02,020130010,AU,600,kg,800000,JPY,jaepa")
    with pytest.raises(IngestError, match="1 of the file's 1 records are already in the store"):
        ingest(changed, store, ingested_at=INGESTED_AT)
    assert store_digest(store) == before
    revised = ingest(changed, store, ingested_at=INGESTED_AT, replace=True)
    assert revised.revision and revised.notes["superseded records"] == 1
    assert beef_kg(store) == 1600.0  # D-001 as it was, D-002 revised from 500 to 600 kg


def test_an_id_twice_in_one_file_is_a_row_level_error(tmp_path):
    path = declarations(tmp_path / "twice.csv",
                        "D-001,2019-04-02,020130010,AU,1000,kg,1500000,JPY,jaepa",
                        "D-001,2019-04-03,020130010,AU,10,kg,15000,JPY,jaepa")
    with pytest.raises(IngestProblemsError) as caught:
        ingest(path, tmp_path / "s.duckdb", ingested_at=INGESTED_AT)
    rows = [(p.row, p.column, p.value) for p in caught.value.problems]
    assert rows == [(2, "declaration_id", "D-001"), (3, "declaration_id", "D-001")]
    assert "appears more than once in the file" in str(caught.value)
    assert not (tmp_path / "s.duckdb").exists()


def test_without_ids_the_day_record_stays_the_key(tmp_path):
    store = tmp_path / "s.duckdb"
    plain = "date,tariff_line,partner,quantity,quantity_unit,value,currency,regime\n"
    one = tmp_path / "one.csv"
    one.write_text(plain + "2019-04-02,020130010,AU,1000,kg,1500000,JPY,jaepa\n"
                   "2019-04-02,020130010,AU,500,kg,800000,JPY,jaepa\n")
    other = tmp_path / "other.csv"
    other.write_text(plain + "2019-04-02,020130010,AU,200,kg,300000,JPY,jaepa\n")
    assert ingest(one, store, ingested_at=INGESTED_AT).rows == 1  # summed per day
    with pytest.raises(IngestError, match="repeats records already in the store"):
        ingest(other, store, ingested_at=INGESTED_AT)
    assert stored_ids(store) == [None]
