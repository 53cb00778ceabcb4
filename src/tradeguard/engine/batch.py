"""Batch duty determination over a table of declarations, vectorised with Ibis.

Input columns: ``tariff_line`` (string), ``origin`` (ISO alpha-2), ``date``,
``customs_value`` (JPY, float64) and ``quantity`` (kg, float64).  The output
keeps them and adds ``chosen_regime``, ``duty_amount`` (JPY), ``safeguard``,
and one ``duty_<regime>`` column per regime (null where the regime does not
apply).  The rules are compiled per distinct (line, partner) into date
segments (:mod:`tradeguard.engine.segments`); everything per declaration runs
in the backend as one equality join plus column arithmetic, so the same code
runs on DuckDB (default) or any Ibis backend such as PySpark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from tradeguard.engine import expressions as ex
from tradeguard.engine.duty import MFN, TIE_DECIMALS, _shipped_rules, official_activations
from tradeguard.engine.segments import Catalogue, elementary_rows, regime_pieces
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import normalise_line

REQUIRED = ("tariff_line", "origin", "date", "customs_value", "quantity")
_PRECEDENCE_SLOTS = 64  # room for the tie-break order inside the integer choice key


def _as_table(declarations: Any, backend: Any) -> ibis.Table:
    if isinstance(declarations, ibis.Table):
        return declarations
    if not isinstance(declarations, pa.Table):
        if hasattr(declarations, "to_arrow"):  # polars
            declarations = declarations.to_arrow()
        else:  # pandas
            declarations = pa.Table.from_pandas(declarations, preserve_index=False)
    missing = [c for c in REQUIRED if c not in declarations.column_names]
    if missing:
        raise InputError(problem(f"the declarations lack column(s) {', '.join(missing)}",
                                 why=f"the batch engine needs {', '.join(REQUIRED)}",
                                 fix="rename or add the columns"))
    return backend.create_table(f"_tg_declarations_{id(declarations)}", declarations,
                                temp=True, overwrite=True)


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
              as_of: dt.date) -> tuple[list[dict], list[str], Catalogue]:
    catalogue = Catalogue()
    rows: list[dict] = []
    per_key = []
    for key in keys.to_pylist():  # one iteration per distinct (line, partner), not per row
        pieces = regime_pieces(rules, ledger, key["tariff_line"], key["origin"], as_of)
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
    for key, pieces in per_key:
        for row in elementary_rows(pieces, key["lo"], key["hi"], catalogue):
            full = {"tariff_line": key["tariff_line"], "origin": key["origin"],
                    "start": row["start"], "end": row["end"], "fy": row["fy"]}
            for regime in regimes:
                full[f"{regime}_expr"] = row.get(f"{regime}_expr")
                full[f"{regime}_sg"] = row.get(f"{regime}_sg", False)
            rows.append(full)
    return rows, regimes, catalogue


def _duty_column(expr_id: ibis.Value, catalogue: Catalogue, value: ibis.Value,
                 quantity: ibis.Value) -> ibis.Value:
    branches = [(expr_id == i, ex.to_ibis(e, value, quantity))
                for i, e in enumerate(catalogue.exprs)]
    return ibis.cases(*branches, else_=ibis.null("float64")) if branches else ibis.null("float64")


def duty_batch(declarations: Any, activations: Sequence[s.Activation] | None = None, *,
               as_of: dt.date, rules: RuleSet | None = None, backend: Any = None,
               output: str = "arrow") -> Any:
    """Duty for every declaration: the chosen option and each regime's duty.

    ``declarations`` may be an Arrow table, a Polars or pandas frame, or an Ibis
    table (whose backend is then used).  Returns an Arrow table, or a Polars
    frame with ``output="polars"``, or the lazy Ibis expression with
    ``output="ibis"``.  Ties go to the preference, as in :func:`tradeguard.duty`.
    """
    rules = rules or _shipped_rules()
    ledger = official_activations(rules) if activations is None else list(activations)
    if backend is None:
        backend = (declarations._find_backend() if isinstance(declarations, ibis.Table)
                   else ibis.duckdb.connect())
    decl = _as_table(declarations, backend)
    keys = (decl.group_by(["tariff_line", "origin"])
            .aggregate(lo=_.date.min(), hi=_.date.max()).to_pyarrow())
    _check_keys(keys, rules)
    rows, regimes, catalogue = _segments(keys, rules, ledger, as_of)

    schema = {"tariff_line": "string", "origin": "string", "start": "date", "end": "date",
              "fy": "int64", **{f"{r}_expr": "int64" for r in regimes},
              **{f"{r}_sg": "boolean" for r in regimes}}
    seg = backend.create_table(f"_tg_segments_{id(rows)}",
                               pa.Table.from_pylist(rows, schema=ibis.schema(schema).to_pyarrow()),
                               temp=True, overwrite=True)

    fy = decl.date.year() - ibis.ifelse(decl.date.month() < 4, 1, 0)
    joined = decl.mutate(_fy=fy).join(
        seg, [_.tariff_line == seg.tariff_line, _.origin == seg.origin, _._fy == seg.fy,
              _.date >= seg.start, _.date < seg.end])
    value = joined.customs_value.cast("float64")
    quantity = joined.quantity.cast("float64")

    duties = {r: _duty_column(joined[f"{r}_expr"], catalogue, value, quantity) for r in regimes}
    # Integer choice key: duty rounded to TIE_DECIMALS, then the tie-break order
    # (preferences by name, MFN last), exactly as duty.choice_key orders options.
    keys_by_regime = {
        r: (duties[r] * 10**TIE_DECIMALS).round().cast("int64") * _PRECEDENCE_SLOTS + i
        for i, r in enumerate(regimes)}
    best = ibis.least(*keys_by_regime.values()) if len(regimes) > 1 else keys_by_regime[regimes[0]]
    chosen_regime = ibis.cases(*[(keys_by_regime[r] == best, r) for r in regimes])
    result = joined.select(
        *[joined[c].name(c) for c in decl.columns],
        chosen_regime=chosen_regime,
        duty_amount=ibis.cases(*[(keys_by_regime[r] == best, duties[r]) for r in regimes]),
        safeguard=ibis.cases(*[(keys_by_regime[r] == best, joined[f"{r}_sg"]) for r in regimes],
                             else_=False),
        **{f"duty_{r}": duties[r] for r in regimes},
    )
    if output == "ibis":
        return result
    table = result.to_pyarrow()
    if output == "polars":
        import polars as pl

        return pl.from_arrow(table)
    return table
