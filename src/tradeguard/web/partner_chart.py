"""One chart for `tradeguard formula compare --group`: each agreement's safeguard trigger by
fiscal year, side by side (issue 16).  A year whose trigger the research did not find has no
point (never a zero); the legend wraps, one row per three measures."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from tradeguard.web.svg import PALETTE, _fmt, _nice_step

WIDTH, LEFT, RIGHT, TOP, PLOT_H, LEGEND_ROW = 760, 84, 20, 40, 280, 18


def _series(data: dict[str, Any]) -> list[tuple[str, list[tuple[int, float]]]]:
    return [(m["measure_id"], [(y["fy"], float(y["trigger_t"])) for y in m["years"]
                               if y["trigger_t"] is not None]) for m in data["measures"]]


def partner_triggers_svg(data: dict[str, Any]) -> str:
    """The chart as an SVG document: fiscal years across, trigger tonnes up."""
    series = _series(data)
    fys = data["fiscal_years"] or [0]
    y_max = max([v for _, pts in series for _, v in pts] + [1.0]) * 1.08
    step = _nice_step(y_max)
    y_max = math.ceil(y_max / step) * step
    plot_w = WIDTH - LEFT - RIGHT
    rows = math.ceil(len(series) / 3) or 1
    height = TOP + PLOT_H + 40 + LEGEND_ROW * rows

    def x(fy: int) -> float:
        return LEFT + plot_w * (fy - fys[0] + 0.5) / len(fys)

    def y(value: float) -> float:
        return TOP + PLOT_H * (1 - value / y_max)

    title = f"{data['group']}: safeguard trigger (t) by fiscal year, every encoded agreement"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
           f'aria-labelledby="chart-title" class="tg-chart" font-family="sans-serif" '
           f'font-size="12"><title id="chart-title">{escape(title)}</title>',
           f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
           f'<text x="{LEFT}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>']
    value = 0.0
    while value <= y_max + 1e-9:
        out.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(value):.1f}" '
                   f'y2="{y(value):.1f}" stroke="#e3e3e3"/><text x="{LEFT - 6}" '
                   f'y="{y(value) + 4:.1f}" text-anchor="end">{_fmt(value)}</text>')
        value += step
    every = max(1, len(fys) // 12)
    out += [f'<text x="{x(fy):.1f}" y="{TOP + PLOT_H + 18}" text-anchor="middle">FY{fy}</text>'
            for i, fy in enumerate(fys) if i % every == 0]
    for i, (label, pts) in enumerate(series):
        out += _line(label, pts, PALETTE[i % len(PALETTE)], x, y)
        lx, ly = LEFT + 220 * (i % 3), TOP + PLOT_H + 40 + LEGEND_ROW * (i // 3)
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="2"/>'
                   f'<text x="{lx + 24}" y="{ly}">{escape(label)}'
                   f'{"" if pts else " (no trigger found)"}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _line(label: str, pts: list[tuple[int, float]], color: str, x: Any, y: Any) -> list[str]:
    if not pts:
        return []
    coords = " ".join(f"{x(fy):.1f},{y(v):.1f}" for fy, v in pts)
    marks = [f'<circle class="mark" cx="{x(fy):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
             f'<title>{escape(label)} FY{fy}: {_fmt(v)} t</title></circle>' for fy, v in pts]
    return [f'<polyline class="series" data-label="{escape(label)}" fill="none" '
            f'stroke="{color}" stroke-width="2" points="{coords}"/>', *marks]
