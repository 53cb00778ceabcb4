"""The monitor prepared once per data version, then asked at any ``as_of`` (issue 15).

``monitor(imports, as_of=...)`` reads the records for one knowledge date.  A desk or an API
asks the same data at many dates, so :class:`PreparedMonitor` reads them once: the running
totals of every series over every record (``cumulative``), the distinct periods of each
batch, source, granularity, partner and chapter (what coverage is judged from) and the
sources.  ``report(as_of)`` cuts them at ``as_of`` in memory and judges every period as
``monitor`` does (``report_of``); no record is read again.

The cut is exact, so knowledge time holds: a record counts at ``as_of`` only if its period
ended by then, a running total at a period end sums only the periods up to it, and the
covered spans are recomputed from the periods that ended by ``as_of``.  What the cut cannot
see is a revision: a store read as known on ``as_of`` (``open_imports(known_on=as_of)``)
changes when a batch becomes known.  :class:`MonitorCache` therefore keys a prepared monitor
by the store's version, the rules' version and the batches known on ``as_of``, so a lookup
gives what a fresh ``monitor`` gives (``tests/monitor/test_prepared.py``).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from tradeguard.data.coverage import PIECE_SCHEMA, Coverage, _pieces, runs
from tradeguard.monitor.counting import cumulative, specs_for
from tradeguard.monitor.evaluate import Context
from tradeguard.monitor.forecast import DEFAULT_DRAWS, DEFAULT_SEED
from tradeguard.monitor.report import (
    DEFAULT_THRESHOLDS,
    MonitorReport,
    _imports_table,
    _sources,
    last_days,
    latest_of,
    report_of,
)
from tradeguard.monitor.triggers import Series, TriggerBook
from tradeguard.rules.loader import RuleSet

EVERY_RECORD = dt.date.max  # prepare over every record; the cut at as_of comes later
COVERAGE_KEYS = ["batch_id", "source", "granularity", "partner", "chapter"]
MONTH_KEYS = ["batch_id", "source", "granularity", "period_start", "period_end"]


@dataclass(frozen=True)
class PreparedMonitor:
    """What ``monitor`` reads from the records, for every ``as_of`` at once."""

    rules: RuleSet
    measures: tuple[str, ...]
    series: Series  # running totals over every record, cut at as_of by Series.until
    periods: pa.Table  # distinct (COVERAGE_KEYS, period_start, period_end) of every record
    sources: str

    @classmethod
    def of(cls, imports: Any, *, rules: RuleSet | None = None,
           measures: list[str] | None = None) -> PreparedMonitor:
        """Read ``imports`` (Ibis, Arrow, Polars or pandas in the canonical schema) once."""
        from tradeguard.rules.loader import shipped_rules

        rules = rules or shipped_rules()
        table = _imports_table(imports, None)
        ids = tuple(sorted(measures or rules.safeguards))
        specs = [spec for mid in ids for spec in specs_for(rules, mid)]
        series = Series(cumulative(table, specs, rules, EVERY_RECORD).to_pyarrow())
        periods = table.select(table.batch_id, table.source, table.granularity, table.partner,
                               table.tariff_line.substr(0, 2).name("chapter"),
                               table.period_start, table.period_end).distinct().to_pyarrow()
        return cls(rules, ids, series, periods, _sources(table))

    def report(self, as_of: dt.date, *, measures: list[str] | None = None,
               thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, draws: int = DEFAULT_DRAWS,
               seed: int = DEFAULT_SEED) -> MonitorReport:
        """``monitor(imports, as_of=as_of, ...)`` from the prepared sums: the same report."""
        ids = self._measures(measures)
        series = self.series.until(as_of)
        known = self.periods.filter(pc.less_equal(self.periods["period_end"],
                                                  pa.scalar(as_of, pa.date32())))
        covered = _coverage(self.periods, known, as_of)
        lo, hi = (pc.min(known["period_start"]).as_py(), pc.max(known["period_end"]).as_py())
        ctx = Context(self.rules, series, TriggerBook(self.rules, series, as_of, covered),
                      covered, as_of, self.sources, draws, seed, (lo or as_of, hi or as_of))
        return report_of(ctx, ids, thresholds)

    def latest(self, *, thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
               draws: int = DEFAULT_DRAWS, seed: int = DEFAULT_SEED) -> MonitorReport:
        """``monitor_latest(imports, ...)`` from the prepared sums: each measure as of the
        last day the data covers what it counts."""
        days = last_days(self.rules, _coverage(self.periods, self.periods, EVERY_RECORD),
                         list(self.measures))
        known = [d for d in days.values() if d is not None]
        fallback = max(known) if known else pc.max(self.periods["period_end"]).as_py()
        return latest_of(days, fallback, lambda day, mids: self.report(
            day, measures=mids, thresholds=thresholds, draws=draws, seed=seed), thresholds)

    def _measures(self, measures: list[str] | None) -> list[str]:
        from tradeguard.errors import InputError, problem

        if measures is None:
            return list(self.measures)
        missing = sorted(set(measures) - set(self.measures))
        if missing:
            raise InputError(problem(f"the prepared monitor has no measure {', '.join(missing)}",
                                     where="PreparedMonitor.report",
                                     fix="prepare it with those measures (measures=...)"))
        return sorted(measures)


def _coverage(periods: pa.Table, known: pa.Table, as_of: dt.date) -> Coverage:
    """``Coverage.of(imports, as_of)`` from the distinct periods: the same two aggregates
    (``coverage_pieces``), here over a few thousand rows in memory."""
    ended = pc.less_equal(periods["period_end"], pa.scalar(as_of, pa.date32()))
    unknown = pa.scalar(None, pa.date32())
    masked = periods.append_column(
        "known_start", pc.if_else(ended, periods["period_start"], unknown)).append_column(
        "known_end", pc.if_else(ended, periods["period_end"], unknown))
    groups = masked.group_by(COVERAGE_KEYS, use_threads=False).aggregate([
        ("period_start", "min"), ("period_end", "max"), ("known_start", "min"),
        ("known_end", "max")]).rename_columns(
        [*COVERAGE_KEYS, "first", "last", "known_first", "known_last"])
    monthly = known.filter(pc.not_equal(known["granularity"], "day"))
    months = monthly.group_by(MONTH_KEYS, use_threads=False).aggregate([])
    pieces = _pieces(groups.to_pylist(), months.to_pylist())
    return Coverage(runs(pa.Table.from_pylist(pieces, schema=PIECE_SCHEMA)))


def rules_version(rules: RuleSet) -> str:
    """A digest of the rule documents: equal rules, equal version (a reload of the same
    library shares a cache entry; an edited value does not)."""
    digest = hashlib.sha256()
    for name in sorted(rules.documents):
        digest.update(name.encode())
        digest.update(rules.documents[name].model_dump_json().encode())
    return digest.hexdigest()


class MonitorCache:
    """Prepared monitors of stores, at most ``max_entries`` (least recently used goes first).

    Keyed by the store's version (any hashable the caller keeps, e.g. its batch set), the
    rules' version and the batches known on ``as_of``: a revision known later gives a new
    entry, never an answer from data not yet known.  Safe to share between threads: two
    threads missing the same key may both prepare it, and one result is kept.
    """

    def __init__(self, max_entries: int = 4):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple, PreparedMonitor] = OrderedDict()
        self._known_dates: OrderedDict[Hashable, tuple[dt.date, ...]] = OrderedDict()
        self._rule_versions: dict[int, tuple[RuleSet, str]] = {}
        self._lock = threading.Lock()

    def report(self, store: str | Path, *, version: Hashable, rules: RuleSet, as_of: dt.date,
               thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, draws: int = DEFAULT_DRAWS,
               seed: int = DEFAULT_SEED) -> MonitorReport:
        """``monitor(store=store, as_of=as_of, rules=rules, ...)``, from the cache."""
        return self.prepared(store, version=version, rules=rules, as_of=as_of).report(
            as_of, thresholds=thresholds, draws=draws, seed=seed)

    def latest(self, store: str | Path, *, version: Hashable, rules: RuleSet,
               thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS, draws: int = DEFAULT_DRAWS,
               seed: int = DEFAULT_SEED) -> MonitorReport:
        """``monitor_latest(store=store, rules=rules, ...)`` (the default status), from the
        cache: the store with every batch known."""
        return self.prepared(store, version=version, rules=rules, as_of=None).latest(
            thresholds=thresholds, draws=draws, seed=seed)

    def prepared(self, store: str | Path, *, version: Hashable, rules: RuleSet,
                 as_of: dt.date | None) -> PreparedMonitor:
        """The prepared monitor of the store as known on ``as_of`` (None: every batch known),
        read on a miss."""
        dates = self._dates(store, version)
        known = len(dates) if as_of is None else bisect.bisect_right(dates, as_of)
        key = (version, self._rules_version(rules), known)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        from tradeguard.data.store import open_imports

        imports = open_imports(store, known_on=as_of)
        try:
            prepared = PreparedMonitor.of(imports, rules=rules)
        finally:
            imports.get_backend().disconnect()
        with self._lock:
            self._entries[key] = prepared
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return prepared

    def _dates(self, store: str | Path, version: Hashable) -> tuple[dt.date, ...]:
        with self._lock:
            found = self._known_dates.get(version)
        if found is None:
            found = batch_known_dates(store)
            with self._lock:
                self._known_dates[version] = found
                while len(self._known_dates) > self.max_entries:
                    self._known_dates.popitem(last=False)
        return found

    def _rules_version(self, rules: RuleSet) -> str:
        with self._lock:  # the entry holds the rules, so their id is not reused meanwhile
            found = self._rule_versions.get(id(rules))
        if found is None:
            found = (rules, rules_version(rules))
            with self._lock:
                if len(self._rule_versions) >= self.max_entries:
                    self._rule_versions.clear()
                self._rule_versions[id(rules)] = found
        return found[1]


def batch_known_dates(store: str | Path) -> tuple[dt.date, ...]:
    """The distinct days on which the store's batches became known, sorted: the data read as
    known on a day changes only on these days (``identity.as_known_on`` orders batches by the
    same day: ``known_on``, else the ingest date)."""
    from tradeguard.data.store import open_batches

    batches = open_batches(store)
    try:
        known = (batches.known_on.fill_null(batches.ingested_at.cast("date"))
                 if "known_on" in batches.columns else batches.ingested_at.cast("date"))
        days = batches.select(day=known).distinct().to_pyarrow().column("day").to_pylist()
    finally:
        batches.get_backend().disconnect()
    return tuple(sorted(d for d in days if d is not None))
