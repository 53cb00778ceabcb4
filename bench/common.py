"""Pieces every benchmark module shares: timing, machine information, results, targets.

Importing this module is cheap (no DuckDB, Ibis or Arrow): ``bench.run`` and its child
processes import it before any benchmark, so what a child's peak memory shows is the
benchmark's own.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

# ``TRADEGUARD_BENCH_RESULTS`` moves the results (the runner's tests write to a temporary folder).
RESULTS_DIR = Path(os.environ.get("TRADEGUARD_BENCH_RESULTS")
                   or Path(__file__).resolve().parent / "results")
LIBRARIES = ("duckdb", "ibis-framework", "pyarrow", "numpy", "pandas", "fastapi", "pyspark")


def best_of(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Wall seconds of ``repeats`` calls of ``fn`` and the last result (the best is ``min``)."""
    times, result = [], None
    for _ in range(repeats):
        result = None  # free the previous output before the next run
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def interleaved(contenders: Mapping[str, Callable[[], Any]], rounds: int,
                echo: Callable[[str], None] | None = None) -> dict[str, list[float]]:
    """Wall seconds of each contender, one call each per round, round after round.

    A burst of load from elsewhere then hits every contender of a round alike, so a ratio
    taken per round (``ratio_by_round``) is fairer than one of times from separate runs.
    """
    runs: dict[str, list[float]] = {name: [] for name in contenders}
    for i in range(rounds):
        if echo:
            echo(f"round {i + 1} of {rounds} ...")
        for name, fn in contenders.items():
            runs[name] += best_of(fn, 1)[0]
    return runs


def ratio_by_round(runs: Mapping[str, list[float]], numerator: str,
                   denominator: str) -> list[float]:
    """``numerator / denominator`` round by round, from ``interleaved``'s runs."""
    return [a / b for a, b in zip(runs[numerator], runs[denominator], strict=True)]


def load_average() -> float:
    """The 1-minute load average (how busy the machine was: 2 cores, so 2 is full)."""
    return round(os.getloadavg()[0], 2)


def peak_rss_mb() -> float | None:
    """This process's peak resident memory in MB (``VmHWM``).

    Not ``ru_maxrss``: on Linux that survives ``exec`` and starts from the parent's resident
    size at ``fork``, so a child of a big process would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """Cores, memory, Python and library versions, and the load average now."""
    return {"cores": os.cpu_count(), "memory_gib": _memory_gib(),
            "platform": platform.platform(), "python": platform.python_version(),
            "libraries": {dist: _version(dist) for dist in LIBRARIES},
            "load_average_1min": load_average()}


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    """Write ``<results>/<name>.json`` whole (a temporary file, then a rename)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *,
                numeric: Sequence[int] = (1, 2, 3), width: int = 220) -> None:
    """A result table: Rich when available, plain text otherwise."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        print(title)
        for row in [header, *rows]:
            print(" | ".join(row))
        return
    table = Table(title=title, title_justify="left")
    for i, col in enumerate(header):
        table.add_column(col, justify="right" if i in numeric else "left")
    for row in rows:
        table.add_row(*row)
    Console(width=width).print(table)


def target(name: str, value: float, limit: float, *, at_most: bool = True,
           note: str = "") -> dict[str, Any]:
    """One ratio with its target, for ``bench/results/summary.json``: met or missed."""
    met = value <= limit if at_most else value >= limit
    return {"ratio": name, "value": round(value, 4),
            "target": f"{'<=' if at_most else '>='} {limit}", "met": met} | (
        {"note": note} if note else {})
