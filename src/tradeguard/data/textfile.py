"""Reading delimited text files defensively: empty, gzip, non-UTF-8, ragged and truncated files.

Every value is read as a string (no type guessing: ``0201`` must stay ``0201`` and ``NA`` is
Namibia, not a null); the readers convert and check types themselves, row by row, in Ibis.
"""

from __future__ import annotations

import bisect
import contextlib
import csv
import gzip
import hashlib
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from tradeguard.data.frames import ROW, with_row_numbers
from tradeguard.data.limits import (
    RATIO_CHECK_FROM,
    ReadLimits,
    check_rows,
    current,
    progress_callback,
    refused,
    staging,
)
from tradeguard.data.problems import IngestProblemsError, RowProblem, file_error

GZIP_MAGIC = b"\x1f\x8b"
NOT_UTF8_FIX = ("the file is probably in Latin-1, Windows-1252 or Shift-JIS; re-save it as "
                "UTF-8 (for example: iconv -f SHIFT_JIS -t UTF-8 in.csv > out.csv) and ingest "
                "that")
STAGED = "staged_csv"  # the staging table of :func:`staged_csv`


def file_sha256(path: Path, progress: Callable[[int, int], None] | None = None) -> str:
    """Hex sha256 of the file's bytes: the batch id (same bytes, same batch)."""
    digest = hashlib.sha256()
    size = Path(path).stat().st_size
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
            if progress is not None:
                progress(handle.tell(), size)
    return digest.hexdigest()


class _CappedStream:
    """A file (gunzipped when it is gzip) read in chunks, stopping at the limits.

    Over a limit, ``read`` returns end-of-file and ``refusal`` holds the error: Arrow's CSV
    reader calls ``read`` from its own code, where an exception would lose its message.
    """

    def __init__(self, path: Path, limits: ReadLimits):
        self.path, self.limits = path, limits
        self.compressed = path.stat().st_size
        self.handle = path.open("rb")
        self.gzip = self.handle.read(2) == GZIP_MAGIC
        self.handle.seek(0)
        self.raw = gzip.GzipFile(fileobj=self.handle) if self.gzip else self.handle
        self.count = 0
        self.refusal: IngestProblemsError | None = None
        self.closed = False
        # taken here, in the reader's thread: Arrow calls read() from its own I/O thread,
        # where the ingest's context variables are not set
        self.progress = progress_callback()

    def read(self, size: int = -1) -> bytes:
        if self.refusal is not None:
            return b""
        # at most one chunk at a time: the read stage's progress then moves chunk by chunk
        size = self.limits.chunk_bytes if size is None or size < 0 else \
            min(size, self.limits.chunk_bytes)
        try:
            data = self.raw.read(size)
        except (EOFError, OSError, zlib.error) as exc:
            self.refusal = file_error(str(self.path), "the gzip stream is truncated or corrupt",
                                      str(exc), "download or copy the file again")
            return b""
        self.count += len(data)
        self.refusal = self._over_limit()
        if self.progress is not None:
            self.progress(self.handle.tell(), self.compressed)
        return b"" if self.refusal is not None else data

    def _over_limit(self) -> IngestProblemsError | None:
        lim, source = self.limits, str(self.path)
        if self.count > lim.max_uncompressed_bytes:
            return refused(source, f"more than {lim.max_uncompressed_bytes:,} bytes of text"
                           + (" after decompression" if self.gzip else ""),
                           "max_uncompressed_bytes", lim.max_uncompressed_bytes)
        if self.gzip and self.count > RATIO_CHECK_FROM and \
                self.count > lim.max_ratio * max(self.handle.tell(), 1):
            return refused(source, f"the gzip inflates more than {lim.max_ratio} times",
                           "max_ratio", lim.max_ratio)
        return None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        self.closed = True
        self.raw.close()
        self.handle.close()

    def __enter__(self) -> _CappedStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_capped(path: Path) -> _CappedStream:
    """The file's (gunzipped) bytes as a stream that refuses past :mod:`limits`; see above."""
    path = Path(path)
    try:
        size = path.stat().st_size
        stream = _CappedStream(path, current())
    except OSError as exc:
        raise file_error(str(path), "cannot read the file", str(exc),
                         "check the path and permissions") from exc
    if size == 0:
        stream.close()
        raise file_error(str(path), "the file is empty (0 bytes)", "nothing to ingest",
                         "export the data again; an empty file usually means a failed download")
    return stream


def read_bytes(path: Path) -> bytes:
    """File content, gunzipped when it is gzip; raises for a missing, empty, broken or too big
    file (limits: :mod:`tradeguard.data.limits`)."""
    with open_capped(path) as stream:
        chunks = []
        while chunk := stream.read(1 << 20):
            chunks.append(chunk)
        if stream.refusal is not None:
            raise stream.refusal
    return b"".join(chunks)


def read_head(path: Path, size: int = 65536) -> bytes:
    """The first ``size`` bytes of the (gunzipped) content: for sniffing, never the whole file."""
    with open_capped(path) as stream:
        data = b""
        while len(data) < size and (block := stream.read(size - len(data))):
            data += block
        if stream.refusal is not None:
            raise stream.refusal
    return data


def decode_utf8(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM is dropped); bad bytes are reported by line, not silently replaced."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="surrogateescape")
    newlines = [m.start() for m in re.finditer("\n", text)]
    problems = []
    for match in re.finditer("[\udc80-\udcff]+", text):
        line = bisect.bisect_left(newlines, match.start()) + 1
        shown = match.group().encode("utf-8", errors="surrogateescape").hex(" ")
        problems.append(RowProblem(line, None, None, f"bytes {shown} are not valid UTF-8"))
    lines = sorted({p.row for p in problems})
    raise IngestProblemsError(
        source, [RowProblem(r, None, None, next(p.reason for p in problems if p.row == r))
                 for r in lines],
        fix=NOT_UTF8_FIX)


