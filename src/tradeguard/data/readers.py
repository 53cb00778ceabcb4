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
declaration_id  optional; where given, the declaration's id and its record's key: each
                declaration is kept as one record (``record_id`` in the store), so a second
                file with other declarations of the same day is no repeat, and the same id
                again is one (``identity.py``).  Rows without an id are summed per day, line,
                partner and regime, and that day record is the key.  An id may appear once
                per file
hs4, hs6,       optional; only used to prove the chapter of an 8-digit ``tariff_line`` whose
chapter         leading zero a spreadsheet dropped (``20230090`` with hs4 ``0202`` is restored
                to ``020230090`` and the repair counted); without them such a line is refused
==============  ==============================================================================
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tradeguard.data import comtrade, jp_customs, workbook
from tradeguard.data.frames import ROW, check, collect_problems, notes_metadata, scalar
from tradeguard.data.limits import staging
from tradeguard.data.problems import IngestProblemsError, file_error
from tradeguard.data.schema import CANONICAL_SCHEMA, COLUMNS, column_problems, validate_rows
from tradeguard.data.textfile import file_sha256, read_head, stage_csv
from tradeguard.units import UNIT_CONVERSIONS

READER_VERSION = "tradeguard.data.readers/1"
FORMATS = ("jp-epa-tidy", "jp-customs-xlsx", "parquet", "comtrade", "declarations")
JP_CUSTOMS_FORMATS = ("jp-epa-tidy", "jp-customs-xlsx")
FIX_ROWS = "correct the rows listed (or remove them) and ingest the file again"

TIDY_COLUMNS = ("year", "month", "reporter", "flow", "partner_code_jp", "agreement_group_raw",
                "epa_code", "hs9", "unit1", "unit2", "quantity1", "quantity2",
                "value_thousand_jpy")
DECLARATION_COLUMNS = ("date", "tariff_line", "partner", "quantity", "quantity_unit", "value",
                       "currency", "regime")
DECLARATION_UNITS = ("KG", "T", "G", "L", "KL", "NUMBER")
LINE_PROOFS = {"hs4": 4, "hs6": 6, "chapter": 2}  # optional columns proving a line's chapter


CANONICAL = "canonical"  # the staging table holding a reader's checked canonical rows
# Beside the canonical columns, a staged row carries its own id in its source where the source
# gives one (a declaration id), else null: part of its natural key in the store (identity.py).
RECORD_ID = "record_id"


@dataclass(frozen=True)
class Staged:
    """A reader's canonical rows, checked, held in the staging database (never whole in memory).

    ``table`` is the Ibis table ``canonical`` of the staging backend ``con`` (canonical types,
    in the reader's order, plus ``record_id``); ``notes`` the reader's counts (skipped rows by
    reason ...).
    """

    con: Any
    table: Any
    notes: dict[str, Any] = field(default_factory=dict)

    def to_arrow(self) -> pa.Table:
        """The rows as one Arrow table with the notes in its metadata (for small files), in
        the canonical columns (a record's own id, ``record_id``, goes only into the store)."""
        table = self.con.to_pyarrow(self.table.select(*COLUMNS)).cast(CANONICAL_SCHEMA)
        return _with_notes(table, self.notes)


def _read(stage: Callable[..., Staged], path: str | Path, **options: Any) -> pa.Table:
    """Run a ``stage_...`` reader in a staging database of its own; its rows as Arrow."""
    with staging() as con:
        return stage(con, Path(path), **options).to_arrow()


def read_jp_epa_tidy(path: str | Path, *, chapters: Collection[str] | str | None = None
                     ) -> pa.Table:
    """Tidy long CSV of Japan Customs EPA imports (18 columns, see the data README).

    ``chapters`` as for :func:`read_jp_customs_workbook`.  An 8-digit ``hs9`` is restored to
    9 digits where the row's ``hs4``/``hs6`` prove its chapter (counted in the notes).
    """
    return _read(stage_jp_epa_tidy, path, chapters=chapters)


def stage_jp_epa_tidy(con, path: Path, *, chapters: Collection[str] | str | None = None
                      ) -> Staged:
    raw = stage_csv(con, path, required=TIDY_COLUMNS, allowed=(
        "period", "partner_name", "agreement_scope", "hs6", "hs4"))
    return _tidy_rows(con, raw, path, chapters)


def _tidy_rows(con, raw, path: Path, chapters: Collection[str] | str | None) -> Staged:
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
    return _read(stage_jp_customs_workbook, path, chapters=chapters)


