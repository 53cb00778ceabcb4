"""Benchmark: batch duty determination against its baselines, measured in one run.

Figures (all on the same synthetic table, in the same process, same machine):

* **engine** -- ``tradeguard.duty_batch(table, as_of=2026-11-27)``, Arrow in and
  Arrow out; best of a first run and the timed rounds.
* **floor** -- a bare DuckDB scan of the same table (``SELECT sum(customs_value)``
  over the Arrow table registered in DuckDB): no engine can beat this.
* **baseline A** -- a per-row Python loop calling the scalar
  :func:`tradeguard.engine.duty.duty` on a sample, extrapolated to all rows.
  Ratio = loop time / engine time; target at least 50x.
* **baseline B** -- hand-written DuckDB SQL for the plain ad valorem case: a flat
  rates table (one row per line, origin, regime, fiscal year and validity
  interval, safeguard windows overlaid as their own rows) built from the
  loaded rules, joined to the declarations on line, origin and fiscal year
  with ``date >= valid_from AND date < valid_to`` once per regime, the minimum
  duty taken per declaration (ties to the preference).  It returns the same
  columns as the engine.  Checked equal to the engine on the first 100,000
  rows before it is timed.  Ratio = engine time / SQL time; target within 2x.
  A second, literal formulation (one long join, then ``GROUP BY`` declaration
  with ``arg_min``) is timed for information.
* **CLI cold start** -- ``tradeguard duty ... --json`` in fresh processes.

The engine, baseline B and the floor are timed in interleaved rounds, so load
from elsewhere on the machine slows each of them alike.

The data are synthetic (``bench.synthetic``, seeded); every printed table and
the JSON results say so.  Speed is reported as ratios between figures measured
in the same run, because absolute times are noisy on shared machines.

Run: ``python -m bench.bench_duty [--rows N] [--quick]`` or ``python -m bench.run``.
Results: ``bench/results/duty.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.common import best_of, print_table, target
from bench.synthetic import DEFAULT_SEED, declarations, source_label

NAME = "duty"
AS_OF = dt.date(2026, 11, 27)
DEFAULT_ROWS = 10_000_000
QUICK_ROWS = 500_000
LOOP_SAMPLE = 5_000
VERIFY_ROWS = 100_000
ROUNDS = 3  # interleaved rounds of engine, SQL baselines and floor
FLOOR_REPEATS = 5
CLI_RUNS = 5
TOLERANCE = 1e-6  # JPY, max abs difference between engine and SQL duty

TARGET_LOOP_RATIO = 50.0  # engine at least this many times faster than the per-row loop
TARGET_SQL_RATIO = 2.0  # engine at most this many times slower than hand-written SQL
# With input order kept and exact amounts: issue 12 allows 10 % over the recorded 0.90 x SQL,
# issue 15 asks for 0.6 x; both judged on the median of the per-round ratios.
TARGET_ORDERED_EXACT = 0.99
TARGET_ISSUE_15 = 0.6
TARGET_CLI_SECONDS = 1.0
# The scale case (issue 15): declarations streamed from Parquet on disk, in a child process.
SCALE_ROWS = 100_000_000
SCALE_CHUNK_ROWS = 2_000_000  # rows generated, written (one row group) and priced at a time
SCALE_VERIFY_ROWS = 100_000
TARGET_SCALE_PEAK_GIB = 4.0

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
CLI_ARGS = ["duty", "--line", "0202.30", "--origin", "US", "--date", "2021-03-20", "--json"]


class BenchmarkError(RuntimeError):
    """A baseline disagreed with the engine; its timing would be meaningless."""


# --------------------------------------------------------------------------- helpers

def _machine() -> dict[str, Any]:
    mem_total = None
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem_total = f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    import ibis

    return {
        "cores": os.cpu_count(),
        "memory": mem_total,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "ibis": ibis.__version__,
        "pyarrow": pa.__version__,
        "numpy": np.__version__,
    }


# --------------------------------------------------------------------------- baseline A

def bench_loop(table: pa.Table, n_total: int,
               sample: int = LOOP_SAMPLE) -> tuple[dict[str, Any], dict[int, tuple[str, float]]]:
    """Per-row scalar calls on the first ``sample`` rows (the rows are i.i.d.), extrapolated."""
    from tradeguard.engine.duty import duty

    rows = table.slice(0, sample).select(
        ["declaration_id", "tariff_line", "origin", "date", "customs_value", "quantity"]
    ).to_pylist()
    first = rows[0]
    duty(first["tariff_line"], first["origin"], first["date"], first["customs_value"],
         first["quantity"], as_of=AS_OF)  # warm-up: loads and caches the rules
    amounts: dict[int, tuple[str, float]] = {}
    start = time.perf_counter()
    for r in rows:
        result = duty(r["tariff_line"], r["origin"], r["date"], r["customs_value"],
                      r["quantity"], as_of=AS_OF)
        amounts[r["declaration_id"]] = (result.chosen.regime, result.chosen.duty_amount)
    elapsed = time.perf_counter() - start
    per_row = elapsed / len(rows)
    return {"sample_rows": len(rows), "sample_seconds": elapsed, "seconds_per_row": per_row,
            "seconds": per_row * n_total, "extrapolated": True,
            "declarations_per_second": 1 / per_row}, amounts


# --------------------------------------------------------------------------- baseline B

def _regime_order(regimes: set[str]) -> list[str]:
    from tradeguard.engine.duty import MFN

    return sorted(regimes, key=lambda r: (r == MFN, r))  # preferences by name, MFN last


def build_rates(table: pa.Table) -> tuple[pa.Table, list[str]]:
    """A flat rates table for the (line, origin) pairs in ``table``, from the shipped rules.

    One row per line, origin, regime, fiscal year and validity interval
    ``[valid_from, valid_to)``, with the ad valorem percent and whether it is a
    safeguard duty (safeguard activation windows are overlaid by
    :func:`tradeguard.engine.segments.regime_pieces`).  Intervals are clipped to the
    data's date range and cut at each 1 April so that the join can use the fiscal
    year as an equality key.  Raises if any duty is not plain ad valorem.
    """
    from tradeguard.engine import expressions as ex
    from tradeguard.engine.duty import official_activations
    from tradeguard.engine.segments import fiscal_cuts, fiscal_year, regime_pieces
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    ledger = official_activations(rules)
    lo, hi = (v.as_py() for v in pc.min_max(table.column("date")).values())
    hi_excl = hi + dt.timedelta(days=1)
    lines = pc.unique(table.column("tariff_line")).to_pylist()
    origins = pc.unique(table.column("origin")).to_pylist()

    pieces_by_key = {(line, origin): regime_pieces(rules, ledger, line, origin, AS_OF)
                     for line in lines for origin in origins}
    regimes = _regime_order({r for pieces in pieces_by_key.values() for r in pieces})
    rank = {r: i for i, r in enumerate(regimes)}
    rows = []
    for (line, origin), pieces in pieces_by_key.items():
        for regime, plist in pieces.items():
            for p in plist:
                percent = ex.ad_valorem_percent(p.expr)
                if percent is None or ex.needs(p.expr) != {"customs_value"}:
                    raise BenchmarkError(
                        f"baseline B covers plain ad valorem duties only; {regime} on {line} "
                        f"from {origin} charges {ex.format_duty(p.expr)}")
                start, end = max(p.start, lo), min(p.end, hi_excl)
                for a, b in fiscal_cuts(start, end) if start < end else []:
                    rows.append({"tariff_line": line, "origin": origin, "regime": regime,
                                 "precedence": rank[regime], "fy": fiscal_year(a),
                                 "valid_from": a, "valid_to": b, "percent": float(percent),
                                 "safeguard": p.safeguard})
    schema = pa.schema([("tariff_line", pa.string()), ("origin", pa.string()),
                        ("regime", pa.string()), ("precedence", pa.int64()), ("fy", pa.int64()),
                        ("valid_from", pa.date32()), ("valid_to", pa.date32()),
                        ("percent", pa.float64()), ("safeguard", pa.bool_())])
    return pa.Table.from_pylist(rows, schema=schema), regimes


_FY = "year(date) - CASE WHEN month(date) < 4 THEN 1 ELSE 0 END"


def sql_per_regime(columns: list[str], regimes: list[str]) -> str:
    """One query: a declaration-to-rates interval join per regime, then the least duty."""
    from tradeguard.engine.duty import MFN, TIE_DECIMALS

    scale = 10**TIE_DECIMALS
    joins = "\n".join(
        f"{'JOIN' if r == MFN else 'LEFT JOIN'} (SELECT * FROM rates WHERE regime = '{r}') AS r_{r}"
        f" ON r_{r}.tariff_line = d.tariff_line AND r_{r}.origin = d.origin AND r_{r}.fy = d.fy"
        f" AND d.date >= r_{r}.valid_from AND d.date < r_{r}.valid_to"
        for r in regimes)
    passthrough = ", ".join(f'"{c}"' for c in columns)
    pick = " ".join
    return f"""
