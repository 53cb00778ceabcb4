"""Tables derived from the imports and kept in the store beside them, each with its version.

A derived table (e.g. the quota ledger's ``quota_declarations``) is a pure function of the
store's records and the rules: its writer names the version it was built from (a digest of the
batch set and the rules), and a reader gets the table only while that version holds, so a
stale table is never read as current.  The table and its version are written in one
transaction under the store's writer lock; a failed write leaves the previous pair intact.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pyarrow as pa

from tradeguard.errors import IngestError, InputError, problem

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def _checked(name: str) -> str:
    if not _NAME.match(name) or name in {"imports", "batches", "batch_coverage", "batch_events",
                                          "store_meta"}:
        raise InputError(problem(f"`{name}` cannot be a derived table's name",
                                 fix="use lower-case letters, digits and _, not a store table"))
    return name


def read_derived(store: Path, name: str, version: str) -> pa.Table | None:
    """The derived table ``name`` if it was built for ``version``; None otherwise."""
    from tradeguard.data.store import _connect

    name = _checked(name)
    if not store.is_file():
        return None
    con = _connect(store, read_only=True)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if name not in tables or "store_meta" not in tables:
            return None
        rows = con.execute("SELECT value FROM store_meta WHERE key = ?",
                           [f"derived:{name}"]).fetchall()
        if rows != [(version,)]:
            return None
        return con.sql(f"SELECT * FROM {name}").arrow().read_all()
    finally:
        con.close()


def write_derived(store: Path, name: str, table: pa.Table, version: str) -> None:
    """Replace the derived table ``name`` by ``table``, built for ``version``; all or nothing."""
    import duckdb

    from tradeguard.data.store import _connect, _rollback

    name = _checked(name)
    con = _connect(store, read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")
        con.register("derived_incoming", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM derived_incoming")
        con.unregister("derived_incoming")
        con.execute("INSERT OR REPLACE INTO store_meta VALUES (?, ?)", [f"derived:{name}", version])
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        raise IngestError(problem(f"writing the derived table {name} failed; it is unchanged",
                                  where=str(store), why=f"{type(exc).__name__}: {exc}",
                                  fix="check free disk space and permissions, then retry")
                          ) from exc
    else:
        with contextlib.suppress(duckdb.Error):
            con.execute("CHECKPOINT")
    finally:
        con.close()
