"""Run every benchmark module: ``python -m bench.run [--quick] [--only NAME ...]``.

A benchmark module is any ``bench/bench_<name>.py`` that defines ``NAME`` and
``run(*, quick: bool) -> dict``; it is found automatically, so a new benchmark
registers itself by existing.  Each module prints its own table and writes
``bench/results/<name>.json``; this runner adds ``bench/results/summary.json``
with each module's status and, for modules that return ``targets_judged`` (built with
``bench.common.target``), every ratio with its target, met or missed.  All benchmark data are synthetic and labelled so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import pkgutil
import sys
import time
import traceback
from pathlib import Path
from types import ModuleType

import bench

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def discover() -> dict[str, ModuleType]:
    """Benchmark modules by name, in name order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if not info.name.startswith("bench_"):
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found[getattr(module, "NAME", info.name.removeprefix("bench_"))] = module
    return found


def main(argv: list[str] | None = None) -> int:
    modules = discover()
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs (about a minute)")
    parser.add_argument("--only", nargs="+", choices=sorted(modules), metavar="NAME",
                        help=f"run only these ({', '.join(sorted(modules))})")
    args = parser.parse_args(argv)

    summary: dict[str, dict] = {}
    for name, module in modules.items():
        if args.only and name not in args.only:
            continue
        print(f"== bench {name}{' (quick)' if args.quick else ''}", flush=True)
        start = time.perf_counter()
        try:
            result = module.run(quick=args.quick)
        except Exception as exc:  # report and carry on with the other modules
            traceback.print_exc()
            summary[name] = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        else:
            summary[name] = {"status": "ok", "results": str(RESULTS_DIR / f"{name}.json")}
            if isinstance(result, dict) and result.get("targets_judged"):
                summary[name]["targets"] = result["targets_judged"]
        summary[name]["seconds"] = round(time.perf_counter() - start, 1)

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "summary.json").write_text(json.dumps(
        {"run_at": dt.datetime.now().isoformat(timespec="seconds"), "quick": args.quick,
         "benchmarks": summary}, indent=2) + "\n")
    failed = [n for n, s in summary.items() if s["status"] != "ok"]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