WITH d AS (SELECT *, {_FY} AS fy FROM declarations),
joined AS (
  SELECT d.*, {", ".join(f"r_{r}.percent AS pct_{r}, r_{r}.precedence AS rank_{r}, r_{r}.safeguard AS sg_{r}" for r in regimes)}
  FROM d
  {joins}
),
duties AS (SELECT *, {", ".join(f"customs_value * pct_{r} / 100.0 AS duty_{r}" for r in regimes)} FROM joined),
keyed AS (SELECT *, {", ".join(f"CAST(round(duty_{r} * {scale}) AS BIGINT) * 64 + rank_{r} AS key_{r}" for r in regimes)} FROM duties),
best AS (SELECT *, least({", ".join(f"key_{r}" for r in regimes)}) AS key_best FROM keyed)
SELECT {passthrough},
  CASE {pick(f"WHEN key_{r} = key_best THEN '{r}'" for r in regimes)} END AS chosen_regime,
  CASE {pick(f"WHEN key_{r} = key_best THEN duty_{r}" for r in regimes)} END AS duty_amount,
  CASE {pick(f"WHEN key_{r} = key_best THEN sg_{r}" for r in regimes)} ELSE FALSE END AS safeguard,
  {", ".join(f"duty_{r}" for r in regimes)}
