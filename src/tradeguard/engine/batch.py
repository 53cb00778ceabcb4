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
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt_
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from tradeguard.engine import expressions as ex
from tradeguard.engine.duty import MFN, TIE_DECIMALS, official_activations
from tradeguard.engine.money import decimals_from_scaled
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
SCALED = "__tradeguard_scaled"  # the chosen duty in 1/10,000 yen, while the rows are reordered
# Amounts leave as exact decimals of 1/10,000 yen (wide enough for any customs value).
_AMOUNT_TYPE = dt_.Decimal(38, TIE_DECIMALS)
_UNIT = Decimal(1).scaleb(-TIE_DECIMALS)
# Above this many runs of consecutive rows, one take restores the order instead of slices.
_MAX_RUNS = 4096


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
    numbered = table.append_column(ROW, _row_numbers(table.num_rows))
    # A memtable registers the Arrow data with the backend without copying it.
    return ibis.memtable(numbered), table


def _runs(rows: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The runs of consecutive row numbers in ``rows``: where each starts, its length and
    its first row number; None as soon as there are more than ``_MAX_RUNS``."""
    starts, count, offset = [np.zeros(0, np.int64)], 0, 0
    for chunk in rows.chunks:
        breaks = pc.indices_nonzero(pc.not_equal(pc.pairwise_diff(chunk), 1))
        count += len(breaks) + 1
        if count > _MAX_RUNS:
            return None
        if len(chunk):
            starts.append(np.concatenate(([0], breaks.to_numpy().astype(np.int64))) + offset)
        offset += len(chunk)
    first_positions = np.concatenate(starts)
    firsts = pc.take(rows, pa.array(first_positions, pa.int64())).to_numpy()
    return first_positions, np.diff(np.append(first_positions, offset)), firsts


def _row_numbers(n: int) -> pa.Array:
    """0..n-1 as int64 in Arrow's pool (filled block by block: no large numpy temporary)."""
    data = pa.allocate_buffer(8 * n)
    numbers = np.frombuffer(data, dtype=np.int64)
    block = 1 << 16
    for start in range(0, n, block):
        stop = min(start + block, n)
        numbers[start:stop] = np.arange(start, stop, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), n, [None, data])


def _input_order(answers: pa.Table) -> pa.Table:
    """The answers in input order, by their row numbers (a permutation of 0..n-1).

    A backend returns the rows in its own order: DuckDB's hash join keeps each scan
    morsel's rows together but in match order within each batch, and its threads finish
    the morsels in any order.  When the rows fall into a few runs of consecutive numbers
    that tile 0..n-1 (a plain scan), the runs are put in order as zero-copy slices;
    otherwise one take reorders the rows.  Either way a lost or doubled row is an error.
    """
    rows = answers.column(ROW)
    runs = _runs(rows)
    if runs is not None:
        starts, lengths, first = runs
        order = np.argsort(first, kind="stable")
        expected = np.concatenate(([0], np.cumsum(lengths[order])[:-1]))
        if np.array_equal(first[order], expected):
            return pa.concat_tables([answers.slice(starts[k], lengths[k]) for k in order])
    return answers.take(_positions(rows))


def _positions(rows: pa.ChunkedArray) -> pa.Array:
    """Where each input row sits in ``rows``: the take that puts them in input order.

    The arrays live in Arrow's pool (reused memory), and the scatter is cheap because a
    backend's disorder is local (within a batch of a few thousand rows)."""
    n = len(rows)
    low, high = (v.as_py() for v in pc.min_max(rows).values())
    data = pa.allocate_buffer(8 * n)
    position = np.frombuffer(data, dtype=np.int64)
    position.fill(-1)
    if n and low >= 0 and high < n:
        position[rows.combine_chunks().to_numpy()] = _row_numbers(n).to_numpy()
    if n and position.min() < 0:
        raise RuntimeError("the batch engine lost or doubled declarations")
    return pa.Array.from_buffers(pa.int64(), n, [None, data])


def _with_answers(inputs: pa.Table, answers: pa.Table, regimes: list[str]) -> pa.Table:
    """The input table with the answer columns beside it, row for row.

    Only the answer columns travel through the backend, the chosen regime as a small
    integer code and the duties as whole numbers of 1/10,000 yen in float64; they are
    put in input order, then the duties become exact decimals, chunk by chunk
    (:func:`money.decimals_from_scaled`).  The input columns stay as given.
    """
    if answers.num_rows != inputs.num_rows:
        raise RuntimeError(f"the batch engine lost declarations "
                           f"({answers.num_rows} of {inputs.num_rows})")
    ordered = _input_order(answers)

    def amounts(name: str) -> pa.ChunkedArray:
        return pa.chunked_array([decimals_from_scaled(c) for c in ordered.column(name).chunks],
                                pa.decimal128(38, TIE_DECIMALS))

    out = inputs.append_column("chosen_regime",
                               pc.take(pa.array(regimes, pa.string()), ordered.column(CHOSEN)))
    out = out.append_column("duty_amount", amounts(SCALED))
    out = out.append_column("safeguard", ordered.column("safeguard"))
    for r in regimes:
        out = out.append_column(f"duty_{r}", amounts(_scaled(r)))
    return out


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
    for name in ("customs_value", "quantity"):
        _check_amounts(name, keys.column(f"{name}_min").to_pylist(),
                       keys.column(f"{name}_max").to_pylist())


