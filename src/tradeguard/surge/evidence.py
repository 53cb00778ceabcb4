"""Investigation evidence pack: the Art. 4.2(a) indicators for one line and a partner set.

WTO Agreement on Safeguards Art. 4.2(a): the competent authorities evaluate "the rate and
amount of the increase in imports of the product concerned in absolute and relative terms, the
share of the domestic market taken by increased imports, changes in the level of sales,
production, productivity, capacity utilization, profits and losses, and employment".  Imports
come from the data (summed in Ibis); the domestic series are inputs (``domestic``), because no
import file holds them.  The pack is data (``to_dict``, ``to_json``); the faces
render it (``tradeguard.web.evidence.evidence_html``: HTML with inline SVG charts).  A proposed
measure, if given, is checked with :func:`check_measure`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tradeguard.data.backends import to_arrow
from tradeguard.errors import InputError, problem
from tradeguard.periods import fiscal_year
from tradeguard.rules.lookup import normalise_line
from tradeguard.surge.measures import Proposal, check_measure, limits, problems_as_dicts
from tradeguard.units import KG_PER_TONNE

DOMESTIC_SERIES = ("production", "sales", "capacity_utilization", "employment", "prices",
                   "productivity", "profits")
ARTICLE_42A = ("WTO Agreement on Safeguards Art. 4.2(a): rate and amount of the increase in "
               "imports in absolute and relative terms; share of the domestic market taken by "
               "increased imports; changes in sales, production, productivity, capacity "
               "utilization, profits and losses, and employment.")


@dataclass
class EvidencePack:
    tariff_line: str
    partners: list[str] | None
    as_of: dt.date
    year_start_month: int
    monthly: list[dict[str, Any]]
    yearly: list[dict[str, Any]]
    indicators: dict[str, Any]
    domestic: dict[str, dict[int, float]]
    trends: dict[str, dict[str, Any]]
    flags: list[dict[str, Any]] = field(default_factory=list)
    measure_check: list[dict[str, str]] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tariff_line": self.tariff_line, "partners": self.partners or "all",
            "as_of": self.as_of.isoformat(), "year_start_month": self.year_start_month,
            "basis": ARTICLE_42A, "indicators": self.indicators, "yearly": self.yearly,
            "monthly": self.monthly,
            "domestic": {k: {str(y): v for y, v in s.items()} for k, s in self.domestic.items()},
            "trends": self.trends, "surge_flags": self.flags,
            "measure_check": self.measure_check,
            "safeguard_limits": {k: {"value": v.value, "article": v.article, "status": v.status}
                                 for k, v in limits().items()},
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)


def evidence_pack(imports: Any, *, tariff_line: str, as_of: dt.date,
                  partners: Sequence[str] | None = None,
                  domestic: Mapping[str, Mapping[int, float]] | None = None,
                  proposal: Proposal | Mapping[str, Any] | None = None,
                  year_start_month: int = 4, backend: Any = None,
                  flags: Any = None) -> EvidencePack:
    """Assemble the evidence for ``tariff_line`` (a prefix: ``0201`` covers every 0201 line)
    from ``partners`` (None: all) as of ``as_of``.

    ``domestic``: series by name (``production``, ``sales``, ``capacity_utilization``,
    ``employment``, ``prices`` ...), each ``{year: value}`` for the same (fiscal) years;
    production and sales in tonnes.  ``flags``: surge flags from :func:`scan` (filtered here to
    the line and partners).  ``proposal``: a measure to check against the Agreement.
    """
    import ibis

    from tradeguard.surge.detect import _bind

    line = normalise_line(tariff_line)
    if not line.isdigit():
        raise InputError(problem(f"tariff line {tariff_line!r} is not digits",
                                 where="evidence_pack(tariff_line=...)",
                                 fix="give an HS or statistical code prefix such as 0201"))
    con, t = _bind(imports, backend)
    rows = t.filter((t.period_end <= ibis.literal(as_of)) & (t.quantity_unit == "kg")
                    & t.tariff_line.startswith(line))
    if partners:
        rows = rows.filter(rows.partner.isin(list(partners)))
    month = rows.mutate(y=rows.period_start.year(), m=rows.period_start.month())
    sums = month.group_by(["y", "m"]).aggregate(q=month.quantity.sum(), v=month.value.sum())
    got = to_arrow(con, sums.order_by(["y", "m"])).to_pylist()
    if not got:
        raise InputError(problem(f"no imports of {line} from {', '.join(partners or ['any partner'])}"
                                 f" by {as_of}", where="evidence_pack",
                                 fix="check the line prefix, the partners and as_of"))
    monthly = [{"period": f"{r['y']:04d}-{r['m']:02d}", "quantity_t": r["q"] / KG_PER_TONNE,
                "value": r["v"]} for r in got]
    years: dict[int, dict[str, float]] = {}
    for r in got:
        fy = fiscal_year(dt.date(r["y"], r["m"], 1), year_start_month)
        acc = years.setdefault(fy, {"quantity_t": 0.0, "value": 0.0, "months": 0})
        acc["quantity_t"] += r["q"] / KG_PER_TONNE
        acc["value"] += r["v"]
        acc["months"] += 1
    dom = {k: {int(y): float(v) for y, v in s.items()} for k, s in (domestic or {}).items()}
    unknown = sorted(set(dom) - set(DOMESTIC_SERIES))
    notes = []
    if unknown:
        notes.append(f"domestic series not among the Art. 4.2(a) factors, shown as given: "
                     f"{', '.join(unknown)}")
    yearly = []
    for fy in sorted(years):
        acc = years[fy]
        row: dict[str, Any] = {"year": fy, "quantity_t": acc["quantity_t"],
                               "value": acc["value"], "months": acc["months"],
                               "complete": acc["months"] == 12}
        prod, sales = dom.get("production", {}).get(fy), dom.get("sales", {}).get(fy)
        if prod:
            row["imports_per_production"] = acc["quantity_t"] / prod
        # apparent market: domestic sales (else production) plus imports
        base = sales if sales is not None else prod
        if base is not None:
            row["market_share"] = acc["quantity_t"] / (base + acc["quantity_t"])
        yearly.append(row)
    complete = [r for r in yearly if r["complete"]]
    if len(complete) < len(yearly):
        notes.append("years with fewer than 12 months of data are shown but left out of the "
                     "rates of increase: " + ", ".join(str(r["year"]) for r in yearly
                                                       if not r["complete"]))
    ind = _indicators(complete)
    trends = {k: _trend(s) for k, s in sorted(dom.items())}
    flag_rows = _flags_for(flags, line, partners)
    check = None
    if proposal is not None:
        check = problems_as_dicts(check_measure(proposal))
    return EvidencePack(line, list(partners) if partners else None, as_of, year_start_month,
                        monthly, yearly, ind, dom, trends, flag_rows, check, notes)


def _indicators(complete: list[dict[str, Any]]) -> dict[str, Any]:
    if len(complete) < 2:
        return {"note": "fewer than two complete years: no rate of increase"}
    first, prev, last = complete[0], complete[-2], complete[-1]
    n = last["year"] - first["year"]
    out: dict[str, Any] = {
        "period": f"{first['year']} to {last['year']}",
        "amount_of_increase_t": last["quantity_t"] - first["quantity_t"],
        "rate_of_increase": _rate(first["quantity_t"], last["quantity_t"]),
        "annual_growth_rate": ((last["quantity_t"] / first["quantity_t"]) ** (1 / n) - 1)
        if first["quantity_t"] > 0 and n > 0 else None,
        "last_year_increase_t": last["quantity_t"] - prev["quantity_t"],
        "last_year_rate": _rate(prev["quantity_t"], last["quantity_t"]),
    }
    if "imports_per_production" in first and "imports_per_production" in last:
        out["relative_increase"] = (last["imports_per_production"]
                                    - first["imports_per_production"])
    if "market_share" in first and "market_share" in last:
        out["market_share_first"] = first["market_share"]
        out["market_share_last"] = last["market_share"]
        out["market_share_change"] = last["market_share"] - first["market_share"]
    return out


def _rate(a: float, b: float) -> float | None:
    return (b - a) / a if a else None


def _trend(series: Mapping[int, float]) -> dict[str, Any]:
    ys = sorted(series)
    if not ys:
        return {}
    first, last = series[ys[0]], series[ys[-1]]
    slope = None
    if len(ys) >= 2:
        mx = sum(ys) / len(ys)
        my = sum(series[y] for y in ys) / len(ys)
        den = sum((y - mx) ** 2 for y in ys)
        slope = sum((y - mx) * (series[y] - my) for y in ys) / den if den else None
    return {"first_year": ys[0], "last_year": ys[-1], "first": first, "last": last,
            "change": last - first, "rate": _rate(first, last), "slope_per_year": slope,
            "direction": "up" if last > first else "down" if last < first else "flat"}


def _flags_for(flags: Any, line: str, partners: Sequence[str] | None) -> list[dict[str, Any]]:
    if flags is None:
        return []
    out = []
    for r in flags.to_pylist():
        if not r["tariff_line"].startswith(line):
            continue
        if partners and r["partner"] not in partners:
            continue
        out.append({k: r[k] for k in ("tariff_line", "partner", "period", "method", "label",
                                      "explanation")})
    return out