FROM best
"""


def sql_group_by() -> str:
    """The literal formulation: one long join, then the minimum per declaration by GROUP BY."""
    from tradeguard.engine.duty import TIE_DECIMALS

    duty = "d.customs_value * r.percent / 100.0"
    key = f"CAST(round({duty} * {10**TIE_DECIMALS}) AS BIGINT) * 64 + r.precedence"
    return f"""
SELECT declaration_id, best.regime AS chosen_regime, best.duty AS duty_amount,
       best.safeguard AS safeguard
FROM (
  SELECT d.declaration_id,
         arg_min({{'regime': r.regime, 'duty': {duty}, 'safeguard': r.safeguard}}, {key}) AS best
  FROM (SELECT *, {_FY} AS fy FROM declarations) AS d
  JOIN rates AS r
    ON r.tariff_line = d.tariff_line AND r.origin = d.origin AND r.fy = d.fy
   AND d.date >= r.valid_from AND d.date < r.valid_to
  GROUP BY d.declaration_id
)
"""


def _connect(table: pa.Table, rates: pa.Table) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.register("declarations", table)
    con.register("rates", rates)
    return con


def verify(engine_out: pa.Table, sql_out: pa.Table, label: str) -> dict[str, Any]:
    """Same declarations, same chosen duty (max abs diff < TOLERANCE), same regime."""
    con = duckdb.connect()
    con.register("e", engine_out.select(["declaration_id", "chosen_regime", "duty_amount"]))
    con.register("s", sql_out.select(["declaration_id", "chosen_regime", "duty_amount"]))
    n_e, n_s, matched, max_diff, regime_mismatch = con.sql("""
        SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM s), count(*),
               -- the engine's amounts are exact decimals to 1/10,000 yen (half up)
               coalesce(max(abs(e.duty_amount - round(s.duty_amount, 4))), 0),
               count(*) FILTER (WHERE e.chosen_regime IS DISTINCT FROM s.chosen_regime)
        FROM e JOIN s USING (declaration_id)""").fetchall()[0]
    con.close()
    problems = []
    if not n_e == n_s == matched:
        problems.append(f"row counts differ: engine {n_e}, SQL {n_s}, matched {matched}")
    if max_diff is None or not max_diff < TOLERANCE:
        problems.append(f"duty_amount differs by up to {max_diff} JPY (tolerance {TOLERANCE})")
    if regime_mismatch:
        problems.append(f"{regime_mismatch} declaration(s) chose a different regime")
    if problems:
        raise BenchmarkError(f"{label} disagrees with the engine on the first {n_e} rows: "
                             + "; ".join(problems))
    return {"rows": matched, "max_abs_diff": max_diff, "regime_mismatches": regime_mismatch}


def prepare_sql(table: pa.Table, verify_rows: int = VERIFY_ROWS) -> dict[str, Any]:
    """Build the rates table and both queries, and check them against the engine."""
    import tradeguard

    start = time.perf_counter()
    rates, regimes = build_rates(table)
    rates_seconds = time.perf_counter() - start
    per_regime, group_by = sql_per_regime(table.column_names, regimes), sql_group_by()

    head = table.slice(0, min(verify_rows, table.num_rows))
    engine_head = tradeguard.duty_batch(head, as_of=AS_OF)
    con = _connect(head, rates)
    checks = {"per_regime": verify(engine_head, con.sql(per_regime).to_arrow_table(),
                                   "baseline B (per-regime interval joins)"),
              "group_by": verify(engine_head, con.sql(group_by).to_arrow_table(),
                                 "baseline B (long join + GROUP BY)")}
    con.close()
    return {"rates": rates, "regimes": regimes, "rates_build_seconds": rates_seconds,
            "per_regime": per_regime, "group_by": group_by, "verified": checks}


# --------------------------------------------------------------------------- timed rounds

def timed_rounds(table: pa.Table, sql: dict[str, Any], rounds: int = ROUNDS) -> dict[str, Any]:
    """Engine, both SQL baselines and the floor, interleaved round by round.

    Interleaving means a burst of load from elsewhere on the machine slows the
    engine and its baselines alike; each figure is the best of its runs.  The
    engine runs once more before the rounds (its first run, with the imports,
    the rule loading and DuckDB's warm-up, is reported separately).
    """
    import tradeguard

    def engine() -> int:
        return tradeguard.duty_batch(table, as_of=AS_OF).num_rows

    con = _connect(table, sql["rates"])
    threads = con.sql("SELECT current_setting('threads')").fetchall()[0][0]

    def per_regime() -> int:
        return con.sql(sql["per_regime"]).to_arrow_table().num_rows

    def group_by() -> int:
        return con.sql(sql["group_by"]).to_arrow_table().num_rows

    def floor() -> float:
        return con.sql("SELECT sum(customs_value) FROM declarations").fetchall()[0][0]

    load_before = os.getloadavg()
    first, _ = best_of(engine, 1)
    runs: dict[str, list[float]] = {"engine": [], "per_regime": [], "group_by": [], "floor": []}
    for _ in range(max(2, rounds)):
        for name, fn in (("engine", engine), ("per_regime", per_regime),
                         ("group_by", group_by)):
            times, n_out = best_of(fn, 1)
            if n_out != table.num_rows:
                raise BenchmarkError(f"{name} returned {n_out:,} rows for {table.num_rows:,}")
            runs[name] += times
        runs["floor"] += best_of(floor, FLOOR_REPEATS)[0]
    con.close()
    n = table.num_rows

    def figure(name: str) -> dict[str, Any]:
        best = min(runs[name])
        return {"seconds": best, "runs": runs[name], "declarations_per_second": n / best}

    engine_fig = figure("engine") | {"first_run": first[0]}
    if first[0] < engine_fig["seconds"]:  # the first run counts too when it was the fastest
        engine_fig |= {"seconds": first[0], "declarations_per_second": n / first[0]}
    sql_fig = figure("per_regime") | {
        "rates_rows": sql["rates"].num_rows, "rates_build_seconds": sql["rates_build_seconds"],
        "regimes": sql["regimes"], "verified": sql["verified"],
        "group_by_variant": figure("group_by"),
        "sql": sql["per_regime"].strip(), "sql_group_by": sql["group_by"].strip()}
    floor_fig = figure("floor") | {"duckdb_threads": threads}
    return {"engine": engine_fig, "sql": sql_fig, "floor": floor_fig,
            "load_average_before": load_before, "load_average_after": os.getloadavg()}


# --------------------------------------------------------------------------- CLI

def _cli_path() -> Path:
    for candidate in (ROOT / ".venv" / "bin" / "tradeguard", Path(sys.executable).parent / "tradeguard"):
        if candidate.exists():
            return candidate
    raise BenchmarkError("no `tradeguard` executable in .venv/bin; run `make install` first")


def bench_cli(runs: int = CLI_RUNS) -> dict[str, Any]:
    exe = _cli_path()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(exe), *CLI_ARGS], capture_output=True, text=True,
                              cwd=ROOT, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise BenchmarkError(f"`tradeguard {' '.join(CLI_ARGS)}` failed: {done.stderr[-500:]}")
    chosen = json.loads(done.stdout).get("chosen") or {}
    return {"command": f".venv/bin/tradeguard {' '.join(CLI_ARGS)}", "runs": times,
            "median_seconds": statistics.median(times), "best_seconds": min(times),
            "answer": {"regime": chosen.get("regime"), "duty": chosen.get("duty")}}


# --------------------------------------------------------------------------- scale case

# Runs in a fresh interpreter so that its peak RSS is the stream's own, not the parent's.
_STREAM_CHILD = """
import datetime as dt, json, resource, sys, time
start_cpu, start = time.process_time(), time.perf_counter()
import tradeguard as tg
written = tg.duty_batch_parquet(sys.argv[1], sys.argv[2], as_of=dt.date.fromisoformat(sys.argv[3]),
                                batch_rows=int(sys.argv[4]))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"written": written, "seconds": time.perf_counter() - start,
                  "cpu_user_seconds": usage.ru_utime, "cpu_system_seconds": usage.ru_stime,
                  "peak_rss_bytes": usage.ru_maxrss * 1024}))
