"""The design lab's reports drawn for people: HTML pages with SVG charts, and their files.

The core (``design/compare.py``) returns the comparison, the sweep and the sensitivity as data;
this face draws them (charts in ``web/design_charts.py``) and writes ``report.json`` /
``report.html``, ``sweep.json`` / ``sweep.html``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from tradeguard.design.simulate import OUTPUTS
from tradeguard.web import design_charts as charts

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


def render_html(report: Mapping[str, Any], charts_inline: bool = True) -> str:
    """The comparison as one HTML page; the desk, which draws its own interactive charts
    (``design_specs.py``), asks for it without the static SVG ones."""
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
    if charts_inline:
        parts += _year_charts(designs)
    parts.append("<h2>Back-test</h2>")
    if charts_inline:
        parts.append(_backtest_chart(designs))
    _backtest_tables(parts, designs)
    _simulation_tables(parts, designs)
    parts.append("</body></html>")
    return "\n".join(parts)


def _year_charts(designs: Sequence[Mapping[str, Any]]) -> list[str]:
    parts = []
    for key, title, unit in [("trigger_probability", "Probability of triggering, by year", "p"),
                             ("expected_days", "Expected days under the safeguard", "days"),
                             ("hit_imports_t", "Imports from the partners hit", "t"),
                             ("protection_percent", "Tariff-equivalent protection", "%")]:
        series = {d["id"]: [(y["year"], y[key]) for y in d["years"]] for d in designs}
        parts.append(f"<div class='chart' id='chart-{key}'>"
                     f"{charts.year_lines(title, unit, series)}</div>")
    return parts


def _backtest_chart(designs: Sequence[Mapping[str, Any]]) -> str:
    bt_series = {d["id"]: [(int(p["period"][2:]), p["days_under_safeguard"])
                           for p in d["backtest"]["periods"]] for d in designs}
    return ("<div class='chart' id='chart-backtest'>"
            + charts.year_lines("Back-test: days under the safeguard", "days", bt_series)
            + "</div>")


def _backtest_tables(parts: list[str], designs: Sequence[Mapping[str, Any]]) -> None:
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


def _simulation_tables(parts: list[str], designs: Sequence[Mapping[str, Any]]) -> None:
    parts.append("<h2>Simulation by year</h2>")
    for d in designs:
        parts.append(f"<h3>{escape(d['id'])}</h3><table><tr><th>year</th>"
                     + "".join(f"<th>{k}</th>" for k in OUTPUTS) + "</tr>")
        for y in d["years"]:
            parts.append(f"<tr><td>{y['year']}</td>"
                         + "".join(f"<td>{_fmt(y[k])}</td>" for k in OUTPUTS) + "</tr>")
        parts.append("</table>")


def write_report(report: Mapping[str, Any], out_dir: str | Path) -> tuple[Path, Path]:
    """Write DIR/report.json and DIR/report.html."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    j, h = out / "report.json", out / "report.html"
    j.write_text(json.dumps(report, indent=1, default=str), encoding="utf-8")
    h.write_text(render_html(report), encoding="utf-8")
    return j, h


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
                 f"<div class='chart'>{svg}</div>" + _between_list(between)
                 + "</body></html>", encoding="utf-8")
    return j, h


BETWEEN_LISTED = 20  # a page lists a few designs between the positions; sweep.json has all


def _between_list(between: Sequence[str]) -> str:
    items = "".join(f"<li>{escape(b)}</li>" for b in between[:BETWEEN_LISTED])
    more = len(between) - BETWEEN_LISTED
    tail = (f"<p id='between-more'>and {more:,} more between the positions: every one is in "
            "sweep.json (<code>designs</code>, <code>between: true</code>).</p>"
            if more > 0 else "")
    return f"<ul id='between'>{items}</ul>{tail}" if items else ""


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
