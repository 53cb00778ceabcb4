"""Japan Customs EPA-utilisation records (tidy CSV or wide workbook) -> canonical rows.

Both readers first bring their input to one long shape, one row per source row x month:

``_row, year, month, partner_code, agreement, hs9, unit1, unit2, quantity1, quantity2,
value_kjpy`` plus ``q1_col, q2_col, v_col``: the source column names the three numbers came from
(``Quantity2-Mar`` in a workbook), so that a problem names the cell a person has to fix.

and then share this module, so the two sources cannot drift apart.  Decisions (see also the
data README and ``regimes.py``/``units.py``):

- quantity: ``quantity2`` in ``unit2`` when ``unit2`` is given (it is the weight for meat, dairy,
  rice, sugar), else ``quantity1`` in ``unit1``.  ``MT`` (metric ton: wheat, rice, raw sugar)
  becomes kg x 1000; ``L`` (beverages) stays litres; ``NO`` (live animals) is ``number``.
- value: thousand yen x 1000 -> ``JPY``.
- regime: third column ``300`` -> ajcep, ``600`` -> cptpp, two-letter codes (2021 layout) via
  ``AGREEMENT_CODES``, blank -> the partner's bilateral agreement, or unknown (null) when the
  partner has none.
- ``EPA Code`` rows are summed: a total per month x partner x line x regime x unit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from tradeguard.data.frames import ROW, check
from tradeguard.data.problems import RowProblem
from tradeguard.data.regimes import (
    AGREEMENT_CODES,
    BILATERAL_BY_PARTNER,
    BILATERAL_BY_PARTNER_FROM_2021,
)
from tradeguard.data.units import UNIT_CONVERSIONS

if TYPE_CHECKING:
    import ibis.expr.types as ir

LONG_COLUMNS = ("year", "month", "partner_code", "agreement", "hs9", "unit1", "unit2",
                "quantity1", "quantity2", "value_kjpy", "q1_col", "q2_col", "v_col")
AGRICULTURAL_CHAPTERS = frozenset(["01", "02", *(f"{c:02d}" for c in range(4, 25))])


def _lookups(bilateral: dict[str, str]):
    import ibis

    from tradeguard.data.partners import jp_code_mapping

    partners = jp_code_mapping()
    return (
        ibis.memtable(pa.table({"j_code": list(partners), "j_iso2": list(partners.values())})),
        ibis.memtable(pa.table({
            "u_code": list(UNIT_CONVERSIONS),
            "u_unit": [u for u, _ in UNIT_CONVERSIONS.values()],
            "u_factor": [f for _, f in UNIT_CONVERSIONS.values()],
        })),
        ibis.memtable(pa.table({"a_code": list(AGREEMENT_CODES),
                                "a_regime": list(AGREEMENT_CODES.values())})),
        ibis.memtable(pa.table({"b_iso2": list(bilateral),
                                "b_regime": list(bilateral.values())})),
    )


def _text(col: ir.Value) -> ir.StringValue:
    return col.cast("string").fill_null("").strip()


def resolve(long: ir.Table, layout: str = "region") -> ir.Table:
    """Add typed and looked-up columns (``y, m, hs, iso2, unit, factor, qty, val, regime``).

    ``layout`` is ``region`` (2012-2020: 300/600/blank) or ``epa`` (2021 on: two-letter codes).
    """
    table = BILATERAL_BY_PARTNER_FROM_2021 if layout == "epa" else BILATERAL_BY_PARTNER
    partners, units, agreements, bilateral = _lookups(table)
    unit2, unit1 = _text(long.unit2).upper(), _text(long.unit1).upper()
    use2 = unit2 != ""
    t = long.mutate(
        y=_text(long.year).try_cast("int32"),
        m=_text(long.month).try_cast("int32"),
        code=_text(long.partner_code).lpad(3, "0"),
        agr=_text(long.agreement).upper(),
        hs=_text(long.hs9).re_replace("^'", ""),
        unit_code=use2.ifelse(unit2, unit1),
        q_text=use2.ifelse(_text(long.quantity2), _text(long.quantity1)),
        q_col=use2.ifelse(long.q2_col, long.q1_col),
        v_text=_text(long.value_kjpy),
    )
    t = t.left_join(partners, t.code == partners.j_code).drop("j_code")
    t = t.left_join(units, t.unit_code == units.u_code).drop("u_code")
    t = t.left_join(agreements, t.agr == agreements.a_code).drop("a_code")
    t = t.left_join(bilateral, t.j_iso2 == bilateral.b_iso2).drop("b_iso2")
    return t.mutate(
        qty=t.q_text.try_cast("float64"),
        val=t.v_text.try_cast("float64"),
        regime=(t.agr == "").ifelse(t.b_regime, t.a_regime),
        month_ok=t.y.between(1900, 2999) & t.m.between(1, 12),
    ).rename(iso2="j_iso2", unit="u_unit", factor="u_factor")


def problems(t: ir.Table) -> list[ir.Table]:
    """Row checks on the resolved long table (row numbers are the source's)."""
    known_units = ", ".join(UNIT_CONVERSIONS)
    return [
        check(t, ~t.month_ok, "year/month", "is not a calendar month",
              t.y.cast("string").concat("-", t.m.cast("string"))),
        check(t, t.iso2.isnull(), "partner_code", "PARTNER", t.code),
        check(t, ~t.hs.re_search("^[0-9]{9}$"), "hs9",
              "is not a 9-digit Japanese statistical code", t.hs),
        check(t, t.unit.isnull(), "unit", f"is not a known unit code ({known_units})",
              t.unit_code),
        check(t, t.qty.isnull(), t.q_col, "is not a number", t.q_text),
        check(t, t.val.isnull(), t.v_col, "is not a number", t.v_text),
        check(t, t.qty < 0, t.q_col, "is negative", t.q_text),
        check(t, t.val < 0, t.v_col, "is negative", t.v_text),
        check(t, (t.agr != "") & t.regime.isnull(), "agreement",
              "is not a known agreement code (add it to regimes.AGREEMENT_CODES if it is new)",
              t.agr),
    ]


def explain_partner(found: list[RowProblem]) -> list[RowProblem]:
    """Replace the PARTNER placeholder with the code's listed name (done on problem rows only)."""
    from tradeguard.data.partners import jp_code_name

    out = []
    for p in found:
        if p.reason == "PARTNER":
            name = jp_code_name(p.value or "")
            named = f" ({name})" if name else ""
            p = RowProblem(p.row, p.column, p.value,
                           f"Japan Customs country code{named} has no ISO 3166 alpha-2 code in "
                           "tradeguard/data/reference/partners.csv")
        out.append(p)
    return out


def to_canonical(t: ir.Table, *, source: str, batch_id: str) -> ir.Table:
    """Canonical rows (plus ``_row``, the first source row of each total), summed over EPA code."""
    import ibis

    start = ibis.date(t.y, t.m, 1)
    rows = t.select(
        ROW,
        period_start=start,
        period_end=(start + ibis.interval(months=1) - ibis.interval(days=1)).cast("date"),
        granularity=ibis.literal("month"),
        tariff_line=t.hs,
        partner=t.iso2,
        quantity_unit=t.unit,
        currency=ibis.literal("JPY"),
        regime=t.regime,
        source=ibis.literal(source),
        batch_id=ibis.literal(batch_id),
        quantity=t.qty * t.factor,
        value=t.val * 1000.0,
    )
    keys = ["period_start", "period_end", "granularity", "tariff_line", "partner",
            "quantity_unit", "currency", "regime", "source", "batch_id"]
    summed = rows.group_by(keys).aggregate(
        quantity=rows.quantity.sum(), value=rows.value.sum(), **{ROW: rows[ROW].min()})
    return summed.order_by(["period_start", "partner", "tariff_line", "regime", "quantity_unit"])
