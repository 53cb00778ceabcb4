"""The chart of one surge flag's series (Vega-Lite): monthly imports of a line from a partner,
with the flagged month shaded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tradeguard.periods import add_months
from tradeguard.web.vega import AMBER, BLUE, frame, tooltip, utc_time, zoom


def _month(label: str) -> dt.date:
    year, month = label.split("-")
    return dt.date(int(year), int(month), 1)


def series_spec(line: str, partner: str, points: list[dict[str, Any]],
                flagged: str | None) -> dict[str, Any]:
    """Monthly tonnes of ``line`` from ``partner`` (``*``: all partners); ``flagged`` (a
    ``YYYY-MM``) is shaded."""
    who = "all partners" if partner == "*" else partner
    x = utc_time("month")
    rows = [{"month": _month(p["period"]).isoformat(), "period": p["period"],
             "t": p["quantity_t"], "value": f"{p['quantity_t']:,.1f} t"} for p in points]
    y = {"field": "t", "type": "quantitative", "title": "tonnes a month",
         "axis": {"format": ",.0f"}}
    layers: list[dict[str, Any]] = []
    if flagged and len(flagged) == 7:
        start = _month(flagged)
        layers.append({
            "data": {"values": [{"start": start.isoformat(),
                                 "end": add_months(start, 1).isoformat(),
                                 "what": f"flagged {flagged}"}]},
            "mark": {"type": "rect", "color": AMBER, "opacity": 0.45},
            "encoding": {"x": {**x, "field": "start"}, "x2": {"field": "end"},
                         "tooltip": tooltip(("what", "flag"))}})
    layers.append({"data": {"values": rows},
                   "mark": {"type": "line", "color": BLUE, "strokeWidth": 2,
                            "point": {"filled": True, "size": 30, "color": BLUE}},
                   "params": [zoom("x", "y")],
                   "encoding": {"x": x, "y": y,
                                "tooltip": tooltip(("period", "month"), ("value", "imports"))}})
    return frame(f"{line} from {who}: monthly imports",
                 "Monthly imports in tonnes; the flagged month shaded", layers)
