"""Benchmark: the design lab's simulation engine and the 1,000-design sweep.

Figures (same process, same machine; all simulated paths are synthetic draws from the
seasonal model fitted to the bundled data, seeded, and labelled so):

* **throughput** -- simulated path-months per second (paths × months × designs) of
  :func:`tradeguard.design.simulate.simulate` on the USJTA beef family, 2 worker processes.
* **loop baseline** -- a straightforward per-path, per-month Python loop of the same model
  (fixed annual trigger, activation windows, the Armington response) for one design on a
  sample of paths; checked to give the same crossings as the engine (front-loading off),
  then timed.  Ratio = engine path-months/s ÷ loop path-months/s.
* **sweep** -- the 1,000-design sweep of the shipped example ``sweep-usjta`` with 2,000
  paths over 16 years (quick: 100 designs, 500 paths): wall time.
* **peak memory** -- max resident set size of this process and of its worker processes.
* **cores busy** -- CPU seconds (this process and its workers, user + system) per wall
  second during the throughput run and the sweep: 2.0 means both cores worked throughout.
* **CPU per path-month** -- CPU seconds (main and workers) per simulated path-month: the
  figure to compare across runs on a loaded machine, where wall-clock times are noise.

Targets judged (issue 15 item 3, issue 12's no-regression line) are returned in
``targets_judged`` for ``bench/results/summary.json``: throughput >= 20 M path-months/s,
cores busy >= 1.8 (information), sweep < 25 s, peak memory < 2 GiB (main plus two workers'
largest resident set: a bound, the forked workers share pages with the main), and the
engine / loop ratio at most 10% below issue 12's recorded 167x (a same-run ratio, so it
holds on a loaded machine; the throughput itself is not compared with the recorded 5.1 M).

The bundled data are read (and cached) and the libraries imported (``holidays``, which the
activation windows' working days import on first use, about 0.35 CPU-seconds) before
anything is timed: the figures are the engine's, not the data reader's or the importer's.
The machine may be shared, so the CPU figures (path-months per CPU second) are reported
beside the wall-clock ones.

Run: ``python -m bench.bench_design [--quick]`` or ``python -m bench.run --only design``.
Results: ``bench/results/design.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

NAME = "design"
ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
SWEEP_FILE = "sweep-usjta"  # a shipped example (tradeguard/design/examples)
TARGET_PATH_MONTHS = 20e6
TARGET_SWEEP_SECONDS = 25.0
TARGET_MEMORY_GIB = 2.0
TARGET_CORES_BUSY = 1.8            # information: both cores fed
RECORDED_LOOP_RATIO = 167.0        # issue 12: engine / per-path loop, recorded
REGRESSION_ALLOWANCE = 0.10        # no more than 10% below the recorded ratio
LABEL = "synthetic: Monte Carlo paths from the seasonal model fitted to the bundled data"


def _loop_model(comp, q0: np.ndarray, grid, flows, pe, tau_ref: np.ndarray,
                paths: int) -> tuple[list[int], float]:
    """The same model as a plain Python loop, path by path and month by month (fixed annual
    triggers only).  Returns crossings per path and the elapsed seconds."""
    from tradeguard.design.engine import response

    F, T = q0.shape[1], q0.shape[2]
    starts, ends = grid.starts, grid.ends
    uv_shares = q0.mean(0)[:, :12].sum(1) * np.array([f.unit_value for f in flows])
    shares = uv_shares / uv_shares.sum()
    t0 = time.perf_counter()
    crossings = []
    for p in range(paths):
        C = len(comp.basis)
        cum = [0.0] * C
        base = [0.0] * C
        prior = [math.nan] * C
        win = (0.0, -1.0, 0.0)
        tail = (0.0, -1.0, 0.0)
        crossed = False
        count = 0
        for t in range(T):
            y, mo = divmod(t, 12)
            if mo == 0:
                prior = base if t else [math.nan] * C
                cum, base = [0.0] * C, [0.0] * C
                crossed = False
                tail, win = win, (0.0, -1.0, 0.0)
            ms, me = starts[t], ends[t]
            nd = me - ms + 1
            fa = max(min(tail[1], me) - max(tail[0], ms) + 1, 0) / nd
            both = max(min(tail[1], win[1], me) - max(tail[0], win[0], ms) + 1, 0) / nd
            fb = max(min(win[1], me) - max(win[0], ms) + 1, 0) / nd - both
            tau = [comp.sched[f, t] + ((fa * (tail[2] - comp.sched[f, t])
                                        + fb * (win[2] - comp.sched[f, t]))
                                       if comp.hit[f, t] else 0.0) for f in range(F)]
            r = response(np.array(tau), tau_ref, shares, pe)
            q = [q0[p, f, t] * float(r[f]) for f in range(F)]
            ok = True
            any_active = False
            for c in range(len(comp.basis)):
                cum[c] += sum(q[f] * comp.count_mask[c, f, t] for f in range(F))
                base[c] += sum(q[f] * comp.base_mask[c, f, t] for f in range(F))
                if comp.active[c, y]:
                    any_active = True
                    level = comp.fixed[c, y]
                    if comp.adjust[c, y] and prior[c] > level:
                        level = prior[c]
                    ok = ok and (not math.isnan(level)) and cum[c] > level
            if ok and any_active and not crossed and comp.in_period[t]:
                crossed = True
                count += 1
                if comp.win_kind[t] == 1:
                    win = (comp.win_start[t], comp.win_end[t], comp.sg_rate[t])
        crossings.append(count)
    return crossings, time.perf_counter() - t0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_gib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2 ** 20
    return own, kids


def _judged(throughput: float, busy: float, sweep_seconds: float, n_designs: int, own: float,
            kids: float, loop_ratio: float) -> list[dict[str, Any]]:
    """Every target of this path, met or missed (``bench.common.target``)."""
    from bench.common import target

    floor = (1 - REGRESSION_ALLOWANCE) * RECORDED_LOOP_RATIO
    return [
        target("design: path-months per second, 2 workers", throughput, TARGET_PATH_MONTHS,
               at_most=False),
        target("design: cores busy in the throughput run", busy, TARGET_CORES_BUSY,
               at_most=False, note="information: CPU seconds of main and workers per wall "
               "second"),
        target(f"design: {n_designs:,}-design sweep, seconds", sweep_seconds,
               TARGET_SWEEP_SECONDS, note="the target is for 1,000 designs (quick: fewer)"),
        target("design: peak memory GiB, main + 2 workers", own + 2 * kids, TARGET_MEMORY_GIB,
               note="a bound: forked workers share the main's pages"),
        target("design: engine / per-path loop (issue 12, no regression)", loop_ratio, floor,
               at_most=False, note=f"at most {REGRESSION_ALLOWANCE:.0%} below the recorded "
               f"{RECORDED_LOOP_RATIO:.0f}x"),
    ]


def run(*, quick: bool) -> dict[str, Any]:
    from tradeguard.design.backtest import bundled_imports
    from tradeguard.design.compare import grid_designs, load_sweep, sweep
    from tradeguard.design.engine import PE, Grid, compile_design, flow_rates
    from tradeguard.design.engine import run as engine_run
    from tradeguard.design.simulate import Scenario, fit, paths, resolve_flows, simulate
    from tradeguard.periods import is_working_day
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    bundled_imports()  # read and cached once, outside every timing
    # The holidays package imports every country's table on first use (about 0.35 CPU-s):
    # done once here, outside every timing, for a year no grid reads (no cached answer).
    is_working_day(dt.date(2000, 1, 4))
    base, vary, positions = load_sweep(SWEEP_FILE)
    n_paths = 500 if quick else 2000
    years = 16
    # 1. Throughput on 50 (quick: 20) designs, 2 workers.
    tp_designs = grid_designs(base, {"trigger_scale": vary["trigger_scale"],
                                     "snap_back": vary["snap_back"][: (2 if quick else 5)]},
                              rules)
    scenario = Scenario(paths=n_paths, years=years)
    t0, c0 = time.perf_counter(), _cpu_seconds()
    simulate(tp_designs, scenario, rules=rules, workers=2)
    tp_seconds = time.perf_counter() - t0
    tp_busy = (_cpu_seconds() - c0) / tp_seconds
    months = 12 * (years + scenario.warmup_years)
    path_months = len(tp_designs) * n_paths * months
    throughput = path_months / tp_seconds

    # 2. Loop baseline: one design, a sample of paths; same crossings as the engine.
    loop_paths = 20 if quick else 50
    sc = Scenario(paths=loop_paths, years=years, front_loading=0.0)
    fitted = fit(None, sc, rules)
    fitted.front_loading = 0.0
    q0 = paths(fitted, sc)
    grid = Grid(sc.first_fy - sc.warmup_years, sc.warmup_years + sc.years)
    design = tp_designs[0]
    flows = resolve_flows(design, fitted.flows, rules, grid.month_start(0))
    comp = compile_design(design, rules, grid, flows)
    tau_ref = np.array([flow_rates(None, rules, f, grid)[0] for f in fitted.flows])
    e = sc.elasticities
    pe = PE(e.armington, e.domestic, e.demand, e.import_share, 0.0)
    loop_cross, loop_seconds = _loop_model(comp, q0, grid, fitted.flows, pe, tau_ref, loop_paths)
    res = engine_run([comp], q0, grid, fitted.flows, pe, tau_ref=tau_ref, detail=True)
    engine_cross = res.detail["cross"][0].sum(1).astype(int).tolist()
    if engine_cross != loop_cross:
        raise RuntimeError(f"loop baseline disagrees with the engine: {loop_cross} vs "
                           f"{engine_cross}")
    loop_rate = loop_paths * months / loop_seconds

    # 3. The sweep.
    sweep_vary = vary if not quick else {k: v[: (5 if k != "late_crossing.3" else 4)]
                                         for k, v in vary.items()}
    n_designs = math.prod(len(v) for v in sweep_vary.values())
    t0, c0 = time.perf_counter(), _cpu_seconds()
    result = sweep(base, sweep_vary, Scenario(paths=n_paths, years=years), positions=positions,
                   rules=rules, workers=2)
    sweep_seconds = time.perf_counter() - t0
    sweep_cpu = _cpu_seconds() - c0
    own, kids = _peak_gib()
    out = {
        "name": NAME, "data": LABEL, "quick": quick, "cores": os.cpu_count(),
        "python": platform.python_version(), "numpy": np.__version__,
        "throughput": {"designs": len(tp_designs), "paths": n_paths, "months": months,
                       "seconds": round(tp_seconds, 2),
                       "path_months_per_second": round(throughput),
                       "path_months_per_cpu_second": round(path_months / (tp_busy * tp_seconds)),
                       "cores_busy": round(tp_busy, 2), "target": TARGET_PATH_MONTHS},
        "loop_baseline": {"paths": loop_paths, "seconds": round(loop_seconds, 2),
                          "path_months_per_second": round(loop_rate),
                          "ratio_engine_to_loop": round(throughput / loop_rate, 1),
                          "same_crossings": True},
        "sweep": {"designs": n_designs, "paths": n_paths, "years": years,
                  "seconds": round(sweep_seconds, 1), "target_seconds": TARGET_SWEEP_SECONDS,
                  "cpu_seconds": round(sweep_cpu, 1),
                  "cores_busy": round(sweep_cpu / sweep_seconds, 2),
                  "frontier": sum(r["frontier"] for r in result["designs"]),
                  "between_positions": sum(r["between"] for r in result["designs"])},
        "peak_memory_gib": {"main": round(own, 3), "largest_worker": round(kids, 3),
                            "target": TARGET_MEMORY_GIB},
    }
    out["cpu_seconds_per_path_month"] = tp_busy * tp_seconds / path_months
    out["targets_judged"] = _judged(throughput, tp_busy, sweep_seconds, n_designs, own, kids,
                                    throughput / loop_rate)
    rows = [
        ("throughput (path-months/s, 2 workers)", f"{throughput:,.0f}",
         f">= {TARGET_PATH_MONTHS:,.0f}"),
        ("  per CPU second; cores busy", f"{path_months / (tp_busy * tp_seconds):,.0f}; "
         f"{tp_busy:.2f}", ""),
        ("  CPU seconds per path-month (main + workers)",
         f"{tp_busy * tp_seconds / path_months:.3e}", ""),
        ("per-path Python loop (path-months/s)", f"{loop_rate:,.0f}", ""),
        ("engine / loop", f"{throughput / loop_rate:,.1f}x", ""),
        (f"sweep: {n_designs} designs x {n_paths} paths x {years} y (s)",
         f"{sweep_seconds:,.1f}", f"< {TARGET_SWEEP_SECONDS:.0f}"),
        ("  sweep CPU seconds; cores busy", f"{sweep_cpu:,.1f}; {sweep_cpu / sweep_seconds:.2f}",
         ""),
        ("peak memory, main / worker (GiB)", f"{own:.2f} / {kids:.2f}",
         f"< {TARGET_MEMORY_GIB:.0f}"),
    ]
    print(f"design lab benchmark ({LABEL})")
    for name, value, target in rows:
        print(f"  {name:<52} {value:>16}  {target}")
    for judged in out["targets_judged"]:
        print(f"  {judged['ratio']:<60} {judged['value']:>14,} {judged['target']:>10}  "
              f"{'met' if judged['met'] else 'MISSED'}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / "design.json").write_text(json.dumps(out, indent=1))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    run(quick=args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
