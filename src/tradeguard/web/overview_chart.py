"""The overview's chart (Vega-Lite): every open measure's counted imports as a share of its
trigger, one bar each, with the trigger at 100%.

A measure whose share is unknown (no data, or an unknown trigger) gets no bar, which would
read as 0%: it is named with the reason instead.
"""

from __future__ import annotations

from typing import Any

from tradeguard.web.vega import (
    BLUE,
    CONFIG,
    RED,
    SCHEMA,
    legend_toggle,
    shown_opacity,
    tonnes,
    tooltip,
    zoom,
)

# The badge colours of the desk's states (base.html), so the chart and the cards agree.
STATE_COLORS = {"open": "#0b5e2a", "watch": "#b36b00", "triggered": RED, "no data": "#777777"}
HEADROOM = 1.08  # room right of the longest bar (or of the trigger) for its end to show
TIP = tooltip(("measure", "measure"), ("state", "state"), ("share_text", "share of trigger"),
              ("imports", "imports"), ("trigger", "trigger"), ("as_of", "as of"))


def _why_unknown(row: dict[str, Any]) -> str:
    if row.get("cumulative_t") is None:
        return "no data"
    return "trigger unknown" if row.get("trigger_t") is None else "share unknown"


def _rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        share = row.get("share")
        out.append({
            "measure": f"{row['measure_id']} {row['period']}", "share": share,
            "state": row.get("state") or "no data",
            "share_text": f"{share * 100:.1f}%" if share is not None else _why_unknown(row),
            "imports": tonnes(row.get("cumulative_t")),
            "trigger": (tonnes(row["trigger_t"]) if row.get("trigger_t") is not None
                        else f"unknown: {row.get('trigger_reason') or 'no trigger'}"),
            "as_of": row.get("as_of") or ""})
    return out


def overview_spec(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars of each status row's ``share`` (``Desk.status(...)["rows"]``), in the rows' order."""
    data = _rows(rows)
    known = [r["share"] for r in data if r["share"] is not None]
    barred = {r["state"] for r in data if r["share"] is not None}  # the legend names bars only
    states = [s for s in STATE_COLORS if s in barred] or ["open"]
    # Each measure's name above its bar, not beside it: the bars keep the width on a phone.
    y = {"field": "measure", "type": "nominal", "title": None, "sort": None, "axis": None}
    x = {"field": "share", "type": "quantitative", "title": "share of the trigger",
         "axis": {"format": ".0%"},
         "scale": {"domain": [0, max([1.0, *known]) * HEADROOM], "nice": False}}
    bars = {"transform": [{"filter": "isValid(datum.share)"}],
            "mark": {"type": "bar", "height": 14, "yOffset": 8},
            "params": [legend_toggle("state"), zoom("x")],
            "encoding": {"y": y, "x": x, "tooltip": TIP, "opacity": shown_opacity(),
                         "color": {"field": "state", "type": "nominal", "title": "state",
                                   "scale": {"domain": states,
                                             "range": [STATE_COLORS[s] for s in states]}}}}
    names = {"mark": {"type": "text", "align": "left", "yOffset": -9, "x": 0, "fontSize": 12},
             "encoding": {"y": y, "text": {"field": "measure"}}}
    unknown = {"transform": [{"filter": "!isValid(datum.share)"}],
               "mark": {"type": "text", "align": "left", "yOffset": 8, "color": "#4a4a4a",
                        "x": 0, "fontStyle": "italic"},
               "encoding": {"y": y, "text": {"field": "share_text"}, "tooltip": TIP}}
    trigger = {"data": {"values": [{"share": 1, "what": "trigger (100%)"}]},
               "mark": {"type": "rule", "color": BLUE, "strokeDash": [6, 4], "strokeWidth": 2},
               "encoding": {"x": x, "tooltip": tooltip(("what", "line"))}}
    return {"$schema": SCHEMA, "title": "Share of the trigger, by measure",
            "description": "Counted imports divided by the trigger of the binding condition",
            "width": "container", "height": {"step": 44},
            "autosize": {"type": "fit-x", "contains": "padding"}, "config": CONFIG,
            "data": {"values": data}, "layer": [bars, names, unknown, trigger]}