"""


def write_parquet(path: Path, n: int, seed: int = DEFAULT_SEED,
                  chunk_rows: int = SCALE_CHUNK_ROWS) -> dict[str, Any]:
    """``n`` synthetic declarations to one Parquet file, generated and written chunk by chunk
    (never all in memory).  Chunk ``i`` is ``bench.synthetic.declarations`` with seed
    ``seed + i``, labelled so in its ``source`` column; ids run 0..n-1 across the chunks."""
    start = time.perf_counter()
    writer = None
    for i, first in enumerate(range(0, n, chunk_rows)):
        part = declarations(min(chunk_rows, n - first), seed=seed + i)
        ids = pa.array(np.arange(first, first + part.num_rows, dtype=np.int64))
        part = part.set_column(part.schema.get_field_index("declaration_id"), "declaration_id", ids)
        writer = writer or pq.ParquetWriter(path, part.schema)
        writer.write_table(part, row_group_size=chunk_rows)
    if writer is not None:
        writer.close()
    return {"rows": n, "seconds": time.perf_counter() - start, "bytes": path.stat().st_size,
            "chunk_rows": chunk_rows, "seeds": f"{seed} .. {seed + max(0, -(-n // chunk_rows) - 1)}"}


def _verify_stream(source: Path, dest: Path, rows: int = SCALE_VERIFY_ROWS) -> dict[str, Any]:
    """The streamed answers on the first rows equal ``duty_batch`` on those rows."""
    import tradeguard

    head_in = pa.Table.from_batches([next(pq.ParquetFile(source).iter_batches(rows))])
    head_out = pa.Table.from_batches([next(pq.ParquetFile(dest).iter_batches(rows))])
    expected = tradeguard.duty_batch(head_in, as_of=AS_OF)
    if not head_out.select(expected.column_names).equals(expected.combine_chunks()):
        raise BenchmarkError(f"the streamed answers differ from duty_batch on the first "
                             f"{head_in.num_rows:,} rows")
    return {"rows": head_in.num_rows, "equal_to_duty_batch": True}


def run_scale(*, rows: int = SCALE_ROWS, seed: int = DEFAULT_SEED, batch_rows: int = SCALE_CHUNK_ROWS,
              workdir: Path | None = None, output: Path | None = None,
              source: Path | None = None,
              echo: Callable[[str], None] = print, **_: Any) -> dict[str, Any]:
    """Issue 15's scale case: ``rows`` synthetic declarations written to Parquet in chunks,
    priced by ``tradeguard.duty_batch_parquet`` in a child process (its time, CPU and peak
    RSS), checked against ``duty_batch`` on the first rows; the files are deleted after.
    ``source`` reuses a file ``write_parquet`` wrote earlier with the same rows and seed
    (kept after the run).  Writes ``bench/results/duty_scale.json``."""
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="tradeguard-duty-scale-", dir=workdir))
    try:
        dest = tmp / "duty.parquet"
        if source is None:
            source = tmp / "declarations.parquet"
            echo(f"[duty scale] writing {rows:,} synthetic declarations to {source} ...")
            generated = write_parquet(source, rows, seed, batch_rows)
        else:
            generated = {"rows": pq.ParquetFile(source).metadata.num_rows, "reused": str(source),
                         "bytes": source.stat().st_size}
        echo("[duty scale] streaming duty_batch_parquet in a child process ...")
        load_before = os.getloadavg()
        done = subprocess.run([sys.executable, "-c", _STREAM_CHILD, str(source), str(dest),
                               AS_OF.isoformat(), str(batch_rows)], capture_output=True,
                              text=True, cwd=ROOT, check=False,
                              env=os.environ | {"PYTHONPATH": os.pathsep.join(filter(None, sys.path))})
        if done.returncode != 0:
            raise BenchmarkError(f"the streaming duty run failed: {done.stderr[-800:]}")
        child = json.loads(done.stdout.strip().splitlines()[-1])
        if child["written"]["rows"] != rows:
            raise BenchmarkError(f"the stream wrote {child['written']['rows']:,} rows for {rows:,}")
        verified = _verify_stream(source, dest)
        output_bytes = dest.stat().st_size
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    peak_gib = child["peak_rss_bytes"] / 1024**3
    results = {
        "benchmark": f"{NAME}_scale", "run_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rows": rows, "data": source_label(seed) + f" and following seeds, one per {batch_rows:,} rows",
        "as_of": AS_OF.isoformat(), "machine": _machine(), "generation": generated,
        "stream": child | {"declarations_per_second": rows / child["seconds"],
                           "peak_rss_gib": peak_gib, "batch_rows": batch_rows,
                           "output_bytes": output_bytes},
        "verified": verified, "load_average": {"before": load_before, "after": os.getloadavg()},
        "notes": ["Declarations are synthetic (bench/synthetic.py), generated chunk by chunk.",
                  "Time, CPU and peak RSS are the child process's own, imports included.",
                  "The Parquet files were deleted after the run."],
    }
    results["targets_judged"] = [target(f"{rows / 1e6:,.0f} M declarations from Parquet, "
                                        "peak GiB", peak_gib, TARGET_SCALE_PEAK_GIB)]
    echo(f"[duty scale] {rows:,} declarations in {child['seconds']:,.1f} s "
         f"({rows / child['seconds']:,.0f} /s; CPU {child['cpu_user_seconds']:,.1f} s user + "
         f"{child['cpu_system_seconds']:,.1f} s system), peak RSS {peak_gib:.2f} GiB; "
         f"Parquet in {generated['bytes'] / 1e9:.1f} GB, out {output_bytes / 1e9:.1f} GB")
    path = output or RESULTS_DIR / f"{NAME}_scale.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return results


# --------------------------------------------------------------------------- report

def _fmt_s(seconds: float) -> str:
    return f"{seconds:.3f} s" if seconds < 100 else f"{seconds:,.0f} s"


def _fmt_rate(rate: float | None) -> str:
    return "" if rate is None else f"{rate:,.0f} /s"


def report(results: dict[str, Any]) -> list[list[str]]:
    f, r = results["figures"], results["ratios"]
    loop = f["baseline_a_loop"]
    sql = f["baseline_b_sql"]
    cli = f["cli_cold_start"]
    ok = {True: "met", False: "MISSED"}
    return [
        ["engine duty_batch (best)", _fmt_s(f["engine"]["seconds"]),
         _fmt_rate(f["engine"]["declarations_per_second"]), "", "",
         f"first run {f['engine']['first_run']:.2f} s; rounds "
         f"{', '.join(f'{t:.2f}' for t in f['engine']['runs'])} s"],
        ["floor: DuckDB sum(customs_value)", _fmt_s(f["floor"]["seconds"]),
         _fmt_rate(results["rows"] / f["floor"]["seconds"]),
         f"engine/floor {r['engine_over_floor']:,.0f}x", "", ""],
        ["baseline A: per-row loop (extrapolated)", _fmt_s(loop["seconds"]),
         _fmt_rate(loop["declarations_per_second"]), f"{r['loop_over_engine']:,.0f}x",
         f">= {TARGET_LOOP_RATIO:.0f}x {ok[r['loop_target_met']]}",
         f"{loop['sample_rows']:,} rows timed in {loop['sample_seconds']:.2f} s, x{results['rows'] / loop['sample_rows']:,.0f}"],
        ["baseline B: SQL per-regime interval joins", _fmt_s(sql["seconds"]),
         _fmt_rate(sql["declarations_per_second"]), f"{r['engine_over_sql']:.2f}x",
         f"<= {TARGET_SQL_RATIO:.0f}x {ok[r['sql_target_met']]}",
         f"per round {', '.join(f'{x:.2f}' for x in r['engine_over_sql_by_round'])}x "
         f"(median {r['engine_over_sql_median_round']:.2f}x: <= {TARGET_ORDERED_EXACT}x "
         f"{ok[r['ordered_exact_target_met']]}, <= {TARGET_ISSUE_15}x "
         f"{ok[r['issue_15_target_met']]}); verified on {sql['verified']['per_regime']['rows']:,} rows, max diff "
         f"{sql['verified']['per_regime']['max_abs_diff']:.1e}"],
        ["  variant: long join + GROUP BY arg_min", _fmt_s(sql["group_by_variant"]["seconds"]),
         _fmt_rate(sql["group_by_variant"]["declarations_per_second"]),
         f"{r['engine_over_sql_group_by']:.2f}x", "(information)", ""],
        ["CLI cold start (median of 5)", _fmt_s(cli["median_seconds"]), "", "",
         f"< {TARGET_CLI_SECONDS:.0f} s {ok[r['cli_target_met']]}",
         f"best {cli['best_seconds']:.3f} s"],
    ]


def print_report(results: dict[str, Any]) -> None:
    title = (f"tradeguard duty benchmark: {results['rows']:,} declarations, "
             f"{results['data']} -- {results['machine']['cores']} cores")
    header = ["measure", "time", "declarations/s", "ratio", "target", "note"]
    print_table(title, header, report(results), width=200)
    print(f"Data: {results['data']} -- synthetic declarations, not customs records.")
    print("Baseline A is extrapolated from the timed sample to all rows.")


# --------------------------------------------------------------------------- entry points

def run(*, quick: bool = False, rows: int | None = None, seed: int = DEFAULT_SEED,
        loop_sample: int = LOOP_SAMPLE, rounds: int = ROUNDS, output: Path | None = None,
        parquet_rows: int | None = None,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every measurement, print the table and write ``bench/results/duty.json``; with
    ``parquet_rows`` the scale case (:func:`run_scale`) runs too and is judged with them."""
    n = rows if rows is not None else (QUICK_ROWS if quick else DEFAULT_ROWS)
    label = source_label(seed)
    echo(f"[duty] generating {n:,} declarations ({label}) ...")
    start = time.perf_counter()
    table = declarations(n, seed=seed)
    gen_seconds = time.perf_counter() - start

    echo("[duty] baseline B: build the rates table, check it equals the engine ...")
    sql_prep = prepare_sql(table)
    echo(f"[duty] engine, baseline B and floor, {max(2, rounds)} interleaved rounds ...")
    timed = timed_rounds(table, sql_prep, rounds)
    engine, sql, floor = timed["engine"], timed["sql"], timed["floor"]
    echo(f"[duty] baseline A (per-row loop on {min(loop_sample, n):,} rows) ...")
    loop, loop_answers = bench_loop(table, n, min(loop_sample, n))
    loop["verified"] = _verify_loop(table, loop_answers)
    echo("[duty] CLI cold start ...")
    cli = bench_cli()

    e = engine["seconds"]
    results: dict[str, Any] = {
        "benchmark": NAME,
        "run_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rows": n, "seed": seed, "data": label, "as_of": AS_OF.isoformat(),
        "generation_seconds": gen_seconds, "machine": _machine(),
        "load_average": {"before": timed["load_average_before"],
                         "after": timed["load_average_after"]},
        "figures": {"engine": engine, "floor": floor, "baseline_a_loop": loop,
                    "baseline_b_sql": sql, "cli_cold_start": cli},
        "ratios": {
            "engine_over_floor": e / floor["seconds"],
            "loop_over_engine": loop["seconds"] / e,
            "loop_target_met": loop["seconds"] / e >= TARGET_LOOP_RATIO,
            "engine_over_sql": e / sql["seconds"],
            "sql_target_met": e / sql["seconds"] <= TARGET_SQL_RATIO,
            "engine_over_sql_by_round": (by_round := [a / b for a, b in zip(
                engine["runs"], sql["runs"], strict=True)]),
            "engine_over_sql_median_round": (median := statistics.median(by_round)),
            "ordered_exact_target_met": median <= TARGET_ORDERED_EXACT,
            "issue_15_target_met": median <= TARGET_ISSUE_15,
            "engine_over_sql_group_by": e / sql["group_by_variant"]["seconds"],
            "cli_target_met": cli["median_seconds"] < TARGET_CLI_SECONDS,
        },
        "targets": {"loop_over_engine_min": TARGET_LOOP_RATIO,
                    "engine_over_sql_max": TARGET_SQL_RATIO,
                    "engine_over_sql_median_round_max_issue_12": TARGET_ORDERED_EXACT,
                    "engine_over_sql_median_round_max_issue_15": TARGET_ISSUE_15,
                    "cli_median_seconds_max": TARGET_CLI_SECONDS},
        "notes": ["The declarations are synthetic (bench/synthetic.py), labelled "
                  f"'{label}' in their source column.",
                  f"Baseline A is timed on {loop['sample_rows']:,} rows and extrapolated "
                  f"linearly to {n:,}.",
                  "Engine and SQL times include Arrow materialisation of the full result."],
    }
    r = results["ratios"]
    results["targets_judged"] = [
        target("per-row loop / engine", r["loop_over_engine"], TARGET_LOOP_RATIO, at_most=False),
        target("engine / SQL (best to best)", r["engine_over_sql"], TARGET_SQL_RATIO),
        target("engine / SQL, median round (issue 12)", r["engine_over_sql_median_round"],
               TARGET_ORDERED_EXACT, note="input order kept, exact amounts"),
        target("engine / SQL, median round (issue 15)", r["engine_over_sql_median_round"],
               TARGET_ISSUE_15),
        target("CLI cold start, median seconds", cli["median_seconds"], TARGET_CLI_SECONDS)]
    if parquet_rows:
        scale = run_scale(rows=parquet_rows, seed=seed, echo=echo)
        results["scale"] = {k: scale[k] for k in ("rows", "stream", "verified")}
        results["targets_judged"] += scale["targets_judged"]
    print_report(results)
    path = output or RESULTS_DIR / f"{NAME}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    echo(f"[duty] results written to {path}")
    return results


