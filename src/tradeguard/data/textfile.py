"""Reading delimited text files defensively: empty, gzip, non-UTF-8, ragged and truncated files.

Every value is read as a string (no type guessing: ``0201`` must stay ``0201`` and ``NA`` is
Namibia, not a null); the readers convert and check types themselves, row by row, in Ibis.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import hashlib
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from tradeguard.data.frames import with_row_numbers
from tradeguard.data.limits import (
    RATIO_CHECK_FROM,
    ReadLimits,
    check_rows,
    current,
    refused,
    report_progress,
)
from tradeguard.data.problems import IngestProblemsError, RowProblem, file_error

GZIP_MAGIC = b"\x1f\x8b"


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

    def read(self, size: int = -1) -> bytes:
        if self.refusal is not None:
            return b""
        size = 1 << 20 if size is None or size < 0 else size
        try:
            data = self.raw.read(size)
        except (EOFError, OSError, zlib.error) as exc:
            self.refusal = file_error(str(self.path), "the gzip stream is truncated or corrupt",
                                      str(exc), "download or copy the file again")
            return b""
        self.count += len(data)
        self.refusal = self._over_limit()
        report_progress(self.handle.tell(), self.compressed)
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
        data = stream.read(size)
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
        fix="the file is probably in Latin-1, Windows-1252 or Shift-JIS; re-save it as UTF-8 "
            "(for example: iconv -f SHIFT_JIS -t UTF-8 in.csv > out.csv) and ingest that")


def read_csv_strings(path: Path, *, required: tuple[str, ...], allowed: tuple[str, ...] = (),
                     strict: bool = False) -> pa.Table:
    """Read a CSV (optionally gzipped) as all-string columns plus ``_row`` (header = row 1).

    ``required`` columns must be present; with ``strict`` any column outside ``required`` and
    ``allowed`` is an error too (a misspelt header should not pass as an ignored extra column).
    The file is streamed in blocks, within the limits of :mod:`tradeguard.data.limits`.
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

    table = _stream_csv(Path(path), header, on_invalid)
    if bad:
        raise IngestProblemsError(source, bad, fix="repair or remove the rows listed; if the "
                                  "last row is cut short, the file was truncated: copy it again")
    if table.num_rows == 0:
        raise file_error(source, "the file has a header but no data rows", "nothing to ingest",
                         "check the export; an empty extract usually means a wrong filter")
    return with_row_numbers(table, first=2)


def _stream_csv(path: Path, header: list[str], on_invalid) -> pa.Table:
    """All rows as string columns, block by block, refusing past the row and cell limits."""
    source, limits = str(path), current()
    stream = open_capped(path)
    try:
        reader = pacsv.open_csv(
            pa.PythonFile(stream, mode="r"),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False))
        batches, rows = [], 0
        for batch in reader:
            rows += batch.num_rows
            check_rows(source, rows, len(header), limits)
            batches.append(batch)
    except pa.ArrowInvalid as exc:
        if stream.refusal is not None:
            raise stream.refusal from None
        decode_utf8(read_bytes(path), source)  # bad bytes: the rows that carry them
        raise file_error(source, "the CSV cannot be parsed", str(exc),
                         "check the file is a complete comma-separated export") from exc
    finally:
        stream.close()
    if stream.refusal is not None:
        raise stream.refusal
    schema = pa.schema([(h, pa.string()) for h in header])
    return pa.Table.from_batches(batches, schema)


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

