"""Charts for the design lab: year lines (reusing ``tradeguard.web.svg``) and a scatter of the
protection / market-access trade-off (dependency-free SVG)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

from tradeguard.web import svg

WIDTH, HEIGHT = 760, 420
PAD = {"left": 90, "right": 24, "top": 40, "bottom": 60}


def year_lines(title: str, y_label: str, series: dict[str, Sequence[tuple[int, float]]]) -> str:
    """One line per design over fiscal years (each year drawn at 1 April); ``y_label`` ``p``
    is a probability, on an axis from 0 to 1."""
    lines = [svg.Line(label=name, points=[(dt.date(year, 4, 1), float(v)) for year, v in pts])
             for name, pts in series.items()]
    if y_label == "p":
        return svg.render(svg.Chart(title=title, y_label="probability", lines=lines, y_max=1.0))
    return svg.render(svg.Chart(title=title, y_label=y_label, lines=lines))


def number(value: float) -> str:
    """A tick or a value as a reader writes it: 304,000 or 0.125, never 3.04e+05."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".") or "0"


def _ticks(lo: float, hi: float) -> list[float]:
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if raw <= m * power)
    start = math.floor(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 2)]


def scatter(title: str, x_label: str, y_label: str, points: Sequence[dict]) -> str:
    """Points with keys x, y, label, and flags frontier / between / position."""
    xs = [p["x"] for p in points] or [0.0]
    ys = [p["y"] for p in points] or [0.0]
    xt, yt = _ticks(min(xs), max(xs)), _ticks(min(ys), max(ys))
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]
    w = WIDTH - PAD["left"] - PAD["right"]
    h = HEIGHT - PAD["top"] - PAD["bottom"]

    def X(v: float) -> float:
        return PAD["left"] + w * (v - x0) / ((x1 - x0) or 1)

    def Y(v: float) -> float:
        return PAD["top"] + h * (1 - (v - y0) / ((y1 - y0) or 1))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
           f'class="tg-chart" font-family="sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>",
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
           f'<text x="{PAD["left"]}" y="22" font-size="15" font-weight="bold">{escape(title)}</text>']
    for v in xt:
        out.append(f'<line x1="{X(v):.1f}" x2="{X(v):.1f}" y1="{PAD["top"]}" '
                   f'y2="{PAD["top"] + h}" stroke="#eee"/><text x="{X(v):.1f}" '
                   f'y="{PAD["top"] + h + 16}" text-anchor="middle">{number(v)}</text>')
    for v in yt:
        out.append(f'<line x1="{PAD["left"]}" x2="{PAD["left"] + w}" y1="{Y(v):.1f}" '
                   f'y2="{Y(v):.1f}" stroke="#eee"/><text x="{PAD["left"] - 6}" '
                   f'y="{Y(v) + 4:.1f}" text-anchor="end">{number(v)}</text>')
    out.append(f'<text x="{PAD["left"] + w / 2}" y="{HEIGHT - 14}" text-anchor="middle">'
               f'{escape(x_label)}</text><text transform="translate(16 {PAD["top"] + h / 2}) '
               f'rotate(-90)" text-anchor="middle">{escape(y_label)}</text>')
    front = sorted((p for p in points if p.get("frontier")), key=lambda p: p["x"])
    if len(front) > 1:
        coords = " ".join(f"{X(p['x']):.1f},{Y(p['y']):.1f}" for p in front)
        out.append(f'<polyline class="series frontier" fill="none" stroke="#8b1f5f" '
                   f'stroke-width="2" points="{coords}"/>')
    for p in points:
        color = ("#d62728" if p.get("position") else "#2ca02c" if p.get("between")
                 else "#1f5f8b" if p.get("frontier") else "#9aa7b1")
        r = 6 if p.get("position") else 3
        out.append(f'<circle class="mark" cx="{X(p["x"]):.1f}" cy="{Y(p["y"]):.1f}" r="{r}" '
                   f'fill="{color}" fill-opacity="0.8"><title>{escape(str(p.get("label", "")))}'
                   f': {number(p["x"])}, {number(p["y"])}</title></circle>')
        if p.get("position"):
            out.append(f'<text x="{X(p["x"]) + 8:.1f}" y="{Y(p["y"]) - 8:.1f}">'
                       f'{escape(str(p["position"]))}</text>')
    legend = [("#d62728", "stated position"), ("#2ca02c", "between the positions"),
              ("#1f5f8b", "on the frontier"), ("#9aa7b1", "other designs")]
    for i, (c, text) in enumerate(legend):
        lx = PAD["left"] + 160 * i
        out.append(f'<circle cx="{lx}" cy="{HEIGHT - 36}" r="5" fill="{c}"/>'
                   f'<text x="{lx + 10}" y="{HEIGHT - 32}">{text}</text>')
    out.append("</svg>")
    return "\n".join(out)


def bars(title: str, y_label: str, rows: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars of relative changes (the sensitivity view), on a scale in percent."""
    n = max(len(rows), 1)
    hgt = 84 + 26 * n
    vmax = max([abs(v) for _, v in rows] + [1e-12])
    left, w = 260, WIDTH - 260 - 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {hgt}" role="img" '
           f'class="tg-chart" font-family="sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>", f'<rect width="{WIDTH}" height="{hgt}" fill="#fff"/>',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
           f'<text x="{left}" y="{hgt - 8}">{escape(y_label)}</text>']
    mid = left + w / 2
    for i, (label, v) in enumerate(rows):
        y = 40 + 26 * i
        bw = (w / 2) * abs(v) / vmax
        x = mid if v >= 0 else mid - bw
        out.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>'
                   f'<rect class="mark" x="{x:.1f}" y="{y}" width="{max(bw, 0.5):.1f}" '
                   f'height="18" fill="{"#1f5f8b" if v >= 0 else "#b3661a"}">'
                   f"<title>{escape(label)}: {v * 100:+.1f}%</title></rect>")
    axis_y = 40 + 26 * n + 4
    for frac in (-1, -0.5, 0, 0.5, 1):
        tx = mid + (w / 2) * frac
        out.append(f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{axis_y}" y2="{axis_y + 5}" '
                   f'stroke="#333"/><text x="{tx:.1f}" y="{axis_y + 18}" text-anchor="middle">'
                   f'{vmax * frac * 100:+.0f}%</text>')
    out.append(f'<line x1="{left}" x2="{left + w}" y1="{axis_y}" y2="{axis_y}" stroke="#333"/>'
               f'<line x1="{mid}" x2="{mid}" y1="34" y2="{axis_y}" stroke="#333"/></svg>')
    return "\n".join(out)
