"""Batch duty determination over a table of declarations, vectorised with Ibis.

Input columns: ``tariff_line`` (string), ``origin`` (ISO alpha-2), ``date``,
``customs_value`` (JPY, float64) and ``quantity`` (kg, float64).  The output
keeps them and adds ``chosen_regime``, ``duty_amount`` (JPY, before the law's
rounding, an exact decimal to 1/10,000 yen), ``safeguard``, and one decimal
``duty_<regime>`` column per regime (null where the regime does not apply).
The rules are compiled per distinct (line, partner) into date segments
(:mod:`tradeguard.engine.segments`); everything per declaration runs in the
backend as one equality join plus column arithmetic, so the same code runs on
DuckDB (default) or any Ibis backend such as PySpark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis
import ibis.expr.datatypes as dt_
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from tradeguard.engine import expressions as ex
from tradeguard.engine.duty import MFN, TIE_DECIMALS, official_activations
from tradeguard.engine.price_trigger import additional_duty_ibis
from tradeguard.engine.segments import Catalogue, elementary_rows, regime_pieces
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, problem
from tradeguard.periods import fiscal_year_expr
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import normalise_line

REQUIRED = ("tariff_line", "origin", "date", "customs_value", "quantity")
ROW = "__tradeguard_row"  # the input row number, to return rows in input order
CHOSEN = "__tradeguard_chosen"  # the chosen regime's index, while the rows are reordered
_PRECEDENCE_SLOTS = 64  # room for the tie-break order inside the integer choice key
# Amounts leave as exact decimals of 1/10,000 yen (wide enough for any customs value).
_AMOUNT_TYPE = dt_.Decimal(38, TIE_DECIMALS)


def _as_arrow(declarations: Any) -> pa.Table:
    if isinstance(declarations, pa.Table):
        return declarations
    if hasattr(declarations, "to_arrow"):  # polars
        return declarations.to_arrow()
    return pa.Table.from_pandas(declarations, preserve_index=False)  # pandas


def _bad_dates(what: str, fix: str) -> InputError:
    return InputError(problem(what, where="column date", fix=fix))


def _dates(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """The date column as calendar dates: dates as they are, ISO strings parsed, and
    timestamps (pandas ``datetime64``) taken when they carry no time of day."""
    kind = column.type
    if pa.types.is_date32(kind) or pa.types.is_date64(kind):
        dates = column.cast(pa.date32())
    elif pa.types.is_timestamp(kind):
        if kind.tz is not None:
            raise _bad_dates(f"the dates carry a time zone ({kind.tz})",
                             "pass the import dates as calendar dates in Japan")
        dates = column.cast(pa.date32())
        if pc.any(pc.not_equal(dates.cast(kind), column)).as_py():
            raise _bad_dates("some dates carry a time of day",
                             "pass calendar dates, e.g. frame['date'].dt.normalize()")
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        try:
            dates = column.cast(pa.date32())
        except pa.ArrowInvalid as exc:
            raise _bad_dates(f"a date is not an ISO date: {exc}".replace(
                " as a scalar of type date32[day]", ""), "write dates as YYYY-MM-DD") from None
    else:
        raise _bad_dates(f"the dates are of type {kind}",
                         "pass dates, pandas datetime64 or ISO strings (YYYY-MM-DD)")
    missing = dates.null_count
    if missing:
        raise _bad_dates(f"{missing} declaration(s) have no date",
                         "fill in or drop the declarations without a date")
    return dates


def _as_table(declarations: Any) -> tuple[ibis.Table, pa.Table | None]:
    """The declarations as an Ibis table with a row number; and, when the input has an
    order that the output must keep (Arrow, Polars, pandas), the input as Arrow."""
    if isinstance(declarations, ibis.Table):  # a backend table has no order to keep
        return declarations.mutate(**{ROW: ibis.row_number()}), None
    table = _as_arrow(declarations)
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise InputError(problem(f"the declarations lack column(s) {', '.join(missing)}",
                                 why=f"the batch engine needs {', '.join(REQUIRED)}",
                                 fix="rename or add the columns"))
    if ROW in table.column_names:
        raise InputError(problem(f"the declarations have a column named {ROW}",
                                 why="the batch engine numbers the rows in that column",
                                 fix="rename that column"))
    table = table.set_column(table.schema.get_field_index("date"), "date",
                             _dates(table.column("date")))
    numbered = table.append_column(ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
    # A memtable registers the Arrow data with the backend without copying it.
    return ibis.memtable(numbered), table


def _with_answers(inputs: pa.Table, answers: pa.Table, regimes: list[str]) -> pa.Table:
    """The input table with the answer columns beside it, row for row.

    The backend returns the answers in its own order with the input row numbers (a
    permutation of 0..n-1); one take puts them back in input order.  Only the answer
    columns travel through the backend and the take, the chosen regime as a small
    integer code: the input columns stay as given.
    """
    rows = inputs.num_rows
    if answers.num_rows != rows:
        raise RuntimeError(f"the batch engine lost declarations ({answers.num_rows} of {rows})")
    position = np.empty(rows, dtype=np.int64)
    position[answers.column(ROW).to_numpy()] = np.arange(rows, dtype=np.int64)
    ordered = answers.drop_columns([ROW]).combine_chunks().take(pa.array(position))
    chosen = pc.take(pa.array(regimes, pa.string()), ordered.column(CHOSEN))
    inputs = inputs.append_column("chosen_regime", chosen)
    for name in ordered.column_names[1:]:
        inputs = inputs.append_column(name, ordered.column(name))
    return inputs


def _check_keys(keys: pa.Table, rules: RuleSet) -> None:
    from tradeguard.data.partners import is_known_partner

    lines = keys.column("tariff_line").to_pylist()
    origins = keys.column("origin").to_pylist()
    bad_lines = sorted({ln for ln in lines
                        if ln is None or not normalise_line(ln).isdigit()
                        or not 4 <= len(normalise_line(ln)) <= 9})
    if bad_lines:
        raise InputError(problem(f"{len(bad_lines)} tariff line(s) are malformed: "
                                 f"{', '.join(map(str, bad_lines[:5]))}",
                                 where="column tariff_line", fix="use 4 to 9 digit codes"))
    bad_origins = sorted({str(o) for o in origins if o is None or not is_known_partner(o)})
    if bad_origins:
        raise RuleNotFoundError(problem(f"unknown partner(s) {', '.join(bad_origins[:5])}",
                                        where="column origin",
                                        fix="use ISO 3166 alpha-2 codes such as US, AU"))


def _segments(keys: pa.Table, rules: RuleSet, ledger: Sequence[s.Activation],
              as_of: dt.date, quota_claims: Sequence[str] = (),
              ) -> tuple[pa.Table, list[str], dict[str, list[ex.DutyExpression]]]:
    """Segment rows with each regime's duty as parameters.

    Per regime: ``<r>_on`` (the option exists), ``<r>_av`` (percent) and ``<r>_sp`` /
    ``<r>_per`` (JPY per ``per`` kg) for duties of the form ``x% + y``; ``<r>_cx``, an
    index into that regime's own list of other expressions (MIN/MAX, gate price); and
    ``<r>_sg`` (a safeguard duty).
    """
    catalogue = Catalogue()
    per_key = []
    for key in keys.to_pylist():  # one iteration per distinct (line, partner), not per row
        pieces = regime_pieces(rules, ledger, key["tariff_line"], key["origin"], as_of,
                               quota_claims=quota_claims)
        if not pieces:
            raise RuleNotFoundError(problem(f"no rule covers tariff line {key['tariff_line']}",
                                            where="column tariff_line",
                                            fix="check the code, or add a tariff rule"))
        mfn = pieces.get(MFN, [])
        if not mfn or min(p.start for p in mfn) > key["lo"]:
            first = min((p.start for p in mfn), default=None)
            raise PeriodError(problem(
                f"no MFN rate for line {key['tariff_line']} on {key['lo']}",
                why=f"the rules start on {first}", where="column date",
                fix="drop declarations dated before the rules start"))
        per_key.append((key, pieces))
    regimes = sorted({r for _, pieces in per_key for r in pieces}, key=lambda r: (r == MFN, r))
    complex_exprs: dict[str, list[ex.DutyExpression]] = {r: [] for r in regimes}
    rows: list[dict] = []
    for key, pieces in per_key:
        for row in elementary_rows(pieces, key["lo"], key["hi"], catalogue):
            full = {"tariff_line": key["tariff_line"], "origin": key["origin"],
                    "start": row["start"], "end": row["end"], "fy": row["fy"]}
            for regime in regimes:
                expr_id = row.get(f"{regime}_expr")
                expr = None if expr_id is None else catalogue.exprs[expr_id]
                linear = None if expr is None else ex.linear_parts(expr)
                cx = None
                if expr is not None and linear is None:
                    if expr not in complex_exprs[regime]:
                        complex_exprs[regime].append(expr)
                    cx = complex_exprs[regime].index(expr)
                av, sp, per = linear or (0.0, 0.0, 1)
                full.update({f"{regime}_on": expr is not None, f"{regime}_av": av,
                             f"{regime}_sp": sp, f"{regime}_per": float(per),
                             f"{regime}_cx": cx, f"{regime}_sg": row.get(f"{regime}_sg", False),
                             f"{regime}_tp": row.get(f"{regime}_tp")})
            rows.append(full)
    schema = [("tariff_line", pa.string()), ("origin", pa.string()), ("start", pa.date32()),
              ("end", pa.date32()), ("fy", pa.int64())]
    for r in regimes:
        schema += [(f"{r}_on", pa.bool_()), (f"{r}_av", pa.float64()), (f"{r}_sp", pa.float64()),
                   (f"{r}_per", pa.float64()), (f"{r}_cx", pa.int64()), (f"{r}_sg", pa.bool_()),
                   (f"{r}_tp", pa.float64())]
    return pa.Table.from_pylist(rows, schema=pa.schema(schema)), regimes, complex_exprs


def _duty_column(t: ibis.Table, regime: str, complex_exprs: list[ex.DutyExpression],
                 value: ibis.Value, quantity: ibis.Value) -> ibis.Value:
    """One regime's duty: plain arithmetic for ``x% + y``, a short CASE for the rest."""
    linear = value * t[f"{regime}_av"] / 100.0 + quantity / t[f"{regime}_per"] * t[f"{regime}_sp"]
    if complex_exprs:
        other = ibis.cases(*[(t[f"{regime}_cx"] == i, ex.to_ibis(e, value, quantity))
                             for i, e in enumerate(complex_exprs)], else_=ibis.null("float64"))
        linear = ibis.ifelse(t[f"{regime}_cx"].isnull(), linear, other)
    # WTO AoA Art. 5.1(b): below the trigger price, the banded additional duty per kg.
    price = t[f"{regime}_tp"]
    extra = additional_duty_ibis(price, value / quantity) * quantity
    linear = ibis.ifelse(price.notnull() & (quantity > 0), linear + extra, linear)
    return ibis.ifelse(t[f"{regime}_on"], linear, ibis.null("float64")).cast("float64")


