"""The canonical import-record schema and its validator.

Every reader returns a pyarrow Table with exactly these columns; the store keeps them as they are.

==============  =========  ===================================================================
column          type       meaning
==============  =========  ===================================================================
period_start    date32     first day of the month (monthly data), the declaration date (daily)
                           or 1 January (annual data, e.g. UN Comtrade)
period_end      date32     last day of the month / the same date / 31 December
granularity     string     ``month`` | ``day`` | ``year``
tariff_line     string     digits only, shaped for the source's nomenclature: 9-digit Japanese
                           statistical code (``020130010``) for Japan Customs data and
                           declarations; HS code of 2, 4 or 6 digits for UN Comtrade; 2, 4, 6,
                           8, 9 or 10 digits otherwise; chapter ``00`` never
partner         string     origin, ISO 3166 alpha-2 (``AU``); see ``partners.py``
quantity        float64    in ``quantity_unit``; never negative, never NaN
quantity_unit   string     ``kg`` | ``l`` | ``number`` | ``m2`` | ``m3`` (see ``units.py``);
                           mass is always converted to ``kg``
value           float64    customs value in ``currency`` (Japan Customs data: CIF, converted
                           from thousand yen to yen); never negative, never NaN
currency        string     ``JPY`` | ``USD``
regime          string     agreement claimed (``jaepa``, ``cptpp`` ... see ``regimes.py``),
                           ``mfn``, or null when unknown
source          string     which reader/publisher produced the row (``jp-customs-epa-tidy``)
batch_id        string     sha256 of the ingested file's bytes (links to the ``batches`` table)
==============  =========  ===================================================================

All columns except ``regime`` are required (non-null).

Data bounds (docs/semantics.md, "Data bounds"): periods lie within :data:`DATE_MIN` ..
:data:`DATE_MAX`; quantities and values are finite, not negative and at most the ceilings of
``units.QUANTITY_CEILING`` / ``units.VALUE_CEILING``.  A row outside them is refused, never
clipped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from tradeguard.data.frames import (
    ROW,
    backend,
    check,
    collect_problems,
    problem_queries,
    run_problem_queries,
    run_unbound,
)
from tradeguard.data.problems import IngestProblemsError, RowProblem
from tradeguard.data.regimes import REGIMES
from tradeguard.units import CANONICAL_UNITS, QUANTITY_CEILING, VALUE_CEILING

CANONICAL_SCHEMA = pa.schema(
    [
        pa.field("period_start", pa.date32(), nullable=False),
        pa.field("period_end", pa.date32(), nullable=False),
        pa.field("granularity", pa.string(), nullable=False),
        pa.field("tariff_line", pa.string(), nullable=False),
        pa.field("partner", pa.string(), nullable=False),
        pa.field("quantity", pa.float64(), nullable=False),
        pa.field("quantity_unit", pa.string(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("currency", pa.string(), nullable=False),
        pa.field("regime", pa.string(), nullable=True),
        pa.field("source", pa.string(), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
    ]
)
COLUMNS: tuple[str, ...] = tuple(CANONICAL_SCHEMA.names)
GRANULARITIES = frozenset({"month", "day", "year"})
CURRENCIES = frozenset({"JPY", "USD"})
TARIFF_LINE_PATTERN = r"^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{8,10})$"
# (source prefix, pattern, what it must be): the nomenclature a source's lines belong to
LINE_SHAPES = (
    ("jp-customs", r"^[0-9]{9}$", "a 9-digit Japanese statistical code"),
    ("declarations", r"^[0-9]{9}$", "a 9-digit Japanese statistical code"),
    ("un-comtrade", r"^([0-9]{2}|[0-9]{4}|[0-9]{6})$", "an HS code of 2, 4 or 6 digits"),
)
# The plausible window for import periods: wide around the rule library (WTO safeguards from
# 1995, CPTPP schedules into the 2030s), narrow enough to refuse 0001-01-01 and 9999-12-31.
DATE_MIN = date(1990, 1, 1)
DATE_MAX = date(2100, 12, 31)
BOUNDS_FIX = "see 'Data bounds' in docs/semantics.md"
_IBIS_TYPES = {"date32[day]": "date", "string": "string", "double": "float64"}


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of :func:`validate_table`: ``problems`` (up to 1000, by row) and their ``total``."""

    rows: int
    problems: tuple[RowProblem, ...] = field(default_factory=tuple)
    total: int = 0

    @property
    def ok(self) -> bool:
        return self.total == 0

    def raise_if_problems(self, source: str, fix: str) -> None:
        if not self.ok:
            raise IngestProblemsError(source, self.problems, fix=fix, total=self.total)


