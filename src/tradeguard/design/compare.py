"""Compare designs side by side, sweep a grid of designs, and move one element at a time.

``compare`` back-tests every design on history and simulates it forward; ``write_report``
writes ``report.json`` (``designs``: items with ``id`` and ``years``; each year has ``year``,
``trigger_probability``, ``expected_days`` and the other outputs) and ``report.html`` with
SVG charts.  ``sweep`` builds the product of element values over a base design, simulates
them in chunks, marks the protection / market-access frontier and the designs that lie
between two stated positions.  ``sensitivity`` moves one element and shows the change in
every output.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from tradeguard.design import charts
from tradeguard.design.backtest import backtest
from tradeguard.design.limitations import for_design, limitations
from tradeguard.design.simulate import OUTPUTS, Scenario, SimulationResult, simulate
from tradeguard.design.spec import Design, parse
from tradeguard.rules.loader import RuleSet, shipped_rules


def compare(designs: Sequence[Design], scenario: Scenario | None = None, *, imports: Any = None,
            rules: RuleSet | None = None, backtest_years: tuple[int, int] | None = (2015, 2019),
            as_of: dt.date | None = None) -> dict[str, Any]:
    """Back-test and simulate every design; the side-by-side report as data."""
    rules = rules or shipped_rules()
    scenario = scenario or Scenario()
    sim = simulate(designs, scenario, imports=imports, rules=rules)
    items = []
    for d in designs:
        bt = backtest(d, imports, as_of=as_of, rules=rules, years=backtest_years)
        items.append({"id": d.id, "title": d.title, "base": d.base, "position": d.position,
                      "description": d.description, "counting_period": d.period_mode,
                      "overrides": _jsonable(d.overrides),
                      "years": sim.design(d.id)["years"],
                      "trigger_probability_any": sim.design(d.id)["trigger_probability_any"],
                      "totals": sim.totals(d.id),
                      "limitations": for_design(d),
                      "backtest": {"method": bt.method, "as_of": bt.as_of.isoformat(),
                                   "periods": bt.rows()}})
    return {"kind": "tradeguard design comparison",
            "scenario": json.loads(scenario.model_dump_json()),
            "fitted": _jsonable(sim.fitted),
            "notes": ["Simulated figures are means over seeded Monte Carlo paths; money in JPY.",
                      "Back-test extra duty: customs value × (safeguard − scheduled rate).",
                      "Elasticities are documented parameters; see `fitted.parameters`."],
            "limitations": limitations(list(designs)),
            "designs": items}


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


# --- the HTML report ----------------------------------------------------------------------

_CSS = """body{font-family:sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:right;font-size:13px}th{background:#f4f4f4}td.l,th.l{text-align:left}
.chart{margin:12px 0}"""


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
    return escape(str(v)) if v is not None else ""


def _limitations_html(sentences: Sequence[str]) -> list[str]:
    """What the simulation does not model, first, so no figure below is read without it."""
    if not sentences:
        return []
    return ["<section id='limitations'><h2>What this simulation does not model</h2><ul>",
            *(f"<li>{escape(s)}</li>" for s in sentences), "</ul></section>"]


def render_html(report: Mapping[str, Any]) -> str:
    designs = report["designs"]
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>tradeguard design "
             f"comparison</title><style>{_CSS}</style></head><body>",
             "<h1>Safeguard designs compared</h1>",
             *_limitations_html(report.get("limitations", [])),
             "<p>Back-test on historical data, then a seeded Monte Carlo simulation with a "
             "partial-equilibrium response (SMART-family Armington model). Parameters and their "
             "sources are in report.json (<code>fitted.parameters</code>).</p>",
             "<table><tr><th class='l'>id</th><th class='l'>title</th><th>P(trigger, any "
             "year)</th><th>mean P(trigger)/yr</th><th>days</th><th>hit imports t</th>"
             "<th>extra duty JPY</th><th>loss of access t</th><th>consumer cost JPY</th></tr>"]
    for d in designs:
        t = d["totals"]
        parts.append(f"<tr><td class='l'>{escape(d['id'])}</td><td class='l'>"
                     f"{escape(d['title'])}</td><td>{_fmt(t['trigger_probability_any'])}</td>"
                     f"<td>{_fmt(t['trigger_probability'])}</td><td>{_fmt(t['expected_days'])}"
                     f"</td><td>{_fmt(t['hit_imports_t'])}</td><td>{_fmt(t['extra_duty_jpy'])}"
                     f"</td><td>{_fmt(t['loss_of_access_t'])}</td>"
                     f"<td>{_fmt(t['consumer_cost_jpy'])}</td></tr>")
    parts.append("</table>")
    for key, title, unit in [("trigger_probability", "Probability of triggering, by year", "p"),
                             ("expected_days", "Expected days under the safeguard", "days"),
                             ("hit_imports_t", "Imports from the partners hit", "t"),
                             ("protection_percent", "Tariff-equivalent protection", "%")]:
        series = {d["id"]: [(y["year"], y[key]) for y in d["years"]] for d in designs}
        parts.append(f"<div class='chart' id='chart-{key}'>"
                     f"{charts.year_lines(title, unit, series)}</div>")
    bt_series = {d["id"]: [(int(p["period"][2:]), p["days_under_safeguard"])
                           for p in d["backtest"]["periods"]] for d in designs}
    parts.append("<h2>Back-test</h2><div class='chart' id='chart-backtest'>"
                 + charts.year_lines("Back-test: days under the safeguard", "days", bt_series)
                 + "</div>")
    for d in designs:
        parts.append(f"<h3>{escape(d['id'])} ({escape(d['backtest']['method'])})</h3><table>"
                     "<tr><th class='l'>period</th><th>triggered</th><th>crossing</th>"
                     "<th class='l'>checkpoints exceeded</th><th>window</th><th>days</th>"
                     "<th>volumes hit t</th><th>extra duty JPY</th></tr>")
        for p in d["backtest"]["periods"]:
            win = (f"{p['activation_start']} – {p['activation_end']}"
                   if p["activation_start"] else "")
            parts.append(f"<tr><td class='l'>{p['period']}</td><td>{p['triggered']}</td>"
                         f"<td>{p['crossing_date'] or ''}</td><td class='l'>"
                         f"{', '.join(p['triggered_checkpoints'])}</td><td>{win}</td>"
                         f"<td>{p['days_under_safeguard']}</td><td>{_fmt(p['volumes_hit_t'])}"
                         f"</td><td>{_fmt(p['extra_duty_jpy'])}</td></tr>")
        parts.append("</table>")
    parts.append("<h2>Simulation by year</h2>")
    for d in designs:
        parts.append(f"<h3>{escape(d['id'])}</h3><table><tr><th>year</th>"
                     + "".join(f"<th>{k}</th>" for k in OUTPUTS) + "</tr>")
        for y in d["years"]:
            parts.append(f"<tr><td>{y['year']}</td>"
                         + "".join(f"<td>{_fmt(y[k])}</td>" for k in OUTPUTS) + "</tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(report: Mapping[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write DIR/report.json and DIR/report.html."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    j, h = out / "report.json", out / "report.html"
    j.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    h.write_text(render_html(report), encoding="utf-8")
    return j, h


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
          workers: int | None = None) -> dict[str, Any]:
    """Simulate a grid of designs; protection (x: safeguard protection, tariff points) against
    market access (y: the hit partners' imports, t a year), the frontier, and the designs
    between two stated positions."""
    rules = rules or shipped_rules()
    designs = grid_designs(base, vary, rules)
    res = simulate([*designs, *positions], scenario, imports=imports, rules=rules, chunk=chunk,
                   workers=workers)
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


def write_sweep(result: Mapping[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    j, h = out / "sweep.json", out / "sweep.html"
    j.write_text(json.dumps(result, indent=1, default=str), encoding="utf-8")
    pts = list(result["designs"]) + list(result["positions"])
    svg = charts.scatter("Protection against market access", result["x"], result["y"], pts)
    between = [r["label"] for r in result["designs"] if r["between"]]
    h.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>sweep</title>"
                 f"<style>{_CSS}</style></head><body><h1>Design sweep</h1>"
                 f"<p>{len(result['designs'])} designs; {sum(r['frontier'] for r in result['designs'])}"
                 f" on the frontier; {len(between)} between the positions.</p>"
                 f"<div class='chart'>{svg}</div><ul>"
                 + "".join(f"<li>{escape(b)}</li>" for b in between[:200])
                 + "</ul></body></html>", encoding="utf-8")
    return j, h


def sensitivity(base: Mapping[str, Any], element: str, values: Sequence[Any],
                scenario: Scenario | None = None, *, imports: Any = None,
                rules: RuleSet | None = None) -> dict[str, Any]:
    """Move one element over ``values``; every output's horizon total for each value, and its
    change from the first value."""
    designs = grid_designs(base, {element: list(values)}, rules)
    res = simulate(designs, scenario, imports=imports, rules=rules)
    first = res.totals(designs[0].id)
    rows = []
    for d, v in zip(designs, values, strict=True):
        t = res.totals(d.id)
        rows.append({"value": v, "id": d.id, "totals": t,
                     "change": {k: t[k] - first[k] for k in t}})
    return {"kind": "tradeguard design sensitivity", "element": element, "rows": rows}


def sensitivity_html(result: Mapping[str, Any]) -> str:
    rows = result["rows"]
    last = rows[-1]["change"] if rows else {}
    svg = charts.bars(f"Effect of moving {result['element']} from {rows[0]['value']} to "
                      f"{rows[-1]['value']} (relative change)", "relative change",
                      [(k, (last[k] / abs(rows[0]["totals"][k]) if rows[0]["totals"][k]
                            else last[k])) for k in last])
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{_CSS}</style></head>"
            f"<body><h1>Sensitivity: {escape(result['element'])}</h1><div class='chart'>{svg}"
            "</div></body></html>")
