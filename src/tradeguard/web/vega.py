"""What every Vega-Lite chart of the desk shares: the spec's frame, zoom and pan, legend
toggles, and numbers formatted in Python for tooltips.

Specs are plain dicts built from the data the core returns; the page embeds them as JSON and
``static/charts.js`` draws them with the package's own Vega (no CDN, no eval).  Dates travel
as ISO strings and every time scale is UTC, so a month never slips into its neighbour in
another time zone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

# An identifier of the spec's language; nothing is fetched from it.
SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
BLUE, RED, GREY, AMBER, GREEN, PURPLE = ("#1f5f8b", "#b3261e", "#777777", "#f2c14e",
                                         "#2ca02c", "#8b1f5f")
CONFIG = {"font": "system-ui, sans-serif", "axis": {"labelFontSize": 12, "titleFontSize": 12},
          "legend": {"labelFontSize": 12, "orient": "bottom", "columns": 2, "labelLimit": 320},
          "title": {"fontSize": 15, "anchor": "start"}, "view": {"stroke": None}}
MONTH_AXIS = {"format": "%b %Y", "labelAngle": 0, "title": None, "tickCount": "month",
              "labelOverlap": True}


def frame(title: str, description: str, layers: list[dict[str, Any]],
          height: int = 320) -> dict[str, Any]:
    """A layered chart as wide as its container."""
    return {"$schema": SCHEMA, "title": title, "description": description,
            "width": "container", "height": height,
            "autosize": {"type": "fit-x", "contains": "padding"},
            "config": CONFIG, "layer": layers}


def zoom(*encodings: str) -> dict[str, Any]:
    """Wheel to zoom, drag to pan, double-click to reset (the scales follow)."""
    return {"name": "zoom", "select": {"type": "interval", "encodings": list(encodings)},
            "bind": "scales"}


def legend_toggle(field: str) -> dict[str, Any]:
    """Click a legend entry to show it alone; shift-click for more; double-click for all."""
    return {"name": "shown", "select": {"type": "point", "fields": [field]}, "bind": "legend"}


def shown_opacity(on: float = 1.0) -> dict[str, Any]:
    return {"condition": {"param": "shown", "value": on, "empty": True}, "value": 0.12}


def utc_time(field: str, axis: dict[str, Any] | None = None,
             domain: tuple[dt.date, dt.date] | None = None) -> dict[str, Any]:
    # A few pixels beyond the domain, so a point on its first or last day is drawn whole.
    enc: dict[str, Any] = {"field": field, "type": "temporal", "axis": axis or MONTH_AXIS,
                           "scale": {"type": "utc", "padding": 8}}
    if domain:
        enc["scale"]["domain"] = [_datetime(domain[0]), _datetime(domain[1])]
    return enc


def _datetime(day: dt.date) -> dict[str, Any]:
    return {"year": day.year, "month": day.month, "date": day.day, "utc": True}


def month_of(day: dt.date) -> str:
    """The month a checkpoint belongs to, drawn at the month's first day under its tick."""
    return day.replace(day=1).isoformat()


def tonnes(value: float | None) -> str:
    return "no data" if value is None else f"{value:,.0f} t"


def tooltip(*fields: tuple[str, str]) -> list[dict[str, Any]]:
    """Tooltip lines from (field, title) pairs of text the server has already formatted."""
    return [{"field": f, "type": "nominal", "title": t} for f, t in fields]
