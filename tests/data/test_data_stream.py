"""Streamed ingest: a CSV read in many small chunks gives the store one big chunk gives.

The declaration files here are **synthetic** (seeded draws of made-up declarations); the tidy
Japan Customs file is the real 2017 beef sample from ``../shared`` (skipped when absent).
Chunks are made small through ``ReadLimits(chunk_bytes=..., chunk_rows=...)``, so a file of a
few kilobytes is read, staged and validated in dozens of pieces.  Nothing is timed.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
import pytest
from conftest import INGESTED_AT
from test_data_store import store_digest

from tradeguard.data.limits import ReadLimits
from tradeguard.data.problems import IngestProblemsError
from tradeguard.data.store import ingest

SMALL = ReadLimits(chunk_bytes=2_000, chunk_rows=150)  # about 45 rows read, 150 validated, a chunk
HEADER = "date,tariff_line,partner,quantity,quantity_unit,value,currency,regime"


def synthetic_declarations(path: Path, rows: int, seed: int, last: str | None = None) -> Path:
    """Seeded made-up declarations; ``last`` replaces the final row (to plant a bad one)."""
    rng = random.Random(seed)
    lines = [HEADER]
    for _ in range(rows):
        lines.append(",".join([
            f"2019-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            rng.choice(["020130010", "020230090", "020629099"]), rng.choice(["AU", "US", "CA"]),
            f"{rng.randint(1, 90_000) / 10}", rng.choice(["kg", "t"]),
            str(rng.randint(1_000, 9_000_000)), "JPY", rng.choice(["jaepa", "cptpp", ""])]))
    if last is not None:
        lines[-1] = last
    path.write_text("\n".join(lines) + "\n")
    return path


def stored(store: Path) -> tuple[list, list]:
    """Every imports row (sorted) and the batch records' figures, as plain values."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute("SELECT * FROM imports ORDER BY ALL").fetchall()
        batches = con.execute("SELECT batch_id, format, row_count, quantity_kg, value_jpy, "
                              "totals, period_min, period_max, notes FROM batches").fetchall()
    finally:
        con.close()
    return rows, batches


def test_declarations_in_many_chunks_store_what_one_chunk_stores(tmp_path):
    path = synthetic_declarations(tmp_path / "synthetic_declarations_seed7.csv", 600, seed=7)
    assert path.stat().st_size > 10 * SMALL.chunk_bytes  # really many chunks
    seen: list[tuple[str, int, int]] = []
    small = ingest(path, tmp_path / "small.duckdb", ingested_at=INGESTED_AT, limits=SMALL,
                   progress=lambda stage, done, total: seen.append((stage, done, total)))
    whole = ingest(path, tmp_path / "whole.duckdb", ingested_at=INGESTED_AT)
    assert small.rows == whole.rows and small.value_totals == whole.value_totals
    assert stored(tmp_path / "small.duckdb") == stored(tmp_path / "whole.duckdb")
    reads = [done for stage, done, total in seen if stage == "read" and total > 1]
    assert len(set(reads)) > 5 and max(reads) == path.stat().st_size  # the bar moves


def test_tidy_epa_file_in_many_chunks_stores_what_one_chunk_stores(tmp_path, epa_dir):
    path = epa_dir / "sample_beef_0201_0202_2017.csv"
    small = ingest(path, tmp_path / "small.duckdb", ingested_at=INGESTED_AT, limits=SMALL,
                   chapters="all")
    whole = ingest(path, tmp_path / "whole.duckdb", ingested_at=INGESTED_AT, chapters="all")
    assert small.rows == whole.rows > 100
    assert stored(tmp_path / "small.duckdb") == stored(tmp_path / "whole.duckdb")


@pytest.mark.parametrize(("last", "reason"), [
    ("2019-13-45,020130010,AU,10,kg,1000,JPY,jaepa", "is not a date YYYY-MM-DD"),
    ("2019-05-01,020130010,AU,-10,kg,1000,JPY,jaepa", "quantity"),
    ("2019-05-01,020130010,AU,10", "has 4 fields, expected 8"),
])
def test_a_bad_row_in_the_last_chunk_leaves_the_store_byte_identical(tmp_path, last, reason):
    store = tmp_path / "store.duckdb"
    ingest(synthetic_declarations(tmp_path / "good.csv", 50, seed=1), store,
           ingested_at=INGESTED_AT)
    before = store_digest(store)
    bad = synthetic_declarations(tmp_path / "bad.csv", 400, seed=2, last=last)
    with pytest.raises(IngestProblemsError) as caught:
        ingest(bad, store, ingested_at=INGESTED_AT, limits=SMALL)
    assert [p.row for p in caught.value.problems] == [401]  # numbered across the chunks
    assert reason in str(caught.value) and "nothing was ingested" in str(caught.value)
    assert store_digest(store) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bad.csv", "good.csv", "store.duckdb", "store.duckdb.intent", "store.duckdb.lock"]


def test_staging_folder_next_to_the_store_is_removed_after_an_ingest(tmp_path):
    store = tmp_path / "store.duckdb"
    ingest(synthetic_declarations(tmp_path / "a.csv", 50, seed=3), store,
           ingested_at=INGESTED_AT)
    ingest(synthetic_declarations(tmp_path / "b.csv", 80, seed=4), store,
           ingested_at=INGESTED_AT, limits=SMALL)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("tradeguard-staging-")]
