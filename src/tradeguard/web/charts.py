"""Charts of the library's results; presentation only, no computation of rules."""

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


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def periods_svg(current: dict[str, Any], earlier: list[dict[str, Any]]) -> str:
    """One chart of a measure's period (a ``PeriodStatus.timeline()``) and earlier periods
    of the same measure, each earlier one drawn on this period's calendar (shifted by whole
    years), so the seasons line up.  The current period's activation window is shaded."""
    chart = Chart(title=f"{current['measure_id']} · {current['period']} and earlier years",
                  y_label="tonnes (cumulative)",
                  x_range=(dt.date.fromisoformat(current["period_start"]),
                           dt.date.fromisoformat(current["period_end"])))
    this_year = int(current["period"].removeprefix("FY"))
    greys = ["#9a9a9a", "#7a6a9a", "#6a8a9a", "#9a7a6a"]
    for i, past in enumerate(sorted(earlier, key=lambda t: t["period"], reverse=True)):
        shift = this_year - int(past["period"].removeprefix("FY"))
        for cond in past["conditions"][:1]:
            points = [(_shift_years(dt.date.fromisoformat(p["date"]), shift), p["cumulative_t"])
                      for p in cond["points"]]
            chart.lines.append(Line(f"{past['period']} imports", points,
                                    color=greys[i % len(greys)]))
    for cond in current["conditions"]:
        points = [(dt.date.fromisoformat(p["date"]), p["cumulative_t"]) for p in cond["points"]]
        trigger = [(dt.date.fromisoformat(p["date"]), p["trigger_t"]) for p in cond["points"]
                   if p["trigger_t"] is not None]  # an unknown trigger is not drawn as 0
        name = current["period"] + (f" {cond['condition_id']}"
                                    if len(current["conditions"]) > 1 else "")
        chart.lines.append(Line(f"{name} imports", points, color="#1f5f8b"))
        chart.lines.append(Line(f"{name} trigger", trigger,
                                color="#b3261e", dashed=True, step=True))
    act = current.get("activation")
    if act:
        chart.bands.append(Band(f"safeguard {act['duty']}", dt.date.fromisoformat(act["start"]),
                                dt.date.fromisoformat(act["end"])))
    return render(chart)
