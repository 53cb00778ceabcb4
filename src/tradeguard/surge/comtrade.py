"""UN Comtrade bulk files, streamed in chunks; and an optional fetch with ``comtradeapicall``.

:func:`stream_comtrade` reads a Comtrade CSV of any size (legacy or current column names, the
same dialects as :mod:`tradeguard.data.comtrade`) chunk by chunk, reporting progress through a
callback ``(stage, done, total)`` (the CLI draws it with Rich; the API passes none), checks
every row with the same rules as :func:`tradeguard.data.readers.read_comtrade`, and writes the
canonical rows to Parquet (or returns them).  Nothing is skipped silently: rows left out on
purpose (other flows, World totals, breakdown rows) are counted by reason, and bad rows (mixed
HS revisions in a period, across chunks too; missing net weights; non-numeric values ...) are
either all reported in one :class:`~tradeguard.data.problems.IngestProblemsError`
(``on_problem="raise"``, the default) or skipped and counted by reason (``"skip"``).

:func:`fetch_comtrade` downloads with the official ``comtradeapicall`` client, only when it is
installed and a subscription key is given (``COMTRADE_API_KEY``); tests never need it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from tradeguard.data import comtrade as ct
from tradeguard.data.frames import ROW, backend, collect_problems
from tradeguard.data.problems import IngestProblemsError, RowProblem, file_error
from tradeguard.data.schema import CANONICAL_SCHEMA
from tradeguard.errors import InputError, problem

DEFAULT_CHUNK_BYTES = 64 << 20
API_KEY_ENV = "COMTRADE_API_KEY"


@dataclass
class ComtradeReport:
    """What :func:`stream_comtrade` read: rows, kept, skipped by reason, problems by reason."""

    path: str
    dialect: str
    rows: int = 0
    kept: int = 0
    chunks: int = 0
    skipped: Counter = field(default_factory=Counter)
    problems: Counter = field(default_factory=Counter)
    examples: list[RowProblem] = field(default_factory=list)
    output: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "dialect": self.dialect, "rows": self.rows,
                "kept": self.kept, "chunks": self.chunks,
                "skipped": dict(sorted(self.skipped.items())),
                "problems": dict(sorted(self.problems.items())),
                "examples": [str(p) for p in self.examples[:20]], "output": self.output}

    def summary(self) -> str:
        parts = [f"{self.path}: {self.rows:,} rows read ({self.dialect} layout), "
                 f"{self.kept:,} kept"]
        parts += [f"  skipped {n:,}: {why}" for why, n in sorted(self.skipped.items())]
        parts += [f"  problem {n:,}: {why}" for why, n in sorted(self.problems.items())]
        return "\n".join(parts)


class _Counting:
    """A read-only file wrapper that counts the bytes handed out (for the progress bar)."""

    def __init__(self, fh, tick: Callable[[int], None]):
        self._fh, self._tick, self.closed = fh, tick, False

    def read(self, n: int = -1) -> bytes:
        data = self._fh.read(n)
        self._tick(len(data))
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True
        self._fh.close()


def stream_comtrade(path: str | Path, *, out: str | Path | None = None, flow: str = "import",
                    on_problem: str = "raise", chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                    progress: Callable[[str, int, int], None] | None = None,
                    batch_id: str | None = None) -> tuple[pa.Table | None, ComtradeReport]:
    """Stream a Comtrade CSV into canonical rows (Parquet at ``out``, or returned in memory).

    ``progress``: called as ``progress(stage, done, total)`` with stage ``read`` and the bytes
    read so far of the file's size.  Returns (table or None when written to ``out``, report).
    """
    from tradeguard.data.readers import _csv_header

    if on_problem not in ("raise", "skip"):
        raise InputError(problem(f"unknown on_problem {on_problem!r}", where="stream_comtrade",
                                 fix="use raise or skip"))
    path = Path(path)
    header = _csv_header(path)
    which = ct.dialect(header)
    if which is None:
        raise file_error(str(path), "not a UN Comtrade export",
                         f"neither the legacy nor the current column names are all present; "
                         f"found: {', '.join(header)}",
                         "legacy needs " + ", ".join(ct.required_columns("legacy"))
                         + "; current needs " + ", ".join(ct.required_columns("current")))
    report = ComtradeReport(str(path), which)
    total = path.stat().st_size
    batch = batch_id or f"comtrade-stream:{path.name}:{total}"
    revisions: dict[str, set] = {}
    sink, con = _Sink(out), backend()
    try:
        errors = _stream_chunks(path, header, chunk_bytes, _progress(progress, total), sink,
                                lambda chunk: _chunk(con, chunk, which, flow, report,
                                                     revisions, batch, on_problem),
                                report)
    finally:
        sink.close()
    mixed = sorted(p for p, revs in revisions.items() if len(revs) > 1)
    if mixed:
        why = ("two HS revisions in the same period would double count; keep one revision "
               f"(periods {', '.join(mixed[:10])})")
        report.problems[why] += 1
        errors.append(RowProblem(None, "classification", None, why))
    report.examples = errors[:20]
    if errors and on_problem == "raise":
        if out is not None and Path(out).exists():
            Path(out).unlink()
        raise IngestProblemsError(str(path), errors, total=sum(report.problems.values()),
                                  fix="correct the rows listed, or stream with "
                                      "on_problem='skip' to leave them out (counted)")
    if out is not None:
        report.output = str(out)
        if sink.writer is None:  # nothing kept: still write an empty, valid file
            import pyarrow.parquet as pq

            pq.write_table(CANONICAL_SCHEMA.empty_table(), str(out))
        return None, report
    table = pa.concat_tables(sink.tables) if sink.tables else CANONICAL_SCHEMA.empty_table()
    return table, report


class _Sink:
    """Where kept rows go: a Parquet file written chunk by chunk, or tables kept in memory."""

    def __init__(self, out: str | Path | None):
        self.out, self.writer, self.tables = out, None, []

    def add(self, table: pa.Table) -> None:
        if self.out is None:
            self.tables.append(table)
            return
        if self.writer is None:
            import pyarrow.parquet as pq

            self.writer = pq.ParquetWriter(str(self.out), CANONICAL_SCHEMA)
        self.writer.write_table(table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _stream_chunks(path: Path, header: list[str], chunk_bytes: int, tick, sink: _Sink,
                   convert, report: ComtradeReport) -> list[RowProblem]:
    """Read the CSV block by block, convert each (numbering its rows), keep what converts;
    returns the row problems found (the first thousand)."""
    import pyarrow.csv as pcsv

    errors: list[RowProblem] = []
    next_row = 2  # the header is row 1
    with open(path, "rb") as fh:
        reader = pcsv.open_csv(
            _Counting(fh, tick),
            read_options=pcsv.ReadOptions(block_size=chunk_bytes),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                strings_can_be_null=False, quoted_strings_can_be_null=False))
        for batch_rows in reader:
            chunk = pa.Table.from_batches([batch_rows])
            n = chunk.num_rows
            rows = pa.array(range(next_row, next_row + n), pa.int64())
            next_row += n
            report.rows += n
            report.chunks += 1
            table, found, _ = convert(chunk.append_column(ROW, rows))
            errors += found[: max(0, 1000 - len(errors))]
            if table is not None and table.num_rows:
                report.kept += table.num_rows
                sink.add(table)
    return errors


def _chunk(con, raw: pa.Table, which: str, flow: str, report: ComtradeReport,
           revisions: dict[str, set], batch: str, on_problem: str):
    import ibis

    t = ct.normalise(ibis.memtable(raw), which)
    t = t.mutate(skip=ct.skip_reason(t, flow))
    counts = con.to_pyarrow(t.group_by("skip").aggregate(n=t.count())).to_pylist()
    for c in counts:
        if c["skip"] is not None:
            report.skipped[c["skip"]] += c["n"]
    kept = t.filter(t.skip.isnull()).drop("skip")
    resolved = ibis.memtable(con.to_pyarrow(ct.resolve(kept)))
    reporter_rows = con.to_pyarrow(resolved.reporter.mode().name("r").as_table()).to_pylist()
    reporter = reporter_rows[0]["r"] if reporter_rows else ""
    for r in con.to_pyarrow(resolved.filter(resolved.hs_family).select("period", "revision")
                            .distinct()).to_pylist():
        revisions.setdefault(r["period"], set()).add(r["revision"])
    checks = ct.problems(resolved, reporter)
    found, total = collect_problems(con, checks)
    source = f"un-comtrade:{reporter}:{flow}"
    if total:
        bad = checks[0].union(*checks[1:], distinct=True)
        for c in con.to_pyarrow(bad.group_by("reason").aggregate(n=bad.row.nunique()))\
                .to_pylist():
            report.problems[c["reason"]] += c["n"]
        bad_rows = con.to_pyarrow(bad.select("row").distinct())["row"]
        resolved = resolved.filter(~resolved[ROW].isin(bad_rows.to_pylist()))
        if on_problem == "skip":
            for c in con.to_pyarrow(bad.group_by("reason").aggregate(n=bad.row.nunique()))\
                    .to_pylist():
                report.skipped[f"bad row: {c['reason']}"] += c["n"]
    table = con.to_pyarrow(ct.to_canonical(resolved, source=source, batch_id=batch)
                           .drop(ROW)).cast(CANONICAL_SCHEMA)
    return table, found, source


def _progress(progress: Callable[[str, int, int], None] | None,
              total: int) -> Callable[[int], None]:
    """A counter of bytes read that reports ``("read", done, total)`` to ``progress``."""
    if progress is None:
        return lambda n: None
    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress("read", done[0], total)
    return tick


def fetch_comtrade(out: str | Path, *, reporter: str, period: str, commodities: str,
                   flow: str = "M", frequency: str = "M", partner: str | None = None,
                   api_key: str | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> Path:
    """Download final data with the official ``comtradeapicall`` client into a CSV (current
    layout) that :func:`stream_comtrade` and ``read_comtrade`` read.

    ``reporter``: M49 code (``392`` Japan); ``period``: ``2019`` or ``201901,201902``;
    ``commodities``: HS codes (``0201,0202``).  Needs ``pip install comtradeapicall``, a
    subscription key (``api_key`` or ``$COMTRADE_API_KEY``) and a network.
    ``progress(stage, done, total)`` hears the stages ``download`` and ``write``.
    """
    tick = progress or (lambda stage, done, total: None)
    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        raise InputError(problem("no UN Comtrade subscription key", where="fetch comtrade",
                                 fix=f"set {API_KEY_ENV} or pass --key (https://comtradedeveloper.un.org)"))
    try:
        import comtradeapicall
    except ImportError as exc:
        raise InputError(problem("the comtradeapicall package is not installed",
                                 where="fetch comtrade",
                                 fix="pip install comtradeapicall")) from exc
    tick("download", 0, 1)
    frame = comtradeapicall.getFinalData(
        key, typeCode="C", freqCode=frequency, clCode="HS", period=period,
        reporterCode=reporter, cmdCode=commodities, flowCode=flow, partnerCode=partner,
        partner2Code=None, customsCode=None, motCode=None, maxRecords=250000,
        format_output="JSON", aggregateBy=None, breakdownMode="classic", countOnly=None,
        includeDesc=True)
    if frame is None or len(frame) == 0:
        raise InputError(problem("UN Comtrade returned no rows", where="fetch comtrade",
                                 fix="check the reporter, period and commodity codes"))
    out = Path(out)
    tick("write", 0, 1)
    frame.to_csv(out, index=False)
    return out