def _check_amounts(name: str, lows: list[Any], highs: list[Any]) -> None:
    """Amounts are zero or more and finite, as the scalar engine requires (a NaN is the
    largest value in the backends' order, so the greatest one shows it)."""
    bad = [v for v in lows if v is not None and not v >= 0]
    bad += [v for v in highs if v is not None and not math.isfinite(v)]
    if bad:
        raise InputError(problem(f"a declaration's {name} is {bad[0]}", where=f"column {name}",
                                 why="it must be a finite number, zero or more",
                                 fix=f"correct or drop the declarations with that {name}"))


@dataclass(frozen=True)
class _Shape:
    """Which parameters of one regime's duty the segments use.

    A parameter no segment uses (no specific part, no other expression, no trigger
    price, never a safeguard) is left out of the segments table and of the arithmetic:
    the join carries fewer columns and each row computes less, with the same result.
    """

    specific: bool
    other: bool
    price: bool
    safeguard: bool


def _shape(rows: list[dict], regime: str, other: list[ex.DutyExpression]) -> _Shape:
    return _Shape(specific=any(row[f"{regime}_sp"] for row in rows), other=bool(other),
                  price=any(row[f"{regime}_tp"] is not None for row in rows),
                  safeguard=any(row[f"{regime}_sg"] for row in rows))


def _segment_schema(shapes: dict[str, _Shape]) -> pa.Schema:
    fields = [("tariff_line", pa.string()), ("origin", pa.string()), ("start", pa.date32()),
              ("end", pa.date32()), ("fy", pa.int64())]
    for r, shape in shapes.items():
        fields.append((f"{r}_av", pa.float64()))
        fields += [(f"{r}_sp", pa.float64()), (f"{r}_per", pa.float64())] * shape.specific
        fields += [(f"{r}_cx", pa.int64())] * shape.other
        fields += [(f"{r}_sg", pa.bool_())] * shape.safeguard
        fields += [(f"{r}_tp", pa.float64())] * shape.price
    return pa.schema(fields)


def _segments(keys: pa.Table, rules: RuleSet, ledger: Sequence[s.Activation],
              as_of: dt.date, quota_claims: Sequence[str] = (),
              ) -> tuple[pa.Table, list[str], dict[str, list[ex.DutyExpression]],
                         dict[str, _Shape]]:
    """Segment rows with each regime's duty as parameters.

    Per regime: ``<r>_av`` (percent; null where the option does not exist) and ``<r>_sp`` /
    ``<r>_per`` (JPY per ``per`` kg) for duties of the form ``x% + y``; ``<r>_cx``, an
    index into that regime's own list of other expressions (MIN/MAX, gate price);
    ``<r>_sg`` (a safeguard duty) and ``<r>_tp`` (a trigger price).  Only the
    parameters that some segment uses become columns (see :class:`_Shape`).
    """
    catalogue = Catalogue()
    per_key = _pieces_per_key(keys, rules, ledger, as_of, quota_claims)
    regimes = sorted({r for _, pieces in per_key for r in pieces}, key=lambda r: (r == MFN, r))
    complex_exprs: dict[str, list[ex.DutyExpression]] = {r: [] for r in regimes}
    rows: list[dict] = []
    for key, pieces in per_key:
        for row in elementary_rows(pieces, key["lo"], key["hi"], catalogue):
            full = {"tariff_line": key["tariff_line"], "origin": key["origin"],
                    "start": row["start"], "end": row["end"], "fy": row["fy"]}
            for regime in regimes:
                full.update(_regime_parameters(regime, row, catalogue, complex_exprs[regime]))
            rows.append(full)
    shapes = {r: _shape(rows, r, complex_exprs[r]) for r in regimes}
    return pa.Table.from_pylist(rows, schema=_segment_schema(shapes)), regimes, complex_exprs, shapes


