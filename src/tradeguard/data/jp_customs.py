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
from tradeguard.data.schema import BOUNDS_FIX, DATE_MAX, DATE_MIN
from tradeguard.units import QUANTITY_CEILING, UNIT_CONVERSIONS, VALUE_CEILING

if TYPE_CHECKING:
    import ibis.expr.types as ir

LONG_COLUMNS = ("year", "month", "partner_code", "agreement", "hs9", "unit1", "unit2",
                "quantity1", "quantity2", "value_kjpy", "q1_col", "q2_col", "v_col")
AGRICULTURAL_CHAPTERS = frozenset(["01", "02", *(f"{c:02d}" for c in range(4, 25))])
# The scope ``ingest`` keeps from Japan Customs files unless told otherwise (``--chapters``):
# HS chapters 01-24, the agricultural and food chapters (fish, 03, included: it costs nothing
# and a fish safeguard study needs it).  Rows outside are skipped and counted, never refused,
# so a stray non-agricultural row (an obsolete country code in chapter 84) cannot block a file.
DEFAULT_CHAPTERS = "01-24"
SKIPPED_CHAPTERS = "skipped: outside chapters"


def parse_chapters(text: str) -> frozenset[str] | None:
    """``"01-24"``, ``"01,02,04-24"`` or ``"all"`` (None: every chapter) as two-digit chapters."""
    from tradeguard.errors import InputError, problem

    if text.strip().lower() == "all":
        return None
    out: set[str] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, _, high = part.partition("-")
        bounds = [low.strip(), (high or low).strip()]
        if not all(b.isdigit() and 1 <= int(b) <= 99 for b in bounds) or \
                int(bounds[0]) > int(bounds[1]):
            raise InputError(problem(f"chapters {text!r} cannot be read", where="--chapters",
                                     why=f"{part!r} is not a chapter 01-99 or a rising range",
                                     fix="write e.g. 01-24, or 01,02,04-24, or all"))
        out.update(f"{c:02d}" for c in range(int(bounds[0]), int(bounds[1]) + 1))
    if not out:
        raise InputError(problem("no chapters given", where="--chapters",
                                 fix="write e.g. 01-24, or all"))
    return frozenset(out)


def in_chapters(t: ir.Table, code: ir.StringValue, chapters: frozenset[str] | None,
                con) -> tuple[ir.Table, dict[str, int]]:
    """Rows whose code lies in ``chapters`` (all when None), and the count of the others."""
    from tradeguard.data.frames import scalar

    if chapters is None:
        return t, {}
    inside = code.substr(0, 2).isin(sorted(chapters)).fill_null(False)
    return t.filter(inside), {SKIPPED_CHAPTERS: scalar(con, t.filter(~inside).count())}


def _lookups(bilateral: dict[str, str]):
    import ibis

    from tradeguard.data.partners import jp_code_partners

    partners = jp_code_partners()
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
        month_ok=t.y.between(DATE_MIN.year, DATE_MAX.year) & t.m.between(1, 12),
    ).rename(iso2="j_iso2", unit="u_unit", factor="u_factor")


