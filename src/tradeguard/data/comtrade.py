"""UN Comtrade CSV exports, legacy and current column names -> canonical rows.

Two dialects are recognised by their header:

- legacy (comtrade.un.org, before 2023): ``Classification, Year, Period, Trade Flow, Reporter ISO,
  Partner Code, Partner ISO, Commodity Code, Netweight (kg), Trade Value (US$)`` ...
- current (Comtrade+ API v1 / ``comtradeapicall``): ``classificationCode, period, flowCode,
  reporterISO, partnerCode, partnerISO, cmdCode, netWgt, primaryValue`` ... (names as returned
  by the API's getFinalData/previewFinalData; ``refYear``/``refMonth`` are not needed because
  ``period`` is ``YYYY`` or ``YYYYMM`` in both dialects).

Rows that are not wanted are *skipped and counted* (never silently): other trade flows, World
partner totals, the ``TOTAL`` commodity, and breakdown rows by 2nd partner, customs procedure or
transport mode (keeping them would double count the totals).  Rows that are wrong are problems and
stop the ingest: a missing net weight, a non-numeric number, an unknown partner, a non-HS
classification, two HS revisions in the same period, or a second reporter in the file.  Annual
periods become ``granularity = year``; values are US dollars; ``regime`` is unknown (null).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from tradeguard.data.frames import ROW, check

if TYPE_CHECKING:
    import ibis.expr.types as ir

# role -> (legacy header, current header)
ROLES: dict[str, tuple[str, str]] = {
    "classification": ("Classification", "classificationCode"),
    "period": ("Period", "period"),
    "flow": ("Trade Flow", "flowCode"),
    "reporter": ("Reporter ISO", "reporterISO"),
    "partner_code": ("Partner Code", "partnerCode"),
    "partner_iso3": ("Partner ISO", "partnerISO"),
    "commodity": ("Commodity Code", "cmdCode"),
    "weight": ("Netweight (kg)", "netWgt"),
    "value": ("Trade Value (US$)", "primaryValue"),
}
# breakdown columns: a row is a total only when these are blank or the "total" code
BREAKDOWNS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "partner2": ("2nd Partner Code", "partner2Code", ("", "0")),
    "customs": ("Customs Proc. Code", "customsCode", ("", "C00")),
    "transport": ("Mode of Transport Code", "motCode", ("", "0")),
}
FLOWS = {"import": "import", "m": "import", "export": "export", "x": "export",
         "re-import": "re-import", "rm": "re-import", "re-export": "re-export",
         "rx": "re-export"}
WORLD = ("WLD", "W00")


def dialect(header: list[str]) -> str | None:
    """``legacy``, ``current`` or None, from the columns present."""
    for i, name in enumerate(("legacy", "current")):
        if all(cols[i] in header for cols in ROLES.values()):
            return name
    return None


def required_columns(which: str) -> tuple[str, ...]:
    index = 0 if which == "legacy" else 1
    return tuple(cols[index] for cols in ROLES.values())


def normalise(raw: ir.Table, which: str) -> ir.Table:
    """Role-named, trimmed string columns (missing breakdown columns read as blank)."""
    import ibis

    index = 0 if which == "legacy" else 1
    cols = {role: raw[names[index]].strip() for role, names in ROLES.items()}
    for role, (*names, _totals) in BREAKDOWNS.items():
        name = names[index]
        cols[role] = raw[name].strip() if name in raw.columns else ibis.literal("")
    return raw.select(ROW, **cols)


def skip_reason(t: ir.Table, flow: str) -> ir.StringValue:
    """Why a row is left out (null: kept)."""
    import ibis

    flow_name = t.flow.lower().substitute(FLOWS)
    breakdown = ibis.literal(False)
    for role, (*_names, totals) in BREAKDOWNS.items():
        breakdown = breakdown | ~t[role].isin(list(totals))
    return ibis.cases(
        (flow_name != flow, ibis.literal("flow ").concat(flow_name)),
        ((t.partner_code == "0") | t.partner_iso3.upper().isin(list(WORLD)),
         ibis.literal("World partner total")),
        (t.commodity.upper() == "TOTAL", ibis.literal("TOTAL commodity")),
        (breakdown, ibis.literal("breakdown by 2nd partner, customs procedure or transport")),
        else_=ibis.null("string"),
    )


def resolve(t: ir.Table) -> ir.Table:
    """Typed columns: ``iso2, weight_kg, value_usd, year, month, family, revision``."""
    import ibis

    from tradeguard.data.partners import iso3_mapping

    iso = iso3_mapping()
    partners = ibis.memtable(pa.table({"p_iso3": list(iso), "p_iso2": list(iso.values())}))
    t = t.left_join(partners, t.partner_iso3.upper() == partners.p_iso3).drop("p_iso3")
    period_ok = t.period.re_search("^[0-9]{4}([0-9]{2})?$")
    month = t.period.substr(4, 2).try_cast("int32")
    cls = t.classification.upper()
    return t.mutate(
        iso2=t.p_iso2,
        weight_kg=t.weight.try_cast("float64"),
        value_usd=t.value.try_cast("float64"),
        year=period_ok.ifelse(t.period.substr(0, 4).try_cast("int32"), ibis.null("int32")),
        month=(t.period.length() == 6).ifelse(month, ibis.null("int32")),
        annual=t.period.length() == 4,
        hs_family=cls.re_search("^(H[0-9]|HS)$"),
        revision=cls,
    ).drop("p_iso2")


def problems(t: ir.Table, reporter: str) -> list[ir.Table]:
    """Row checks on the kept rows; ``reporter`` is the file's most common reporter."""
    import ibis

    hs = t.filter(t.hs_family)
    revisions = hs.group_by("period").aggregate(n_rev=hs.revision.nunique())
    mixed = hs.join(revisions, "period").filter(lambda r: r.n_rev > 1)
    return [
        check(t, ~t.hs_family, "classification",
              "is not an HS classification (H0-H6 or HS); only HS codes map to tariff lines"),
        check(mixed, ibis.literal(True), "classification",
              "two HS revisions in the same period would double count; keep one revision"),
        check(t, t.reporter != reporter, "reporter",
              f"differs from the file's reporter {reporter!r}; ingest one reporter per file"),
        check(t, t.weight == "", "weight", "net weight is missing (rows need kg)"),
        check(t, (t.weight != "") & t.weight_kg.isnull(), "weight", "is not a number"),
        check(t, t.value_usd.isnull(), "value", "is not a number"),
        check(t, t.weight_kg < 0, "weight", "is negative"),
        check(t, t.value_usd < 0, "value", "is negative"),
        check(t, t.iso2.isnull(), "partner_iso3", "is not an ISO 3166 alpha-3 code"),
        check(t, t.year.isnull() | (~t.annual & ~t.month.between(1, 12)), "period",
              "is not YYYY or YYYYMM"),
        check(t, ~t.commodity.re_search("^([0-9]{2}){1,3}$"), "commodity",
              "is not an HS code of 2, 4 or 6 digits (a dropped leading zero?)"),
    ]


def to_canonical(t: ir.Table, *, source: str, batch_id: str) -> ir.Table:
    import ibis

    start = t.annual.ifelse(ibis.date(t.year, 1, 1), ibis.date(t.year, t.month.fill_null(1), 1))
    end = t.annual.ifelse(ibis.date(t.year, 12, 31),
                          (start + ibis.interval(months=1) - ibis.interval(days=1)).cast("date"))
    return t.select(
        ROW,
        period_start=start,
        period_end=end,
        granularity=t.annual.ifelse("year", "month"),
        tariff_line=t.commodity,
        partner=t.iso2,
        quantity=t.weight_kg,
        quantity_unit=ibis.literal("kg"),
        value=t.value_usd,
        currency=ibis.literal("USD"),
        regime=ibis.null("string"),
        source=ibis.literal(source),
        batch_id=ibis.literal(batch_id),
    ).order_by([ROW])
