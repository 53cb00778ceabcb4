"""Reading delimited text files defensively: empty, gzip, non-UTF-8, ragged and truncated files.

Every value is read as a string (no type guessing: ``0201`` must stay ``0201`` and ``NA`` is
Namibia, not a null); the readers convert and check types themselves, row by row, in Ibis.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import hashlib
import io
import re
import zlib
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from tradeguard.data.frames import with_row_numbers
from tradeguard.data.problems import IngestProblemsError, RowProblem, file_error

GZIP_MAGIC = b"\x1f\x8b"


def file_sha256(path: Path) -> str:
    """Hex sha256 of the file's bytes: the batch id (same bytes, same batch)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_bytes(path: Path) -> bytes:
    """File content, gunzipped when it is gzip; raises for a missing, empty or broken file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise file_error(str(path), "cannot read the file", str(exc),
                         "check the path and permissions") from exc
    if not data:
        raise file_error(str(path), "the file is empty (0 bytes)", "nothing to ingest",
                         "export the data again; an empty file usually means a failed download")
    if data.startswith(GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as exc:
            raise file_error(str(path), "the gzip stream is truncated or corrupt", str(exc),
                             "download or copy the file again") from exc
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
    """
    source = str(path)
    text = decode_utf8(read_bytes(path), source)
    header = next(csv.reader(io.StringIO(text.partition("\n")[0])), [])
    header = [h.strip() for h in header]
    _check_header(source, header, required, allowed, strict)
    bad: list[RowProblem] = []

    def on_invalid(row) -> str:
        bad.append(RowProblem(row.number, None, row.text[:80],
                              f"has {row.actual_columns} fields, expected {row.expected_columns}"
                              " (a truncated or hand-edited line?)"))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(use_threads=False, column_names=header,
                                            skip_rows=1),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        raise file_error(source, "the CSV cannot be parsed", str(exc),
                         "check the file is a complete comma-separated export") from exc
    if bad:
        raise IngestProblemsError(source, bad, fix="repair or remove the rows listed; if the "
                                  "last row is cut short, the file was truncated: copy it again")
    if table.num_rows == 0:
        raise file_error(source, "the file has a header but no data rows", "nothing to ingest",
                         "check the export; an empty extract usually means a wrong filter")
    return with_row_numbers(table, first=2)


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

