"""The design lab's charts on the desk (Vega-Lite): year lines per design, the protection /
market-access frontier, and the sensitivity bars.  Axes are formatted (thousands separated, a
probability from 0 to 1 as a percentage); the static SVG of the report files is in
``design_charts.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradeguard.periods import parse_period_key, period_key
from tradeguard.web.vega import (
    BLUE,
    GREEN,
    PURPLE,
    RED,
    frame,
    legend_toggle,
    shown_opacity,
    tooltip,
    zoom,
)

UNITS = {"p": ("probability", ".0%"), "days": ("days", ",.0f"), "t": ("tonnes", ",.0f"),
         "%": ("percent", ",.1f"), "JPY": ("JPY", ",.0f")}
KINDS = {"stated position": RED, "between the positions": GREEN, "on the frontier": BLUE,
         "other designs": "#9aa7b1"}


def _number(value: float, unit: str) -> str:
    if unit == "p":
        return f"{value * 100:.1f}%"
    return f"{value:,.1f} {unit}" if abs(value) < 100 else f"{value:,.0f} {unit}"


def _plain(value: float) -> str:
    """A number as a reader writes it: 304,000 or 0.125."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".") or "0"


def _axis_format(values: Sequence[float]) -> str:
    """Whole numbers with separators for large values, up to three decimals for small ones:
    never ``3.04e+05``."""
    return ",.0f" if max((abs(v) for v in values), default=0) >= 100 else ",.3~f"


def year_lines_spec(title: str, unit: str,
                    series: dict[str, Sequence[tuple[int, float]]]) -> dict[str, Any]:
    """One line per design over fiscal years; ``unit`` ``p`` is a probability (axis 0-1)."""
    name, fmt = UNITS.get(unit, (unit, ",.1f"))
    rows = [{"design": design, "year": int(year), "v": float(v),
             "value": _number(float(v), unit), "fy": period_key(int(year))}
            for design, pts in series.items() for year, v in pts]
    y: dict[str, Any] = {"field": "v", "type": "quantitative", "title": name,
                         "axis": {"format": fmt}}
    if unit == "p":
        y["scale"] = {"domain": [0, 1]}
    layer = {"data": {"values": rows},
             "mark": {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 40}},
             "params": [legend_toggle("design"), zoom("x")],
             "encoding": {
                 "x": {"field": "year", "type": "quantitative", "title": "fiscal year",
                       "axis": {"tickMinStep": 1, "labelExpr": "'FY' + datum.value",
                                "labelOverlap": True},
                       "scale": {"zero": False, "nice": False, "padding": 10}},
                 "y": y, "color": {"field": "design", "type": "nominal", "title": "design"},
                 "opacity": shown_opacity(),
                 "tooltip": tooltip(("design", "design"), ("fy", "year"), ("value", name))}}
    return frame(title, f"{title}, by fiscal year and design", [layer], height=280)


def _kind(point: dict[str, Any]) -> str:
    if point.get("position"):
        return "stated position"
    if point.get("between"):
        return "between the positions"
    return "on the frontier" if point.get("frontier") else "other designs"


def frontier_spec(x_label: str, y_label: str, points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The sweep's designs and positions (keys x, y, label, frontier, between, position), with
    the frontier drawn through its designs."""
    rows = [{"x": float(p["x"]), "y": float(p["y"]), "kind": _kind(p),
             "label": str(p.get("position") or p.get("label", "")),
             "x_text": _plain(float(p["x"])), "y_text": _plain(float(p["y"]))}
            for p in points]
    x = {"field": "x", "type": "quantitative", "title": x_label,
         "axis": {"format": _axis_format([r["x"] for r in rows])}, "scale": {"zero": False}}
    y = {"field": "y", "type": "quantitative", "title": y_label,
         "axis": {"format": _axis_format([r["y"] for r in rows])}, "scale": {"zero": False}}
    front = sorted((r for r in rows if r["kind"] == "on the frontier"), key=lambda r: r["x"])
    return frame("Protection against market access", "Each design of the sweep as a point",
                 [{"data": {"values": front}, "mark": {"type": "line", "color": PURPLE},
                   "encoding": {"x": x, "y": y}},
                  {"data": {"values": rows}, "mark": {"type": "point", "filled": True},
                   "params": [legend_toggle("kind"), zoom("x", "y")],
                   "encoding": {
                       "x": x, "y": y, "opacity": shown_opacity(0.85),
                       "size": {"condition": {"test": "datum.kind === 'stated position'",
                                              "value": 120}, "value": 40},
                       "color": {"field": "kind", "type": "nominal", "title": None,
                                 "scale": {"domain": list(KINDS), "range": list(KINDS.values())}},
                       "tooltip": tooltip(("label", "design"), ("x_text", x_label),
                                          ("y_text", y_label))}},
                  {"data": {"values": [r for r in rows if r["kind"] == "stated position"]},
                   "mark": {"type": "text", "align": "left", "dx": 8, "dy": -8},
                   "encoding": {"x": x, "y": y, "text": {"field": "label"}}}], height=380)


def sensitivity_spec(title: str, rows: Sequence[tuple[str, float]]) -> dict[str, Any]:
    """Horizontal bars of each output's relative change, on a scale in percent."""
    data = [{"output": name, "change": float(v), "value": f"{float(v) * 100:+.1f}%"}
            for name, v in rows]
    return frame(title, "Relative change of each output", [
        {"data": {"values": data}, "mark": {"type": "bar"},
         "encoding": {
             "y": {"field": "output", "type": "nominal", "title": None, "sort": None},
             "x": {"field": "change", "type": "quantitative", "title": "relative change",
                   "axis": {"format": "+.0%"}},
             "color": {"condition": {"test": "datum.change < 0", "value": "#b3661a"},
                       "value": BLUE},
             "tooltip": tooltip(("output", "output"), ("value", "relative change"))}},
        {"data": {"values": [{"change": 0}]}, "mark": {"type": "rule", "color": "#333"},
         "encoding": {"x": {"field": "change", "type": "quantitative"}}}],
        height=max(120, 26 * len(data)))


#: The comparison's charts by year: (output key, title, unit), as in the report file.
YEAR_CHARTS = (("trigger_probability", "Probability of triggering, by year", "p"),
               ("expected_days", "Expected days under the safeguard", "days"),
               ("hit_imports_t", "Imports from the partners hit", "t"),
               ("protection_percent", "Tariff-equivalent protection", "%"))


def comparison_specs(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The charts of a design comparison (``design.compare``), by chart id; a chart with no
    value to draw (no back-test period of any design) is left out, not drawn empty."""
    designs = report["designs"]
    series = {key: {d["id"]: [(y["year"], y[key]) for y in d["years"]] for d in designs}
              for key, _, _ in YEAR_CHARTS}
    series["backtest"] = {d["id"]: [(parse_period_key(p["period"]), p["days_under_safeguard"])
                                    for p in d["backtest"]["periods"]] for d in designs}
    titles = {key: (title, unit) for key, title, unit in YEAR_CHARTS}
    titles["backtest"] = ("Back-test: days under the safeguard", "days")
    return {key: year_lines_spec(*titles[key], lines) for key, lines in series.items()
            if any(lines.values())}
