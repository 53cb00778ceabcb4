"""Readers: each turns one file into a pyarrow Table in the canonical schema, or raises.

Every reader either returns the whole file as canonical rows or raises an
:class:`~tradeguard.data.problems.IngestProblemsError` (an ``IngestError``) listing every bad row
with its row number, column, value and reason.  Rows a reader leaves out on purpose (Comtrade
World totals, padding months of the wide workbook ...) are counted in the table's schema metadata
(:func:`~tradeguard.data.frames.read_notes`), never dropped silently.

=================  ================================================================  ==========
format             file                                                              reader
=================  ================================================================  ==========
jp-epa-tidy        tidy CSV of Japan Customs EPA imports (``jp_epa_imports_ag_...``)   read_jp_epa_tidy
jp-customs-xlsx    Japan Customs wide workbook ``<year>_EPA.xlsx``                     read_jp_customs_workbook
parquet            Parquet in the canonical schema                                     read_parquet
comtrade           UN Comtrade CSV, legacy or current column names                     read_comtrade
declarations       one row per customs declaration (columns below)                     read_declarations
=================  ================================================================  ==========

Declaration CSV columns (UTF-8, comma-separated, header required):

==============  ==============================================================================
date            declaration (import permit) date, ``YYYY-MM-DD``
tariff_line     9-digit Japanese statistical code, digits only (``020130010``)
partner         country of origin, ISO 3166 alpha-2 (``AU``)
quantity        number, not negative
quantity_unit   ``kg``, ``t`` (converted to kg), ``g`` (converted to kg), ``l``, ``kl`` (to l),
                ``number``
value           customs value in ``currency`` (whole yen, not thousands), not negative
currency        ``JPY`` or ``USD``
regime          agreement claimed (``jaepa``, ``cptpp``, ``mfn`` ...); blank = unknown
declaration_id  optional, ignored (declarations are summed per day, line, partner, regime)
hs4, hs6,       optional; only used to prove the chapter of an 8-digit ``tariff_line`` whose
chapter         leading zero a spreadsheet dropped (``20230090`` with hs4 ``0202`` is restored
                to ``020230090`` and the repair counted); without them such a line is refused
==============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pyarrow as pa

from tradeguard.data import comtrade, jp_customs, workbook
from tradeguard.data.frames import ROW, backend, check, collect_problems, notes_metadata, scalar
from tradeguard.data.problems import IngestProblemsError, file_error
from tradeguard.data.schema import COLUMNS, conform, validate_table
from tradeguard.data.textfile import file_sha256, read_head, staged_csv
from tradeguard.units import UNIT_CONVERSIONS

READER_VERSION = "tradeguard.data.readers/1"
FORMATS = ("jp-epa-tidy", "jp-customs-xlsx", "parquet", "comtrade", "declarations")
JP_CUSTOMS_FORMATS = ("jp-epa-tidy", "jp-customs-xlsx")
SHOWN_PROBLEMS = 1000  # as validate_table: the first problems by row, and their total
FIX_ROWS = "correct the rows listed (or remove them) and ingest the file again"

TIDY_COLUMNS = ("year", "month", "reporter", "flow", "partner_code_jp", "agreement_group_raw",
                "epa_code", "hs9", "unit1", "unit2", "quantity1", "quantity2",
                "value_thousand_jpy")
DECLARATION_COLUMNS = ("date", "tariff_line", "partner", "quantity", "quantity_unit", "value",
                       "currency", "regime")
DECLARATION_UNITS = ("KG", "T", "G", "L", "KL", "NUMBER")
LINE_PROOFS = {"hs4": 4, "hs6": 6, "chapter": 2}  # optional columns proving a line's chapter


def read_jp_epa_tidy(path: str | Path, *, chapters: Collection[str] | str | None = None
                     ) -> pa.Table:
    """Tidy long CSV of Japan Customs EPA imports (18 columns, see the data README).

    ``chapters`` as for :func:`read_jp_customs_workbook`.  An 8-digit ``hs9`` is restored to
    9 digits where the row's ``hs4``/``hs6`` prove its chapter (counted in the notes).
    """

    path = Path(path)
    with staged_csv(path, required=TIDY_COLUMNS, allowed=(
            "period", "partner_name", "agreement_scope", "hs6", "hs4")) as (con, raw):
        return _tidy_rows(con, raw, path, chapters)


def _tidy_rows(con, raw, path: Path, chapters: Collection[str] | str | None) -> pa.Table:
    import ibis

    proofs = [(raw[c], w) for c, w in (("hs4", 4), ("hs6", 6)) if c in raw.columns]
    hs9, repaired = jp_customs.restore_leading_zero(
        raw.hs9.strip().re_replace("^'", ""), proofs)
    raw = raw.mutate(hs9=hs9, _repaired=repaired)
    raw, notes = jp_customs.in_chapters(raw, raw.hs9, _chapter_set(chapters), con)
    found, total = collect_problems(con, [
        check(raw, raw.reporter.strip() != "JPN", "reporter", "is not JPN (Japan's imports only)"),
        check(raw, raw.flow.strip() != "import", "flow", "is not import"),
    ])
    if total:
        raise IngestProblemsError(str(path), found, fix=FIX_ROWS, total=total)
    notes.update(jp_customs.repair_notes(con, raw, "hs9", "_repaired"))
    long = raw.select(
        ROW, year=raw.year, month=raw.month, partner_code=raw.partner_code_jp,
        agreement=raw.agreement_group_raw, hs9=raw.hs9, unit1=raw.unit1, unit2=raw.unit2,
        quantity1=raw.quantity1, quantity2=raw.quantity2, value_kjpy=raw.value_thousand_jpy,
        q1_col=ibis.literal("quantity1"), q2_col=ibis.literal("quantity2"),
        v_col=ibis.literal("value_thousand_jpy"),
    )
    return _finish_jp_customs(con, long, path, "jp-customs-epa-tidy", notes)


def _chapter_set(chapters: Collection[str] | str | None) -> frozenset[str] | None:
    if isinstance(chapters, str):
        return jp_customs.parse_chapters(chapters)
    return None if chapters is None else frozenset(chapters)


def read_jp_customs_workbook(path: str | Path, *,
                             chapters: Collection[str] | str | None = None) -> pa.Table:
    """Japan Customs wide EPA workbook (2012-2020 ``Region`` layout or 2021 ``EPA`` layout).

    ``chapters`` (two-digit HS chapters, e.g. ``jp_customs.AGRICULTURAL_CHAPTERS``, or text
    such as ``"01-24"``) keeps only those lines; the rest are skipped before any check and
    counted in the notes as ``skipped: outside chapters``.  None keeps every chapter;
    :func:`read_any` and ``ingest`` default to ``jp_customs.DEFAULT_CHAPTERS``.  Months with
    zero quantity and value are padding of the wide layout and are dropped (counted as well).
    """
    import ibis

    path = Path(path)
    sheet, layout = workbook.read_sheet(path)
    con = backend()
    wide = ibis.memtable(sheet)
    notes: dict = {"layout_epa_codes": int(layout == "epa")}
    code = wide.hs9.strip().re_replace("^'", "")
    wide, skipped = jp_customs.in_chapters(wide, code, _chapter_set(chapters), con)
    notes.update(skipped)
    found, total = collect_problems(con, workbook.sum_checks(wide))
    if total:
        raise IngestProblemsError(str(path), found, fix=FIX_ROWS, total=total)
    long = workbook.to_long(wide)
    kept = con.to_pyarrow(long.filter(~workbook.is_empty_month(long)))
    notes["empty months dropped"] = 12 * scalar(con, wide.count()) - kept.num_rows
    return _finish_jp_customs(con, ibis.memtable(kept), path, "jp-customs-epa-xlsx", notes,
                              layout)


def _finish_jp_customs(con, long, path: Path, source: str, notes: dict[str, int],
                       layout: str = "region") -> pa.Table:

    # Materialised once: the checks and the totals below then compile against a plain table
    # instead of re-planning the month union and the lookups for every check.
    resolved = con.create_table("resolved", jp_customs.resolve(long, layout), overwrite=True)
    found, total = collect_problems(con, jp_customs.problems(resolved))
    if total:
        raise IngestProblemsError(str(path), jp_customs.explain_partner(found), fix=FIX_ROWS,
                                  total=total)
    canonical = jp_customs.to_canonical(resolved, source=source, batch_id=file_sha256(path))
    table = con.to_pyarrow(canonical)
    notes["rows with unknown regime"] = table["regime"].null_count
    return _with_notes(conform(table, str(path)), notes)


def read_parquet(path: str | Path) -> pa.Table:
    """Parquet in the canonical schema; ``batch_id`` is reset to this file's sha256."""
    import pyarrow.parquet as pq

    path = Path(path)
    read_head(path, 4)  # empty/unreadable files get the same message as the text readers
    try:
        _check_parquet_size(path, pq.ParquetFile(path).metadata)
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise file_error(str(path), "not a readable Parquet file", str(exc),
                         "the file is truncated or not Parquet; copy or export it again") from exc
    if table.num_rows == 0:
        raise file_error(str(path), "the Parquet file has no rows", "nothing to ingest",
                         "check the export that wrote it")
    if "batch_id" in table.column_names:
        table = table.drop_columns(["batch_id"])
    batch = pa.array([file_sha256(path)] * table.num_rows, pa.string())
    table = table.append_column("batch_id", batch)
    return conform(table, str(path))


