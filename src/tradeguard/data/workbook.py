"""Japan Customs wide workbooks (``<year>_EPA.xlsx``): sheet -> Arrow -> long Ibis table.

Layout, one row per year x partner x agreement x 9-digit line x ``EPA Code``::

    Year, Region¥Country, Region|EPA, Country, HS, EPA Code, Unit1, Unit2,
    Quantity1-Year, Quantity2-Year, Value-Year, Quantity1-Jan, Quantity2-Jan, Value-Jan, ...

The third header is ``Region`` (values 300, 600 or blank) up to 2020 and ``EPA`` (two-letter
agreement codes) from 2021.  The sheet is read once with openpyxl in read-only, values-only mode
(the only per-row Python step; the workbooks have 6-16k rows); everything after is Ibis.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

import pyarrow as pa

from tradeguard.data.frames import ROW, check
from tradeguard.data.problems import RowProblem, file_error

if TYPE_CHECKING:
    import ibis.expr.types as ir

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MEASURES = ("Quantity1", "Quantity2", "Value")
HEADER = ("Year", "Region¥Country", "Region", "Country", "HS", "EPA Code", "Unit1", "Unit2",
          *(f"{m}-{p}" for p in ("Year", *MONTHS) for m in MEASURES))
# short Arrow names for the same columns, in the same order
NAMES = ("year", "scope", "agreement", "partner_code", "hs9", "epa_code", "unit1", "unit2",
         *(f"{m}_{p}" for p in ("year", *(f"{i:02d}" for i in range(1, 13)))
           for m in ("q1", "q2", "v")))


SHEET = "sheet_rows"  # the staging table of :func:`read_sheet`


def read_sheet(path: Path, con) -> tuple[ir.Table, str]:
    """The first sheet staged into backend ``con`` as all-string columns named :data:`NAMES`
    plus ``_row`` (the worksheet row number), :data:`CHUNK_ROWS` rows at a time; the layout.

    Fully empty rows carry nothing and are left out.  The header is judged before any data
    row is read, and the limits of :mod:`tradeguard.data.limits` while they are read.
    """
    from openpyxl.utils.exceptions import InvalidFileException

    source = str(path)
    if Path(path).stat().st_size == 0:
        raise file_error(source, "the file is empty (0 bytes)", "nothing to ingest",
                         "download or copy the workbook again")
    try:
        layout = _stage_openpyxl(path, con)
    except (zipfile.BadZipFile, KeyError, EOFError, OSError, ValueError, IndexError,
            InvalidFileException, ElementTree.ParseError) as exc:
        raise file_error(source, "not a readable .xlsx workbook",
                         f"{type(exc).__name__}: {exc}; the file is truncated, not an xlsx, "
                         "or damaged", "download or copy the workbook again") from exc
    staged = con.table(SHEET)
    overflow = con.to_pyarrow(staged.filter(staged._overflow).select(ROW).order_by(ROW)
                              .limit(1000))[ROW].to_pylist()
    if overflow:
        from tradeguard.data.frames import scalar
        from tradeguard.data.problems import IngestProblemsError

        raise IngestProblemsError(source, [
            RowProblem(r, None, None, f"has values beyond the {len(HEADER)} header columns")
            for r in overflow], fix="remove the extra cells or columns",
            total=scalar(con, staged._overflow.sum()))
    if con.to_pyarrow(staged.count()).as_py() == 0:
        raise file_error(source, "the workbook has no data rows", "nothing to ingest",
                         "check that the first sheet holds the data")
    return staged.drop("_overflow"), layout


EXTRA_COLUMNS = 16  # columns read beyond the layout, to notice stray values there
CHUNK_ROWS = 50_000  # rows turned into Arrow at a time: Python tuples never pile up


def check_zip(path: Path) -> None:
    """Refuse an xlsx whose entries would inflate past the limits, before openpyxl opens it.

    The sizes come from the zip's directory; Python's zipfile never returns more than an
    entry's declared size, so the check bounds what openpyxl can read.
    """
    from tradeguard.data.limits import RATIO_CHECK_FROM, current, refused

    limits, source = current(), str(path)
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
    total = sum(e.file_size for e in entries)
    if total > limits.max_uncompressed_bytes:
        raise refused(source, f"the workbook inflates to {total:,} bytes",
                      "max_uncompressed_bytes", limits.max_uncompressed_bytes)
    for e in entries:
        ratio = e.file_size / max(e.compress_size, 1)
        if e.file_size > RATIO_CHECK_FROM and ratio > limits.max_ratio:
            raise refused(source, f"{e.filename} inflates {ratio:,.0f} times", "max_ratio",
                          limits.max_ratio)


def _stage_openpyxl(path: Path, con) -> str:
    """Read the sheet with openpyxl (read-only, streamed) into the staging table; the layout."""
    import openpyxl

    from tradeguard.data.limits import check_rows, current, report_progress

    check_zip(path)
    limits, width = current(), len(HEADER)
    columns = ", ".join(f'"{n}" VARCHAR' for n in NAMES)
    con.con.execute(f"CREATE TABLE {SHEET} ({columns}, {ROW} BIGINT, _overflow BOOLEAN)")
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        expected = sheet.max_row or 0  # the sheet's declared size (may be absent)
        # max_col: a cell far to the right (XFD1) must not pad every row to 16,384 columns;
        # values up to EXTRA_COLUMNS beyond the layout are still seen (and refused)
        rows = sheet.iter_rows(values_only=True, max_col=width + EXTRA_COLUMNS)
        layout = _check_header(str(path), tuple(next(rows, ())))
        chunk, numbers = [], []
        for number, row in enumerate(rows, start=2):
            if any(v is not None for v in row):
                chunk.append(row)
                numbers.append(number)
            if number % CHUNK_ROWS == 0:
                check_rows(str(path), number - 1, width, limits)
                report_progress(number, expected)
                _append(con, _chunk_table(chunk, numbers))
                chunk, numbers = [], []
        _append(con, _chunk_table(chunk, numbers))
    finally:
        book.close()
    return layout


def _append(con, chunk: pa.Table) -> None:
    if chunk.num_rows:
        con.con.register("tradeguard_sheet_chunk", chunk)
        con.con.execute(f"INSERT INTO {SHEET} SELECT * FROM tradeguard_sheet_chunk")
        con.con.unregister("tradeguard_sheet_chunk")


def _chunk_table(data: list[tuple], numbers: list[int]) -> pa.Table:
    width = len(HEADER)
    overflow = [any(v is not None for v in r[width:]) for r in data]
    padded = [r[:width] if len(r) >= width else r + (None,) * (width - len(r)) for r in data]
    columns = list(zip(*padded, strict=True)) if padded else [()] * width
    table = pa.table({name: _strings(col) for name, col in zip(NAMES, columns, strict=True)})
    table = table.append_column(ROW, pa.array(numbers, pa.int64()))
    return table.append_column("_overflow", pa.array(overflow, pa.bool_()))


def _check_header(source: str, header: tuple) -> str:
    found = ["" if h is None else str(h).strip().replace("\\", "¥") for h in header]
    while found and not found[-1]:  # read-only sheets may pad the header with empty cells
        found.pop()
    found = tuple(found)
    layout = "epa" if len(found) > 2 and found[2] == "EPA" else "region"
    expected = HEADER if layout == "region" else (*HEADER[:2], "EPA", *HEADER[3:])
    if found != expected:
        diffs = [f"column {i + 1}: {f!r} instead of {e!r}"
                 for i, (f, e) in enumerate(zip(found, expected, strict=False)) if f != e]
        if len(found) != len(expected):
            diffs.append(f"{len(found)} columns instead of {len(expected)}")
        raise file_error(source, "the header is not the Japan Customs EPA workbook layout",
                         "; ".join(diffs[:5]),
                         "expected Year, Region¥Country, Region (or EPA from 2021), Country, HS, "
                         "EPA Code, Unit1, Unit2, Quantity1-Year ... Value-Dec")
    return layout


def _strings(values: tuple) -> pa.Array:
    """Arrow string column; numbers are converted by Arrow's cast, not a Python loop."""
    try:
        arr = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed int/str cells: stringify this column
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    return arr.cast(pa.string())


