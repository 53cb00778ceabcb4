"""The duty batch and the monitor's counting on PySpark ``local[2]``, against DuckDB.

The same Ibis code runs on both backends (see docs/scale-out.md).  Both read the same Parquet
from disk, as a cluster job reads it from object storage: DuckDB through ``read_parquet``,
Spark through ``spark.read.parquet`` (the data never passes through the driver).  The duty
batch writes its answers back to Parquet (``output="ibis"``, then the backend's own writer);
the monitor's counting returns its few thousand cumulative rows.

Every input here is **synthetic** (``bench.synthetic``, seeded; the ``source`` column says so).
Skipped, with the reason, when PySpark or Java is missing, and in ``bench.run --quick``: at
100,000 rows the module measured only Spark's fixed costs (session start, one job per query)
and took 275 s on a loaded machine (65 s of it the session), more than the quick run's whole
budget; the Spark parity tests (``tests/engine/test_spark.py``, ``tests/monitor/test_spark.py``)
cover small inputs.  1 M rows by default; ``--rows N`` runs any size, quick or not.  Run:
``python -m bench.bench_spark [--rows N]`` or through ``python -m bench.run --only spark``.

Judged (``targets_judged``): the same answers on both backends -- as many duty answers, as
many counting rows, and the same counted tonnes (relative difference at most 1e-9).  No issue
sets a speed target for Spark on one machine (issue 15 asks for the measured ``local[2]``
figures and a written cluster estimate, in ``docs/scale-out.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from bench.common import load_average, machine_info, target, write_results
from bench.synthetic import DEFAULT_SEED, declarations, import_records, source_label

NAME = "spark"
ROWS = 1_000_000
TONNES_TOLERANCE = 1e-9  # relative
RESULTS_DIR = Path(__file__).resolve().parent / "results"
AS_OF = dt.date(2025, 3, 31)


def _duty(con: Any, path: Path, out: Path) -> tuple[float, int]:
    from tradeguard.data.backends import read_parquet
    from tradeguard.engine.batch import duty_batch

    start = time.perf_counter()
    answers = duty_batch(read_parquet(con, str(path)), as_of=AS_OF, output="ibis")
    con.to_parquet(answers, str(out))
    return time.perf_counter() - start, pq.ParquetDataset(str(out)).read(
        columns=["declaration_id"]).num_rows


def _counting(con: Any, path: Path) -> tuple[float, int, float]:
    from tradeguard.data.backends import read_parquet
    from tradeguard.monitor.counting import cumulative, specs_for
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    specs = [spec for mid in sorted(rules.safeguards) for spec in specs_for(rules, mid)]
    start = time.perf_counter()
    # Ibis' own execution: it registers the small lookup tables the expression joins.
    rows = cumulative(read_parquet(con, str(path)), specs, rules, AS_OF).to_pyarrow()
    seconds = time.perf_counter() - start
    tonnes = sum(float(v) for v in rows.column("quantity_t").to_pylist() if v is not None)
    return seconds, rows.num_rows, tonnes


def _both(con: Any, decl: Path, imports: Path, work: Path, tag: str) -> dict[str, Any]:
    duty_s, duty_rows = _duty(con, decl, work / f"answers-{tag}")
    count_s, count_rows, tonnes = _counting(con, imports)
    return {"duty_seconds": round(duty_s, 2), "duty_rows": duty_rows,
            "counting_seconds": round(count_s, 2), "counting_rows": count_rows,
            "counted_tonnes": tonnes}


def judged(duck: dict[str, Any], spark: dict[str, Any]) -> list[dict[str, Any]]:
    """Parity of the two backends on the same Parquet (speed is information only)."""
    scale = max(1.0, abs(duck["counted_tonnes"]))
    return [target("spark duty answers differing in number from DuckDB's",
                   abs(spark["duty_rows"] - duck["duty_rows"]), 0),
            target("spark counting rows differing in number from DuckDB's",
                   abs(spark["counting_rows"] - duck["counting_rows"]), 0),
            target("spark counted tonnes, relative difference from DuckDB",
                   abs(spark["counted_tonnes"] - duck["counted_tonnes"]) / scale,
                   TONNES_TOLERANCE)]


def run(*, quick: bool = False, rows: int | None = None, seed: int = DEFAULT_SEED) -> dict:
    if quick and rows is None:
        print("spark: skipped in --quick (Spark's fixed costs alone exceed the quick budget; "
              "run python -m bench.run --only spark)")
        return {"skipped": "--quick: Spark's session and per-job costs exceed the quick budget"}
    if shutil.which("java") is None:
        print("spark: skipped (no Java runtime)")
        return {"skipped": "no Java runtime"}
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("spark: skipped (pyspark not installed: pip install 'tradeguard[spark]')")
        return {"skipped": "pyspark not installed"}
    import ibis

    from tradeguard.data.backends import local_spark_session, spark_backend

    n = rows or ROWS
    load_before = load_average()
    work = Path(tempfile.mkdtemp(prefix="tg-bench-spark-"))
    try:
        decl, imports = work / "declarations.parquet", work / "imports.parquet"
        pq.write_table(declarations(n, seed), decl)
        pq.write_table(import_records(n, seed), imports)
        duck = _both(ibis.duckdb.connect(), decl, imports, work, "duckdb")
        t0 = time.perf_counter()
        session = local_spark_session("local[2]", shuffle_partitions=4)
        session.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter() - t0
        try:
            spark = _both(spark_backend(session), decl, imports, work, "spark")
        finally:
            session.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {"benchmark": NAME, "rows": n, "data": source_label(seed), "duckdb": duck,
               "spark_local2": {**spark, "session_start_seconds": round(started, 2)},
               "spark_over_duckdb": {
                   "duty": round(spark["duty_seconds"] / duck["duty_seconds"], 2),
                   "counting": round(spark["counting_seconds"] / duck["counting_seconds"], 2)},
               "machine": machine_info(),
               "load_average": {"before": load_before, "after": load_average()},
               "targets_judged": judged(duck, spark)}
    write_results(NAME, results)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    run(quick=args.quick, rows=args.rows)