def _check_parquet_size(path: Path, meta) -> None:
    """Refuse before reading when the footer announces too many rows, cells or bytes."""
    from tradeguard.data.limits import check_rows, current, refused

    limits = current()
    check_rows(str(path), meta.num_rows, meta.num_columns, limits)
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if size > limits.max_uncompressed_bytes:
        raise refused(str(path), f"the Parquet data inflate to {size:,} bytes",
                      "max_uncompressed_bytes", limits.max_uncompressed_bytes)


def read_comtrade(path: str | Path, *, flow: str = "import") -> pa.Table:
    """UN Comtrade CSV (legacy or current API column names), rows of one trade ``flow``."""

    if flow not in set(comtrade.FLOWS.values()):
        from tradeguard.errors import InputError, problem

        raise InputError(problem(f"unknown trade flow {flow!r}", where="read_comtrade(flow=...)",
                                 fix="use import, export, re-import or re-export"))
    path = Path(path)
    header = _csv_header(path)
    which = comtrade.dialect(header)
    if which is None:
        raise file_error(str(path), "not a UN Comtrade export", "neither the legacy nor the "
                         f"current column names are all present; found: {', '.join(header)}",
                         "legacy needs " + ", ".join(comtrade.required_columns("legacy"))
                         + "; current needs " + ", ".join(comtrade.required_columns("current")))
    with staged_csv(path, required=comtrade.required_columns(which)) as (con, raw):
        return _comtrade_rows(con, raw, which, path, flow)


