"""Small Ibis helpers shared by the readers and the validator.

All row-level work is written as Ibis expressions so that the same code can later run on
another Ibis backend (PySpark); here it runs on an in-memory DuckDB.  Ibis is imported lazily:
it costs close to a second on a cold start, and the CLI must start faster than that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from tradeguard.data.problems import RowProblem

if TYPE_CHECKING:
    import ibis
    import ibis.expr.types as ir

ROW = "_row"  # source row number carried through every transformation for error messages
PROBLEM_LIMIT = 1000  # rows of detail kept per report; the total is always counted


def backend() -> ibis.BaseBackend:
    """A fresh in-memory DuckDB backend (cheap; avoids memtables piling up across calls).

    DuckDB's progress bar is off: it writes to stdout, into the CLI's JSON output.
    """
    import ibis

    con = ibis.duckdb.connect()
    con.con.execute("SET enable_progress_bar = false")
    return con


def with_row_numbers(table: pa.Table, first: int = 2) -> pa.Table:
    """Append ``_row`` numbering data rows from ``first`` (2 = the row under a header)."""
    import numpy as np

    rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
    return table.append_column(ROW, rows)


def check(t: ir.Table, failed: ir.BooleanValue, column: str | ir.StringValue | None,
          reason: str | ir.StringValue, value: ir.Value | None = None) -> ir.Table:
    """Rows of ``t`` where ``failed`` is true, as (row, column, value, reason) problem rows.

    ``column`` is a column name, or an expression naming the source column per row.
    """
    import ibis

    if value is None and isinstance(column, str):
        value = t[column]
    shown = ibis.null("string") if value is None else value.cast("string")
    if column is None or isinstance(column, str):
        column = ibis.literal(column, "string")
    return t.filter(failed.fill_null(False)).select(
        row=t[ROW],
        column=column,
        value=shown,
        reason=reason if not isinstance(reason, str) else ibis.literal(reason),
    )


def collect_problems(con: ibis.BaseBackend, checks: list[ir.Table],
                     limit: int = PROBLEM_LIMIT) -> tuple[list[RowProblem], int]:
    """Run all checks in one query; return up to ``limit`` problems (by row) and the total."""
    if not checks:
        return [], 0
    # distinct: the wide workbook repeats a row's partner or unit problem in each month
    union = checks[0].union(*checks[1:], distinct=True) if len(checks) > 1 else checks[0].distinct()
    total = scalar(con, union.count())
    if total == 0:
        return [], 0
    found = con.to_pyarrow(union.order_by(["row", "column"]).limit(limit)).to_pylist()
    return [RowProblem(p["row"], p["column"], p["value"], p["reason"]) for p in found], total


def scalar(con: ibis.BaseBackend, expr: ir.Scalar):
    """A scalar result as a Python value, via Arrow (``execute`` would need pandas)."""
    return con.to_pyarrow(expr).as_py()


def notes_metadata(notes: dict[str, int]) -> dict[bytes, bytes]:
    """Schema metadata carrying the reader's counts (skipped rows by reason and so on)."""
    import json

    return {b"tradeguard.notes": json.dumps(notes, sort_keys=True).encode()}


def read_notes(table: pa.Table) -> dict[str, int]:
    """The counts a reader attached with :func:`notes_metadata` (empty if none)."""
    import json

    raw = (table.schema.metadata or {}).get(b"tradeguard.notes")
    return json.loads(raw) if raw else {}
