"""A damaged, empty or unreachable store gives every command a clear error with a fix.

The damaged stores are made here from a good one (cut in half, overwritten with zeros, random
bytes); nothing is real data beyond the constructed declarations corpus.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import BAD_INPUTS, INGESTED_AT
from typer.testing import CliRunner

from tradeguard.cli import app
from tradeguard.data.store import ingest, open_batches, open_imports
from tradeguard.errors import IngestError

VALID = BAD_INPUTS / "valid_declarations.csv"
COMMANDS = {
    "ingest": ["ingest", str(VALID)],
    "status": ["status"],
    "timeline": ["timeline", "cptpp.beef_safeguard", "--period", "FY2019"],
    "alerts": ["alerts"],
    "surges": ["surges"],
    "evidence": ["evidence", "--line", "0201"],
}


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("good") / "store.duckdb"
    ingest(VALID, store, ingested_at=INGESTED_AT)
    return store


def damaged(good: Path, folder: Path, kind: str) -> Path:
    data = good.read_bytes()
    path = folder / f"{kind}.duckdb"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "not_a_store":
        path.write_bytes(b"date,tariff_line\n" * 100)
    elif kind == "zeroed_block":  # the first data block overwritten: its checksum fails
        path.write_bytes(data[:12_388] + bytes(2_000) + data[14_388:])
    return path


EXPECTED = {
    "empty": "the store file is empty (0 bytes)",
    "truncated": "the store file is damaged",
    "not_a_store": "the store file is damaged",
    "zeroed_block": "the store file is damaged",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_explains_a_damaged_store(good_store, tmp_path, kind, command):
    store = damaged(good_store, tmp_path, kind)
    before = store.read_bytes()
    result = CliRunner().invoke(app, [*COMMANDS[command], "--store", str(store)])
    text = " ".join(result.output.split())
    assert result.exit_code == 1, text
    assert EXPECTED[kind] in text and "Fix:" in text
    assert "Traceback" not in text
    assert isinstance(result.exception, SystemExit)  # a clean exit, no uncaught exception
    assert store.read_bytes() == before  # never written into


def test_damaged_store_message_suggests_moving_it_away(good_store, tmp_path):
    store = damaged(good_store, tmp_path, "truncated")
    with pytest.raises(IngestError, match=r"rename it to truncated\.duckdb\.damaged"):
        open_imports(store)
    with pytest.raises(IngestError, match="the store file is damaged"):
        open_batches(store)


def test_missing_folder_says_which_folder(tmp_path):
    result = CliRunner().invoke(app, ["status", "--store", str(tmp_path / "nope" / "s.duckdb")])
    text = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "the store's folder does not exist" in text and "`tradeguard ingest` creates" in text


def test_ingest_creates_a_missing_folder(tmp_path):
    store = tmp_path / "new" / "deeper" / "s.duckdb"
    assert ingest(VALID, store, ingested_at=INGESTED_AT).status == "ingested"
    assert store.is_file()


def test_read_only_location_suggests_a_writable_store(tmp_path, monkeypatch):
    # Root ignores permissions, so the read-only file system is simulated where it bites.
    import errno

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    store = tmp_path / "ro" / "s.duckdb"
    result = CliRunner().invoke(app, ["ingest", str(VALID), "--store", str(store)])
    text = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "the store cannot be written here" in text and "choose a writable location" in text
    assert not store.exists()


def test_store_in_use_by_a_writer_is_explained(good_store, tmp_path, monkeypatch):
    import duckdb

    monkeypatch.setenv("TRADEGUARD_STORE_READ_WAIT", "0.3")  # the reader waits, bounded

    store = tmp_path / "s.duckdb"
    shutil.copyfile(good_store, store)
    writer = duckdb.connect(str(store))
    try:
        with pytest.raises(IngestError, match="in use by another program"):
            open_imports(store)
    finally:
        writer.close()