def problems(t: ir.Table) -> list[ir.Table]:
    """Row checks on the resolved long table (row numbers are the source's)."""
    import ibis

    known_units = ", ".join(UNIT_CONVERSIONS)
    ceiling = t.unit.substitute(QUANTITY_CEILING, else_=ibis.null("float64"))
    return [
        check(t, ~t.month_ok, "year/month", "is not a calendar month within "
              f"{DATE_MIN.year}-{DATE_MAX.year} (the plausible window, {BOUNDS_FIX})",
              t.y.cast("string").concat("-", t.m.cast("string"))),
        check(t, t.iso2.isnull(), "partner_code", "PARTNER", t.code),
        check(t, t.hs.re_search("^[0-9]{8}$"), "hs9", EIGHT_DIGITS, t.hs),
        check(t, ~t.hs.re_search("^[0-9]{8,9}$"), "hs9",
              "is not a 9-digit Japanese statistical code", t.hs),
        check(t, t.unit.isnull(), "unit", f"is not a known unit code ({known_units})",
              t.unit_code),
        check(t, t.qty.isnull(), t.q_col, "is not a number", t.q_text),
        check(t, t.val.isnull(), t.v_col, "is not a number", t.v_text),
        check(t, t.qty < 0, t.q_col, "is negative", t.q_text),
        check(t, t.val < 0, t.v_col, "is negative", t.v_text),
        check(t, t.qty.isnan() | t.qty.isinf(), t.q_col, "is not a finite number", t.q_text),
        check(t, t.val.isnan() | t.val.isinf(), t.v_col, "is not a finite number", t.v_text),
        check(t, ~(t.qty.isnan() | t.qty.isinf()) & (t.qty * t.factor > ceiling), t.q_col,
              "is above the plausible ceiling for one record ("
              + ceiling.cast("int64").cast("string") + " " + t.unit + "; " + BOUNDS_FIX + ")",
              t.q_text),
        check(t, ~(t.val.isnan() | t.val.isinf()) & (t.val * 1000 > VALUE_CEILING["JPY"]), t.v_col,
              f"is above the plausible ceiling of {VALUE_CEILING['JPY'] / 1000:.0e} thousand "
              f"yen for one record ({BOUNDS_FIX})", t.v_text),
        check(t, (t.agr != "") & t.regime.isnull(), "agreement",
              "is not a known agreement code (add it to regimes.AGREEMENT_CODES if it is new)",
              t.agr),
    ]


REPAIRED_ZERO = "repaired: leading zero restored to a 9-digit code"
REPAIR_EXAMPLES = "repaired: examples"
EIGHT_DIGITS = ("has 8 digits: a 9-digit code that lost its leading zero (as spreadsheets do)? "
                "It is restored only where the row proves the chapter (an hs4, hs6 or chapter "
                "column); write the code as text with all 9 digits")


def restore_leading_zero(code: ir.StringValue,
                         proofs: list[tuple[ir.Value, int]]) -> tuple[ir.StringValue,
                                                                      ir.BooleanValue]:
    """``0`` + an 8-digit ``code`` where a proof column agrees with it; (code, repaired).

    ``proofs`` are (column, width) pairs: ``hs4`` (4), ``hs6`` (6), ``chapter`` (2).  A proof
    counts when it is all digits, at most ``width`` long and, padded with zeros to ``width``,
    equals the restored code's first ``width`` digits: ``20230090`` with hs4 ``0202`` (or
    ``202``, itself stripped) becomes ``020230090``.  Without such a column nothing changes.
    """
    import ibis

    candidate = "0" + code
    proven = ibis.literal(False)
    for proof, width in proofs:
        text = _text(proof)
        proven = proven | (text.re_search(f"^[0-9]{{1,{width}}}$")
                           & (text.lpad(width, "0") == candidate.substr(0, width)))
    repaired = (code.re_search("^[0-9]{8}$") & proven).fill_null(False)
    return repaired.ifelse(candidate, code), repaired


def repair_notes(con, t: ir.Table, code: str, flag: str, shown: int = 5) -> dict:
    """Count of repaired rows and a few examples (``row 3: 20230090 -> 020230090``)."""
    from tradeguard.data.frames import scalar

    fixed = t.filter(t[flag])
    count = scalar(con, fixed.count())
    if not count:
        return {}
    sample = con.to_pyarrow(fixed.order_by(ROW).limit(shown)).to_pylist()
    return {REPAIRED_ZERO: count,
            REPAIR_EXAMPLES: [f"row {r[ROW]}: {r[code][1:]} -> {r[code]}" for r in sample]}


def explain_partner(found: list[RowProblem]) -> list[RowProblem]:
    """Replace the PARTNER placeholder reason (done on problem rows only).

    Every code of Japan Customs' own list maps (to ISO or a placeholder), so a code that does
    not is not on the list: a typo, or a code newer than the shipped table.
    """
    out = []
    for p in found:
        if p.reason == "PARTNER":
            p = RowProblem(p.row, p.column, p.value,
                           "is not a Japan Customs country code (not in tradeguard/data/"
                           "reference/partners.csv or jp_placeholders.csv); check the code, "
                           "or add a new code there with its ISO code")
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