def _comtrade_rows(con, raw, which: str, path: Path, flow: str) -> pa.Table:
    t = comtrade.normalise(raw, which)
    t = t.mutate(skip=comtrade.skip_reason(t, flow))
    dropped = t.filter(t.skip.notnull())
    skipped = con.to_pyarrow(dropped.group_by("skip").aggregate(n=dropped.count()))
    notes = {f"skipped: {s}": n for s, n in zip(skipped["skip"].to_pylist(),
                                                   skipped["n"].to_pylist(), strict=True)}
    kept = t.filter(t.skip.isnull()).drop("skip")
    if scalar(con, kept.count()) == 0:
        raise file_error(str(path), f"no {flow} rows to ingest",
                         "skipped " + (", ".join(f"{n} ({s[9:]})" for s, n in notes.items())
                                       or "nothing"),
                         "download the flow you need, or pass flow= to read_comtrade")
    reporter = scalar(con, kept.reporter.mode())
    resolved = comtrade.resolve(kept)
    found, total = collect_problems(con, comtrade.problems(resolved, reporter))
    if total:
        raise IngestProblemsError(str(path), found, fix=FIX_ROWS, total=total)
    source = f"un-comtrade:{reporter}:{flow}"
    table = con.to_pyarrow(comtrade.to_canonical(resolved, source=source,
                                                 batch_id=file_sha256(path)))
    return _with_notes(conform(table, str(path)), notes)