def _pieces_per_key(keys: pa.Table, rules: RuleSet, ledger: Sequence[s.Activation],
                    as_of: dt.date, quota_claims: Sequence[str]) -> list[tuple[dict, dict]]:
    """Each distinct (line, partner) with its regimes' date pieces; a line no rule covers, or
    a date before its MFN rate starts, is refused."""
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
    return per_key


def _regime_parameters(regime: str, row: dict, catalogue: Catalogue,
                       complex_exprs: list[ex.DutyExpression]) -> dict[str, Any]:
    """One regime's duty parameters on one segment; an expression that is not ``x% + y``
    joins ``complex_exprs`` (the regime's own list) and is named by its index there."""
    expr_id = row.get(f"{regime}_expr")
    expr = None if expr_id is None else catalogue.exprs[expr_id]
    linear = None if expr is None else ex.linear_parts(expr)
    cx = None
    if expr is not None and linear is None:
        if expr not in complex_exprs:
            complex_exprs.append(expr)
        cx = complex_exprs.index(expr)
    av, sp, per = linear or (0.0, 0.0, 1)
    return {f"{regime}_av": None if expr is None else av,
            f"{regime}_sp": sp, f"{regime}_per": float(per),
            f"{regime}_cx": cx, f"{regime}_sg": row.get(f"{regime}_sg", False),
            f"{regime}_tp": row.get(f"{regime}_tp")}


def _duty_column(t: ibis.Table, regime: str, shape: _Shape,
                 complex_exprs: list[ex.DutyExpression], value: ibis.Value,
                 quantity: ibis.Value) -> ibis.Value:
    """One regime's duty (null where it does not apply): plain arithmetic for ``x% + y``,
    a short CASE for the rest."""
    duty = value * t[f"{regime}_av"] / 100.0
    if shape.specific:
        duty = duty + quantity / t[f"{regime}_per"] * t[f"{regime}_sp"]
    if shape.other:
        other = ibis.cases(*[(t[f"{regime}_cx"] == i, ex.to_ibis(e, value, quantity))
                             for i, e in enumerate(complex_exprs)], else_=ibis.null("float64"))
        duty = ibis.ifelse(t[f"{regime}_cx"].isnull(), duty, other)
    if shape.price:  # WTO AoA Art. 5.1(b): below the trigger price, the banded duty per kg
        price = t[f"{regime}_tp"]
        extra = additional_duty_ibis(price, value / quantity) * quantity
        duty = ibis.ifelse(price.notnull() & (quantity > 0), duty + extra, duty)
    return duty.cast("float64")


def _exact_amount(scaled: ibis.Value) -> ibis.Value:
    """A duty in whole units of 1/10,000 yen (a float64 integer) as an exact decimal, in
    the backend; the Arrow path builds the same decimals in numpy
    (:func:`money.decimals_from_scaled`)."""
    return scaled.cast(dt_.Decimal(38, 0)) * ibis.literal(_UNIT, type=_AMOUNT_TYPE)


def _price_safeguard_applied(t: ibis.Table, regime: str) -> ibis.Value:
    price = t[f"{regime}_tp"]
    below = additional_duty_ibis(price, t.customs_value / t.quantity) > 0
    return (price.notnull() & (t.quantity > 0) & below).fill_null(False)


def _safeguard(t: ibis.Table, regime: str, shape: _Shape) -> ibis.Value | None:
    applied = [t[f"{regime}_sg"]] if shape.safeguard else []
    applied += [_price_safeguard_applied(t, regime)] if shape.price else []
    if not applied:
        return None
    return applied[0] | applied[1] if len(applied) == 2 else applied[0]


_ANSWERS = ("chosen_regime", "duty_amount", "safeguard")


def _answers(priced: ibis.Table, regimes: list[str], shapes: dict[str, _Shape]) -> ibis.Table:
    """The chosen option per declaration: its index into ``regimes`` (int8), its duty and
    each regime's duty in whole 1/10,000 yen (float64 integers), and the safeguard flag.

    The choice is :func:`duty.choice_key`'s: the least duty rounded half away from zero to
    TIE_DECIMALS, and on a tie the first regime in ``regimes`` (preferences by name, MFN
    last), which the CASE's order gives.  Rounded doubles compare exactly at any size.
    """
    scaled = priced.mutate(**{_scaled(r): _round_half_away(priced[f"duty_{r}"] * 10**TIE_DECIMALS, 0)
                              for r in regimes})
    keys = [scaled[_scaled(r)] for r in regimes]
    best = ibis.least(*keys) if len(regimes) > 1 else keys[0]
    chosen = scaled.mutate(**{
        SCALED: best, CHOSEN: ibis.cases(*[(key == best, ibis.literal(i, "int8"))
                                           for i, key in enumerate(keys)])})
    flags = [(chosen[CHOSEN] == i, flag) for i, r in enumerate(regimes)
             if (flag := _safeguard(chosen, r, shapes[r])) is not None]
    return chosen.mutate(safeguard=ibis.cases(*flags, else_=False) if flags
                         else ibis.literal(False))


