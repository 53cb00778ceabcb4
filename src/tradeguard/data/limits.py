"""Resource limits for reading one input file, and the read-progress hook.

A small file may inflate to gigabytes (a gzip or xlsx "bomb"), and a large one may simply be too
big for the machine.  Every reader checks these limits *while* it reads, so a file over a limit
is refused after reading at most about the limit, before it is inflated in memory:

=======================  ===============  =========================================================
setting                  default          what it bounds
=======================  ===============  =========================================================
max_uncompressed_bytes   2,000,000,000    bytes of text after decompression (gzip), of a plain
                                          file, and of all entries of an xlsx (a zip) together
max_ratio                100              uncompressed / compressed size of a gzip or of an xlsx
                                          entry, checked once more than 10 MB came out (real
                                          Japan Customs workbooks: about 6; gzipped CSV: 5-20)
max_rows                 20,000,000       data rows of a CSV or worksheet
max_cells                400,000,000      rows x columns
chunk_bytes              8,000,000        bytes of CSV text read and staged at a time (one chunk)
chunk_rows               200,000          rows validated at a time from the staging area
work_memory_mb           256              memory the staging database may use before it spills
                                          to its temporary folder
=======================  ===============  =========================================================

The last three are not refusals but the working set of a read.  A CSV is read chunk by chunk,
and a worksheet ``CHUNK_ROWS`` rows at a time, into a *staging* DuckDB file in a temporary
folder (next to the store during an ``ingest``, never the store itself).  Everything after
runs there, in DuckDB: the reader's checks, the canonical rows (``readers.Staged``), the
report's totals, the coverage summary, the comparison with the stored records and the INSERT
into the store, which is attached to the staging database for that (``store._attached``).
So the memory an ingest needs depends on these settings, not on the file's size (measured in
docs/benchmarks.md); the folder is removed when the ingest ends, refused or not.  Outside an
``ingest``, the readers (``read_any`` ...) stage the same way and return one Arrow table.

Override them with environment variables (``TRADEGUARD_MAX_UNCOMPRESSED_BYTES``,
``TRADEGUARD_MAX_RATIO``, ``TRADEGUARD_MAX_ROWS``, ``TRADEGUARD_MAX_CELLS``) or per call with
``ingest(..., limits=ReadLimits(...))``.  The readers find the limits and the progress callback
of the ingest in progress through a context variable, so their signatures stay small.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tradeguard.data.problems import IngestProblemsError, file_error
from tradeguard.environment import environment_variable, number, read_settings

RATIO_CHECK_FROM = 10_000_000  # bytes out before the ratio is judged (tiny files may compress well)


@dataclass(frozen=True)
class ReadLimits:
    max_uncompressed_bytes: int = number(2_000_000_000, env="TRADEGUARD_MAX_UNCOMPRESSED_BYTES")
    max_ratio: int = number(100, env="TRADEGUARD_MAX_RATIO")
    max_rows: int = number(20_000_000, env="TRADEGUARD_MAX_ROWS")
    max_cells: int = number(400_000_000, env="TRADEGUARD_MAX_CELLS")
    chunk_bytes: int = number(8_000_000, env="TRADEGUARD_CHUNK_BYTES")
    chunk_rows: int = number(200_000, env="TRADEGUARD_CHUNK_ROWS")
    work_memory_mb: int = number(256, env="TRADEGUARD_WORK_MEMORY_MB")


def limits_from_env() -> ReadLimits:
    """The defaults, overridden by ``TRADEGUARD_MAX_...`` environment variables."""
    return read_settings(ReadLimits)


_limits: ContextVar[ReadLimits | None] = ContextVar("tradeguard_read_limits", default=None)
_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "tradeguard_read_progress", default=None)
_staging_dir: ContextVar[Path | None] = ContextVar("tradeguard_staging_dir", default=None)


def current() -> ReadLimits:
    """The limits of the read in progress (the environment's outside an ``ingest``)."""
    return _limits.get() or limits_from_env()


def progress_callback() -> Callable[[int, int], None] | None:
    """The ingest's read ``progress(done, total)`` callback, None outside one."""
    return _progress.get()


def report_progress(done: int, total: int) -> None:
    """Tell the ingest's ``progress`` callback how far the read got (no-op outside one)."""
    tick = _progress.get()
    if tick is not None:
        tick(done, total)


@contextlib.contextmanager
def reading(limits: ReadLimits | None, progress: Callable[[int, int], None] | None,
            staging_dir: Path | None = None) -> Iterator[None]:
    """Run a read with these limits, this ``progress(done, total)`` callback and staging
    folders under ``staging_dir`` (None: the system's temporary folder)."""
    t1 = _limits.set(limits or limits_from_env())
    t2 = _progress.set(progress)
    t3 = _staging_dir.set(staging_dir)
    try:
        yield
    finally:
        _limits.reset(t1)
        _progress.reset(t2)
        _staging_dir.reset(t3)


@contextlib.contextmanager
def staging() -> Iterator[Any]:
    """An Ibis DuckDB backend on a file in a fresh temporary folder, removed on exit.

    Its memory is capped at ``work_memory_mb``; beyond that DuckDB spills to the same folder,
    so what a reader stages there costs disk, not memory.
    """
    import tempfile

    import ibis

    limits, where = current(), _staging_dir.get()
    try:
        folder = tempfile.TemporaryDirectory(prefix="tradeguard-staging-", dir=where)
    except OSError as exc:
        raise file_error(str(where or tempfile.gettempdir()), "cannot create a staging folder",
                         str(exc), "free some disk space, or make the folder writable (or set "
                         "TMPDIR to a writable folder)") from exc
    with folder as tmp:
        con = ibis.duckdb.connect(str(Path(tmp) / "staging.duckdb"))
        spill = str(Path(tmp) / "spill").replace("'", "''")
        try:
            con.con.execute("SET enable_progress_bar = false")
            con.con.execute(f"SET memory_limit = '{int(limits.work_memory_mb)}MB'")
            con.con.execute(f"SET temp_directory = '{spill}'")
            yield con
        finally:
            con.disconnect()


def refused(source: str, what: str, setting: str, value: int) -> IngestProblemsError:
    """The error for a file over a limit: names the limit and how to raise it."""
    env = environment_variable(ReadLimits, setting)
    return file_error(source, what, f"the limit {setting} is {value:,}",
                      f"if the file is genuine, split it, or raise the limit (environment "
                      f"{env}, or ingest(limits=ReadLimits(...))); "
                      "a small compressed file that inflates this far is a decompression bomb")


def check_rows(source: str, rows: int, columns: int, limits: ReadLimits) -> None:
    """Refuse once ``rows`` (of ``columns`` each) pass max_rows or max_cells."""
    if rows > limits.max_rows:
        raise refused(source, f"more than {limits.max_rows:,} rows", "max_rows",
                      limits.max_rows)
    if rows * columns > limits.max_cells:
        raise refused(source, f"more than {limits.max_cells:,} cells", "max_cells",
                      limits.max_cells)