def empty_table() -> pa.Table:
    return CANONICAL_SCHEMA.empty_table()


def validate_table(table: pa.Table) -> ValidationReport:
    """Check a table against the canonical schema; every bad row is reported, nothing raised.

    Columns may arrive with looser types (strings, integers): each value that does not convert
    is a row problem ("is not a number").  A ``_row`` column, when present, gives the row numbers
    used in the report (readers put source-file rows there); otherwise rows count from 1.
    """
    report, _ = _validate(table, typed_result=False)
    return report


def conform(table: pa.Table, source: str) -> pa.Table:
    """Validate, then return the table cast to :data:`CANONICAL_SCHEMA`; raise on any problem."""
    report, typed = _validate(table)
    report.raise_if_problems(source, fix="correct the rows listed (or remove them) and ingest "
                             "the file again")
    assert typed is not None
    return typed


def _validate(table: pa.Table, typed_result: bool = True
              ) -> tuple[ValidationReport, pa.Table | None]:
    structural = column_problems(table.column_names)
    if structural:
        return ValidationReport(table.num_rows, tuple(structural), len(structural)), None
    if ROW not in table.column_names:
        from tradeguard.data.frames import with_row_numbers

        table = with_row_numbers(table, first=1)
    con = backend()
    # A named view of the Arrow table (no copy), not a memtable: the checks' SQL is then
    # compiled once per column layout and reused by every later validation.
    con.con.register("rows_to_validate", table)
    report, typed = validate_rows(con, con.table("rows_to_validate"), table.num_rows)
    if not report.ok or not typed_result:  # validation only: never a second copy of the rows
        return report, None
    return report, con.to_pyarrow(typed).cast(CANONICAL_SCHEMA)


def validate_rows(con, raw, rows: int, keep: tuple[str, ...] = ()):
    """Validate Ibis table ``raw`` (canonical columns, loosely typed, with ``_row``) where it
    lies, in one query on backend ``con``: the report, and the rows in the canonical types
    (an expression, without ``_row``, with the columns ``keep`` as they are).  Nothing is
    brought into memory but the problems."""
    import ibis.expr.operations as ops

    typed_cols, checks = typed_columns(raw)
    typed = raw.select(raw[ROW], **typed_cols, **{c: raw[c] for c in keep})
    if getattr(con, "name", None) == "duckdb" and isinstance(raw.op(), ops.DatabaseTable):
        # A staged table: the checks (about ninety expressions) are built and compiled once
        # per table name and layout, then run again for every later ingest.
        where = raw.op()
        count, first = _check_queries(where.name, where.namespace.catalog,
                                      where.namespace.database, raw.schema(), keep)
        problems, total = run_problem_queries(con, count, first, run_unbound)
    else:
        problems, total = collect_problems(con, checks + _row_checks(typed, raw))
    return ValidationReport(rows, tuple(problems), total), typed.drop(ROW)


@functools.lru_cache(maxsize=64)
def _check_queries(name: str, catalog: str | None, database: str | None, schema: Any,
                   keep: tuple[str, ...]) -> tuple[Any, Any]:
    """The validation of table ``name`` (of this schema) as two queries over an unbound table:
    the count of problems and the first of them."""
    import ibis

    raw = ibis.table(schema, name=name, catalog=catalog, database=database)
    typed_cols, checks = typed_columns(raw)
    typed = raw.select(raw[ROW], **typed_cols, **{c: raw[c] for c in keep})
    return problem_queries(checks + _row_checks(typed, raw))


def typed_columns(raw) -> tuple[dict, list]:
    """The canonical columns of Ibis table ``raw`` converted to their canonical types, and the
    checks (problem rows) of the values that do not convert."""
    checks, typed_cols = [], {}
    for fld in CANONICAL_SCHEMA:
        col = raw[fld.name]
        want = _IBIS_TYPES[str(fld.type)]
        if (col.type().is_string() and want == "string") or str(col.type()) == want:
            typed_cols[fld.name] = col
            continue
        cast = col.try_cast(want)
        kind = {"date": "date (YYYY-MM-DD)", "float64": "number", "string": "text"}[want]
        checks.append(check(raw, col.notnull() & cast.isnull(), fld.name, f"is not a {kind}"))
        typed_cols[fld.name] = cast
    return typed_cols, checks


