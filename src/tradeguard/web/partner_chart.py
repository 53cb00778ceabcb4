"""One chart for `tradeguard formula compare --group`: each agreement's safeguard trigger by
fiscal year, side by side (issue 16).  A year whose trigger the research did not find has no
point (never a zero); a part year (the first, from entry into force) is a hollow point off the
line, so its smaller figure is not read as a fall; the legend wraps, three measures a row."""

from __future__ import annotations

import math
from html import escape
from typing import Any

from tradeguard.periods import period_key
from tradeguard.web.svg import PALETTE, _fmt, _nice_step

WIDTH, LEFT, RIGHT, TOP, PLOT_H, LEGEND_ROW = 760, 84, 20, 40, 280, 18


Point = tuple[int, float, bool]  # fiscal year, trigger (t), part year


def _series(data: dict[str, Any]) -> list[tuple[str, list[Point]]]:
    return [(m["measure_id"], [(y["fy"], float(y["trigger_t"]), y["partial_year"])
                               for y in m["years"] if y["trigger_t"] is not None])
            for m in data["measures"]]


def partner_triggers_svg(data: dict[str, Any]) -> str:
    """The chart as an SVG document: fiscal years across, trigger tonnes up."""
    series = _series(data)
    fys = data["fiscal_years"] or [0]
    y_max = max([v for _, pts in series for _, v, _ in pts] + [1.0]) * 1.08
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
    every = max(1, math.ceil(len(fys) * 52 / plot_w))  # about 52 px per label
    out += [f'<text x="{x(fy):.1f}" y="{TOP + PLOT_H + 18}" '
            f'text-anchor="middle">{period_key(fy)}</text>'
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


def _line(label: str, pts: list[Point], color: str, x: Any, y: Any) -> list[str]:
    if not pts:
        return []
    coords = " ".join(f"{x(fy):.1f},{y(v):.1f}" for fy, v, part in pts if not part)
    marks = [f'<circle class="mark" cx="{x(fy):.1f}" cy="{y(v):.1f}" r="3" '
             f'fill="{"none" if part else color}" stroke="{color}"><title>{escape(label)} '
             f'{period_key(fy)}: {_fmt(v)} t{" (part year)" if part else ""}</title></circle>'
             for fy, v, part in pts]
    return [f'<polyline class="series" data-label="{escape(label)}" fill="none" '
            f'stroke="{color}" stroke-width="2" points="{coords}"/>', *marks]
