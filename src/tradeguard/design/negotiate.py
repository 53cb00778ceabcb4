"""Negotiating the links: iso-output curves and the packages between two positions.

``trade_off`` answers the question the talks turn on: "if we give up this much trigger growth,
how much lower can the snap-back rate be for the same protection?"  For each value of one
element (x) it finds, by linear interpolation over a grid of the other (y), the value that
keeps the chosen output at the base design's level.  ``between`` builds the packages of
element values between two positions, simulates them beside the positions, and lists those
on the protection / market-access frontier inside the box the positions span, as a table.

Every design of one request is simulated on the same seeded paths (common random numbers:
each call to :func:`simulate` draws the same paths from the scenario's seed), so the
differences between packages are the designs', not the dice's.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tradeguard.design.compare import frontier, grid_designs
from tradeguard.design.costs import (
    MAX_PATH_RUNS,
    MAX_RUNS,
    Progress,
    check_limit,
    no_progress,
)
from tradeguard.design.limitations import limitations
from tradeguard.design.simulate import Scenario, SimulationResult, simulate
from tradeguard.design.spec import Design
from tradeguard.errors import InputError, problem
from tradeguard.rules.loader import RuleSet, shipped_rules


@dataclass(frozen=True)
class Element:
    """A negotiating element: the override key it sets and how a number becomes its value."""

    key: str
    unit: str
    to_override: Callable[[float], Any]
    default: tuple[float, ...]


ELEMENTS = {
    "trigger_growth": Element("trigger_scale", "% above the base trigger",
                              lambda v: round(1 + v / 100, 6),
                              (-10.0, -5.0, 0.0, 5.0, 10.0, 15.0, 20.0)),
    "safeguard_rate": Element("snap_back", "% ad valorem (the snap-back rate)",
                              lambda v: f"{v:g}%", (26.0, 28.0, 30.0, 32.0, 34.0, 36.0, 38.5)),
    "late_february_days": Element("late_crossing.2", "days of a February crossing's window",
                                  lambda v: round(v), (0.0, 15.0, 30.0, 45.0, 60.0)),
    "late_march_days": Element("late_crossing.3", "days of a March crossing's window",
                               lambda v: round(v), (0.0, 15.0, 30.0, 45.0, 60.0)),
}

# The outputs a curve can hold, as (SimulationResult total, per year?).
HOLD = {
    "protection": ("safeguard_protection_points", False),  # tariff points, mean over years
    "days": ("expected_days", True),                        # expected safeguard days a year
    "access": ("hit_imports_t", True),                      # the hit partners' imports, t/yr
}


def element(name: str) -> Element:
    if name not in ELEMENTS:
        raise InputError(problem(f"unknown element {name!r}", where="--vary",
                                 fix=f"choose from: {', '.join(ELEMENTS)}"))
    return ELEMENTS[name]


def output_of(res: SimulationResult, design_id: str, hold: str) -> float:
    key, per_year = HOLD[hold]
    years = len(res.design(design_id)["years"]) or 1
    value = res.totals(design_id)[key]
    return value / years if per_year else value


def _hold(name: str) -> str:
    if name not in HOLD:
        raise InputError(problem(f"unknown output to hold {name!r}", where="--hold",
                                 fix=f"choose from: {', '.join(HOLD)}"))
    return name


def _check_cost(runs: int, scenario: Scenario, where: str) -> None:
    check_limit("the number of designs", runs, MAX_RUNS, where,
                "give fewer element values (or fewer steps)")
    check_limit("designs x paths", runs * scenario.paths, MAX_PATH_RUNS, where,
                "lower --paths or give fewer element values")


def interpolate(xs: Sequence[float], ys: Sequence[float], target: float) -> float | None:
    """The first x at which the piecewise-linear ys reaches ``target``; None if it never does."""
    for (x0, y0), (x1, y1) in itertools.pairwise(zip(xs, ys, strict=True)):
        if (y0 - target) * (y1 - target) <= 0:
            return x0 if y1 == y0 else x0 + (target - y0) * (x1 - x0) / (y1 - y0)
    return None


def _axes(vary: Sequence[str], values: Mapping[str, Sequence[float]] | None
          ) -> tuple[Element, Element, list[float], list[float]]:
    """The two varied elements and their values (each element's defaults where none given)."""
    if len(vary) != 2 or vary[0] == vary[1]:
        raise InputError(problem("--vary takes two different elements, e.g. "
                                 "trigger_growth,safeguard_rate", where="--vary"))
    ex, ey = element(vary[0]), element(vary[1])
    xs = [float(v) for v in (values or {}).get(vary[0], ex.default)]
    ys = [float(v) for v in (values or {}).get(vary[1], ey.default)]
    return ex, ey, xs, ys


def trade_off_runs(vary: Sequence[str],
                   values: Mapping[str, Sequence[float]] | None = None) -> int:
    """The designs a trade-off simulates (the grid and the base): its cost, known before any
    work, so a server can refuse a request over its limits."""
    _, _, xs, ys = _axes(vary, values)
    return len(xs) * len(ys) + 1


def trade_off(base: Mapping[str, Any], hold: str, vary: Sequence[str],
              values: Mapping[str, Sequence[float]] | None = None,
              scenario: Scenario | None = None, *, imports: Any = None,
              rules: RuleSet | None = None, progress: Progress = no_progress) -> dict[str, Any]:
    """The iso-``hold`` curve of ``vary[1]`` against ``vary[0]``, through the base design."""
    scenario = scenario or Scenario()
    rules = rules or shipped_rules()
    hold = _hold(hold)
    ex, ey, xs, ys = _axes(vary, values)
    _check_cost(len(xs) * len(ys) + 1, scenario, "design trade-off")
    varied_base, notes = _without(base, [ex, ey])
    grid: list[list[float]] = []
    target = None
    for i, x in enumerate(xs):
        progress("simulate", i, len(xs))
        row = grid_designs(varied_base | {"id": f"{base['id']}-x{i}"},
                           {ex.key: [ex.to_override(x)],
                            ey.key: [ey.to_override(y) for y in ys]}, rules)
        first = [] if target is not None else [_as_is(base, rules)]
        res = simulate([*first, *row], scenario, imports=imports, rules=rules)
        if target is None:
            target = output_of(res, first[0].id, hold)
        grid.append([output_of(res, d.id, hold) for d in row])
    progress("simulate", len(xs), len(xs))
    assert target is not None
    curve = [_curve_point(x, ys, g, target, vary[1]) for x, g in zip(xs, grid, strict=True)]
    return {"kind": "tradeguard design trade-off", "base": base.get("id"), "hold": hold,
            "held_output": HOLD[hold][0], "target": target,
            "x": {"element": vary[0], "unit": ex.unit, "values": xs},
            "y": {"element": vary[1], "unit": ey.unit, "values": ys},
            "grid": grid, "curve": curve, "notes": notes,
            "limitations": limitations([_as_is(base, rules)]),
            "scenario": json.loads(scenario.model_dump_json())}


def _without(base: Mapping[str, Any], elements: list[Element]) -> tuple[dict[str, Any],
                                                                      list[str]]:
    """The base with its own overrides of the varied elements removed (the grid sets them),
    and a note for each: the held level is still the base's as written."""
    over = dict(base.get("overrides") or {})
    roots = {e.key.split(".")[0] for e in elements}
    if "snap_back" in roots:
        roots.add("safeguard_duty")
    dropped = sorted(k for k in over if k.split("@")[0].split(".")[0] in roots)
    notes = [f"the base's own `{k}` is replaced by the varied element in the grid "
             "(the held level is the base's as written)" for k in dropped]
    return dict(base) | {"overrides": {k: v for k, v in over.items() if k not in dropped}}, notes


def _as_is(base: Mapping[str, Any], rules: RuleSet) -> Design:
    from tradeguard.design.spec import parse

    return parse(dict(base) | {"id": f"{base['id']}-as-is"}, rules)


def _curve_point(x: float, ys: list[float], outputs: list[float], target: float,
                 y_name: str) -> dict[str, Any]:
    y = interpolate(ys, outputs, target)
    note = None
    if y is None:
        lo, hi = min(outputs), max(outputs)
        note = (f"the held output {target:.4g} is not reached for {y_name} between "
                f"{ys[0]:g} and {ys[-1]:g} (it ranges {lo:.4g} to {hi:.4g} here)")
    return {"x": x, "y": None if y is None else round(y, 4), "note": note}


# --- between two positions -------------------------------------------------------------


def position_value(design: Design, name: str) -> float | None:
    """A position's value of an element, read from its overrides; None if it does not set it."""
    over = design.overrides
    if name == "trigger_growth" and "trigger_scale" in over:
        return round((float(over["trigger_scale"]) - 1) * 100, 6)
    if name == "safeguard_rate":
        dated = sorted(k for k in over if k.startswith("safeguard_duty"))
        raw = over.get("snap_back", over[dated[0]] if dated else None)
        return None if raw is None else float(str(raw).rstrip("%"))
    if name in ("late_february_days", "late_march_days"):
        month = 2 if name == "late_february_days" else 3
        for item in over.get("late_crossing") or []:
            if item.get("month") == month:
                return float(item.get("days") or 0)
        found = over.get(f"late_crossing.{month}")
        return None if found is None else float(found)
    return None


def between(a: Design, b: Design, vary: Mapping[str, tuple[float, float]] | None = None,
            steps: int = 4, scenario: Scenario | None = None, *, imports: Any = None,
            rules: RuleSet | None = None, progress: Progress = no_progress) -> dict[str, Any]:
    """Packages between positions ``a`` and ``b`` on the protection / access frontier."""
    scenario = scenario or Scenario()
    rules = rules or shipped_rules()
    levels = between_levels(a, b, vary, steps)
    _check_cost(_runs(levels), scenario, "design between")
    base_doc = {"id": f"between-{a.id}-{b.id}"[:60], "title": "package", "base": a.base}
    packages = grid_designs(base_doc, {element(n).key: [element(n).to_override(v) for v in vs]
                                       for n, vs in levels.items()}, rules)
    progress("simulate", 0, 1)
    res = simulate([*packages, a, b], scenario, imports=imports, rules=rules)
    progress("simulate", 1, 1)
    return _between_table(res, packages, levels, a, b, scenario)


def between_levels(a: Design, b: Design,
                   vary: Mapping[str, tuple[float, float]] | None = None,
                   steps: int = 4) -> dict[str, list[float]]:
    """Each stepped element's values between the positions (``steps`` from A's to B's)."""
    if a.base is None or a.base != b.base:
        raise InputError(problem("the two positions must start from the same base rule",
                                 where="design between",
                                 why=f"{a.id} has base {a.base}, {b.id} has {b.base}",
                                 fix="compare positions on the same measure"))
    if steps < 2:
        raise InputError(problem(f"--steps must be at least 2 (got {steps})",
                                 where="design between", fix="give --steps 3"))
    ranges = dict(vary) if vary else _ranges_from(a, b)
    for name in ranges:
        element(name)  # an unknown element is named in the error
    if not ranges:
        raise InputError(problem("no element differs between the positions in a way the "
                                 "lab can step", where="design between",
                                 fix="give --vary, e.g. trigger_growth=-5:15"))
    return {n: list(np.linspace(lo, hi, steps)) if lo != hi else [lo]
            for n, (lo, hi) in ranges.items()}


def _runs(levels: Mapping[str, list[float]]) -> int:
    return int(np.prod([len(v) for v in levels.values()])) + 2


def between_runs(a: Design, b: Design, vary: Mapping[str, tuple[float, float]] | None = None,
                 steps: int = 4) -> int:
    """The designs a ``between`` request simulates (the packages and the two positions): its
    cost, known before any work."""
    return _runs(between_levels(a, b, vary, steps))


def _ranges_from(a: Design, b: Design) -> dict[str, tuple[float, float]]:
    out = {}
    for name in ELEMENTS:
        va, vb = position_value(a, name), position_value(b, name)
        if va is not None and vb is not None and va != vb:
            out[name] = (va, vb)
    return out


def _between_table(res: SimulationResult, packages: list[Design],
                   levels: Mapping[str, list[float]], a: Design, b: Design,
                   scenario: Scenario) -> dict[str, Any]:
    def point(d: Design) -> tuple[float, float]:
        return output_of(res, d.id, "protection"), output_of(res, d.id, "access")

    pts = [point(d) for d in packages]
    on = frontier(pts)
    (xa, ya), (xb, yb) = point(a), point(b)
    combos = list(itertools.product(*levels.values()))
    rows, points = [], []
    for d, (x, y), f, combo in zip(packages, pts, on, combos, strict=True):
        inside = min(xa, xb) <= x <= max(xa, xb) and min(ya, yb) <= y <= max(ya, yb)
        points.append({"label": d.title, "protection_points": round(x, 4),
                       "access_t_a_year": round(y, 1), "frontier": f,
                       "between": bool(f and inside)})
        if f and inside:
            rows.append({**{n: round(float(v), 4) for n, v in zip(levels, combo, strict=True)},
                         "protection_points": round(x, 4), "access_t_a_year": round(y, 1),
                         "expected_days_a_year": round(output_of(res, d.id, "days"), 2),
                         "trigger_probability_any":
                             round(res.totals(d.id)["trigger_probability_any"], 4)})
    rows.sort(key=lambda r: r["protection_points"])
    return {"kind": "tradeguard design between", "elements": list(levels),
            "levels": {n: [round(float(v), 4) for v in vs] for n, vs in levels.items()},
            "positions": [{"id": d.id, "position": d.position or d.id,
                           "protection_points": round(x, 4), "access_t_a_year": round(y, 1)}
                          for d, (x, y) in ((a, (xa, ya)), (b, (xb, yb)))],
            "packages_simulated": len(packages), "on_frontier_between": len(rows),
            "packages": rows, "points": points, "limitations": limitations([a, b]),
            "scenario": json.loads(scenario.model_dump_json())}


def parse_ranges(text: str | None) -> dict[str, tuple[float, float]] | None:
    """``trigger_growth=-5:15,safeguard_rate=30:38.5`` → {name: (from, to)}; None for None."""
    if not text:
        return None
    out = {}
    for part in text.split(","):
        name, _, span = part.partition("=")
        name = name.strip()
        element(name)  # an unknown element is named in the error
        lo, _, hi = span.partition(":")
        try:
            out[name] = (float(lo), float(hi))
        except ValueError:
            raise InputError(problem(f"{part!r} is not element=from:to", where="--vary",
                                     fix="e.g. --vary trigger_growth=-5:15,safeguard_rate="
                                         "30:38.5")) from None
    return out