def column_problems(columns: list[str]) -> list[RowProblem]:
    """The problems of a table with these column names: canonical columns missing or extra."""
    names = [n for n in columns if n != ROW]
    missing = [c for c in COLUMNS if c not in names]
    extra = [c for c in names if c not in COLUMNS]
    found = f"found: {', '.join(names) or 'none'}"
    out = []
    if missing:
        out.append(RowProblem(None, None, None,
                              f"missing column(s) {', '.join(missing)} ({found})"))
    if extra:
        out.append(RowProblem(None, None, None,
                              f"unexpected column(s) {', '.join(extra)}; the canonical schema "
                              f"has exactly: {', '.join(COLUMNS)}"))
    return out


def _row_checks(t, raw) -> list:
    import ibis

    from tradeguard.data.partners import known_partners, placeholder_partners

    required = [c for c in COLUMNS if c != "regime"]
    # Nulls are judged on the raw column: a value that failed to convert is already reported.
    out = [check(raw, raw[c].isnull(), c, "is empty (required)", ibis.null("string"))
           for c in required]
    out += [check(t, t[c].strip() == "", c, "is empty (required)")
            for c in ("granularity", "tariff_line", "partner", "quantity_unit", "currency",
                      "source", "batch_id")]
    start, end, gran = t.period_start, t.period_end, t.granularity
    month_end = (start + ibis.interval(months=1) - ibis.interval(days=1)).cast("date")
    year_end = ibis.date(start.year(), 12, 31)
    out += [
        check(t, ~gran.isin(sorted(GRANULARITIES)), "granularity",
              f"is not one of {', '.join(sorted(GRANULARITIES))}"),
        check(t, end < start, "period_end", "is before period_start"),
        check(t, (gran == "month") & ((start.day() != 1) | (end != month_end)), "period_end",
              "a month must run from the 1st to the last day of one month"),
        check(t, (gran == "day") & (end != start), "period_end",
              "a day record must end on its start date"),
        check(t, (gran == "year") & ((start.month() != 1) | (start.day() != 1)
                                     | (end != year_end)), "period_end",
              "a year record must run from 1 January to 31 December"),
        check(t, ~t.partner.isin(sorted(known_partners() | set(placeholder_partners()))),
              "partner", "is not an ISO 3166 alpha-2 country code"),
        check(t, ~t.quantity_unit.isin(sorted(CANONICAL_UNITS)), "quantity_unit",
              f"is not a known unit ({', '.join(sorted(CANONICAL_UNITS))})"),
        check(t, ~t.currency.isin(sorted(CURRENCIES)), "currency",
              f"is not a known currency ({', '.join(sorted(CURRENCIES))})"),
        check(t, t.regime.notnull() & ~t.regime.isin(sorted(REGIMES)), "regime",
              "is not a known regime (see tradeguard.data.regimes.REGIMES)"),
    ]
    out += _line_checks(t) + _date_checks(t)
    ceilings = {"quantity": (t.quantity_unit, QUANTITY_CEILING),
                "value": (t.currency, VALUE_CEILING)}
    for name, (unit, ceiling) in ceilings.items():
        col = t[name]
        limit = unit.substitute(ceiling, else_=ibis.literal(None, "float64"))
        finite = ~(col.isinf() | col.isnan())
        out += [
            check(t, col.isnan() | col.isinf(), name, "is not a finite number"),
            check(t, col < 0, name, "is negative"),
            check(t, finite & (col > limit), name, "is above the plausible ceiling of "
                  + limit.cast("int64").cast("string") + " " + unit + " for one record ("
                  + BOUNDS_FIX + ")"),
        ]
    return out


def _line_checks(t) -> list:
    line, source = t.tariff_line, t.source
    out = [check(t, line.substr(0, 2) == "00", "tariff_line",
                 "has chapter 00, which no nomenclature has (chapters run from 01)")]
    general = line.notnull()  # rows of no known nomenclature (Parquet from elsewhere ...)
    for prefix, pattern, what in LINE_SHAPES:
        mine = source.startswith(prefix)
        general = general & ~mine
        out.append(check(t, mine & ~line.re_search(pattern), "tariff_line", f"is not {what}"))
    out.append(check(t, general & ~line.re_search(TARIFF_LINE_PATTERN), "tariff_line",
                     "is not a tariff line (digits only: 2, 4, 6, 8, 9 or 10 of them)"))
    return out


def _date_checks(t) -> list:
    window = f"{DATE_MIN.isoformat()} .. {DATE_MAX.isoformat()}"
    outside = [(t[c] < DATE_MIN) | (t[c] > DATE_MAX) for c in ("period_start", "period_end")]
    why = f"is outside the plausible window {window} ({BOUNDS_FIX})"
    return [check(t, outside[0], "period_start", why),
            check(t, outside[1] & ~outside[0], "period_end", why)]