def stage_jp_customs_workbook(con, path: Path, *,
                              chapters: Collection[str] | str | None = None) -> Staged:
    """:func:`read_jp_customs_workbook` into the staging backend ``con``."""
    wide, layout = workbook.read_sheet(path, con)
    notes: dict = {"layout_epa_codes": int(layout == "epa")}
    code = wide.hs9.strip().re_replace("^'", "")
    wide, skipped = jp_customs.in_chapters(wide, code, _chapter_set(chapters), con)
    notes.update(skipped)
    found, total = collect_problems(con, workbook.sum_checks(wide))
    if total:
        raise IngestProblemsError(str(path), found, fix=FIX_ROWS, total=total)
    long = workbook.to_long(wide)
    kept = con.create_table("kept_months", long.filter(~workbook.is_empty_month(long)),
                            overwrite=True)
    notes["empty months dropped"] = 12 * scalar(con, wide.count()) - scalar(con, kept.count())
    return _finish_jp_customs(con, kept, path, "jp-customs-epa-xlsx", notes, layout)


def _finish_jp_customs(con, long, path: Path, source: str, notes: dict[str, int],
                       layout: str = "region") -> Staged:

    # Materialised once: the checks and the totals below then compile against a plain table
    # instead of re-planning the month union and the lookups for every check.
    resolved = con.create_table("resolved", jp_customs.resolve(long, layout), overwrite=True)
    found, total = collect_problems(con, jp_customs.problems(resolved))
    if total:
        raise IngestProblemsError(str(path), jp_customs.explain_partner(found), fix=FIX_ROWS,
                                  total=total)
    canonical = jp_customs.to_canonical(resolved, source=source, batch_id=file_sha256(path))
    staged = finish(con, canonical, path, notes)
    notes["rows with unknown regime"] = scalar(con, staged.table.regime.isnull().sum())
    return staged


def finish(con, rows, path: Path, notes: dict[str, Any]) -> Staged:
    """Check a reader's canonical rows (an expression on the staging backend ``con``) where
    they lie, and keep them in the staging table ``canonical`` with the canonical types.

    Rows without ``_row`` are numbered in their order from 1.  Raises listing the bad rows.
    """
    import ibis

    structural = column_problems([c for c in rows.columns if c != RECORD_ID])
    if structural:
        raise IngestProblemsError(str(path), structural, fix=FIX_ROWS)
    if RECORD_ID not in rows.columns:
        rows = rows.mutate(**{RECORD_ID: ibis.null("string")})
    named = [*COLUMNS, RECORD_ID] + ([ROW] if ROW in rows.columns else [])
    con.create_table("reader_rows", rows.select(*named), overwrite=True)
    if ROW not in rows.columns:  # numbered in insertion order, which DuckDB keeps
        con.con.execute(f"CREATE OR REPLACE TABLE reader_numbered AS "
                        f"SELECT *, rowid + 1 AS {ROW} FROM reader_rows")
        con.drop_table("reader_rows")
        con.con.execute("ALTER TABLE reader_numbered RENAME TO reader_rows")
    raw = con.table("reader_rows")
    count = scalar(con, raw.count())
    report, typed = validate_rows(con, raw, count, keep=(RECORD_ID,))
    report.raise_if_problems(str(path), fix=FIX_ROWS)
    con.create_table(CANONICAL, typed, overwrite=True)
    con.drop_table("reader_rows")
    return Staged(con, con.table(CANONICAL), notes)


def read_parquet(path: str | Path) -> pa.Table:
    """Parquet in the canonical schema; ``batch_id`` is reset to this file's sha256."""
    return _read(stage_parquet, path)


def stage_parquet(con, path: Path) -> Staged:
    import duckdb
    import ibis
    import pyarrow.parquet as pq

    read_head(path, 4)  # empty/unreadable files get the same message as the text readers
    unreadable = ("the file is truncated or not Parquet; copy or export it again")
    try:
        meta = pq.ParquetFile(path).metadata
        _check_parquet_size(path, meta)
        # read by DuckDB into the staging database, row group by row group
        quoted = str(path).replace("'", "''")
        con.con.execute(f"CREATE TABLE parquet_rows AS SELECT * FROM read_parquet('{quoted}')")
    except (pa.ArrowInvalid, OSError, duckdb.Error) as exc:
        raise file_error(str(path), "not a readable Parquet file", str(exc), unreadable) from exc
    if meta.num_rows == 0:
        raise file_error(str(path), "the Parquet file has no rows", "nothing to ingest",
                         "check the export that wrote it")
    rows = con.table("parquet_rows")
    if "batch_id" in rows.columns:
        rows = rows.drop("batch_id")
    return finish(con, rows.mutate(batch_id=ibis.literal(file_sha256(path))), path, {})


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
    return _read(stage_comtrade, path, flow=flow)


