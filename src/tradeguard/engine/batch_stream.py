"""The batch duty engine over Parquet on disk, streaming: any number of declarations in
bounded memory.

Two passes over the files, one batch at a time.  The first reads only the five
required columns and gathers, per distinct (line, partner), the first and last date
and the amounts' extremes: exactly what :func:`tradeguard.duty_batch` gathers from a
whole table, so the rules compile to the same segments and the same regimes (the
same output columns) as one call over all the rows would give.  The second prices
each batch with that one plan and appends it to the output file.  Every check runs
in the first pass, so a bad declaration anywhere stops the run before anything is
written; the output is written to a ``.partial`` file beside the destination and
renamed only when complete, so nothing is ever half-written.

Memory is bounded by the batch (``batch_rows``) and by the input's row groups, which
Parquet readers load whole: write large inputs with row groups of at most a few
million rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
from ibis import _

from tradeguard.engine.batch import REQUIRED, _as_table, apply_plan, compile_plan, key_ranges
from tradeguard.engine.duty import official_activations
from tradeguard.errors import InputError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules

#: Declarations priced per batch: large enough that the per-batch query set-up is noise,
#: small enough that a batch and its answers stay a few hundred MB.
DEFAULT_BATCH_ROWS = 2_000_000


def _files(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The Parquet files of ``source``: one file, a directory's ``*.parquet`` in name order,
    or a list of files in the order given."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    else:
        files = [Path(p) for p in source]
    missing = [str(f) for f in files if not f.is_file()]
    if not files or missing:
        raise InputError(problem(f"no Parquet file at {missing[0] if missing else source}",
                                 where="source", fix="give a Parquet file, a directory of "
                                 "*.parquet files or a list of Parquet files"))
    schemas = {pq.read_schema(f).remove_metadata() for f in files}
    if len(schemas) > 1:
        raise InputError(problem("the Parquet files have different columns or types",
                                 where="source", fix="give files with one schema"))
    return files


def _batches(files: list[Path], batch_rows: int,
             columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=columns):
            yield pa.Table.from_batches([batch])


def _stream_keys(files: list[Path], batch_rows: int) -> pa.Table:
    """The key ranges of all the declarations, batch by batch (pass one)."""
    names = pq.read_schema(files[0]).names
    # Only the required columns; all of them when one lacks, so that the check names it.
    columns = list(REQUIRED) if set(REQUIRED) <= set(names) else None
    partial = []
    for batch in _batches(files, batch_rows, columns):
        with _connection() as con:
            partial.append(key_ranges(_as_table(batch)[0], con))
    if not partial or not sum(p.num_rows for p in partial):
        raise InputError(problem("the Parquet input holds no declarations", where="source",
                                 fix="give files with at least one declaration"))
    merged = ibis.memtable(pa.concat_tables(partial))
    with _connection() as con:
        return con.to_pyarrow(merged.group_by(["tariff_line", "origin"]).aggregate(
            lo=_.lo.min(), hi=_.hi.max(),
            **{f"{c}_{f}": getattr(merged[f"{c}_{f}"], f)()
               for c in ("customs_value", "quantity") for f in ("min", "max")}))


@contextlib.contextmanager
def _connection() -> Iterator[Any]:
    """A DuckDB connection for one batch: its in-memory tables go when it closes, so the
    memory stays that of one batch however many pass."""
    con = ibis.duckdb.connect()
    try:
        yield con
    finally:
        con.disconnect()


def duty_batch_parquet(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                       dest: str | os.PathLike[str],
                       activations: Sequence[s.Activation] | None = None, *,
                       as_of: dt.date, rules: RuleSet | None = None,
                       quota_claims: Sequence[str] = (),
                       batch_rows: int = DEFAULT_BATCH_ROWS) -> dict[str, Any]:
    """:func:`tradeguard.duty_batch` from Parquet on disk to a Parquet file, streaming.

    ``source`` is a Parquet file, a directory of ``*.parquet`` files (taken in name
    order) or a list of files; the declarations need the columns of ``duty_batch``.
    ``dest`` receives the same rows and values as ``duty_batch`` over all of them at
    once, in the input's order, written batch by batch.  Returns what was written:
    ``{"path", "rows", "batches", "regimes"}``.
    """
    if batch_rows < 1:
        raise InputError(problem(f"batch_rows is {batch_rows}", where="batch_rows",
                                 fix="give a positive number of rows per batch"))
    rules = rules or shipped_rules()
    ledger = official_activations(rules) if activations is None else list(activations)
    files = _files(source)
    plan = compile_plan(_stream_keys(files, batch_rows), rules, ledger, as_of, quota_claims)
    dest = Path(dest)
    partial = dest.with_name(dest.name + ".partial")
    rows = batches = 0
    writer: pq.ParquetWriter | None = None
    try:
        for batch in _batches(files, batch_rows):
            with _connection() as con:
                out = apply_plan(*_as_table(batch), plan, "arrow", con)
            writer = writer or pq.ParquetWriter(partial, out.schema)
            writer.write_table(out)
            rows, batches = rows + out.num_rows, batches + 1
        writer.close()  # the first pass found declarations, so there was a batch
        writer = None
        os.replace(partial, dest)
    finally:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
    return {"path": str(dest), "rows": rows, "batches": batches, "regimes": list(plan.regimes)}
