"""The embedded import store: one DuckDB file with the tables ``imports`` and ``batches``.

``imports`` holds canonical rows (see ``schema.py``) and ``record_id``, the record's own id in
its source where it gives one (a declaration id; added after schema version 1, null otherwise).  ``batches`` holds one row per ingested file:

==============  =========  ============================================================
column          type       meaning
==============  =========  ============================================================
batch_id        VARCHAR    sha256 of the file's bytes (primary key; same bytes = same batch)
source_path     VARCHAR    path the file was ingested from (as given, resolved), or the file name
                           the user gave (``source_name``) for an upload
format          VARCHAR    reader format (``jp-epa-tidy``, ``jp-customs-xlsx`` ...)
row_count       BIGINT     rows added to ``imports``
quantity_kg     DOUBLE     total quantity in kg (rows in other units are in ``totals``)
value_jpy       DOUBLE     total value of the JPY rows
value_usd       DOUBLE     total value of the USD rows
totals          VARCHAR    JSON: quantity per unit and value per currency
period_min      DATE       earliest period_start
period_max      DATE       latest period_end
notes           VARCHAR    JSON: the reader's counts (skipped rows by reason ...)
ingested_at     TIMESTAMP  UTC time supplied by the caller (the engine never reads a clock)
reader_version  VARCHAR    ``tradeguard.data.readers/N``
source_name     VARCHAR    file name given by the user (an upload's name), else the file's name
source_bytes    BIGINT     size of the file in bytes (its sha256 is ``batch_id``)
uploaded_by     VARCHAR    who sent it (the API token's label); null for a local ingest
batch_no        BIGINT     the batch's number (1, 2 ...; never reused, also after a removal)
known_on        DATE       the day its figures became known (``ingest(known_on=...)``, default
                           the ingest date): the data as known on a date reads batches known
                           by then (``identity.as_known_on``)
revision        BOOLEAN    true when it was ingested with ``replace=True`` over records already
                           stored: for those keys it supersedes the earlier batches
==============  =========  ============================================================

The columns from ``source_name`` on were added after schema version 1 was released; an older
store gets them on its next ingest or removal (``known_on`` then is the ingest date, batches
are numbered by ingest time, ``revision`` stays null: "made before revisions").

``batch_events`` records every removal (``tradeguard.data.batches``): the event, the batch's
number and id, when and by whom, its rows and the whole batch record as JSON.

``batch_coverage`` records what each batch covers (``tradeguard.data.coverage``), one row per
covered run: ``regimes`` (``all`` entries, or only ``preference`` claims), ``granularity``,
``span_start``/``span_end``, and JSON lists ``chapters`` (``["*"]``: every line), ``headings``
and ``partners`` (``null``: every partner).  Stores made before it get the table on their next
ingest; the monitor judges coverage from the records themselves, by the same rules.

Guarantees of :func:`ingest`: the file is read and validated completely before the store is
opened for writing, in a staging database (``limits.staging``) that holds the rows on disk, so
no step holds the whole file in memory; the rows and the batch record go in one transaction (all or nothing, also if
the process is killed: DuckDB replays only committed transactions from its write-ahead log); the
same file content is never ingested twice; a dry run and a failed ingest leave the store file
byte-for-byte unchanged (it is not even created); records whose natural keys are already stored
(``identity.py``) are refused, or stored as a revision with ``replace=True``, never added twice.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from dataclasses import replace as replace_fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.errors import IngestError, InputError, problem

if TYPE_CHECKING:
    import duckdb
    import ibis.expr.types as ir

    from tradeguard.data.identity import Overlap
    from tradeguard.data.limits import ReadLimits
    from tradeguard.data.readers import Staged

STORE_ENV = "TRADEGUARD_STORE"
SCHEMA_VERSION = "1"
Progress = Callable[[str, int, int], None]  # (stage, done, total)

_DDL = """
CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS imports (
    period_start DATE NOT NULL, period_end DATE NOT NULL, granularity VARCHAR NOT NULL,
    tariff_line VARCHAR NOT NULL, partner VARCHAR NOT NULL, quantity DOUBLE NOT NULL,
    quantity_unit VARCHAR NOT NULL, value DOUBLE NOT NULL, currency VARCHAR NOT NULL,
    regime VARCHAR, source VARCHAR NOT NULL, batch_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    batch_id VARCHAR PRIMARY KEY, source_path VARCHAR NOT NULL, format VARCHAR NOT NULL,
    row_count BIGINT NOT NULL, quantity_kg DOUBLE NOT NULL, value_jpy DOUBLE NOT NULL,
    value_usd DOUBLE NOT NULL, totals VARCHAR NOT NULL, period_min DATE, period_max DATE,
    notes VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL, reader_version VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS batch_coverage (
    batch_id VARCHAR NOT NULL, regimes VARCHAR NOT NULL, granularity VARCHAR NOT NULL,
    span_start DATE NOT NULL, span_end DATE NOT NULL, chapters VARCHAR NOT NULL,
    headings VARCHAR NOT NULL, partners VARCHAR NOT NULL);
INSERT INTO store_meta VALUES ('schema_version', '1') ON CONFLICT DO NOTHING;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS source_name VARCHAR;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS source_bytes BIGINT;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS uploaded_by VARCHAR;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS batch_no BIGINT;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS known_on DATE;
ALTER TABLE batches ADD COLUMN IF NOT EXISTS revision BOOLEAN;
ALTER TABLE imports ADD COLUMN IF NOT EXISTS record_id VARCHAR;
CREATE TABLE IF NOT EXISTS batch_events (
    event VARCHAR NOT NULL, batch_no BIGINT, batch_id VARCHAR NOT NULL, happened_at TIMESTAMP NOT NULL,
    done_by VARCHAR, row_count BIGINT NOT NULL, batch VARCHAR NOT NULL);
UPDATE batches SET known_on = CAST(ingested_at AS DATE) WHERE known_on IS NULL;
UPDATE batches SET batch_no = numbered.n FROM (
    SELECT batch_id, (SELECT coalesce(max(batch_no), 0) FROM batches)
                     + row_number() OVER (ORDER BY ingested_at, batch_id) AS n
    FROM batches WHERE batch_no IS NULL) AS numbered
WHERE batches.batch_id = numbered.batch_id;
"""
_BATCH_COLUMNS = ("batch_id, source_path, format, row_count, quantity_kg, value_jpy, value_usd, "
                  "totals, period_min, period_max, notes, ingested_at, reader_version, "
                  "source_name, source_bytes, uploaded_by, batch_no, known_on, revision")

# Test seam: called inside the write transaction, after the rows are inserted and before COMMIT
# (the crash tests kill the process there).  Never set in production code.
_before_commit: Callable[[], None] | None = None


@dataclass(frozen=True)
class IngestReport:
    """What :func:`ingest` did (or, for a dry run, would do)."""

    status: str  # "ingested" | "already ingested" | "dry run"
    batch_id: str
    source_path: str
    format: str
    rows: int
    store_path: str
    quantity_totals: dict[str, float] = field(default_factory=dict)
    value_totals: dict[str, float] = field(default_factory=dict)
    period_min: date | None = None
    period_max: date | None = None
    notes: dict[str, Any] = field(default_factory=dict)  # counts; "... examples": short lists
    ingested_at: datetime | None = None  # UTC, without tzinfo (as stored)
    source_name: str | None = None  # the file name the user gave
    source_bytes: int | None = None
    uploaded_by: str | None = None
    batch_no: int | None = None  # None until stored
    known_on: date | None = None
    revision: bool = False  # supersedes records of earlier batches (replace=True)

    @property
    def changed(self) -> bool:
        return self.status == "ingested"

    def as_dict(self) -> dict:
        """Plain JSON-ready values (dates and times as ISO strings) for the CLI."""
        from dataclasses import asdict

        out = asdict(self)
        for key in ("period_min", "period_max", "ingested_at", "known_on"):
            out[key] = None if out[key] is None else out[key].isoformat()
        return out

    def summary(self) -> str:
        qty = ", ".join(f"{v:,.0f} {u}" for u, v in sorted(self.quantity_totals.items()))
        val = ", ".join(f"{v:,.0f} {c}" for c, v in sorted(self.value_totals.items()))
        span = f"{self.period_min} to {self.period_max}" if self.period_min else "no periods"
        notes = "".join(f"\n  {k}: {', '.join(v) if isinstance(v, list) else f'{v:,}'}"
                        for k, v in sorted(self.notes.items()) if v)
        number = f"#{self.batch_no} " if self.batch_no is not None else ""
        known = f", known on {self.known_on}" if self.known_on else ""
        kind = " (a revision)" if self.revision else ""
        return (f"{self.status}: {self.source_path} ({self.format}), {self.rows:,} rows, {span}; "
                f"quantity {qty or '-'}; value {val or '-'}; batch {number}"
                f"{self.batch_id[:12]}{known}{kind}{notes}")


def default_store_path() -> Path:
    """``$TRADEGUARD_STORE``, else ``<user data dir>/tradeguard/store.duckdb``."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("tradeguard")) / "store.duckdb"


def ingest(path: str | Path, store_path: str | Path | None = None, *, format: str | None = None,
           dry_run: bool = False, ingested_at: datetime, progress: Progress | None = None,
           chapters: str | None = None, source_name: str | None = None,
           uploaded_by: str | None = None, limits: ReadLimits | None = None,
           replace: bool = False, known_on: date | None = None) -> IngestReport:
    """Read, validate and store one file as one batch (see the module docstring).

    ``store_path`` defaults to :func:`default_store_path`; ``format`` to the sniffed one;
    ``ingested_at`` (timezone-aware) is recorded as given, converted to UTC; ``progress`` is
    called as ``progress(stage, done, total)`` with stages ``hash``, ``read``, ``check`` and
    ``write``.
    ``chapters`` scopes Japan Customs files (``"01-24"`` by default, ``"all"``; see
    ``readers.read_any``).  ``source_name`` is the file name the user gave (an upload's name,
    recorded instead of the server's temporary path) and ``uploaded_by`` who sent it (the API
    token's label); both go into the batch record with the file's size and sha256.
    ``limits`` bound what a read may inflate to (``tradeguard.data.limits``; default: the
    environment's or the documented defaults).
    Records already stored with the same figures are not stored again (status ``already
    ingested``); records whose keys are stored with other figures, or a file that repeats some
    stored records next to new ones, are refused unless ``replace`` makes the batch a revision
    (``identity.py``).  ``known_on`` is the day the figures became known (default: the date of
    ``ingested_at``).
    Raises ``IngestError`` (``IngestProblemsError`` listing rows for bad data), ``InputError``
    for a bad argument.
    """
    from tradeguard.data.limits import reading, staging
    from tradeguard.data.readers import sniff_format, stage_any
    from tradeguard.data.textfile import file_sha256

    path = Path(path)
    store = Path(store_path) if store_path is not None else default_store_path()
    stamp = _utc(ingested_at, "ingested_at", "ingest")
    known = _known_on(known_on, stamp)
    tick = progress or (lambda stage, done, total: None)
    if not path.is_file():
        raise IngestError(problem("no such file", where=str(path),
                                  fix="check the path; ingest takes one file at a time"))
    tick("hash", 0, 1)
    batch_id = file_sha256(path, lambda done, total: tick("hash", done, total))
    previous = _existing_batch(store, batch_id)
    if previous is not None:
        return _report_from_batch(previous, store)
    tick("read", 0, 1)
    # staged next to the store when its folder exists (same disk), never in the store itself
    writable = store.parent.is_dir() and os.access(store.parent, os.W_OK)
    staging_dir = store.parent if writable else None
    with reading(limits, lambda done, total: tick("read", done, total), staging_dir), \
            staging() as con:
        chosen = format or sniff_format(path)
        staged = stage_any(con, path, chosen, chapters=chapters)
        draft = _Draft(path, store, batch_id, chosen, stamp, known, source_name, uploaded_by)
        return _check_and_store(staged, draft, dry_run=dry_run, replace=replace, tick=tick)


@dataclass(frozen=True)
class _Draft:
    """What an ingest knows of its batch before the rows are judged."""

    path: Path
    store: Path
    batch_id: str
    format: str
    stamp: datetime
    known_on: date
    source_name: str | None
    uploaded_by: str | None


def _check_and_store(staged: Staged, draft: _Draft, *, dry_run: bool, replace: bool,
                     tick: Progress) -> IngestReport:
    """Judge the staged rows against the store and store them: every step runs in DuckDB on the
    staging database (the store attached to it), so none holds the rows in memory."""
    from tradeguard.data.coverage import batch_summary
    from tradeguard.data.readers import CANONICAL, READER_VERSION

    path, store = draft.path, draft.store
    first = staged.con.con.execute(f"SELECT batch_id FROM {CANONICAL} LIMIT 1").fetchone()
    if first is not None and first[0] != draft.batch_id:
        raise IngestError(problem("the file changed while it was being read", where=str(path),
                                  fix="wait until the file is complete, then ingest again"))
    report = _report(staged, "dry run" if dry_run else "ingested", draft)
    tick("check", 0, 1)  # against the stored records: repeats, revisions
    overlap = _stored_overlap(store, staged)
    verdict = _judge_overlap(overlap, report, replace)
    if verdict is not None or dry_run:
        return verdict or report
    covered = batch_summary(staged.table)  # before the store opens: a failure writes nothing
    tick("write", 0, report.rows)
    stored = _write_batch(store, staged, report, READER_VERSION, covered, replace=replace)
    tick("write", report.rows, report.rows)
    return stored if stored is not None else _report_from_batch(
        _existing_batch(store, draft.batch_id), store)


def _known_on(known_on: date | None, stamp: datetime) -> date:
    if known_on is None:
        return stamp.date()
    if isinstance(known_on, datetime) or not isinstance(known_on, date):
        raise InputError(problem("known_on must be a date", where="ingest(known_on=...)",
                                 why=f"got {known_on!r}",
                                 fix="pass the day the figures were published, e.g. "
                                     "datetime.date(2021, 4, 30) (--known-on 2021-04-30)"))
    return known_on


def _judge_overlap(overlap: Overlap | None, report: IngestReport,
                   replace: bool) -> IngestReport | None:
    """Nothing new: the "already ingested" report; a repeat without ``replace``: refused;
    else None (store it; a revision when it overlaps)."""
    from tradeguard.data.identity import overlap_refusal

    if overlap is None or not overlap.overlapping:
        return None
    names = [b.describe() for b in overlap.earlier]
    if overlap.nothing_new:
        first = overlap.earlier[0]
        return replace_fields(report, status="already ingested", batch_id=first.batch_id,
                              batch_no=first.batch_no, known_on=first.known_on,
                              notes={**report.notes, "already stored in": names})
    if not replace:
        raise overlap_refusal(overlap, report.source_path, report.known_on)
    return None


def _stored_overlap(store: Path, staged: Staged) -> Overlap | None:
    """How the staged records meet the stored ones (store attached read-only, not modified)."""
    from tradeguard.data.identity import find_overlap

    if not store.is_file():
        return None
    with _attached(staged, store, read_only=True) as con:
        return find_overlap(con, "incoming")


@contextlib.contextmanager
def _attached(staged: Staged, store: Path, *, read_only: bool):
    """The staging database's connection with the store attached (as ``store``, the default
    catalog) under the store's reader or writer lock, and the staged rows as the view
    ``incoming``.  Joins, checks and the INSERT then run within the staging database's memory
    cap, spilling to its folder: the store's own connections never see the whole file."""
    import duckdb

    from tradeguard.data.access import open_locked
    from tradeguard.data.readers import CANONICAL, RECORD_ID
    from tradeguard.data.schema import COLUMNS

    con = staged.con.con
    home = con.execute("SELECT current_database()").fetchone()[0]
    quoted = str(store).replace("'", "''")
    mode = " (READ_ONLY)" if read_only else ""

    def attach():
        con.execute(f"ATTACH '{quoted}' AS store{mode}")
        return con

    try:  # the same locks as a connection of the store's own (tradeguard.data.access)
        _, lease = open_locked(store, read_only=read_only, opener=attach)
    except duckdb.Error as exc:
        raise _open_error(store, exc) from exc
    try:
        con.execute(f'CREATE OR REPLACE TEMP VIEW incoming AS SELECT {", ".join(COLUMNS)}, '
                    f'{RECORD_ID} FROM "{home}".main.{CANONICAL}')
        con.execute("USE store")
        yield con
    finally:
        try:
            _rollback(con)
            con.execute(f'USE "{home}"')
            con.execute("DROP VIEW IF EXISTS incoming")
            con.execute("DETACH store")
        finally:
            lease.release()


def open_imports(store_path: str | Path | None = None, *,
                 known_on: date | None = None) -> ir.Table:
    """The import records as known on ``known_on`` (read-only connection) for the monitor.

    Every reader of the store's imports goes through here: the records of the batches known on
    ``known_on`` (None: every batch), each natural key from its latest revision only
    (``identity.as_known_on``), in the canonical columns.

    DuckDB allows one writing process, and within one process no writer next to a read-only
    connection: disconnect (``table.get_backend().disconnect()``) before ingesting from the
    same process.
    """
    from tradeguard.data.identity import as_known_on

    con = _open_read_only(store_path)
    try:
        return as_known_on(con.table("imports"), con.table("batches"), known_on)
    except Exception:
        con.disconnect()
        raise


def open_coverage(store_path: str | Path | None = None) -> ir.Table:
    """The ``batch_coverage`` table (what each batch covers) as an Ibis table (read-only)."""
    return _open_read_only(store_path).table("batch_coverage")


def open_batches(store_path: str | Path | None = None) -> ir.Table:
    """The ``batches`` table as an Ibis table (read-only connection)."""
    return _open_read_only(store_path).table("batches")


def _open_read_only(store_path: str | Path | None):
    import duckdb
    import ibis

    from tradeguard.data.access import open_locked

    store = Path(store_path) if store_path is not None else default_store_path()
    if not store.is_file():
        raise _missing_store(store)
    _check_not_empty(store)
    try:  # under the store's reader lock until disconnect() (tradeguard.data.access)
        con, lease = open_locked(store, read_only=True,
                                 opener=lambda: ibis.duckdb.connect(str(store), read_only=True))
    except duckdb.Error as exc:
        raise _open_error(store, exc) from exc
    con.disconnect = _releasing(con.disconnect, lease)
    con.con.execute("SET enable_progress_bar = false")
    names = _verified_tables(con.con, store, close=con.disconnect)
    if "imports" not in names:  # created, but the first ingest never committed
        con.disconnect()
        raise IngestError(problem("the store holds no imports yet", where=str(store),
                                  fix="ingest a file first (tradeguard.data.store.ingest)"))
    return con


def _missing_store(store: Path) -> IngestError:
    if not store.parent.is_dir():
        return IngestError(problem("the store's folder does not exist", where=str(store),
                                   why=f"no folder {store.parent}",
                                   fix=f"check the path (--store or ${STORE_ENV}); "
                                       "`tradeguard ingest` creates the folder and the store"))
    return IngestError(problem("the store does not exist yet", where=str(store),
                               fix="ingest a file first (tradeguard.data.store.ingest)"))


def _check_not_empty(store: Path) -> None:
    if store.stat().st_size == 0:
        raise IngestError(problem(
            "the store file is empty (0 bytes)", where=str(store),
            why="a failed copy, a full disk, or a file that is not a tradeguard store",
            fix="move it away (or delete it) and ingest your files again, or point --store / "
                f"${STORE_ENV} at the right file"))


def _verified_tables(con: duckdb.DuckDBPyConnection, store: Path, close) -> set[str]:
    """The store's table names, after reading every block of them once.

    DuckDB checks each block's checksum as it reads it, and a store cut short fails when a
    block beyond its end is read: one scan turns both into a clear error here, instead of a
    traceback from whichever query would first touch the damaged block.
    """
    import duckdb

    try:
        # (not con.list_tables(): Ibis 12 calls fetch_arrow_table, which DuckDB 2 removed)
        names = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for table in sorted(names & {"imports", "batches"}):
            con.execute(f"SELECT bit_xor(hash(COLUMNS(*))) FROM {table}").fetchall()
    except duckdb.Error as exc:
        close()
        raise _open_error(store, exc) from exc
    return names


def _open_error(store: Path, exc: Exception) -> IngestError:
    """The store could not be opened or read: say why in the user's words, and the fix."""
    text = str(exc)
    lowered = text.lower()
    unwritable = ("read-only file system", "permission denied", "operation not permitted",
                  "no such file or directory")
    if isinstance(exc, OSError) or any(u in lowered for u in unwritable):
        return IngestError(problem(
            "the store cannot be written here", where=str(store), why=text,
            fix=f"choose a writable location with --store or ${STORE_ENV} (the folder must "
                "allow writing), or fix the folder's permissions"))
    if any(m in lowered for m in ("could not set lock", "conflicting lock",
                                  "different configuration")):
        return IngestError(problem(
            "the store is in use by another program", where=str(store), why=text,
            fix="close the other program using it (DuckDB allows one writer), wait for a "
                "running ingest to finish, or choose another store path"))
    return IngestError(problem(
        "the store file is damaged (corrupt, cut short, or not a tradeguard store)",
        where=str(store), why=text,
        fix=f"restore it from a backup, or move it away (e.g. rename it to {store.name}.damaged)"
            " and ingest your files again; tradeguard never writes into a damaged store"))


def _utc(stamp: datetime, argument: str, call: str) -> datetime:
    """``stamp`` as a naive UTC datetime (how the store keeps times); ``argument`` of ``call``
    names the input in the error for a naive one (ingest and remove_batch share this)."""
    if not isinstance(stamp, datetime) or stamp.tzinfo is None:
        raise InputError(problem(f"{argument} must be a timezone-aware datetime",
                                 where=f"{call}({argument}=...)",
                                 why=f"got {stamp!r}; a naive time is ambiguous",
                                 fix="pass datetime.now(UTC) or another aware datetime"))
    return stamp.astimezone(UTC).replace(tzinfo=None)


def _connect(store: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    import duckdb

    from tradeguard.data.access import LockedConnection, open_locked

    if store.is_file():
        _check_not_empty(store)
    try:  # under the store's reader or writer lock until close() (tradeguard.data.access)
        con, lease = open_locked(store, read_only=read_only,
                                 opener=lambda: duckdb.connect(str(store), read_only=read_only))
    except duckdb.Error as exc:
        raise _open_error(store, exc) from exc
    con = LockedConnection(con, lease)
    try:
        con.execute("SET enable_progress_bar = false")  # it would write into stdout (--json)
    except duckdb.Error as exc:
        con.close()
        raise _open_error(store, exc) from exc
    return con


def _releasing(disconnect: Callable[[], None], lease: Any) -> Callable[[], None]:
    """``disconnect`` that also releases the store lease (idempotent, like the lease)."""

    def release() -> None:
        try:
            disconnect()
        finally:
            lease.release()

    return release


def _existing_batch(store: Path, batch_id: str) -> dict | None:
    """The batch row if this content is already stored (store opened read-only, not modified).

    Also the store's health check before any write: a damaged store is refused here.
    """
    if not store.is_file():
        return None
    con = _connect(store, read_only=True)
    try:
        tables = _verified_tables(con, store, close=con.close)
        if "batches" not in tables:
            return None
        cur = con.execute("SELECT * FROM batches WHERE batch_id = ?", [batch_id])
        row = cur.fetchone()
        return None if row is None else dict(zip([d[0] for d in cur.description], row,
                                                 strict=True))
    finally:
        con.close()


def _write_batch(store: Path, staged: Staged, report: IngestReport, version: str,
                 covered: list[dict] | None = None, *, replace: bool = False
                 ) -> IngestReport | None:
    """Insert rows and batch record in one transaction; the stored batch's report, or None if
    another writer stored the same file first.  The overlap is judged again inside the
    transaction, so a batch another writer committed meanwhile is never counted twice."""

    try:
        store.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _open_error(store, exc) from exc
    with _attached(staged, store, read_only=False) as con:
        return _insert_all(con, store, report, version, covered, replace)


def _insert_all(con: duckdb.DuckDBPyConnection, store: Path, report: IngestReport, version: str,
                covered: list[dict] | None, replace: bool) -> IngestReport | None:
    """The write transaction on the attached store: rows, batch record, coverage, COMMIT."""
    with transaction(con, store, "writing to the store failed; nothing was stored",
                     checkpoint="CHECKPOINT store") as tx:
        con.execute(_DDL)
        _check_schema_version(con, store)
        if con.execute("SELECT 1 FROM batches WHERE batch_id = ?",
                       [report.batch_id]).fetchone():
            tx.abandon()  # another writer stored the same file first
            return None
        stored = _as_stored(con, report, replace)
        con.execute("INSERT INTO imports BY NAME SELECT * FROM incoming")
        _insert_batch(con, stored, version)
        for run in covered or []:
            con.execute("INSERT INTO batch_coverage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                report.batch_id, run["regimes"], run["granularity"], run["span_start"],
                run["span_end"], json.dumps(run["chapters"]), json.dumps(run["headings"]),
                json.dumps(run["partners"])])
        if _before_commit is not None:
            _before_commit()
    return stored


class _Transaction:
    """The open transaction of :func:`transaction`; ``abandon()`` rolls it back, no error."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con, self.abandoned = con, False

    def abandon(self) -> None:
        self.con.execute("ROLLBACK")
        self.abandoned = True


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection, store: Path, failed: str, *,
                checkpoint: str = "CHECKPOINT") -> Iterator[_Transaction]:
    """One write transaction on the store: BEGIN, the block, COMMIT; all or nothing.

    Any error rolls back: an ``IngestError`` passes through, any other becomes an
    ``IngestError`` saying ``failed`` (what was not done) with the cause and the fix.  After the
    COMMIT (durable in the write-ahead log) ``checkpoint`` folds the log into the file, which
    is only tidiness: if it fails, DuckDB replays the log on the next open.
    """
    import duckdb

    tx = _Transaction(con)
    try:
        con.execute("BEGIN TRANSACTION")
        yield tx
        if not tx.abandoned:
            con.execute("COMMIT")
    except Exception as exc:
        _rollback(con)
        if isinstance(exc, IngestError):
            raise
        raise IngestError(problem(failed, where=str(store), why=f"{type(exc).__name__}: {exc}",
                                  fix="check free disk space and permissions, then retry")) from exc
    if not tx.abandoned:
        with contextlib.suppress(duckdb.Error):
            con.execute(checkpoint)


def _as_stored(con: duckdb.DuckDBPyConnection, report: IngestReport,
               replace: bool) -> IngestReport:
    """The report with its batch number and revision flag, judged inside the transaction."""
    from tradeguard.data.identity import find_overlap

    overlap = find_overlap(con, "incoming")
    verdict = _judge_overlap(overlap, report, replace)
    if verdict is not None:  # another writer stored these records since the first look
        raise IngestError(problem("another ingest stored the same records meanwhile; nothing "
                                  "was ingested", where=report.source_path,
                                  fix="run the ingest again to see how the file relates to "
                                      "the store now"))
    number = con.execute("SELECT greatest((SELECT coalesce(max(batch_no), 0) FROM batches), "
                         "(SELECT coalesce(max(batch_no), 0) FROM batch_events)) + 1"
                         ).fetchone()[0]
    notes = dict(report.notes)
    if overlap.overlapping:
        notes["superseded records"] = overlap.overlapping
        notes["supersedes"] = [b.describe() for b in overlap.earlier]
    return replace_fields(report, batch_no=number, revision=bool(overlap.overlapping),
                          notes=notes)


def _insert_batch(con: duckdb.DuckDBPyConnection, report: IngestReport, version: str) -> None:
    values = [
        report.batch_id, report.source_path, report.format, report.rows,
        report.quantity_totals.get("kg", 0.0), report.value_totals.get("JPY", 0.0),
        report.value_totals.get("USD", 0.0),
        json.dumps({"quantity": report.quantity_totals, "value": report.value_totals},
                   sort_keys=True),
        report.period_min, report.period_max, json.dumps(report.notes, sort_keys=True),
        report.ingested_at, version, report.source_name, report.source_bytes,
        report.uploaded_by, report.batch_no, report.known_on, report.revision,
    ]
    marks = ", ".join("?" * len(values))
    con.execute(f"INSERT INTO batches ({_BATCH_COLUMNS}) VALUES ({marks})", values)


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    import duckdb

    # no transaction may be open (it failed before BEGIN or was already rolled back)
    with contextlib.suppress(duckdb.Error):
        con.execute("ROLLBACK")


def _check_schema_version(con: duckdb.DuckDBPyConnection, store: Path) -> None:
    found = con.execute("SELECT value FROM store_meta WHERE key = 'schema_version'").fetchone()
    if found is None or found[0] != SCHEMA_VERSION:
        raise IngestError(problem(f"store schema version {found and found[0]!r} is not "
                                  f"{SCHEMA_VERSION!r}", where=str(store),
                                  fix="use a store made by this version of tradeguard"))


def _report(staged: Staged, status: str, draft: _Draft) -> IngestReport:
    """The batch's report, its totals summed in the staging database."""
    from tradeguard.data.readers import CANONICAL

    con, path = staged.con.con, draft.path

    def sums(column: str, by: str) -> dict[str, float]:
        return dict(con.execute(f"SELECT {by}, sum({column}) FROM {CANONICAL} "
                                f"GROUP BY {by} ORDER BY {by}").fetchall())

    rows, first, last = con.execute(f"SELECT count(*), min(period_start), max(period_end) "
                                    f"FROM {CANONICAL}").fetchone()
    return IngestReport(
        status=status, batch_id=draft.batch_id,
        source_path=draft.source_name or str(path.resolve()), format=draft.format, rows=rows,
        store_path=str(draft.store), quantity_totals=sums("quantity", "quantity_unit"),
        value_totals=sums("value", "currency"), period_min=first, period_max=last,
        notes=dict(staged.notes), ingested_at=draft.stamp,
        source_name=draft.source_name or path.name, source_bytes=path.stat().st_size,
        uploaded_by=draft.uploaded_by, known_on=draft.known_on)


def _report_from_batch(batch: dict, store: Path) -> IngestReport:
    totals = json.loads(batch["totals"])
    return IngestReport(
        status="already ingested", batch_id=batch["batch_id"], source_path=batch["source_path"],
        format=batch["format"], rows=batch["row_count"], store_path=str(store),
        quantity_totals=totals["quantity"], value_totals=totals["value"],
        period_min=batch["period_min"], period_max=batch["period_max"],
        notes=json.loads(batch["notes"]), ingested_at=batch["ingested_at"],
        source_name=batch.get("source_name"), source_bytes=batch.get("source_bytes"),
        uploaded_by=batch.get("uploaded_by"), batch_no=batch.get("batch_no"),
        known_on=batch.get("known_on"), revision=bool(batch.get("revision")),
    )