def read_declarations(path: str | Path) -> pa.Table:
    """Declaration-level CSV (columns in the module docstring), summed per day x line x partner."""

    path = Path(path)
    with staged_csv(path, required=DECLARATION_COLUMNS,
                    allowed=("declaration_id", *LINE_PROOFS), strict=True) as (con, raw):
        return _declaration_rows(con, raw, path)


def _declaration_rows(con, raw, path: Path) -> pa.Table:
    import ibis

    line, repaired = jp_customs.restore_leading_zero(raw.tariff_line.strip(), [
        (raw[c], w) for c, w in LINE_PROOFS.items() if c in raw.columns])
    raw = raw.mutate(tariff_line=line, _repaired=repaired)
    units = {k: UNIT_CONVERSIONS[k] for k in DECLARATION_UNITS}
    lookup = ibis.memtable(pa.table({"u_code": list(units),
                                     "u_unit": [u for u, _ in units.values()],
                                     "u_factor": [f for _, f in units.values()]}))
    t = raw.left_join(lookup, raw.quantity_unit.strip().upper() == lookup.u_code)
    date = t.date.strip().try_cast("date")
    qty = t.quantity.strip().try_cast("float64")
    found, total = collect_problems(con, [
        check(t, date.isnull() | ~t.date.strip().re_search(r"^\d{4}-\d{2}-\d{2}$"), "date",
              "is not a date YYYY-MM-DD"),
        check(t, qty.isnull(), "quantity", "is not a number"),
        check(t, t.u_unit.isnull(), "quantity_unit",
              "is not a known unit (kg, t, g, l, kl, number)"),
        check(t, t.tariff_line.re_search("^[0-9]{8}$"), "tariff_line", jp_customs.EIGHT_DIGITS),
    ])
    if total:
        raise IngestProblemsError(str(path), found, fix=FIX_ROWS, total=total)
    notes = jp_customs.repair_notes(con, t, "tariff_line", "_repaired")
    regime = t.regime.strip().lower()
    rows = t.select(
        ROW, period_start=date, period_end=date, granularity=ibis.literal("day"),
        tariff_line=t.tariff_line, partner=t.partner.strip().upper(),
        quantity=qty * t.u_factor, quantity_unit=t.u_unit, value=t.value.strip(),
        currency=t.currency.strip().upper(), regime=(regime == "").ifelse(ibis.null("string"),
                                                                          regime),
        source=ibis.literal("declarations"), batch_id=ibis.literal(file_sha256(path)),
    )
    # validate the declarations row by row first, so problems name the file's rows ...
    rows = con.create_table("declared", rows, overwrite=True)  # staged, not in memory
    _validate_in_chunks(con, "declared", path)
    typed = rows.mutate(value=rows.value.cast("float64"))
    keys = [c for c in COLUMNS if c not in ("quantity", "value")]
    # ... then sum them: a safeguard counts volumes per day, not per declaration
    summed = typed.group_by(keys).aggregate(quantity=typed.quantity.sum(),
                                            value=typed.value.sum())
    table = con.to_pyarrow(summed.order_by(["period_start", "partner", "tariff_line"]))
    return _with_notes(conform(table.select(list(COLUMNS)), str(path)), notes)


