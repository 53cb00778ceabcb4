"""What import data covers, and so what an answer computed from it may claim.

A batch of import records covers:

* **regimes**: ``all`` (every import entry, whatever it claimed) or ``preference`` (only entries
  that claimed a preferential rate).  Japan Customs' EPA utilisation statistics (the bundled
  extract and the EPA workbooks) hold preference claims only; every other source (customs
  declarations, UN Comtrade, Parquet written from those) is taken to hold all entries.  The
  reader's ``source`` names the publisher, so the record declares its own scope.
* **lines**: every line for sources that hold all entries (a line absent had no imports); for
  the preference-only statistics, the HS chapters (two digits) the batch holds rows for (the
  bundled extract is filtered to a few headings of chapters 02, 04, 10 and 17; a measure on
  potato starch, chapter 11, cannot be judged from it).  The headings present are recorded.
* **partners**: every partner for published statistics (Japan Customs, UN Comtrade: an origin
  absent had no imports); for other sources (declarations ...), the partners the batch names:
  a file of US declarations says nothing about Australia.
* **span and granularity**: monthly and yearly data cover the periods the batch holds any record
  for (a month missing from the whole batch is unknown, not zero; one stray row dated 2100 covers
  only its own month), day-level data covers every day from its first to its last record.

A series (lines × partners × regimes) in a period is then ``complete`` (covered from the
period's first day to the day judged), ``partial`` (covered for some of it) or ``none``.
Everything here is a few Ibis aggregates over the records plus arithmetic on the resulting
spans (a few hundred rows), never a loop over records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

DAY = dt.timedelta(days=1)
ALL, PREFERENCE = "all", "preference"
COMPLETE, PARTIAL, NONE = "complete", "partial", "none"
#: Sources (prefixes of the ``source`` column) that hold only preference claims.
PREFERENCE_ONLY_SOURCES = ("jp-customs-epa-",)
#: Sources that are national statistics: every partner is in them (absent = no imports).
EVERY_PARTNER_SOURCES = ("jp-customs-", "un-comtrade:")
GRANULARITY_ORDER = ("day", "month", "year")  # finest first

PIECE_SCHEMA = pa.schema([
    ("batch_id", pa.string()), ("regimes", pa.string()), ("granularity", pa.string()),
    ("chapter", pa.string()), ("span_start", pa.date32()), ("span_end", pa.date32()),
    ("partners", pa.list_(pa.string()))])


def declared_regimes(source: str) -> str:
    """``preference`` for sources that hold only preference claims, else ``all``."""
    return PREFERENCE if str(source).startswith(PREFERENCE_ONLY_SOURCES) else ALL


def coverage_pieces(imports: Any, as_of: dt.date | None = None) -> pa.Table:
    """The covered spans of an Ibis table (or Arrow table) of canonical import records.

    One row per batch, regime scope, granularity, chapter (``*``: every line) and covered
    period: monthly and yearly data cover each period the batch holds any record for, within
    the chapter's first and last record in the batch; day-level data covers its first to its
    last day.  ``partners`` lists the partners a batch names (null: every partner).  Only
    records whose period ended by ``as_of`` count, as in the monitor.  Two aggregates run in
    the backend; only their small results come back.
    """
    import ibis

    t = imports if isinstance(imports, ibis.Table) else ibis.memtable(imports)
    known = t.period_end <= (as_of or dt.date.max)
    # Whatever ``as_of``: partners and chapter bounds are the batch's (no rice before 2016
    # in the extract is a zero, not a gap); a chapter is covered from its first record to
    # its last, so a stray row of another chapter in 2100 does not extend it.
    groups = t.group_by(["batch_id", "source", "granularity", "partner",
                         t.tariff_line.substr(0, 2).name("chapter")]).aggregate(
        first=t.period_start.min(), last=t.period_end.max(),
        known_first=t.period_start.min(where=known),
        known_last=t.period_end.max(where=known)).to_pyarrow().to_pylist()
    months = (t.filter((t.granularity != "day") & known)
              .select("batch_id", "source", "granularity", "period_start", "period_end")
              .distinct().to_pyarrow().to_pylist())
    return pa.Table.from_pylist(_pieces(groups, months), schema=PIECE_SCHEMA)


def _pieces(groups: list[dict], months: list[dict]) -> list[dict]:
    """Pieces from the two aggregates (a few hundred rows): see ``coverage_pieces``."""
    bounds: dict[tuple, list[dt.date]] = {}
    daily: dict[tuple, list[dt.date]] = {}
    partners: dict[str, set[str] | None] = {}
    for g in groups:
        scope = declared_regimes(g["source"])
        chapter = g["chapter"] if scope == PREFERENCE else "*"
        every = str(g["source"]).startswith(EVERY_PARTNER_SOURCES)
        named = partners.setdefault(g["batch_id"], None if every else set())
        if named is not None:
            named.add(g["partner"])
        span = bounds.setdefault((g["batch_id"], chapter), [g["first"], g["last"]])
        span[:] = [min(span[0], g["first"]), max(span[1], g["last"])]
        if g["granularity"] == "day" and g["known_first"] is not None:
            key = (g["batch_id"], scope, "day", chapter)
            got = daily.setdefault(key, [g["known_first"], g["known_last"]])
            got[:] = [min(got[0], g["known_first"]), max(got[1], g["known_last"])]
    rows = [{"batch_id": b, "regimes": r, "granularity": gran, "chapter": ch,
             "span_start": a, "span_end": z} for (b, r, gran, ch), (a, z) in daily.items()]
    for m in months:
        for (batch, chapter), (first, last) in bounds.items():
            if batch == m["batch_id"] and first <= m["period_start"] and m["period_end"] <= last:
                rows.append({"batch_id": batch, "regimes": declared_regimes(m["source"]),
                             "granularity": m["granularity"], "chapter": chapter,
                             "span_start": m["period_start"], "span_end": m["period_end"]})
    for row in rows:
        named = partners[row["batch_id"]]
        row["partners"] = None if named is None else sorted(named)
    return rows


def batch_summary(table: Any) -> list[dict[str, Any]]:
    """What one batch (an Arrow or Ibis table of canonical rows) covers, for the store's record:
    one row per covered run with its regime scope, granularity, span, chapters, headings and
    partners.  An Ibis table is summarised where it lies (aggregates only)."""
    import ibis

    t = table if isinstance(table, ibis.Table) else ibis.memtable(table)
    listed = t.aggregate(n=t.count(), headings=t.tariff_line.substr(0, 4).collect(distinct=True)
                         ).to_pyarrow().to_pylist()[0]
    if listed["n"] == 0:
        return []
    return [{"regimes": run.regimes, "granularity": run.granularity,
             "span_start": run.start, "span_end": run.end, "chapters": sorted(run.chapters),
             "headings": sorted(listed["headings"]),
             "partners": None if run.partners is None else sorted(run.partners)}
            for run in runs(coverage_pieces(t))]


@dataclass(frozen=True)
class Run:
    """A stretch of days [start, end] that one batch's data covers, for its chapters."""

    regimes: str
    granularity: str
    start: dt.date
    end: dt.date
    chapters: frozenset[str]
    partners: frozenset[str] | None = None  # None: every partner

    def holds(self, chapter: str) -> bool:
        return chapter in self.chapters or "*" in self.chapters

    def names_any(self, in_scope: Callable[[str], bool] | None) -> bool:
        """Does the run hold any partner of the series (None: every partner counts)?"""
        return self.partners is None or in_scope is None or any(map(in_scope, self.partners))


