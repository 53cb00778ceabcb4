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
# Each shown column of the yearly table: (key, heading with its unit, kind of value).
YEAR_COLUMNS = (("year", "fiscal year", "text"), ("quantity_t", "imports (t)", "t"),
                ("value", "value (JPY)", "jpy"), ("months", "months of data", "text"),
                ("imports_per_production", "imports per domestic production", "percent"),
                ("market_share", "import share of the domestic market", "percent"))
# The Art. 4.2(a) indicators in words, with the kind of value each is.
INDICATORS = {
    "period": ("years compared", "text"),
    "amount_of_increase_t": ("amount of increase", "t"),
    "rate_of_increase": ("rate of increase", "rate"),
    "annual_growth_rate": ("annual growth rate", "rate"),
    "last_year_increase_t": ("increase in the last year", "t"),
    "last_year_rate": ("rate of increase in the last year", "rate"),
    "relative_increase": ("increase relative to domestic production", "points"),
    "market_share_first": ("import share of the market, first year", "percent"),
    "market_share_last": ("import share of the market, last year", "percent"),
    "market_share_change": ("change in the import share of the market", "points"),
    "note": ("note", "text"),
}
# Units of the domestic series the pack knows (evidence_pack: production and sales in
# tonnes); any other series is shown in the units it was given in.
DOMESTIC_UNITS = {"production": "t", "sales": "t"}
DOMESTIC_CHARTS = ("capacity_utilization", "employment", "prices", "sales")


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = shown
    return env


def shown(value: Any, kind: str = "number") -> str:
    """A value as a reader writes it, with its unit: ``2,705.4 t``, ``+2.2%``, ``1.5 points``,
    ``1,234,567 JPY``; ``n/a`` for a gap (never a zero); rates never as bare fractions."""
    if value is None:
        return "n/a"
    if kind == "text" or isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "t":
        return f"{value:,.1f} t"
    if kind == "jpy":
        return f"{value:,.0f} JPY"
    if kind == "percent":
        return f"{100 * value:,.1f}%"
    if kind == "rate":
        return f"{100 * value:+,.1f}%"
    if kind == "points":
        return f"{100 * value:+,.1f} points"
    return f"{value:,.4g}" if abs(value) < 10 else f"{value:,.1f}"


def indicator_rows(indicators: dict[str, Any]) -> list[tuple[str, str]]:
    """The indicators as (words, value with its unit) rows, for the page and the CLI."""
    rows = []
    for key, value in indicators.items():
        words, kind = INDICATORS.get(key, (key.replace("_", " "), "number"))
        rows.append((words, shown(value, kind)))
    return rows


def _trend_rows(trends: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each domestic series' trend: levels in the series' unit, the rate as a percent."""
    rows = []
    for name, trend in trends.items():
        unit = DOMESTIC_UNITS.get(name)
        kind = "t" if unit == "t" else "number"
        rows.append({"name": name, "unit": unit or "as given",
                     "from": shown(trend.get("first_year"), "text"),
                     "to": shown(trend.get("last_year"), "text"),
                     "first": shown(trend.get("first"), kind),
                     "last": shown(trend.get("last"), kind),
                     "rate": shown(trend.get("rate"), "rate"),
                     "direction": shown(trend.get("direction"), "text")})
    return rows


def _line_words(code: str) -> str | None:
    from tradeguard.data.nomenclature import describe

    return describe(code)


def evidence_html(pack: EvidencePack) -> str:
    """The pack as a standalone HTML page: indicators, yearly table, trends, charts, flags;
    every value with its unit, rates as percents, the line with its HS description."""
    data = pack.to_dict()
    who = ", ".join(pack.partners) if pack.partners else "all partners"
    return _env().get_template("evidence.html").render(
        pack=data, who=who, charts=charts(pack), year_columns=YEAR_COLUMNS,
        indicators=indicator_rows(pack.indicators), trends=_trend_rows(pack.trends),
        line_words=_line_words(pack.tariff_line))


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
            unit = DOMESTIC_UNITS.get(name, "as given")
            out.append(render(Chart(f"Domestic {name.replace('_', ' ')}", unit,
                                    [Line(name, yearly_points(pack.domestic[name]))])))
    return out
