"""Resource limits: decompression bombs and oversized files are refused before they inflate.

Every file here is constructed by the test (zeros, spaces, made-up declaration rows); none is
real data.  No timing or memory is asserted: "refused before inflating" is shown by how far the
read got (the ``progress`` callback reports compressed bytes read).
"""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import BAD_INPUTS, INGESTED_AT, workbook_row, write_workbook
from test_data_store import store_digest

from tradeguard.data.limits import ReadLimits, limits_from_env
from tradeguard.data.problems import IngestProblemsError
from tradeguard.data.store import ingest
from tradeguard.errors import InputError


@pytest.fixture
def store(tmp_path) -> Path:
    path = tmp_path / "store.duckdb"
    ingest(BAD_INPUTS / "valid_declarations.csv", path, ingested_at=INGESTED_AT)
    return path


def gzip_bomb(path: Path, inflated: int) -> Path:
    """A multi-member gzip of zeros: each 16 MiB member compresses to about 16 KB."""
    member = gzip.compress(b"0" * (1 << 24), compresslevel=9)
    with path.open("wb") as handle:
        handle.write(gzip.compress((BAD_INPUTS / "valid_declarations.csv").read_bytes()))
        for _ in range(inflated >> 24):
            handle.write(member)
    return path


def test_gzip_that_inflates_to_2_gb_is_refused_after_reading_a_sliver(store, tmp_path):
    bomb = gzip_bomb(tmp_path / "bomb.csv.gz", 2 << 30)
    before, seen = store_digest(store), []
    with pytest.raises(IngestProblemsError) as caught:
        ingest(bomb, store, ingested_at=INGESTED_AT, format="declarations",
               progress=lambda stage, done, total: seen.append((stage, done)))
    text = str(caught.value)
    assert "the gzip inflates more than 100 times" in text and "max_ratio" in text
    assert "decompression bomb" in text and "nothing was ingested" in text
    read = max(done for stage, done in seen if stage == "read")
    assert bomb.stat().st_size > 2_000_000 and read < 100_000  # compressed bytes read
    assert store_digest(store) == before


def test_uncompressed_byte_cap_refuses_a_large_plain_csv(store, tmp_path):
    path = tmp_path / "big.csv"
    rows = (BAD_INPUTS / "valid_declarations.csv").read_text().splitlines()
    path.write_text("\n".join([rows[0]] + rows[1:] * 20_000) + "\n")
    before = store_digest(store)
    with pytest.raises(IngestProblemsError, match="max_uncompressed_bytes is 100,000"):
        ingest(path, store, ingested_at=INGESTED_AT,
               limits=ReadLimits(max_uncompressed_bytes=100_000))
    assert store_digest(store) == before


def test_row_cap_refuses_and_names_the_setting(store, tmp_path):
    path = tmp_path / "rows.csv"
    rows = (BAD_INPUTS / "valid_declarations.csv").read_text().splitlines()
    path.write_text("\n".join([rows[0]] + rows[1:] * 30) + "\n")
    with pytest.raises(IngestProblemsError, match=r"more than 100 rows.*max_rows"):
        ingest(path, store, ingested_at=INGESTED_AT, limits=ReadLimits(max_rows=100))


def test_xlsx_whose_sheet_inflates_1000_times_is_refused_before_openpyxl(store, tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", [
        workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {4: (1000, 900)})])
    bomb = tmp_path / "2019_EPA.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</worksheet>", b" " * (64 << 20) + b"</worksheet>")
            out.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 1_000_000
    before = store_digest(store)
    with pytest.raises(IngestProblemsError, match=r"xl/worksheets/sheet1.xml inflates .* times"):
        ingest(bomb, store, ingested_at=INGESTED_AT)
    assert store_digest(store) == before
    with pytest.raises(IngestProblemsError, match=r"the workbook inflates to .* bytes"):
        ingest(bomb, store, ingested_at=INGESTED_AT,
               limits=ReadLimits(max_uncompressed_bytes=10_000_000, max_ratio=10_000))


def test_workbook_row_cap(store, tmp_path):
    rows = [workbook_row(2019, "K", "   ", 601, "020130010", 1, "KG", {4: (1000, 900)})] * 3
    path = write_workbook(tmp_path / "2019_EPA.xlsx", rows)
    from tradeguard.data import workbook

    original = workbook.CHUNK_ROWS
    workbook.CHUNK_ROWS = 2  # check after every two rows, as it does every 50,000
    try:
        with pytest.raises(IngestProblemsError, match=r"more than 10 cells.*max_cells"):
            ingest(path, store, ingested_at=INGESTED_AT, limits=ReadLimits(max_cells=10))
    finally:
        workbook.CHUNK_ROWS = original


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRADEGUARD_MAX_ROWS", "1_000")
    assert limits_from_env() == ReadLimits(max_rows=1000)
    monkeypatch.setenv("TRADEGUARD_MAX_ROWS", "lots")
    with pytest.raises(InputError, match="TRADEGUARD_MAX_ROWS='lots' is not a positive whole"):
        limits_from_env()


def test_truncated_gzip_is_a_clear_error(store, tmp_path):
    whole = gzip.compress((BAD_INPUTS / "valid_declarations.csv").read_bytes() * 50)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(IngestProblemsError, match="the gzip stream is truncated or corrupt"):
        ingest(cut, store, ingested_at=INGESTED_AT, format="declarations")


def test_ingest_reports_read_progress_for_a_gzip(tmp_path):
    src = BAD_INPUTS / "valid_declarations.csv"
    path = tmp_path / "d.csv.gz"
    with src.open("rb") as fin, gzip.open(path, "wb") as fout:
        shutil.copyfileobj(fin, fout)
    seen = []
    ingest(path, tmp_path / "s.duckdb", ingested_at=INGESTED_AT,
           progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "hash" and stages[-1] == "write"
    assert ("read", path.stat().st_size, path.stat().st_size) in seen


def test_cli_refuses_the_gzip_bomb_with_exit_1(store, tmp_path):
    from typer.testing import CliRunner

    from tradeguard.cli import app

    bomb = gzip_bomb(tmp_path / "bomb.csv.gz", 1 << 30)
    before = store_digest(store)
    result = CliRunner().invoke(app, ["ingest", str(bomb), "--store", str(store),
                                      "--format", "declarations"])
    text = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "the gzip inflates more than 100 times" in text and "TRADEGUARD_MAX_RATIO" in text
    assert store_digest(store) == before


def test_uploads_may_inflate_at_most_twenty_times_their_size():
    from tradeguard.api.uploads import upload_limits

    limits = upload_limits(2_000_000)
    assert limits.max_uncompressed_bytes == 40_000_000
    assert (limits.max_cells, limits.max_rows) == (5_000_000, 1_000_000)
    assert upload_limits(10).max_uncompressed_bytes == 20 * (1 << 20)  # small files: 1 MiB floor
