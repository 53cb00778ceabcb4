"""The chart of one surge flag's series: monthly imports of a line from a partner, with the
flagged month shaded (the shared SVG helpers of ``web/svg.py``; no script)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tradeguard.web.svg import Band, Chart, Line, render


def _month(label: str) -> dt.date:
    year, month = label.split("-")
    return dt.date(int(year), int(month), 1)


def series_svg(line: str, partner: str, points: list[dict[str, Any]],
               flagged: str | None) -> str:
    """Monthly tonnes of ``line`` from ``partner`` (``*``: all partners); ``flagged`` (a
    ``YYYY-MM``) is shaded."""
    who = "all partners" if partner == "*" else partner
    chart = Chart(title=f"{line} from {who}: monthly imports", y_label="tonnes a month")
    chart.lines.append(Line("imports", [(_month(p["period"]), p["quantity_t"])
                                        for p in points], color="#1f5f8b"))
    if flagged and len(flagged) == 7:
        start = _month(flagged)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        chart.bands.append(Band(f"flagged {flagged}", start, end))
    return render(chart)
