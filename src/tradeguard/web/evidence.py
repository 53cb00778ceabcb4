"""The safeguard evidence pack as an HTML document: a face over
:func:`tradeguard.surge.evidence_pack`, which returns data only.

The CLI (``tradeguard evidence --html``) and the desk (``/api/surges/evidence?format=html``)
both call :func:`evidence_html`.  The page is standalone (inline style and SVG charts, no
scripts, no CDN), so it can be saved and sent as one file.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.web.svg import Chart, Line, render

if TYPE_CHECKING:
    from tradeguard.surge.evidence import EvidencePack

TEMPLATES = Path(__file__).with_name("templates")
YEAR_COLUMNS = ("year", "quantity_t", "value", "months", "imports_per_production",
                "market_share")
TREND_COLUMNS = ("first_year", "last_year", "first", "last", "rate", "direction")
DOMESTIC_CHARTS = ("capacity_utilization", "employment", "prices", "sales")


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = _fmt
    return env


def _fmt(value: Any) -> str:
    """n/a for a gap (never a zero); small ratios with four decimals, amounts with one."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def evidence_html(pack: EvidencePack) -> str:
    """The pack as a standalone HTML page: indicators, yearly table, trends, charts, flags."""
    data = pack.to_dict()
    who = ", ".join(pack.partners) if pack.partners else "all partners"
    return _env().get_template("evidence.html").render(
        pack=data, who=who, charts=charts(pack), year_columns=YEAR_COLUMNS,
        trend_columns=TREND_COLUMNS)


def charts(pack: EvidencePack) -> list[str]:
    """SVG charts: monthly imports, yearly imports against production, market share and the
    domestic series given."""
    who = ", ".join(pack.partners) if pack.partners else "all partners"
    start = pack.year_start_month

    def yearly_points(series: dict[int, float]) -> list[tuple[dt.date, float]]:
        return [(dt.date(y, start, 1), v) for y, v in sorted(series.items())]

    monthly = Chart(f"Imports of {pack.tariff_line} from {who}, by month", "tonnes",
                    [Line("imports", [(dt.date.fromisoformat(r["period"] + "-01"),
                                       r["quantity_t"]) for r in pack.monthly])])
    yearly = Chart(f"Imports and domestic production of {pack.tariff_line}, by year", "tonnes",
                   [Line("imports", yearly_points({r["year"]: r["quantity_t"]
                                                   for r in pack.yearly}))])
    if "production" in pack.domestic:
        yearly.lines.append(Line("domestic production",
                                 yearly_points(pack.domestic["production"])))
    out = [render(monthly), render(yearly)]
    share = {r["year"]: 100 * r["market_share"] for r in pack.yearly if "market_share" in r}
    if share:
        out.append(render(Chart("Import share of the domestic market", "percent",
                                [Line("import share", yearly_points(share))])))
    for name in DOMESTIC_CHARTS:
        if name in pack.domestic:
            out.append(render(Chart(f"Domestic {name.replace('_', ' ')}", name,
                                    [Line(name, yearly_points(pack.domestic[name]))])))
    return out
