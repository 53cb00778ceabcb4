"""Small, dependency-free SVG charts: they render offline, in a browser or as a file.

The monitor's timeline (cumulative imports against the trigger) is the main
user; the dashboard embeds the same SVG, so a chart looks the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

WIDTH, HEIGHT = 760, 380
MARGIN = {"left": 84, "right": 20, "top": 40, "bottom": 56}
PALETTE = ["#1f5f8b", "#8b1f5f", "#5f8b1f", "#b3661a", "#555555", "#1a9eb3"]


@dataclass
class Line:
    label: str
    points: Sequence[tuple[dt.date, float]]
    color: str | None = None
    dashed: bool = False
    step: bool = False  # draw as a step function (a trigger that changes by quarter)


@dataclass
class Band:
    label: str
    start: dt.date
    end: dt.date
    color: str = "#f2c14e"


@dataclass
class Chart:
    title: str
    y_label: str
    lines: list[Line] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    x_range: tuple[dt.date, dt.date] | None = None  # default: the data's own span
    y_max: float | None = None  # a bound the values cannot pass (a probability: 1)


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    power = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for mult in (1, 2, 2.5, 5, 10):
        if raw <= mult * power:
            return mult * power
    return 10 * power


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.2f}"


def render(chart: Chart) -> str:
    """The chart as an SVG document (a string)."""
    points = [p for line in chart.lines for p in line.points]
    days = [p[0] for p in points] + [d for b in chart.bands for d in (b.start, b.end)]
    days += list(chart.x_range or ())
    if not days:
        days = [dt.date(2000, 1, 1), dt.date(2000, 12, 31)]
    x0, x1 = min(days), max(days)
    if x1 == x0:
        x1 = x0 + dt.timedelta(days=1)
    y_max = chart.y_max or max([p[1] for p in points] + [1.0]) * 1.08
    step = _nice_step(y_max)
    y_max = math.ceil(y_max / step) * step
    left, top = MARGIN["left"], MARGIN["top"]
    plot_w = WIDTH - left - MARGIN["right"]
    plot_h = HEIGHT - top - MARGIN["bottom"]

    def x(day: dt.date) -> float:
        return left + plot_w * (day - x0).days / (x1 - x0).days

    def y(value: float) -> float:
        return top + plot_h * (1 - value / y_max)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
           f'role="img" aria-labelledby="chart-title" class="tg-chart" '
           f'font-family="sans-serif" font-size="12">',
           f'<title id="chart-title">{escape(chart.title)}</title>',
           f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
           f'<text x="{left}" y="22" font-size="15" font-weight="bold">{escape(chart.title)}</text>']
    for band in chart.bands:
        bx0, bx1 = max(x(band.start), left), min(x(band.end), left + plot_w)
        if bx1 > bx0:
            out.append(f'<rect class="band" x="{bx0:.1f}" y="{top}" width="{bx1 - bx0:.1f}" '
                       f'height="{plot_h}" fill="{band.color}" fill-opacity="0.35">'
                       f'<title>{escape(band.label)}: {band.start} to {band.end}</title></rect>')
    value = 0.0
    while value <= y_max + 1e-9:
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" '
                   f'y2="{y(value):.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
                   f'{_fmt(value)}</text>')
        value += step
    month = dt.date(x0.year, x0.month, 1)
    months = []
    while month <= x1:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    every = max(1, len(months) // 12)
    for i, m in enumerate(months):
        if m >= x0 and i % every == 0:
            out.append(f'<text x="{x(m):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                       f'{m.strftime("%Y-%m")}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" '
               f'y2="{top + plot_h}" stroke="#333"/>'
               f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#333"/>')
    out.append(f'<text transform="translate(16 {top + plot_h / 2}) rotate(-90)" '
               f'text-anchor="middle">{escape(chart.y_label)}</text>')
    for i, line in enumerate(chart.lines):
        out += _series(i, line, x, y, left)
    out.append("</svg>")
    return "\n".join(out)


def _series(i: int, line: Line, x: Callable[[dt.date], float], y: Callable[[float], float],
            left: float) -> list[str]:
    """One line of the chart (a step line or points with their values) and its legend key."""
    color = line.color or PALETTE[i % len(PALETTE)]
    pts = sorted(line.points)
    if not pts:
        return []
    coords = []
    for j, (day, val) in enumerate(pts):
        if line.step and j:
            coords.append(f"{x(day):.1f},{y(pts[j - 1][1]):.1f}")
        coords.append(f"{x(day):.1f},{y(val):.1f}")
    dash = ' stroke-dasharray="6 4"' if line.dashed else ""
    out = [f'<polyline class="series" data-label="{escape(line.label)}" fill="none" '
           f'stroke="{color}" stroke-width="2"{dash} points="{" ".join(coords)}"/>']
    if not line.step:
        out += [f'<circle class="mark" cx="{x(day):.1f}" cy="{y(val):.1f}" r="3" '
                f'fill="{color}"><title>{escape(line.label)} {day}: '
                f'{_fmt(val)}</title></circle>' for day, val in pts]
    ly, lx = HEIGHT - 14, left + 170 * i
    out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" '
               f'stroke="{color}" stroke-width="2"{dash}/>'
               f'<text x="{lx + 24}" y="{ly}">{escape(line.label)}</text>')
    return out