def read_csv_strings(path: Path, *, required: tuple[str, ...], allowed: tuple[str, ...] = (),
                     strict: bool = False) -> pa.Table:
    """The whole CSV as one in-memory table (see :func:`staged_csv`; readers use that)."""
    with staged_csv(path, required=required, allowed=allowed, strict=strict) as (con, table):
        return con.to_pyarrow(table.order_by(ROW))


@contextlib.contextmanager
def staged_csv(path: Path, *, required: tuple[str, ...], allowed: tuple[str, ...] = (),
               strict: bool = False) -> Iterator[tuple[Any, Any]]:
    """:func:`stage_csv` into a fresh staging database: ``(backend, table)`` for the block;
    the staging folder is removed when the block ends."""
    with staging() as con:
        yield con, stage_csv(con, path, required=required, allowed=allowed, strict=strict)


def stage_csv(con: Any, path: Path, *, required: tuple[str, ...], allowed: tuple[str, ...] = (),
              strict: bool = False) -> Any:
    """A CSV (optionally gzipped) as an Ibis table in the staging backend ``con``: all-string
    columns plus ``_row`` (header = row 1), staged chunk by chunk (``limits.staging``).

    ``required`` columns must be present; with ``strict`` any column outside ``required`` and
    ``allowed`` is an error too (a misspelt header should not pass as an ignored extra column).
    At most one chunk (``chunk_bytes``) is held in memory while the file is read, within the
    limits of :mod:`tradeguard.data.limits`.
    """
    source = str(path)
    head = read_head(path)
    first = head.split(b"\n", 1)[0] if b"\n" in head else head
    header = [h.strip() for h in next(csv.reader([decode_utf8(first, source)]), [])]
    _check_header(source, header, required, allowed, strict)
    bad: list[RowProblem] = []

    def on_invalid(row) -> str:
        bad.append(RowProblem(row.number, None, row.text[:80],
                              f"has {row.actual_columns} fields, expected {row.expected_columns}"
                              " (a truncated or hand-edited line?)"))
        return "skip"

    rows = _stage_csv(Path(path), header, on_invalid, con.con)
    if bad:
        raise IngestProblemsError(source, bad, fix="repair or remove the rows listed; if "
                                  "the last row is cut short, the file was truncated: copy "
                                  "it again")
    if rows == 0:
        raise file_error(source, "the file has a header but no data rows",
                         "nothing to ingest", "check the export; an empty extract usually "
                         "means a wrong filter")
    return con.table(STAGED)


def _stage_csv(path: Path, header: list[str], on_invalid, duck) -> int:
    """Insert every row into the staging table, chunk by chunk; the number of rows.

    Refuses past the row and cell limits; rows are numbered from 2 (the header is row 1).
    """
    source, limits = str(path), current()
    columns = ", ".join(_quoted(h) + " VARCHAR" for h in header)
    duck.execute(f"CREATE TABLE {STAGED} ({columns}, {ROW} BIGINT)")
    stream = open_capped(path)
    rows = 0
    try:
        reader = pacsv.open_csv(
            pa.PythonFile(stream, mode="r"),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1,
                                           block_size=limits.chunk_bytes),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False))
        for batch in reader:
            check_rows(source, rows + batch.num_rows, len(header), limits)
            chunk = with_row_numbers(pa.Table.from_batches([batch]), first=2 + rows)
            duck.register("tradeguard_chunk", chunk)
            duck.execute(f"INSERT INTO {STAGED} SELECT * FROM tradeguard_chunk")
            duck.unregister("tradeguard_chunk")
            rows += batch.num_rows
    except pa.ArrowInvalid as exc:
        if stream.refusal is not None:
            raise stream.refusal from None
        _raise_bad_bytes(path)
        raise file_error(source, "the CSV cannot be parsed", str(exc),
                         "check the file is a complete comma-separated export") from exc
    finally:
        stream.close()
    if stream.refusal is not None:
        raise stream.refusal
    return rows


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _raise_bad_bytes(path: Path) -> None:
    """Raise for the lines carrying bytes that are not UTF-8, reading one block at a time."""
    source, line, tail = str(path), 0, b""
    with open_capped(path) as stream:
        while block := stream.read(1 << 22):
            data = tail + block
            cut = data.rfind(b"\n") + 1 or len(data)
            try:
                decode_utf8(data[:cut], source)
            except IngestProblemsError as exc:
                raise IngestProblemsError(source, [
                    RowProblem(p.row + line, p.column, p.value, p.reason) for p in exc.problems
                ], fix=NOT_UTF8_FIX) from None
            line += data[:cut].count(b"\n")
            tail = data[cut:]
    decode_utf8(tail, source)


def _check_header(source: str, header: list[str], required: tuple[str, ...],
                  allowed: tuple[str, ...], strict: bool) -> None:
    missing = [c for c in required if c not in header]
    extra = [c for c in header if c not in required and c not in allowed] if strict else []
    dupes = sorted({c for c in header if header.count(c) > 1})
    if not (missing or extra or dupes):
        return
    found = ", ".join(header) or "none"
    why = "; ".join(filter(None, [
        missing and f"missing: {', '.join(missing)}",
        extra and f"unexpected: {', '.join(extra)}",
        dupes and f"repeated: {', '.join(dupes)}",
    ]))
    raise file_error(source, "the columns are not the ones this format needs",
                     f"{why}; found: {found}",
                     f"expected columns: {', '.join(required + allowed)}; if this is another "
                     "format, pass format= explicitly (see tradeguard.data.readers.FORMATS)")