def _exact_amount(duty: ibis.Value) -> ibis.Value:
    """A float64 duty as an exact decimal of 1/10,000 yen.

    The cast scales by 10^4 and rounds half away from zero (DuckDB), the operation of the
    integer choice key and of :func:`money.from_float_amount`, so the decimal equals the
    scalar path's; one cast per column keeps the engine's speed.
    """
    return duty.cast(_AMOUNT_TYPE)


def _price_safeguard_applied(t: ibis.Table, regime: str) -> ibis.Value:
    price = t[f"{regime}_tp"]
    below = additional_duty_ibis(price, t.customs_value / t.quantity) > 0
    return (price.notnull() & (t.quantity > 0) & below).fill_null(False)


_ANSWERS = ("chosen_regime", "duty_amount", "safeguard")


def _answers(priced: ibis.Table, regimes: list[str]) -> ibis.Table:
    """The chosen option per declaration, with the chosen regime's index as an int8 code.

    Integer choice key: duty rounded to TIE_DECIMALS, then the tie-break order
    (preferences by name, MFN last), exactly as duty.choice_key orders options.
    """
    keyed = priced.mutate(**{
        f"_key_{r}": (priced[f"duty_{r}"] * 10**TIE_DECIMALS).round().cast("int64")
        * _PRECEDENCE_SLOTS + i for i, r in enumerate(regimes)})
    keys = [keyed[f"_key_{r}"] for r in regimes]
    best = ibis.least(*keys) if len(regimes) > 1 else keys[0]
    chosen = {r: key == best for r, key in zip(regimes, keys, strict=True)}
    answers = keyed.mutate(
        chosen_regime=ibis.cases(*[(chosen[r], r) for r in regimes]),
        duty_amount=_exact_amount(ibis.cases(*[(chosen[r], keyed[f"duty_{r}"])
                                               for r in regimes])),
        safeguard=ibis.cases(*[(chosen[r], keyed[f"{r}_sg"] | _price_safeguard_applied(keyed, r))
                               for r in regimes], else_=False),
        # The keys above compare the float duties; the answers leave as exact decimals.
        **{f"duty_{r}": _exact_amount(keyed[f"duty_{r}"]) for r in regimes},
        **{CHOSEN: ibis.cases(*[(chosen[r], ibis.literal(i, "int8"))
                                for i, r in enumerate(regimes)])})
    return answers