def _verify_loop(table: pa.Table, answers: dict[int, tuple[str, float]]) -> dict[str, Any]:
    """The loop's answers equal the engine's on the sampled rows (a check, not a timing)."""
    import tradeguard

    ids = pa.array(sorted(answers), pa.int64())
    sample = table.filter(pc.is_in(table.column("declaration_id"), value_set=ids))
    out = tradeguard.duty_batch(sample, as_of=AS_OF).to_pydict()
    max_diff, mismatches = 0.0, 0
    for i, regime, amount in zip(out["declaration_id"], out["chosen_regime"],
                                 out["duty_amount"], strict=True):
        loop_regime, loop_amount = answers[i]
        max_diff = max(max_diff, abs(loop_amount - amount))
        mismatches += loop_regime != regime
    if len(out["declaration_id"]) != len(answers) or not max_diff < TOLERANCE or mismatches:
        raise BenchmarkError(f"the per-row loop disagrees with the engine: max diff {max_diff}, "
                             f"{mismatches} regime mismatch(es)")
    return {"rows": len(answers), "max_abs_diff": max_diff, "regime_mismatches": mismatches}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_duty", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=None,
                        help=f"declarations to generate (default {DEFAULT_ROWS:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS:,} rows")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--loop-sample", type=int, default=LOOP_SAMPLE,
                        help="rows timed in the per-row loop before extrapolating")
    parser.add_argument("--rounds", type=int, default=ROUNDS,
                        help="interleaved timing rounds (at least 2)")
    parser.add_argument("--output", type=Path, default=None, help="JSON results path")
    parser.add_argument("--parquet-rows", type=int, default=None, metavar="N",
                        help="only the scale case: N synthetic declarations streamed from "
                             f"Parquet (issue 15: {SCALE_ROWS:,})")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the scale case writes its Parquet files (deleted after)")
    parser.add_argument("--parquet-source", type=Path, default=None,
                        help="reuse a Parquet file an earlier scale run wrote (kept)")
    args = parser.parse_args(argv)
    try:
        if args.parquet_rows is not None:
            run_scale(rows=args.parquet_rows, seed=args.seed, workdir=args.workdir,
                      output=args.output, source=args.parquet_source)
            return 0
        run(quick=args.quick, rows=args.rows, seed=args.seed, loop_sample=args.loop_sample,
            rounds=args.rounds, output=args.output)
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