def merge_spans(spans: Iterable[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Union of inclusive day spans; spans that touch (end + 1 day = next start) join."""
    out: list[tuple[dt.date, dt.date]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1] + DAY:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def runs(pieces: pa.Table) -> list[Run]:
    """Each batch's pieces merged into runs (per regime scope, granularity and chapter)."""
    grouped: dict[tuple, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for row in pieces.to_pylist():
        partners = None if row["partners"] is None else frozenset(row["partners"])
        key = (row["batch_id"], row["regimes"], row["granularity"], row["chapter"], partners)
        grouped[key].append((row["span_start"], row["span_end"]))
    return [Run(regimes, gran, start, end, frozenset({chapter}), partners)
            for (_, regimes, gran, chapter, partners), spans in sorted(
                grouped.items(), key=lambda kv: kv[0][:4])
            for start, end in merge_spans(spans)]


@dataclass(frozen=True)
class Judgement:
    """How far the data reaches into one series and period, and why."""

    coverage: str  # complete | partial | none
    reason: str
    through: dt.date | None  # the last day covered without a gap from the period's start
    from_start: bool  # the data covers the period from its first day


@dataclass(frozen=True)
class SeriesScope:
    """What a count takes in: line prefixes, regimes (None: every regime, and unknown ones)
    and a test of partners (None: every partner)."""

    lines: tuple[str, ...]
    regimes: tuple[str, ...] | None = None
    in_scope: Callable[[str], bool] | None = None

    @property
    def chapters(self) -> list[str]:
        return sorted({str(line)[:2] for line in self.lines})

    def takes(self, run: Run, chapter: str) -> bool:
        """Does ``run`` hold every import of this series in ``chapter`` on its days?"""
        return (run.holds(chapter) and qualifies(run.regimes, self.regimes)
                and run.names_any(self.in_scope))


def qualifies(run_regimes: str, regimes: Sequence[str] | None) -> bool:
    """Does data of scope ``run_regimes`` hold every import a count over ``regimes`` needs?

    ``regimes`` None means every regime (and unknown ones): only ``all`` data holds them.
    Preference-only data holds every claim of a listed preference, not MFN entries.
    """
    if run_regimes == ALL:
        return True
    return regimes is not None and "mfn" not in regimes


class Coverage:
    """The runs of some import data, and judgements of series and periods against them."""

    def __init__(self, covered: Sequence[Run]):
        self.covered = list(covered)

    @classmethod
    def of(cls, imports: Any, as_of: dt.date | None = None) -> Coverage:
        return cls(runs(coverage_pieces(imports, as_of)))

    def spans(self, series: SeriesScope) -> dict[str, list[tuple[dt.date, dt.date]]]:
        """Per chapter of the series' lines, the merged spans of data that holds it."""
        return {ch: merge_spans((r.start, r.end) for r in self.covered if series.takes(r, ch))
                for ch in series.chapters}

    def last_day(self, series: SeriesScope) -> dt.date | None:
        """The last day every chapter of the series is covered up to (None: not covered)."""
        ends = [s[-1][1] if s else None for s in self.spans(series).values()]
        return None if not ends or None in ends else min(ends)  # type: ignore[type-var]

    def covers_whole(self, series: SeriesScope, start: dt.date, end: dt.date) -> bool:
        """Is every day of [start, end] covered for every chapter of the series?"""
        return all(any(a <= start and end <= b for a, b in spans)
                   for spans in self.spans(series).values())

    def granularity_on(self, series: SeriesScope, day: dt.date) -> str:
        """The finest granularity of data holding the series that covers ``day``."""
        for gran in GRANULARITY_ORDER:
            if all(any(r.start <= day <= r.end for r in self.covered
                       if r.granularity == gran and series.takes(r, ch))
                   for ch in series.chapters):
                return gran
        return "month"

    def judge(self, series: SeriesScope, start: dt.date, end: dt.date) -> Judgement:
        """Coverage of the series over the days [start, end], with the reason."""
        per_chapter = self.spans(series)
        missing = self._missing_reason(per_chapter, series)
        if missing is not None:
            return Judgement(NONE, missing, None, False)
        throughs, inside, late = [], False, []
        for spans in per_chapter.values():
            within = [(max(a, start), min(b, end)) for a, b in spans if a <= end and b >= start]
            inside = inside or bool(within)
            first = next((s for s in within if s[0] == start), None)
            throughs.append(first[1] if first else None)
            if first is None and within:
                late.append(within[0][0])
        if not inside:
            last = max(s[-1][1] for s in per_chapter.values())
            first_day = min(s[0][0] for s in per_chapter.values())
            where = (f"the data ends on {last}" if last < start
                     else f"the data starts on {first_day}")
            return Judgement(NONE, f"no data for {start} to {end}: {where}", None, False)
        if None in throughs:
            return Judgement(PARTIAL, f"the data starts on {min(late)}, after the period's "
                             f"first day {start}: the count is a lower bound", None, False)
        through = min(t for t in throughs if t is not None)
        if through >= end:
            return Judgement(COMPLETE, f"the data covers {start} to {end}", through, True)
        return Judgement(PARTIAL, f"the data ends on {through}; imports from {through + DAY} to "
                         f"{end} are not known", through, True)

    def _missing_reason(self, per_chapter: dict[str, list], series: SeriesScope) -> str | None:
        """Why no data at all holds the series, or None if some does."""
        empty = [ch for ch, spans in per_chapter.items() if not spans]
        if not empty:
            return None
        holding = [r for r in self.covered if any(r.holds(ch) for ch in empty)]
        if holding and all(not qualifies(r.regimes, series.regimes) for r in holding):
            counted = ("all imports" if series.regimes is None
                       else "imports under " + ", ".join(series.regimes))
            return ("not computable from this data: it holds only imports that claimed a "
                    f"preference, and this measure counts {counted}")
        if holding:
            return ("not computable from this data: it names none of the partners this "
                    "measure counts")
        return ("not computable from this data: it holds no imports of HS chapter "
                + ", ".join(empty))
