"""Compare designs side by side, sweep a grid of designs, and move one element at a time.

``compare`` back-tests every design on history and simulates it forward and returns the report
as data (``designs``: items with ``id`` and ``years``; each year has ``year``,
``trigger_probability``, ``expected_days`` and the other outputs); the faces draw it
(``web/design_report.py`` writes ``report.json`` and ``report.html`` with SVG charts).  ``sweep`` builds the product of element values over a base design, simulates
them in chunks, marks the protection / market-access frontier and the designs that lie
between two stated positions.  ``sensitivity`` moves one element and shows the change in
every output.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tradeguard.design.backtest import backtest
from tradeguard.design.costs import Progress, no_progress
from tradeguard.design.limitations import for_design, limitations
from tradeguard.design.simulate import Scenario, SimulationResult, simulate
from tradeguard.design.spec import Design, parse
from tradeguard.rules.loader import RuleSet, shipped_rules


def compare(designs: Sequence[Design], scenario: Scenario | None = None, *, imports: Any = None,
            rules: RuleSet | None = None, backtest_years: tuple[int, int] | None = (2015, 2019),
            as_of: dt.date | None = None, progress: Progress = no_progress) -> dict[str, Any]:
    """Back-test and simulate every design; the side-by-side report as data.
    ``progress(stage, done, total)`` hears ``fit``, ``simulate`` and ``back-test`` (designs
    done)."""
    rules = rules or shipped_rules()
    scenario = scenario or Scenario()
    sim = simulate(designs, scenario, imports=imports, rules=rules, progress=progress)
    items = []
    for i, d in enumerate(designs):
        progress("back-test", i, len(designs))
        bt = backtest(d, imports, as_of=as_of, rules=rules, years=backtest_years)
        items.append({"id": d.id, "title": d.title, "base": d.base, "position": d.position,
                      "description": d.description, "counting_period": d.period_mode,
                      "overrides": _jsonable(d.overrides),
                      "years": sim.design(d.id)["years"],
                      "trigger_probability_any": sim.design(d.id)["trigger_probability_any"],
                      "totals": sim.totals(d.id),
                      "limitations": for_design(d, rules),
                      "price_safeguard": price_report(d, sim, scenario, imports),
                      "backtest": {"method": bt.method, "as_of": bt.as_of.isoformat(),
                                   "periods": bt.rows(), "note": _no_periods(d, bt)}})
    return {"kind": "tradeguard design comparison",
            "scenario": json.loads(scenario.model_dump_json()),
            "fitted": _jsonable(sim.fitted),
            "notes": ["Simulated figures are means over seeded Monte Carlo paths; money in JPY.",
                      "Back-test extra duty: customs value × (safeguard − scheduled rate).",
                      "Elasticities are documented parameters; see `fitted.parameters`."],
            "limitations": limitations(list(designs), rules),
            "designs": items}


def _no_periods(design: Design, bt: Any) -> str | None:
    """Why a back-test has no period to show (None when it has some)."""
    if bt.periods:
        return None
    start = design.measure.valid_from
    if start > bt.as_of:
        return (f"no period to judge: the measure starts on {start}, after the data end on "
                f"{bt.as_of}")
    return "no period to judge in the years asked"


def price_report(design: Design, sim: SimulationResult, scenario: Scenario,
                 imports: Any = None) -> dict[str, Any] | None:
    """The design's price-triggered safeguard: per year, the probability that it applies
    and the mean additional duty, on seeded price paths (None: the design has none)."""
    from tradeguard.design.backtest import _as_arrow
    from tradeguard.design.price_safeguard import fit_price_model, summary

    pt = design.price_trigger
    if pt is None:
        return None
    unit_value = next((f["unit_value_jpy_kg"] for f in sim.fitted["flows"]
                       if f["partner"] == pt.partner and f["line"] == pt.line), None)
    model = fit_price_model(_as_arrow(imports), pt.partner, pt.line, unit_value)
    return {"partner": pt.partner, "line": pt.line, "trigger_price_jpy_kg": pt.trigger_price,
            "source": pt.source, "unit_value_jpy_kg": model.unit_value,
            "monthly_spread": model.monthly_spread, "annual_spread": model.annual_spread,
            "years": summary(model, pt.trigger_price, first_fy=scenario.first_fy,
                             years=scenario.years, paths=min(scenario.paths, 2000),
                             seed=scenario.seed)}


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


# --- sweep, frontier, sensitivity --------------------------------------------------------


def grid_designs(base: Mapping[str, Any], vary: Mapping[str, Sequence[Any]],
                 rules: RuleSet | None = None) -> list[Design]:
    """Every combination of ``vary`` (override key → values) applied to a base document."""
    keys = list(vary)
    out = []
    for i, combo in enumerate(itertools.product(*(vary[k] for k in keys))):
        over = dict(base.get("overrides") or {}) | dict(zip(keys, combo, strict=True))
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, combo, strict=True))
        doc = dict(base) | {"id": f"{base['id']}-{i:04d}", "title": label, "overrides": over}
        out.append(parse(doc, rules))
    return out


def _point(res: SimulationResult, design_id: str) -> tuple[float, float]:
    t = res.totals(design_id)
    years = len(res.design(design_id)["years"]) or 1
    return t["safeguard_protection_points"], t["hit_imports_t"] / years


def frontier(points: Sequence[tuple[float, float]]) -> list[bool]:
    """Pareto frontier when more protection and more market access are both wanted: a point
    is on it when no other point has at least as much of both and more of one."""
    out = []
    for i, (x, y) in enumerate(points):
        dominated = any((a >= x and b >= y) and (a > x or b > y)
                        for j, (a, b) in enumerate(points) if j != i)
        out.append(not dominated)
    return out


def sweep(base: Mapping[str, Any], vary: Mapping[str, Sequence[Any]],
          scenario: Scenario | None = None, *, positions: Sequence[Design] = (),
          imports: Any = None, rules: RuleSet | None = None, chunk: int = 25,
          workers: int | None = None, progress: Progress = no_progress) -> dict[str, Any]:
    """Simulate a grid of designs; protection (x: safeguard protection, tariff points) against
    market access (y: the hit partners' imports, t a year), the frontier, and the designs
    between two stated positions.  ``progress`` hears ``fit`` and ``simulate`` (chunks)."""
    rules = rules or shipped_rules()
    designs = grid_designs(base, vary, rules)
    res = simulate([*designs, *positions], scenario, imports=imports, rules=rules, chunk=chunk,
                   workers=workers, progress=progress)
    pts = [_point(res, d.id) for d in designs]
    pos = [_point(res, p.id) for p in positions]
    on = frontier(pts)
    rows = []
    for d, (x, y), f in zip(designs, pts, on, strict=True):
        between = False
        if len(pos) == 2:
            (xa, ya), (xb, yb) = pos
            between = (min(xa, xb) <= x <= max(xa, xb)) and (min(ya, yb) <= y <= max(ya, yb))
        rows.append({"id": d.id, "label": d.title, "x": x, "y": y, "frontier": f,
                     "between": between, "totals": res.totals(d.id)})
    prow = [{"id": p.id, "label": p.title, "x": x, "y": y, "position": p.position or p.id,
             "totals": res.totals(p.id)} for p, (x, y) in zip(positions, pos, strict=True)]
    return {"kind": "tradeguard design sweep", "x": "safeguard protection (tariff points, "
            "mean over years)", "y": "imports from hit partners (t a year)",
            "designs": rows, "positions": prow,
            "scenario": json.loads((scenario or Scenario()).model_dump_json())}


def load_sweep(path: str | Path, rules: RuleSet | None = None
               ) -> tuple[dict[str, Any], dict[str, list[Any]], list[Design]]:
    """A sweep file (a path or a shipped example's name): ``base`` (a design document),
    ``vary`` (override key → values) and optional ``positions`` (design files, relative to
    the sweep file)."""
    from tradeguard.design.spec import load_designs, read_document
    from tradeguard.errors import RuleValidationError, problem

    data, found = read_document(path)
    data = data if isinstance(data, dict) else {}
    unknown = set(data) - {"base", "vary", "positions"}
    if unknown or "base" not in data or "vary" not in data:
        raise RuleValidationError([problem(
            "a sweep file has `base`, `vary` and optional `positions`"
            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else ""), where=str(found))])
    positions = load_designs([found.parent / p for p in data.get("positions") or []], rules)
    return dict(data["base"]), {k: list(v) for k, v in data["vary"].items()}, positions


def sensitivity(base: Mapping[str, Any], element: str, values: Sequence[Any],
                scenario: Scenario | None = None, *, imports: Any = None,
                rules: RuleSet | None = None,
                progress: Progress = no_progress) -> dict[str, Any]:
    """Move one element over ``values``; every output's horizon total for each value, and its
    change from the first value.  ``progress`` hears ``fit`` and ``simulate`` (chunks)."""
    designs = grid_designs(base, {element: list(values)}, rules)
    res = simulate(designs, scenario, imports=imports, rules=rules, progress=progress)
    first = res.totals(designs[0].id)
    rows = []
    for d, v in zip(designs, values, strict=True):
        t = res.totals(d.id)
        rows.append({"value": v, "id": d.id, "totals": t,
                     "change": {k: t[k] - first[k] for k in t}})
    return {"kind": "tradeguard design sensitivity", "element": element, "rows": rows}
