"""The measure page's chart (Vega-Lite): counted imports month by month against the trigger,
earlier years to date on this year's calendar, the forecast with its 10-90% band, the crossing
and the activation window.

Each month's cumulative total is drawn under that month's tick.  Earlier years stop at the
month this year's data reaches: their later months would read as a forecast they are not.
An unknown trigger is left out, never drawn as 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tradeguard.periods import add_months, parse_period_key
from tradeguard.web.vega import (
    BLUE,
    GREY,
    RED,
    frame,
    legend_toggle,
    month_of,
    shown_opacity,
    tonnes,
    tooltip,
    utc_time,
    zoom,
)

EARLIER_GREYS = ("#8a8a8a", "#7a6a9a", "#6a8a9a", "#9a7a6a")
LEAD_DAYS = 8
BAND = "forecast 10-90%"
MEDIAN = "forecast (median)"
TIP = tooltip(("series", "series"), ("day", "date"), ("value", "cumulative"))


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _row(series: str, day: dt.date, value: float, shown_day: dt.date | None = None) -> dict:
    return {"series": series, "month": month_of(shown_day or day), "day": day.isoformat(),
            "t": value, "value": tonnes(value)}


def _current(timeline: dict[str, Any]) -> tuple[list[dict], list[dict], list[str]]:
    """(imports rows, trigger rows, series names) of the period shown."""
    imports, triggers, names = [], [], []
    several = len(timeline["conditions"]) > 1
    for cond in timeline["conditions"]:
        name = timeline["period"] + (f" {cond['condition_id']}" if several else "")
        names += [f"{name} imports", f"{name} trigger"]
        for p in cond["points"]:
            imports.append(_row(f"{name} imports", _day(p["date"]), p["cumulative_t"]))
            if p["trigger_t"] is not None:  # an unknown trigger is not drawn as 0
                triggers.append(_row(f"{name} trigger", _day(p["date"]), p["trigger_t"]))
    return imports, triggers, names


def _earlier(timeline: dict[str, Any], earlier: list[dict[str, Any]],
             limit: dt.date) -> tuple[list[dict], list[str]]:
    """Earlier periods' first condition, shifted by whole years onto this period's calendar,
    up to ``limit`` (the last day this period's data reaches)."""
    this_year = parse_period_key(timeline["period"])
    rows, names = [], []
    for past in sorted(earlier, key=lambda t: t["period"], reverse=True):
        months = 12 * (this_year - parse_period_key(past["period"]))
        name = f"{past['period']} imports to date"
        for cond in past["conditions"][:1]:
            for p in cond["points"]:
                shown = add_months(_day(p["date"]), months)
                if shown <= limit:
                    rows.append(_row(name, _day(p["date"]), p["cumulative_t"], shown))
        if rows and rows[-1]["series"] == name:  # no legend entry for a year with no month shown
            names.append(name)
    return rows, names


def _forecast(timeline: dict[str, Any], last: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """The median from the last month counted to the period's end, and the 10-90% band."""
    fc, end = timeline["forecast"], _day(timeline["period_end"])
    start = {"month": last["month"], "day": last["day"], "t": last["t"]}
    median = [{**start, "series": MEDIAN, "value": tonnes(last["t"])},
              {"series": MEDIAN, "month": month_of(end), "day": end.isoformat(),
               "t": fc["projected_t"], "value": tonnes(fc["projected_t"])}]
    band = [{**start, "series": BAND, "low": last["t"], "high": last["t"],
             "value": tonnes(last["t"])},
            {"series": BAND, "month": month_of(end), "day": end.isoformat(),
             "low": fc["low_t"], "high": fc["high_t"],
             "value": f"{fc['low_t']:,.0f} to {fc['high_t']:,.0f} t"}]
    return median, band


def _encoding(axes: dict[str, Any], y: str = "t", **more: Any) -> dict[str, Any]:
    """Every layer states its channels in full (a layer's channel replaces a shared one)."""
    return {"x": axes["x"], "y": {**axes["y"], "field": y}, "color": axes["color"],
            "opacity": shown_opacity(), **more}


def _line(rows: list[dict], axes: dict[str, Any], *, interpolate: str = "linear",
          dash: list[int] | None = None) -> dict[str, Any]:
    mark: dict[str, Any] = {"type": "line", "interpolate": interpolate, "strokeWidth": 2}
    if dash:
        mark["strokeDash"] = dash
    return {"data": {"values": rows}, "mark": mark, "encoding": _encoding(axes)}


def _points(rows: list[dict], axes: dict[str, Any]) -> dict[str, Any]:
    """The checkpoints: the marks a pointer hovers for their values."""
    return {"name": "checkpoints", "data": {"values": rows},
            "mark": {"type": "point", "filled": True, "size": 45},
            "params": [zoom("x", "y")], "encoding": _encoding(axes, tooltip=TIP)}


def _band(rows: list[dict], axes: dict[str, Any]) -> dict[str, Any]:
    return {"data": {"values": rows}, "mark": {"type": "area", "fillOpacity": 0.3},
            "encoding": _encoding(axes, y="low", y2={"field": "high"},
                                  tooltip=tooltip(("series", "series"), ("value", "range")))}


def _window(act: dict[str, Any], axes_x: dict[str, Any]) -> dict[str, Any]:
    text = (f"safeguard {act['duty']}: {act['start']} to {act['end']}"
            + (f" (announced {act['announced_on']})" if act.get("announced_on") else ""))
    return {"data": {"values": [{"start": act["start"], "end": act["end"], "what": text}]},
            "mark": {"type": "rect", "color": "#f2c14e", "opacity": 0.35},
            "encoding": {"x": {**axes_x, "field": "start"}, "x2": {"field": "end"},
                         "tooltip": tooltip(("what", "activation"))}}


def _crossing(day: str, axes_x: dict[str, Any]) -> dict[str, Any]:
    row = {"month": month_of(_day(day)), "what": f"trigger crossed: {day}"}
    return {"data": {"values": [row]}, "layer": [
        {"mark": {"type": "rule", "color": RED, "strokeWidth": 2},
         "encoding": {"x": axes_x, "tooltip": tooltip(("what", "crossing"))}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "dy": 6, "color": RED, "y": 0},
         "encoding": {"x": axes_x, "text": {"field": "what"}}}]}


def measure_spec(timeline: dict[str, Any], earlier: list[dict[str, Any]],
                 as_of: str) -> dict[str, Any] | None:
    """The Vega-Lite spec of a measure's period (``PeriodStatus.timeline()``) with earlier
    periods (the same shape) to date; None when there is no count to draw (an empty chart
    would read as zero imports)."""
    imports, triggers, names = _current(timeline)
    limit = max((_day(r["day"]) for r in imports), default=_day(as_of))
    past, past_names = _earlier(timeline, earlier, limit)
    if not (imports or triggers or past):
        return None
    drawn = {r["series"] for r in imports + triggers}  # no legend entry for an unknown trigger
    colors = {n: (RED if n.endswith("trigger") else BLUE) for n in names if n in drawn}
    colors |= {n: EARLIER_GREYS[i % 4] for i, n in enumerate(past_names)}
    fc = timeline.get("forecast") if imports else None
    if fc:
        colors |= {MEDIAN: GREY, BAND: "#bbbbbb"}
    axes = _axes(timeline, colors)
    layers: list[dict[str, Any]] = []
    if timeline.get("activation"):
        layers.append(_window(timeline["activation"], axes["x"]))
    if fc:
        median, band = _forecast(timeline, max(imports, key=lambda r: r["day"]))
        layers += [_band(band, axes), _line(median, axes, dash=[6, 4])]
    else:
        median = []
    layers += [_line(past + imports, axes),
               _line(triggers, axes, interpolate="step-after", dash=[6, 4]),
               _points(imports + past + triggers + median[1:], axes)]
    # Vega-Lite draws the merged legend from the first layer with a colour, and binds a legend
    # toggle only there; the toggle's test is by series, so it fades every layer alike.
    first = next(layer for layer in layers if "color" in layer.get("encoding", {}))
    first["params"] = [legend_toggle("series")]
    if timeline.get("crossing_date"):
        layers.append(_crossing(timeline["crossing_date"], axes["x"]))
    return frame(f"{timeline['measure_id']} · {timeline['period']}",
                 "Cumulative counted imports against the trigger, by month", layers)


def _axes(timeline: dict[str, Any], colors: dict[str, str]) -> dict[str, Any]:
    # The axis starts a little before the period, so April's point, on 1 April, shows whole.
    period = (_day(timeline["period_start"]) - dt.timedelta(days=LEAD_DAYS),
              _day(timeline["period_end"]))
    x = utc_time("month", domain=period)
    x["scale"]["padding"] = 0
    return {"x": x,
            "y": {"type": "quantitative", "title": "tonnes (cumulative)",
                  "axis": {"format": ",.0f"}},
            "color": {"field": "series", "type": "nominal", "title": None,
                      "scale": {"domain": list(colors), "range": list(colors.values())}}}