def duty_batch(declarations: Any, activations: Sequence[s.Activation] | None = None, *,
               as_of: dt.date, rules: RuleSet | None = None, backend: Any = None,
               quota_claims: Sequence[str] = (), output: str = "arrow") -> Any:
    """Duty for every declaration: the chosen option and each regime's duty.

    ``declarations`` may be an Arrow table, a Polars or pandas frame, or an Ibis
    table (whose backend is then used).  Its ``date`` column may hold dates, pandas
    ``datetime64`` values without a time of day, or ISO strings.  Returns an Arrow
    table, or a Polars frame with ``output="polars"``, or the lazy Ibis expression
    with ``output="ibis"``; the output has one row per declaration, in the input's
    order (an Ibis table's rows are numbered as the backend reads them), with every
    input column (so any id column) followed by the answer columns.  ``as_of`` is
    knowledge time, as in :func:`tradeguard.duty`: values published and activations
    announced after it are not used.  Ties go to the preference, as in :func:`tradeguard.duty`.
    In-quota options of first-come-first-served quotas (and of the licence or tender
    quotas named in ``quota_claims``) are offered as if the quota were open: the batch
    engine takes no quota ledger yet, like :func:`tradeguard.duty` without one.
    """
    rules = rules or shipped_rules()
    ledger = official_activations(rules) if activations is None else list(activations)
    if backend is None:
        backend = (declarations._find_backend() if isinstance(declarations, ibis.Table)
                   else ibis.duckdb.connect())
    decl, inputs = _as_table(declarations)
    keys = (decl.group_by(["tariff_line", "origin"])
            .aggregate(lo=_.date.min(), hi=_.date.max()).to_pyarrow())
    _check_keys(keys, rules)
    segments, regimes, complex_exprs = _segments(keys, rules, ledger, as_of, quota_claims)
    seg = ibis.memtable(segments)

    fy = fiscal_year_expr(decl.date)
    joined = decl.mutate(_fy=fy).join(
        seg, [_.tariff_line == seg.tariff_line, _.origin == seg.origin, _._fy == seg.fy,
              _.date >= seg.start, _.date < seg.end])
    value = joined.customs_value.cast("float64")
    quantity = joined.quantity.cast("float64")
    # Each duty is computed once, in its own projection, then compared.
    priced = joined.mutate(**{f"duty_{r}": _duty_column(joined, r, complex_exprs[r], value,
                                                        quantity) for r in regimes})
    answers = _answers(priced, regimes)
    if output == "ibis" or inputs is None:
        result = (answers.select(*decl.columns, *_ANSWERS, *[f"duty_{r}" for r in regimes])
                  .order_by(ROW).drop(ROW))
        if output == "ibis":
            return result
        table = result.to_pyarrow()
    else:  # only the answers travel back, the chosen regime as a code
        computed = answers.select(ROW, CHOSEN, *_ANSWERS[1:],
                                  *[f"duty_{r}" for r in regimes])
        table = _with_answers(inputs, computed.to_pyarrow(), regimes)
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table