@ibis.udf.scalar.builtin(name="round")
def _round_half_away(x: float, digits: int) -> float:  # type: ignore[empty-body]
    """The backend's own ``round``, kept in float64 (Ibis's ``round()`` returns int64,
    which would overflow above 9.2 × 10^14 yen): half away from zero on DuckDB, HALF_UP
    on Spark."""


def _scaled(regime: str) -> str:
    return f"__tradeguard_scaled_{regime}"


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
    decl, inputs = _as_table(declarations)
    own = backend is None and inputs is not None and output != "ibis"
    if backend is None:
        backend = decl._find_backend() if inputs is None else ibis.get_backend()
    if own:  # a connection of its own: its in-memory tables go when it closes
        backend = ibis.duckdb.connect()
    try:
        plan = compile_plan(key_ranges(decl, backend), rules, ledger, as_of, quota_claims)
        table = apply_plan(decl, inputs, plan, output, backend)
    finally:
        if own:
            backend.disconnect()
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table


@dataclass(frozen=True)
class Plan:
    """The compiled rules for a set of (line, partner) keys: the segments table and, per
    regime, its shape and its other expressions.  One plan serves every batch of a stream."""

    segments: pa.Table
    regimes: list[str]
    complex_exprs: dict[str, list[ex.DutyExpression]]
    shapes: dict[str, _Shape]


def key_ranges(decl: ibis.Table, backend: Any) -> pa.Table:
    """Per distinct (line, partner): the first and last date and the amounts' extremes."""
    return (decl.group_by(["tariff_line", "origin"])
            .aggregate(lo=_.date.min(), hi=_.date.max(),
                       **{f"{c}_{f}": getattr(decl[c], f)()
                          for c in ("customs_value", "quantity") for f in ("min", "max")})
            .pipe(backend.to_pyarrow))


def compile_plan(keys: pa.Table, rules: RuleSet, ledger: Sequence[s.Activation],
                 as_of: dt.date, quota_claims: Sequence[str] = ()) -> Plan:
    """The keys checked (lines, partners, amounts) and their rules compiled to segments."""
    _check_keys(keys, rules)
    return Plan(*_segments(keys, rules, ledger, as_of, quota_claims))


def apply_plan(decl: ibis.Table, inputs: pa.Table | None, plan: Plan, output: str,
               backend: Any) -> Any:
    """The declarations priced by ``plan`` in ``backend``: Arrow in input order, or the
    Ibis expression."""
    # One equality join on every backend. A sorted lookup in numpy for Arrow input (tried
    # 2026-11-30) used less CPU but ran at 1.9x the SQL's wall time, against 0.9-1.0x for
    # the join, in the same runs: its fresh arrays cost page faults.
    seg = ibis.memtable(plan.segments)
    fy = fiscal_year_expr(decl.date)
    joined = decl.mutate(_fy=fy).join(
        seg, [_.tariff_line == seg.tariff_line, _.origin == seg.origin, _._fy == seg.fy,
              _.date >= seg.start, _.date < seg.end])
    value = joined.customs_value.cast("float64")
    quantity = joined.quantity.cast("float64")
    regimes = plan.regimes
    # Each duty is computed once, in its own projection, then compared.
    priced = joined.mutate(**{f"duty_{r}": _duty_column(joined, r, plan.shapes[r],
                                                        plan.complex_exprs[r], value, quantity)
                              for r in regimes})
    answers = _answers(priced, regimes, plan.shapes)
    if output == "ibis" or inputs is None:
        return _in_backend(answers, decl.columns, regimes, output, backend)
    # only the answers travel back, the chosen regime as a code
    computed = answers.select(ROW, CHOSEN, SCALED, "safeguard", *map(_scaled, regimes))
    return _with_answers(inputs, backend.to_pyarrow(computed), regimes)


def _in_backend(answers: ibis.Table, columns: Sequence[str], regimes: list[str],
                output: str, backend: Any) -> Any:
    """The answers assembled and ordered by the backend: the lazy expression, or Arrow."""
    names = ibis.literal(regimes, type="array<string>")
    result = answers.select(
        # int32: Spark indexes arrays by INT only.
        *columns, chosen_regime=names[answers[CHOSEN].cast("int32")],
        duty_amount=_exact_amount(answers[SCALED]), safeguard=answers.safeguard,
        **{f"duty_{r}": _exact_amount(answers[_scaled(r)]) for r in regimes},
    ).order_by(ROW).drop(ROW)
    return result if output == "ibis" else backend.to_pyarrow(result)