def stage_comtrade(con, path: Path, *, flow: str = "import") -> Staged:
    if flow not in set(comtrade.FLOWS.values()):
        from tradeguard.errors import InputError, problem

        raise InputError(problem(f"unknown trade flow {flow!r}", where="read_comtrade(flow=...)",
                                 fix="use import, export, re-import or re-export"))
    header = _csv_header(path)
    which = comtrade.dialect(header)
    if which is None:
        raise file_error(str(path), "not a UN Comtrade export", "neither the legacy nor the "
                         f"current column names are all present; found: {', '.join(header)}",
                         "legacy needs " + ", ".join(comtrade.required_columns("legacy"))
                         + "; current needs " + ", ".join(comtrade.required_columns("current")))
    raw = stage_csv(con, path, required=comtrade.required_columns(which))
    return _comtrade_rows(con, raw, which, path, flow)


def _comtrade_rows(con, raw, which: str, path: Path, flow: str) -> Staged:
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
    canonical = comtrade.to_canonical(resolved, source=source, batch_id=file_sha256(path))
    return finish(con, canonical, path, notes)


def read_declarations(path: str | Path) -> pa.Table:
    """Declaration-level CSV (columns in the module docstring), summed per day x line x partner."""

    return _read(stage_declarations, path)


def stage_declarations(con, path: Path) -> Staged:
    raw = stage_csv(con, path, required=DECLARATION_COLUMNS,
                    allowed=("declaration_id", *LINE_PROOFS), strict=True)
    return _declaration_rows(con, raw, path)


def _declaration_rows(con, raw, path: Path) -> Staged:
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
    record, repeated = _declaration_ids(t)
    found, total = collect_problems(con, [
        check(t, date.isnull() | ~t.date.strip().re_search(r"^\d{4}-\d{2}-\d{2}$"), "date",
              "is not a date YYYY-MM-DD"),
        check(t, qty.isnull(), "quantity", "is not a number"),
        check(t, t.u_unit.isnull(), "quantity_unit",
              "is not a known unit (kg, t, g, l, kl, number)"),
        check(t, t.tariff_line.re_search("^[0-9]{8}$"), "tariff_line", jp_customs.EIGHT_DIGITS),
        *repeated,
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
        record_id=record,
    )
    # validate the declarations row by row first, so problems name the file's rows ...
    rows = con.create_table("declared", rows, overwrite=True)  # staged, not in memory
    report, _ = validate_rows(con, rows, scalar(con, rows.count()))
    report.raise_if_problems(str(path), fix=FIX_ROWS)
    typed = rows.mutate(value=rows.value.cast("float64"))
    keys = [c for c in (*COLUMNS, RECORD_ID) if c not in ("quantity", "value")]
    # ... then sum those without an id: a safeguard counts volumes per day (a declaration
    # with an id is a group of its own: ids are unique in the file)
    summed = typed.group_by(keys).aggregate(quantity=typed.quantity.sum(),
                                            value=typed.value.sum())
    ordered = summed.order_by(["period_start", "partner", "tariff_line", RECORD_ID])
    return finish(con, ordered.select(*COLUMNS, RECORD_ID), path, notes)


def _declaration_ids(t) -> tuple[Any, list]:
    """The rows' declaration ids (null where none is given) and the check that each appears
    once in the file."""
    import ibis

    if "declaration_id" not in t.columns:
        return ibis.null("string"), []
    record = t.declaration_id.strip().nullif("")
    twice = record.notnull() & (record.count().over(group_by=record) > 1)
    return record, [check(t, twice, "declaration_id",
                          "appears more than once in the file (one declaration, one row)",
                          record)]


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
    with staging() as con:
        return stage_any(con, path, format, chapters=chapters).to_arrow()


def stage_any(con, path: str | Path, format: str | None = None, *,
              chapters: str | None = None) -> Staged:
    """:func:`read_any` into the staging backend ``con``: the rows stay in its database (the
    ingest checks and stores them from there, so no step holds the whole file in memory)."""
    stagers = {"jp-epa-tidy": stage_jp_epa_tidy, "jp-customs-xlsx": stage_jp_customs_workbook,
               "parquet": stage_parquet, "comtrade": stage_comtrade,
               "declarations": stage_declarations}
    chosen = format or sniff_format(path)
    if chosen not in stagers:
        from tradeguard.errors import InputError, problem

        raise InputError(problem(f"unknown format {chosen!r}", where=str(path),
                                 fix=f"use one of: {', '.join(FORMATS)}"))
    if chosen in JP_CUSTOMS_FORMATS:
        scope = _chapter_set(chapters or jp_customs.DEFAULT_CHAPTERS)
        return stagers[chosen](con, Path(path), chapters=scope)
    if chapters is not None and _chapter_set(chapters) is not None:
        from tradeguard.errors import InputError, problem

        raise InputError(problem(f"chapters apply to Japan Customs files, not {chosen!r}",
                                 where=str(path), fix="leave out --chapters for this file"))
    return stagers[chosen](con, Path(path))
