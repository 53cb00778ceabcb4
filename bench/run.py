"""Run the benchmark modules: ``python -m bench.run [--quick | --scale] [--only NAME ...]``.

A benchmark module is any ``bench/bench_<name>.py`` that defines ``run(*, quick: bool) -> dict``;
it is found by its file name, so a new benchmark registers itself by existing.  Each module
prints its own table, writes ``bench/results/<name>.json`` and returns ``targets_judged``
(built with ``bench.common.target``): every issue target of its path, value, target, met or
missed.

Each module runs in a child process of its own (``python -m bench.run --child MODULE``), so
its peak memory and any state it leaves behind are its own.  ``--scale`` runs instead each
module's ``run_scale()`` (the 100 M-row cases), skipping, with a note, modules without one.

``bench/results/summary.json`` is merged, not overwritten: a module run now replaces only its
own entry (with its ``run_at``, ``quick`` and ``scale`` flags, seconds, CPU seconds and peak
memory); the other modules' last entries stay.  ``runs`` holds, once per run, the machine and
its load average before and after; ``targets`` counts met and missed over every entry.
All benchmark data are synthetic and labelled so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench import common

BENCH_DIR = Path(__file__).resolve().parent
SCALE_HOOK = "run_scale"


def discover() -> dict[str, str]:
    """Benchmark modules by name (``bench_<name>.py``), in name order, without importing them."""
    return {path.stem.removeprefix("bench_"): f"bench.{path.stem}"
            for path in sorted(BENCH_DIR.glob("bench_*.py"))}


# ---------------------------------------------------------------------------- the child side

def child(module_name: str, *, quick: bool, scale: bool, result_file: Path) -> int:
    """Run one module in this (child) process and write what the parent records."""
    out: dict[str, Any] = {"status": "ok"}
    try:
        module = importlib.import_module(module_name)
        hook = getattr(module, SCALE_HOOK if scale else "run", None)
        if not callable(hook):
            out = {"status": "skipped", "note": f"{module_name} defines no {SCALE_HOOK}()"
                   if scale else f"{module_name} defines no run()"}
        else:
            result = hook() if scale else hook(quick=quick)
            if isinstance(result, dict):
                if result.get("skipped"):
                    out = {"status": "skipped", "note": str(result["skipped"])}
                out["targets"] = list(result.get("targets_judged") or [])
    except Exception as exc:  # reported to the parent, which carries on with the other modules
        traceback.print_exc()
        out = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    out["peak_rss_mb"] = common.peak_rss_mb()
    result_file.write_text(json.dumps(out, default=str))
    return 0 if out["status"] != "failed" else 1


# --------------------------------------------------------------------------- the parent side

def _child_env() -> dict[str, str]:
    """The child finds what this process finds (``bench`` and a test's own modules)."""
    paths = [p for p in sys.path if p and Path(p).is_dir()]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_module(name: str, module_name: str, *, quick: bool, scale: bool) -> dict[str, Any]:
    """One module in a child process: its status, targets, seconds, CPU seconds, peak memory."""
    with tempfile.TemporaryDirectory(prefix="tg-bench-run-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "bench.run", "--child", module_name,
               "--result-file", str(result_file)] + (["--quick"] if quick else []) + (
               ["--scale"] if scale else [])
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=_child_env())
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        try:
            entry = json.loads(result_file.read_text())
        except (OSError, ValueError):
            entry = {"status": "failed",
                     "error": f"the child process ended with exit code {proc.returncode} "
                              "and no result (killed, or out of memory?)"}
    entry.update({
        "seconds": round(seconds, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        # ru_maxrss of a reaped child: the largest of the child and its own children.
        "peak_rss_mb_with_children": round(usage.ru_maxrss / 1024, 1),
    })
    return entry


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return summary if isinstance(summary.get("benchmarks"), dict) else {}


def merge(previous: Mapping[str, Any], run_info: dict[str, Any],
          entries: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """The summary after this run: its entries replace only their own modules' entries."""
    benchmarks = {**previous.get("benchmarks", {}), **entries}
    runs = {**previous.get("runs", {}), run_info["run_at"]: run_info}
    runs = {at: info for at, info in runs.items()
            if any(e.get("run_at") == at for e in benchmarks.values())}
    met = sum(t.get("met") is True for e in benchmarks.values() for t in e.get("targets", []))
    judged = sum(len(e.get("targets", [])) for e in benchmarks.values())
    return {"benchmarks": dict(sorted(benchmarks.items())), "runs": runs,
            "targets": {"met": met, "missed": judged - met, "judged": judged,
                        "modules_without_targets": sorted(
                            n for n, e in benchmarks.items()
                            if e.get("status") == "ok" and not e.get("targets"))}}


def write_summary(run_info: dict[str, Any], entries: Mapping[str, dict[str, Any]]) -> Path:
    path = common.RESULTS_DIR / "summary.json"
    return common.write_results("summary", merge(_read_summary(path), run_info, entries))


def _print_totals(entries: Mapping[str, dict[str, Any]], total: float) -> None:
    print("== bench: seconds (CPU seconds, peak MB) per module")
    for key, e in entries.items():
        targets = e.get("targets", [])
        met = sum(t.get("met") is True for t in targets)
        print(f"  {key:<16} {e['status']:<8} {e['seconds']:>7.1f} s  ({e['cpu_seconds']:>7.1f} "
              f"CPU-s, {e.get('peak_rss_mb') or 0:>7.0f} MB)  targets met {met} of {len(targets)}"
              + (f"  [{e.get('note') or e.get('error')}]" if e["status"] != "ok" else ""))
    print(f"  {'total':<16} {'':<8} {total:>7.1f} s", flush=True)


def run_all(modules: Mapping[str, str], *, quick: bool = False,
            scale: bool = False) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Run ``modules`` (name -> importable module) one child at a time; write the summary."""
    run_at = dt.datetime.now().isoformat(timespec="seconds")
    run_info = {"run_at": run_at, "quick": quick, "scale": scale, "modules": list(modules),
                "machine": common.machine_info()}
    entries: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for name, module_name in modules.items():
        key = f"{name}:scale" if scale else name
        print(f"== bench {key}{' (quick)' if quick else ''}", flush=True)
        entries[key] = {"run_at": run_at, "quick": quick, "scale": scale,
                        **run_module(name, module_name, quick=quick, scale=scale)}
        write_summary(run_info, entries)  # a run stopped partway keeps what it finished
    run_info["seconds"] = round(time.perf_counter() - start, 1)
    run_info["load_average_1min_after"] = common.load_average()
    _print_totals(entries, run_info["seconds"])
    return _read_summary(write_summary(run_info, entries)), entries


def main(argv: list[str] | None = None) -> int:
    modules = discover()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs (target: under 2 minutes)")
    parser.add_argument("--scale", action="store_true",
                        help=f"the 100 M-row cases: each module's {SCALE_HOOK}() (long)")
    parser.add_argument("--only", nargs="+", choices=sorted(modules), metavar="NAME",
                        help=f"run only these ({', '.join(sorted(modules))})")
    parser.add_argument("--child", metavar="MODULE", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, quick=args.quick, scale=args.scale, result_file=args.result_file)
    chosen = {n: m for n, m in modules.items() if not args.only or n in args.only}
    summary, entries = run_all(chosen, quick=args.quick, scale=args.scale)
    t = summary["targets"]
    print(f"summary: {common.RESULTS_DIR / 'summary.json'}: targets met {t['met']}, "
          f"missed {t['missed']} of {t['judged']} (every module's last entry)")
    failed = [n for n, e in entries.items() if e["status"] == "failed"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
