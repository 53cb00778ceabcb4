"""Peak memory of an ingest: a large synthetic declarations CSV (plain and gzipped).

The CSV is **synthetic** (seeded numpy draws of beef declarations, see ``bench/synthetic.py``'s
mix; the file name carries the seed): no customs data.  Each ingest runs in a fresh Python
process so that its peak resident memory (``ru_maxrss``) is its own.

Run: ``PYTHONPATH=src python -m bench.run --only ingest`` (``--quick``: 20 MB instead of 200 MB).
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

NAME = "ingest"
SEED = 20261130
LINES = ["020130010", "020130020", "020130090", "020230010", "020230020", "020230090"]
PARTNERS = ["AU", "US", "CA", "NZ", "MX"]
REGIMES = ["jaepa", "usjta", "cptpp", "cptpp", "jmepa"]

CHILD = """
import resource, sys, time
from datetime import UTC, datetime
from tradeguard.data.store import ingest
t = time.perf_counter()
r = ingest(sys.argv[1], sys.argv[2], ingested_at=datetime(2026, 11, 30, tzinfo=UTC))
print(r.rows, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def synthetic_csv(path: Path, target_bytes: int, seed: int = SEED) -> Path:
    """Seeded synthetic declarations, about ``target_bytes`` long (about 60 bytes a row)."""
    rng = np.random.default_rng(seed)
    rows = target_bytes // 60
    days = rng.integers(0, 8 * 365, rows)
    who = rng.integers(0, len(PARTNERS), rows)
    dates = (np.datetime64("2012-01-01") + days.astype("timedelta64[D]")).astype(str)
    table = pa.table({
        "date": dates,
        "tariff_line": np.array(LINES)[rng.integers(0, len(LINES), rows)],
        "partner": np.array(PARTNERS)[who],
        "quantity": np.round(rng.lognormal(8, 1, rows), 1),
        "quantity_unit": np.full(rows, "kg"),
        "value": np.round(rng.lognormal(14, 1, rows)),
        "currency": np.full(rows, "JPY"),
        "regime": np.array(REGIMES)[who],
    })
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="none"))
    return path


def measure(path: Path, folder: Path) -> dict:
    store = folder / f"store-{path.name}.duckdb"
    out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(store)], check=True,
                         capture_output=True, text=True).stdout.split()
    rows, seconds, peak_kib = int(out[-3]), float(out[-2]), int(out[-1])
    return {"file": path.name, "file_mb": round(path.stat().st_size / 1e6, 1),
            "rows_stored": rows, "seconds": round(seconds, 1),
            "peak_rss_mb": round(peak_kib / 1024, 1)}


def run(*, quick: bool) -> dict:
    target = 20_000_000 if quick else 200_000_000
    results = []
    with tempfile.TemporaryDirectory(prefix="tradeguard-bench-ingest-") as tmp:
        folder = Path(tmp)
        plain = synthetic_csv(folder / f"synthetic_declarations_seed{SEED}.csv", target)
        packed = folder / (plain.name + ".gz")
        with plain.open("rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst)
        for path in (plain, packed):
            results.append(measure(path, folder))
    print(f"ingest peak memory (synthetic declarations, seed {SEED}; "
          f"{time.strftime('%Y-%m-%d')}):")
    for r in results:
        print(f"  {r['file']:<45} {r['file_mb']:>7} MB  {r['rows_stored']:>10,} rows stored  "
              f"{r['seconds']:>6} s  peak RSS {r['peak_rss_mb']:>7} MB")
    return {"label": f"synthetic (seed {SEED})", "results": results}
