"""Small Ibis helpers shared by the readers and the validator.

All row-level work is written as Ibis expressions so that the same code can later run on
another Ibis backend (PySpark); here it runs on an in-memory DuckDB.  Ibis is imported lazily:
it costs close to a second on a cold start, and the CLI must start faster than that.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

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
    count, first = problem_queries(checks, limit)
    return run_problem_queries(con, count, first, to_arrow)


def problem_queries(checks: list[ir.Table], limit: int = PROBLEM_LIMIT
                    ) -> tuple[ir.Scalar, ir.Table]:
    """All checks as one query: the count of problems, and the first ``limit`` by row."""
    # distinct: the wide workbook repeats a row's partner or unit problem in each month
    union = checks[0].union(*checks[1:], distinct=True) if len(checks) > 1 else checks[0].distinct()
    return union.count(), union.order_by(["row", "column"]).limit(limit)


def run_problem_queries(con: ibis.BaseBackend, count: ir.Scalar, first: ir.Table,
                        run: Any) -> tuple[list[RowProblem], int]:
    """The problems and their total, each query run by ``run(con, table_expr)``."""
    total = run(con, count.as_table()).column(0)[0].as_py()
    if total == 0:
        return [], 0
    found = run(con, first).to_pylist()
    return [RowProblem(p["row"], p["column"], p["value"], p["reason"]) for p in found], total


def scalar(con: ibis.BaseBackend, expr: ir.Scalar):
    """A scalar result as a Python value, via Arrow (``execute`` would need pandas)."""
    return to_arrow(con, expr.as_table()).column(0)[0].as_py()


def to_arrow(con: ibis.BaseBackend, expr: ir.Table) -> pa.Table:
    """``con.to_pyarrow(expr)``, with the SQL compiled once per shape of query on DuckDB.

    An ingest builds the same checks over the same staging tables every time; compiling them
    to SQL cost Ibis about two CPU-seconds per ingest, more than checking the rows of a small
    upload.  The query is keyed by the expression with its tables unbound (their names and
    schemas, not the connection), so any later ingest of the same layout reuses the SQL.
    Expressions over in-memory tables, and other backends, go through Ibis as before.
    """
    import ibis.expr.operations as ops

    if getattr(con, "name", None) != "duckdb" or expr.op().find(ops.InMemoryTable):
        return con.to_pyarrow(expr)
    return run_unbound(con, expr.unbind())


def run_unbound(con: ibis.BaseBackend, expr: ir.Table) -> pa.Table:
    """Run on DuckDB backend ``con`` an expression over unbound tables (``ibis.table``), which
    name tables of that connection; its SQL is compiled once per expression."""
    table = con.con.sql(_duckdb_sql(expr.op())).to_arrow_table()
    # in the expression's own types, as Ibis returns them (DuckDB sums integers to decimals)
    return table.rename_columns(expr.columns).cast(expr.schema().to_pyarrow())


@functools.lru_cache(maxsize=512)
def _duckdb_sql(op: Any) -> str:
    import ibis

    return str(ibis.to_sql(op.to_expr(), dialect="duckdb"))


def notes_metadata(notes: dict[str, int]) -> dict[bytes, bytes]:
    """Schema metadata carrying the reader's counts (skipped rows by reason and so on)."""
    import json

    return {b"tradeguard.notes": json.dumps(notes, sort_keys=True).encode()}


def read_notes(table: pa.Table) -> dict[str, int]:
    """The counts a reader attached with :func:`notes_metadata` (empty if none)."""
    import json

    raw = (table.schema.metadata or {}).get(b"tradeguard.notes")
    return json.loads(raw) if raw else {}