def _validate_in_chunks(con, name: str, path: Path) -> None:
    """:func:`validate_table` over the backend's table ``name``, ``chunk_rows`` at a time
    (never all in memory); raises listing the first problems by row and the total."""
    from tradeguard.data.limits import current
    from tradeguard.data.schema import ValidationReport

    found: list = []
    total = count = 0
    # (DuckDB's own reader: Ibis 12's to_pyarrow_batches calls an API DuckDB 2 removed)
    chunks = con.con.sql(f"SELECT * FROM {name}").to_arrow_reader(current().chunk_rows)
    for batch in chunks:
        report = validate_table(pa.Table.from_batches([batch]))
        count += batch.num_rows
        total += report.total
        found.extend(report.problems)
    if total:
        kept = tuple(sorted(found, key=lambda p: (p.row is None, p.row or 0))[:SHOWN_PROBLEMS])
        ValidationReport(count, kept, total).raise_if_problems(str(path), fix=FIX_ROWS)


def _csv_header(path: Path) -> list[str]:
    import csv
    import io

    from tradeguard.data.textfile import decode_utf8

    first = decode_utf8(read_head(path).rsplit(b"\n", 1)[0] or b" ", str(path))
    return [h.strip() for h in next(csv.reader(io.StringIO(first.partition("\n")[0])), [])]


def _with_notes(table: pa.Table, notes: dict[str, int]) -> pa.Table:
    return table.replace_schema_metadata(notes_metadata(notes))


def sniff_format(path: str | Path) -> str:
    """Choose a format from the extension, then from the CSV header."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "jp-customs-xlsx"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    data = read_head(path, 4)
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:4] == b"PK\x03\x04":
        return "jp-customs-xlsx"
    header = _csv_header(path)
    if "agreement_group_raw" in header and "value_thousand_jpy" in header:
        return "jp-epa-tidy"
    if comtrade.dialect(header) is not None:
        return "comtrade"
    if "date" in header and "tariff_line" in header:
        return "declarations"
    raise file_error(str(path), "cannot tell which format this file is",
                     f"the header matches no known format; found: {', '.join(header)}",
                     f"pass format= explicitly, one of: {', '.join(FORMATS)}")


def read_any(path: str | Path, format: str | None = None, *,
             chapters: str | None = None) -> pa.Table:
    """Read ``path`` with the reader for ``format`` (sniffed when None).

    ``chapters`` (``"01-24"``, ``"all"`` ...) scopes the Japan Customs formats; None means
    ``jp_customs.DEFAULT_CHAPTERS`` for them.  Other formats take every row (a ``chapters``
    other than None or ``all`` is refused for them: it would be silently ignored).
    """
    readers = {"jp-epa-tidy": read_jp_epa_tidy, "jp-customs-xlsx": read_jp_customs_workbook,
               "parquet": read_parquet, "comtrade": read_comtrade,
               "declarations": read_declarations}
    chosen = format or sniff_format(path)
    if chosen not in readers:
        from tradeguard.errors import InputError, problem

        raise InputError(problem(f"unknown format {chosen!r}", where=str(path),
                                 fix=f"use one of: {', '.join(FORMATS)}"))
    if chosen in JP_CUSTOMS_FORMATS:
        scope = _chapter_set(chapters or jp_customs.DEFAULT_CHAPTERS)
        return readers[chosen](path, chapters=scope)
    if chapters is not None and _chapter_set(chapters) is not None:
        from tradeguard.errors import InputError, problem

        raise InputError(problem(f"chapters apply to Japan Customs files, not {chosen!r}",
                                 where=str(path), fix="leave out --chapters for this file"))
    return readers[chosen](path)
