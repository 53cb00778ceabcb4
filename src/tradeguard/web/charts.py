"""The static SVG chart of a measure's period, for the CLI (``tradeguard timeline``) and the
API (``chart.svg``); the desk draws the same data interactively (``measure_chart.py``).
Presentation only, no computation of rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tradeguard.web.svg import Band, Chart, Line, render


def timeline_svg(timeline: dict[str, Any]) -> str:
    """Cumulative imports against the trigger for one measure and period (from
    ``PeriodStatus.timeline()``), with the activation window shaded."""
    chart = Chart(title=f"{timeline['measure_id']} · {timeline['period']}",
                  y_label="tonnes (cumulative)",
                  x_range=(dt.date.fromisoformat(timeline["period_start"]),
                           dt.date.fromisoformat(timeline["period_end"])))
    for cond in timeline["conditions"]:
        points = [(dt.date.fromisoformat(p["date"]), p["cumulative_t"]) for p in cond["points"]]
        trigger = [(dt.date.fromisoformat(p["date"]), p["trigger_t"]) for p in cond["points"]
                   if p["trigger_t"] is not None]  # an unknown trigger is not drawn as 0
        name = cond["condition_id"]
        chart.lines.append(Line(f"{name}: imports", points))
        chart.lines.append(Line(f"{name}: trigger", trigger, dashed=True, step=True))
    fc = timeline.get("forecast")
    if fc and timeline["conditions"] and timeline["conditions"][0]["points"]:
        last = timeline["conditions"][0]["points"][-1]
        start = (dt.date.fromisoformat(last["date"]), last["cumulative_t"])
        end = dt.date.fromisoformat(timeline["period_end"])
        chart.lines.append(Line("forecast (median)", [start, (end, fc["projected_t"])],
                                dashed=True, color="#777777"))
        chart.lines.append(Line("forecast 10-90%", [(end, fc["low_t"]), (end, fc["high_t"])],
                                color="#bbbbbb", step=True))
    act = timeline.get("activation")
    if act:
        chart.bands.append(Band(f"safeguard {act['duty']}", dt.date.fromisoformat(act["start"]),
                                dt.date.fromisoformat(act["end"])))
    return render(chart)
