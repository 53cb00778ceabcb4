"""Provenance: a batch names the file the user gave, its size and hash, who sent it and when."""

from __future__ import annotations

import duckdb
import pytest
from conftest import BAD_INPUTS, INGESTED_AT
from fastapi.testclient import TestClient

from tradeguard.data.store import ingest, open_batches

VALID = BAD_INPUTS / "valid_declarations.csv"


def batches(store) -> list[dict]:
    t = open_batches(store)
    try:
        return t.to_pyarrow().sort_by("ingested_at").to_pylist()
    finally:
        t.get_backend().disconnect()


def test_local_ingest_records_path_name_size_and_no_uploader(tmp_path):
    store = tmp_path / "s.duckdb"
    report = ingest(VALID, store, ingested_at=INGESTED_AT)
    (row,) = batches(store)
    assert row["source_path"] == str(VALID.resolve())
    assert row["source_name"] == "valid_declarations.csv" == report.source_name
    assert row["source_bytes"] == VALID.stat().st_size == report.source_bytes
    assert row["uploaded_by"] is None
    assert row["batch_id"] == report.batch_id and len(row["batch_id"]) == 64


def test_given_name_and_uploader_replace_the_path(tmp_path):
    store = tmp_path / "s.duckdb"
    ingest(VALID, store, ingested_at=INGESTED_AT, source_name="april.csv", uploaded_by="desk A")
    (row,) = batches(store)
    assert (row["source_path"], row["source_name"], row["uploaded_by"]) == (
        "april.csv", "april.csv", "desk A")
    again = ingest(VALID, store, ingested_at=INGESTED_AT)
    assert again.status == "already ingested" and again.uploaded_by == "desk A"


def test_a_store_from_before_the_provenance_columns_gets_them(tmp_path):
    store = tmp_path / "old.duckdb"
    con = duckdb.connect(str(store))
    con.execute("""
        CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
        INSERT INTO store_meta VALUES ('schema_version', '1');
        CREATE TABLE imports (period_start DATE NOT NULL, period_end DATE NOT NULL,
            granularity VARCHAR NOT NULL, tariff_line VARCHAR NOT NULL, partner VARCHAR NOT NULL,
            quantity DOUBLE NOT NULL, quantity_unit VARCHAR NOT NULL, value DOUBLE NOT NULL,
            currency VARCHAR NOT NULL, regime VARCHAR, source VARCHAR NOT NULL,
            batch_id VARCHAR NOT NULL);
        CREATE TABLE batches (batch_id VARCHAR PRIMARY KEY, source_path VARCHAR NOT NULL,
            format VARCHAR NOT NULL, row_count BIGINT NOT NULL, quantity_kg DOUBLE NOT NULL,
            value_jpy DOUBLE NOT NULL, value_usd DOUBLE NOT NULL, totals VARCHAR NOT NULL,
            period_min DATE, period_max DATE, notes VARCHAR NOT NULL,
            ingested_at TIMESTAMP NOT NULL, reader_version VARCHAR NOT NULL);
        INSERT INTO batches VALUES ('old', '/x.csv', 'declarations', 0, 0, 0, 0, '{}', NULL,
            NULL, '{}', TIMESTAMP '2025-01-01 00:00:00', 'tradeguard.data.readers/1');
    """)
    con.close()
    ingest(VALID, store, ingested_at=INGESTED_AT, source_name="new.csv")
    rows = batches(store)
    assert [(r["batch_id"] == "old", r["source_name"]) for r in rows] == [
        (True, None), (False, "new.csv")]


@pytest.fixture
def client(tmp_path, monkeypatch):
    from tradeguard.api.app import create_app

    monkeypatch.setenv("TRADEGUARD_API_TOKEN_LABEL", "customs desk")
    monkeypatch.setenv("TRADEGUARD_API_CONFIG", str(tmp_path / "absent.toml"))
    return TestClient(create_app(tmp_path / "s.duckdb", token="secret"))


def test_api_upload_records_the_client_file_name_not_a_temporary_path(client):
    r = client.post("/api/ingest", params={"filename": "C:\\exports\\april.csv"},
                    content=VALID.read_bytes(), headers={"Authorization": "Bearer secret"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["source_path"], body["source_name"], body["uploaded_by"]) == (
        "april.csv", "april.csv", "customs desk")
    assert body["source_bytes"] == VALID.stat().st_size
    (batch,) = client.get("/api/batches", headers={"Authorization": "Bearer secret"}).json()
    assert "tradeguard-upload" not in batch["source_path"]
    assert (batch["source_name"], batch["uploaded_by"]) == ("april.csv", "customs desk")
    assert batch["ingested_at"] is not None
