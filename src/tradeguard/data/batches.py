"""Undo: list the store's batches and remove one, atomically and on the record.

A removal deletes the batch's records, its coverage and its batch record in one transaction,
and writes a ``batch_events`` row (event ``removed``, the batch's number and id, when, by whom,
its row count and the whole batch record as JSON): a removal is never silent.  Records of
earlier batches that the removed batch had superseded count again.  A dry run and a refused
removal (unknown batch, damaged store) leave the store file byte-for-byte unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tradeguard.errors import IngestError, InputError, problem


class NoSuchBatch(IngestError):
    """The store holds no batch of that number or id (the API answers 404)."""


@dataclass(frozen=True)
class Removal:
    """What :func:`remove_batch` did (``status`` ``removed``) or would do (``dry run``)."""

    status: str
    batch_no: int | None
    batch_id: str
    source_name: str | None
    rows: int
    known_on: date | None
    store_path: str
    reinstated: int  # records of earlier batches that count again (it had superseded them)
    removed_at: datetime | None = None
    removed_by: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("known_on", "removed_at"):
            out[key] = None if out[key] is None else out[key].isoformat()
        return out

    def summary(self) -> str:
        number = f"#{self.batch_no} " if self.batch_no is not None else ""
        again = (f"; {self.reinstated:,} records of earlier batches count again"
                 if self.reinstated else "")
        return (f"{self.status}: batch {number}{self.batch_id[:12]} "
                f"({self.source_name or 'unnamed'}), {self.rows:,} rows{again}")


def list_batches(store_path: str | Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """``{"batches": [...], "removed": [...]}``: every batch record (by number) and every
    removal recorded, as plain JSON-ready values."""
    from tradeguard.data.store import _open_read_only

    con = _open_read_only(store_path)
    try:
        raw = con.con
        names = {r[0] for r in raw.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        cols = {r[0] for r in raw.execute("SELECT column_name FROM duckdb_columns() "
                                          "WHERE table_name = 'batches'").fetchall()}
        order = "batch_no, ingested_at" if "batch_no" in cols else "ingested_at, batch_id"
        batches = _rows(raw, f"SELECT * FROM batches ORDER BY {order}")
        removed = (_rows(raw, "SELECT * FROM batch_events ORDER BY happened_at, batch_no")
                   if "batch_events" in names else [])
    finally:
        con.disconnect()
    if "batch_no" not in cols:  # a store made before batch numbers: numbered as a migration would
        for number, batch in enumerate(batches, start=1):
            batch["batch_no"] = number
    for batch in batches:
        batch.setdefault("known_on", batch["ingested_at"][:10])
        for key in ("totals", "notes"):
            batch[key] = json.loads(batch[key])
    for event in removed:
        event["batch"] = json.loads(event["batch"])
    return {"batches": batches, "removed": removed}


def _rows(con, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [{k: _plain(v) for k, v in zip(names, row, strict=True)} for row in cur.fetchall()]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def remove_batch(ref: str | int, store_path: str | Path | None = None, *, removed_at: datetime,
                 removed_by: str | None = None, dry_run: bool = False) -> Removal:
    """Remove batch ``ref`` (its number, or its full 64-character id) from the store.

    ``removed_at`` (timezone-aware; the engine reads no clock) and ``removed_by`` go into the
    ``batch_events`` record.  Raises ``InputError`` for a malformed reference, ``IngestError``
    for a batch the store does not hold (naming the batches it does) or a damaged store.
    """
    from tradeguard.data.store import _connect, _existing_batch, _utc, default_store_path

    store = Path(store_path) if store_path is not None else default_store_path()
    stamp = _utc(removed_at, "removed_at", "remove_batch")
    column, value = _parse_ref(ref)
    if not store.is_file():
        from tradeguard.data.store import _missing_store

        raise _missing_store(store)
    _existing_batch(store, "")  # the store's health check, read-only
    found = _find(_connect(store, read_only=True), store, column, value, ref)
    plan = Removal("dry run" if dry_run else "removed", found["batch_no"], found["batch_id"],
                   found.get("source_name"), found["row_count"], found.get("known_on"),
                   str(store), found["_reinstated"],
                   None if dry_run else stamp, None if dry_run else removed_by)
    if dry_run:
        return plan
    _delete(store, found, plan)
    return plan


def _parse_ref(ref: str | int) -> tuple[str, Any]:
    text = str(ref).strip()
    if text.isdigit() and len(text) < 19:
        return "batch_no", int(text)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text.lower()):
        return "batch_id", text.lower()
    raise InputError(problem(f"{text!r} is not a batch number or id", where="batches remove",
                             fix="give the batch's number (`tradeguard batches list` shows "
                                 "them) or its full 64-character id"))


def _find(con, store: Path, column: str, value: Any, ref: Any) -> dict[str, Any]:
    """The batch row and how many of its keys an earlier batch also holds; closes ``con``."""
    from tradeguard.data.identity import record_key_sql
    from tradeguard.data.store import _check_schema_version

    try:
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if "batches" in names:
            _check_schema_version(con, store)
        cols = _numbered_batches(con) if "batches" in names else None
        row = None if cols is None else con.execute(
            f"SELECT * FROM ({cols}) WHERE {column} = ?", [value]).fetchone()
        if row is None:
            held = [] if cols is None else con.execute(
                f"SELECT batch_no FROM ({cols}) ORDER BY batch_no").fetchall()
            shown = ", ".join(f"#{n}" for (n,) in held) or "none"
            raise NoSuchBatch(problem(f"the store holds no batch {ref}", where=str(store),
                                      why=f"its batches: {shown}",
                                      fix="see `tradeguard batches list`; nothing was changed"))
        found = dict(zip([d[0] for d in con.description], row, strict=True))
        key = record_key_sql(con)
        found["_reinstated"] = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {key} FROM imports WHERE batch_id = ? "
            f"INTERSECT SELECT DISTINCT {key} FROM imports WHERE batch_id <> ?)",
            [found["batch_id"], found["batch_id"]]).fetchone()[0]
        return found
    finally:
        con.close()


def _numbered_batches(con) -> str:
    """SQL of the batches with a number (stores made before numbers: by ingest time)."""
    cols = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() "
                                      "WHERE table_name = 'batches'").fetchall()}
    if "batch_no" in cols:
        return "SELECT * FROM batches"
    return ("SELECT *, row_number() OVER (ORDER BY ingested_at, batch_id) AS batch_no "
            "FROM batches")


def _delete(store: Path, found: dict[str, Any], plan: Removal) -> None:
    """Delete the batch and record the removal, in one transaction (with the migration)."""
    from tradeguard.data.store import _DDL, _connect, transaction

    record = {k: _plain(v) for k, v in found.items() if not k.startswith("_")}
    con = _connect(store, read_only=False)
    try:
        with transaction(con, store, "removing the batch failed; nothing was changed"):
            con.execute(_DDL)  # an older store gets numbers, known_on and batch_events first
            number = con.execute("SELECT batch_no FROM batches WHERE batch_id = ?",
                                 [plan.batch_id]).fetchone()
            if number is None:
                raise IngestError(problem("another program removed the batch meanwhile",
                                          where=str(store), fix="see `tradeguard batches list`"))
            for table in ("imports", "batch_coverage", "batches"):
                con.execute(f"DELETE FROM {table} WHERE batch_id = ?", [plan.batch_id])
            con.execute("INSERT INTO batch_events VALUES ('removed', ?, ?, ?, ?, ?, ?)", [
                number[0], plan.batch_id, plan.removed_at, plan.removed_by, plan.rows,
                json.dumps(record, sort_keys=True, default=str)])
    finally:
        con.close()