def sum_checks(t: ir.Table) -> list[ir.Table]:
    """Each ``-Year`` total must equal the sum of its twelve months (the data README's check)."""
    out = []
    for measure, label in zip(("q1", "q2", "v"), MEASURES, strict=True):
        year = t[f"{measure}_year"].try_cast("float64")
        months = [t[f"{measure}_{i:02d}"].try_cast("float64") for i in range(1, 13)]
        total = sum(months[1:], months[0])
        out.append(check(t, year.isnull(), f"{label}-Year", "is not a number",
                         t[f"{measure}_year"]))
        out.append(check(t, (year - total).abs() > 0.5, f"{label}-Year",
                         "differs from the sum of the twelve months " + "(sum: "
                         + total.cast("string") + ")", year))
    return out


def to_long(t: ir.Table) -> ir.Table:
    """One row per source row x month, in the shared long shape of ``jp_customs``."""
    import ibis

    fixed = [ROW, "year", "partner_code", "agreement", "hs9", "unit1", "unit2"]
    parts = [
        t.select(
            *fixed,
            month=ibis.literal(str(i)),
            quantity1=t[f"q1_{i:02d}"], quantity2=t[f"q2_{i:02d}"], value_kjpy=t[f"v_{i:02d}"],
            q1_col=ibis.literal(f"Quantity1-{name}"), q2_col=ibis.literal(f"Quantity2-{name}"),
            v_col=ibis.literal(f"Value-{name}"),
        )
        for i, name in enumerate(MONTHS, start=1)
    ]
    return parts[0].union(*parts[1:], distinct=False)


def is_empty_month(t: ir.Table) -> ir.BooleanValue:
    """All three numbers zero: the wide layout pads every month, these are not observations."""
    return ((t.quantity1.try_cast("float64") == 0) & (t.quantity2.try_cast("float64") == 0)
            & (t.value_kjpy.try_cast("float64") == 0)).fill_null(False)
