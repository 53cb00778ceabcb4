"""The desk: one object that the REST API and the dashboard both call.

Every function here calls the Python API and shapes its answer as JSON-ready data; the
routes (``api/app.py``) and the pages (``web/dashboard.py``) only parse the request and
serialise or render what they get, so a page and its JSON twin show the same numbers.

It also keeps the monitor reports in a small bounded cache keyed by (the store's version: its
set of batches, ``as_of``): the monitor takes a few hundred milliseconds, the cached answer
microseconds, and concurrent requests for the same key wait for one computation (single
flight).  The store is a DuckDB file shared with other processes: every read opens a
connection for that one operation under the store's reader lock, and an ingest takes the
writer lock (``tradeguard.data.access``, docs/adr/0005-store-access-one-writer-many-readers.md).  No lock of this
object is held during store access or computation, so the event loop never waits on one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.api.products import PRODUCTS, products_for
from tradeguard.engine.money import tidy
from tradeguard.errors import IngestError, InputError, TradeguardError, problem

if TYPE_CHECKING:
    from tradeguard.monitor.report import MonitorReport
    from tradeguard.rules.loader import RuleSet

CACHE_SIZE = 32
# Computations (monitor, surge scan) at once: more would only share the cores and the GIL with
# the event loop, which must stay free to answer (e.g. /healthz); the rest wait their turn.
# One core is left to the loop (DuckDB still spreads each computation's queries over all).
COMPUTE_SLOTS = max(1, min(4, (os.cpu_count() or 1) - 1))
DUTY_CACHE_SIZE = 4096
MAX_TRACE_ROWS = 1000
QUOTA_LEDGER_NOTE = ("the declarations in the store, allocated first come, first served; "
                     "a quota whose lines have no declaration records in the period shows "
                     "no_data, its balance unknown")


class NoDataError(TradeguardError):
    """The store holds no import data yet (the monitor has nothing to count)."""


def finite(value: Any) -> Any:
    """JSON has no infinity or NaN: replace them by None, recursively.  Exact amounts
    (decimals) are written as strings, so JSON never turns them into binary floats."""
    if isinstance(value, Decimal):
        return str(tidy(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


class Desk:
    """The library, bound to one store and one rule set, with a monitor cache."""

    def __init__(self, store_path: Path | None, rules: RuleSet | None = None):
        from tradeguard.data.store import default_store_path

        self.store_path = Path(store_path) if store_path is not None else default_store_path()
        self._rules = rules
        self._guard = threading.Lock()  # the caches' dicts only: never held over I/O or work
        self._inflight: dict[tuple, Future] = {}
        self._slots = threading.BoundedSemaphore(COMPUTE_SLOTS)
        self._stamp: tuple | None = None
        self._batch_key: frozenset[str] = frozenset()
        self._last_day: dt.date | None = None
        self._reports: OrderedDict[tuple, Any] = OrderedDict()  # bounded: CACHE_SIZE
        # duty() is a pure function of its arguments and the (immutable) rules: memoise the
        # serialised answer, so a repeated question costs a dict lookup.
        self.duty_json = functools.lru_cache(maxsize=DUTY_CACHE_SIZE)(self._duty_json)

    # ------------------------------------------------------------------ rules

    @property
    def rules(self) -> RuleSet:
        if self._rules is None:
            from tradeguard.rules.loader import shipped_rules

            self._rules = shipped_rules()
        return self._rules

    def rules_list(self) -> list[dict[str, str]]:
        return [{"id": rid, "kind": doc.kind, "title": getattr(doc, "title", "")}
                for rid, doc in sorted(self.rules.documents.items())]

    def rule(self, rule_id: str) -> dict[str, Any]:
        """One rule as validated data, with its dated values, statuses and citations."""
        doc = self.rules.rule(rule_id)
        return {"id": rule_id, "kind": doc.kind, "title": getattr(doc, "title", ""),
                "document": doc.model_dump(mode="json", exclude_none=True),
                "values": self._dated_values(doc)}

    @staticmethod
    def _dated_values(doc: Any) -> list[dict[str, Any]]:
        from tradeguard.engine.expressions import format_duty
        from tradeguard.rules.quality import dated_paths

        sources = getattr(doc, "sources", None) or {}
        out = []
        for key, values in dated_paths(doc):
            for i, v in enumerate(values):
                stated = (getattr(v, "duty", None) if "duty" in type(v).model_fields
                          else v.value)
                if stated is not None and not isinstance(stated, int | float | str):
                    stated = format_duty(stated)
                source = sources.get(v.cite)
                out.append({"key": f"{key}[{i}]", "valid_from": _iso(v.valid_from),
                            "valid_to": _iso(v.valid_to), "value": stated, "status": v.status,
                            "cite": v.cite,
                            "citation": source.text() if source is not None else v.cite,
                            "note": v.note})
        return out

    def rules_overview(self) -> dict[str, Any]:
        """Agreements and measures with their dated values (the rules browser)."""
        rules = self.rules
        agreements = [{"id": aid, "title": a.title, "short_name": a.short_name,
                       "status": a.status, "signed_on": _iso(a.signed_on),
                       "entry_into_force": _iso(a.entry_into_force)}
                      for aid, a in sorted(rules.agreements.items())]
        measures = []
        for rid, doc in sorted(rules.documents.items()):
            if doc.kind in ("agreement", "partner_groups", "activations"):
                continue
            values = self._dated_values(doc)
            counts: dict[str, int] = {}
            for v in values:
                counts[v["status"]] = counts.get(v["status"], 0) + 1
            measures.append({"id": rid, "kind": doc.kind, "title": getattr(doc, "title", ""),
                             "agreement": getattr(doc, "agreement", None),
                             "lines": list(getattr(doc, "lines", None) or []),
                             "products": products_for(list(getattr(doc, "lines", None) or [])),
                             "statuses": counts, "values": values})
        return {"agreements": agreements, "measures": measures}

    def quality(self, as_of: dt.date, horizon_years: int) -> dict[str, Any]:
        from tradeguard.rules.quality import quality_report

        return quality_report(self.rules, as_of=as_of,
                              horizon_years=horizon_years).model_dump(mode="json")

    # ------------------------------------------------------------------ duty

    def duty(self, line: str, origin: str, date: dt.date, value: float | None,
             quantity: float | None, as_of: dt.date | None) -> Any:
        from tradeguard.engine.duty import duty

        return duty(line, origin, date, customs_value=value, quantity=quantity,
                    as_of=as_of or date, rules=self.rules)

    def _duty_json(self, line: str, origin: str, date: dt.date, value: float | None,
                   quantity: float | None, as_of: dt.date | None) -> bytes:
        return self.duty(line, origin, date, value, quantity, as_of).model_dump_json().encode()

    def duty_batch(self, rows: list[dict[str, Any]], as_of: dt.date,
                   trace: bool) -> list[dict[str, Any]]:
        """``duty_batch`` on the rows; with ``trace``, each row's chosen option's trace too."""
        import pyarrow as pa

        from tradeguard.engine.batch import duty_batch

        if not rows:
            return []
        if trace and len(rows) > MAX_TRACE_ROWS:
            raise InputError(problem(f"trace asked for {len(rows):,} rows",
                                     why=f"a traced batch holds at most {MAX_TRACE_ROWS:,} rows",
                                     fix="drop trace=true, or split the batch"))
        table = pa.table({
            "row": pa.array(range(1, len(rows) + 1), pa.int64()),
            "tariff_line": pa.array([r["tariff_line"] for r in rows], pa.string()),
            "origin": pa.array([str(r["origin"]).strip().upper() for r in rows], pa.string()),
            "date": pa.array([r["date"] for r in rows], pa.date32()),
            "customs_value": pa.array([r["customs_value"] for r in rows], pa.float64()),
            "quantity": pa.array([r["quantity"] for r in rows], pa.float64()),
        })
        out = duty_batch(table, as_of=as_of, rules=self.rules).sort_by("row").to_pylist()
        result = []
        for row in out:
            regimes = {k.removeprefix("duty_"): v for k, v in row.items()
                       if k.startswith("duty_") and k != "duty_amount"}
            item = {"row": row["row"], "tariff_line": row["tariff_line"],
                    "origin": row["origin"], "date": _iso(row["date"]),
                    "customs_value": row["customs_value"], "quantity": row["quantity"],
                    "chosen_regime": row["chosen_regime"], "duty_amount": row["duty_amount"],
                    "safeguard": row["safeguard"], "duty_by_regime": regimes}
            if trace:
                scalar = self.duty(row["tariff_line"], row["origin"], row["date"],
                                   row["customs_value"], row["quantity"], as_of)
                item["trace"] = ([] if scalar.chosen is None else
                                 [e.model_dump(mode="json") for e in scalar.chosen.trace])
            result.append(finite(item))
        return result

    # ------------------------------------------------------------------ store

    def _store_stamp(self) -> tuple:
        files = [self.store_path, self.store_path.with_name(self.store_path.name + ".wal")]
        stamp = []
        for f in files:
            try:
                st = f.stat()
            except OSError:
                stamp.append(None)
            else:
                stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamp)

    def _refresh(self) -> None:
        """Re-read the batch set and the data's last day when the store file changed."""
        stamp = self._store_stamp()
        if stamp == self._stamp:
            return
        batches = self._read_batches()
        days = [b["period_max"] for b in batches if b["period_max"]]
        with self._guard:
            self._batch_key = frozenset(b["batch_id"] for b in batches)
            self._last_day = dt.date.fromisoformat(max(days)) if days else None
            self._stamp = stamp

    def _read_batches(self) -> list[dict[str, Any]]:
        import json

        from tradeguard.data.access import StoreBusyError
        from tradeguard.data.store import open_batches

        if not self.store_path.is_file():
            return []
        try:
            table = open_batches(self.store_path)
        except StoreBusyError:  # say the store is busy, never that it is empty
            raise
        except IngestError:
            return []
        except Exception as exc:  # a store without a batches table yet
            if "batches" in str(exc):
                return []
            raise
        try:
            rows = table.order_by(["ingested_at", "batch_id"]).to_pyarrow().to_pylist()
        finally:
            table.get_backend().disconnect()
        out = []
        for r in rows:
            item = {k: _iso(v) for k, v in r.items()}
            item["totals"] = json.loads(r["totals"])
            item["notes"] = json.loads(r["notes"])
            out.append(finite(item))
        return out

    def batches(self) -> list[dict[str, Any]]:
        return self._read_batches()

    def last_day(self) -> dt.date | None:
        self._refresh()
        return self._last_day

    def resolve_as_of(self, as_of: dt.date | None) -> dt.date:
        """``as_of`` as given, else the latest day the data covers what a measure counts
        (the default report's ``as_of``, as ``tradeguard status`` does)."""
        if as_of is not None:
            return as_of
        return self.report(None).as_of

    def cached(self, as_of: dt.date | None, thresholds: tuple[float, ...] | None = None,
               ) -> MonitorReport | None:
        """The cached report, or None; costs a stat of the store and never waits (the event
        loop calls it): a changed store is re-read by :meth:`report`, in a worker thread."""
        stamp = self._store_stamp()
        with self._guard:
            if stamp != self._stamp:
                return None
            report = self._reports.get(("monitor", self._batch_key, as_of))
        if report is None:
            return None
        return _with_thresholds(report, thresholds)

    def report(self, as_of: dt.date | None, thresholds: tuple[float, ...] | None = None,
               ) -> MonitorReport:
        """``monitor(imports, as_of=...)`` on the store, cached per store version and as_of.

        Without ``as_of``, each measure as of the last day the data covers what it counts
        (``monitor_latest``), never the clock nor the latest row of any line.
        """
        self._refresh()
        key = ("monitor", self._batch_key, as_of)
        return _with_thresholds(self._single_flight(key, lambda: self._compute(as_of)),
                                thresholds)

    def surge_flags(self, as_of: dt.date | None, methods: str | None) -> Any:
        """The surge scan of the store (``scan_store``), cached like the monitor reports."""
        from tradeguard.surge.api import scan_store

        self._refresh()
        key = ("surges", self._batch_key, as_of, methods)
        return self._single_flight(
            key, lambda: scan_store(self.store_path, as_of=as_of, methods=methods))

    def _compute(self, as_of: dt.date | None) -> MonitorReport:
        from tradeguard.data.store import open_imports
        from tradeguard.monitor.report import monitor, monitor_latest

        if not self._batch_key:
            raise NoDataError(problem("the store holds no import data",
                                      where=str(self.store_path),
                                      fix="upload a file on the Data page (or run "
                                          "`tradeguard ingest --bundled`)"))
        imports = open_imports(self.store_path, known_on=as_of)  # one connection, for this computation only
        try:
            return (monitor_latest(imports, rules=self.rules) if as_of is None
                    else monitor(imports, as_of=as_of, rules=self.rules))
        finally:
            imports.get_backend().disconnect()

    def _single_flight(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The cached answer for ``key``; else compute it once, however many threads ask.
        ``key`` starts with the kind of answer and the store version (its batch set)."""
        with self._guard:
            hit = self._reports.get(key)
            if hit is not None:
                self._reports.move_to_end(key)
                return hit
            flight = self._inflight.get(key)
            owner = flight is None
            if owner:
                flight = self._inflight[key] = Future()
        if not owner:
            return flight.result()  # another thread computes it: wait for its answer
        try:
            with self._slots:
                report = compute()
        except BaseException as exc:
            with self._guard:
                self._inflight.pop(key, None)
            flight.set_exception(exc)
            raise
        with self._guard:
            self._reports[key] = report
            while len(self._reports) > CACHE_SIZE:
                self._reports.popitem(last=False)
            self._inflight.pop(key, None)
        flight.set_result(report)
        return report

    # ------------------------------------------------------------------ monitor views

    def measure_partners_match(self, measure_id: str, partner: str, day: dt.date) -> bool:
        from tradeguard.rules.scope import covered_on

        measure = self.rules.safeguards[measure_id]
        return covered_on(measure.hits, partner, day, self.rules.groups)

    def status(self, report: MonitorReport, *, measure: str | None = None,
               partner: str | None = None, product: str | None = None,
               sort: str = "measure") -> dict[str, Any]:
        """Status rows (``report.status()``), filtered, each with its products and the
        projected crossing; the overview's cards and ``GET /api/status`` alike."""
        if measure is not None and measure not in self.rules.safeguards:
            self.rules.rule(measure)  # RuleNotFoundError for an unknown id
            raise InputError(problem(f"`{measure}` is not a volume safeguard",
                                     fix="choose a measure id from GET /api/status"))
        if partner is not None:
            partner = self._partner(partner)
        if product is not None and product not in PRODUCTS:
            raise InputError(problem(f"unknown product `{product}`",
                                     fix=f"use one of: {', '.join(PRODUCTS)}"))
        rows = []
        for period, row in zip([p for p in report.periods if p.open], report.status(),
                               strict=True):
            mid = row["measure_id"]
            lines = list(self.rules.safeguards[mid].lines)
            products = products_for(lines)
            if measure is not None and mid != measure:
                continue
            if product is not None and product not in products:
                continue
            day = min(max(report.as_of_for(mid), period.period_start), period.period_end)
            if partner is not None and not self.measure_partners_match(mid, partner, day):
                continue
            fc = period.forecast
            crossing = projected_crossing(fc.crossing_months if fc else {})
            rows.append(finite({
                **row, "title": self.rules.safeguards[mid].title, "lines": lines,
                "products": products,
                "forecast_low_t": round(fc.low_t, 1) if fc else None,
                "forecast_high_t": round(fc.high_t, 1) if fc else None,
                "projected_crossing": crossing.isoformat() if crossing else None,
                "days_to_projected_crossing": ((crossing - report.as_of_for(mid)).days
                                               if crossing else None),
                "state": _state_of(row),
            }))
        rows.sort(key=_SORTS[sort])
        return {"as_of": report.as_of.isoformat(), "filters": {
            "measure": measure, "partner": partner, "product": product, "sort": sort},
            "rows": rows}

    def _partner(self, partner: str) -> str:
        from tradeguard.data.partners import is_known_partner
        from tradeguard.errors import RuleNotFoundError

        code = partner.strip().upper()
        if len(code) != 2 or not is_known_partner(code):
            raise RuleNotFoundError(problem(f"unknown partner `{partner}`",
                                            why="partners are ISO 3166 alpha-2 codes",
                                            fix="write the partner like US, AU or CA"))
        return code

    def timeline(self, report: MonitorReport, measure_id: str, fy: int) -> dict[str, Any]:
        if measure_id not in self.rules.safeguards:
            self.rules.rule(measure_id)
            raise InputError(problem(f"`{measure_id}` is not a volume safeguard",
                                     fix="choose a measure id from GET /api/status"))
        return finite({"as_of": report.as_of.isoformat(),
                       **report.period(measure_id, fy).timeline()})

    def measure(self, report: MonitorReport, measure_id: str, fy: int | None,
                earlier: int = 2) -> dict[str, Any]:
        """The measure page: this period's timeline and earlier ones, activation windows,
        the rule with its citations."""
        if measure_id not in self.rules.safeguards:
            self.rules.rule(measure_id)
            raise InputError(problem(f"`{measure_id}` is not a volume safeguard",
                                     fix="choose a measure id from the overview"))
        periods = [p for p in report.periods if p.measure_id == measure_id]
        if not periods:
            raise NoDataError(problem(f"no period of {measure_id} up to {report.as_of}",
                                      fix="choose a later as_of"))
        chosen = fy if fy is not None else max(p.fy for p in periods)
        current = report.period(measure_id, chosen)
        before = sorted((p for p in periods if p.fy < chosen), key=lambda p: p.fy)[-earlier:]
        activations = [{"period": f"FY{p.fy}", "crossing_date": _iso(p.crossing_date),
                        "start": _iso(p.activation.start), "end": _iso(p.activation.end),
                        "announced_on": _iso(p.activation.announced_on),
                        "duty": p.safeguard_rate, "status": p.activation.status}
                       for p in periods if p.activation is not None]
        return finite({
            "as_of": report.as_of_for(measure_id).isoformat(), "measure_id": measure_id,
            "period": f"FY{chosen}", "periods": [f"FY{p.fy}" for p in periods],
            "status": {**current.row(), "as_of": report.as_of_for(measure_id).isoformat()},
            "timeline": current.timeline(),
            "earlier": [p.timeline() for p in before],
            "activations": activations, "rule": self.rule(measure_id),
        })

    def alerts(self, report: MonitorReport) -> list[dict[str, Any]]:
        return [finite(a.row()) for a in report.alerts()]

    def forecasts(self, report: MonitorReport, measure: str | None = None,
                  ) -> list[dict[str, Any]]:
        out = []
        for p in report.periods:
            if p.forecast is None or (measure is not None and p.measure_id != measure):
                continue
            fc = p.forecast
            crossing = projected_crossing(fc.crossing_months)
            out.append(finite({
                "measure_id": p.measure_id, "period": f"FY{p.fy}",
                "data_through": _iso(p.data_through),
                "projected_t": round(fc.projected_t, 1), "low_t": round(fc.low_t, 1),
                "high_t": round(fc.high_t, 1), "probability": round(fc.probability, 4),
                "crossing_months": fc.crossing_months, "years_used": list(fc.years_used),
                "prior": fc.prior, "prior_description": fc.prior_description,
                "projected_crossing": crossing.isoformat() if crossing else None}))
        return out

    # ------------------------------------------------------------------ quotas

    def _ledger(self, as_of: dt.date) -> Any:
        """The quota ledger from the declarations in the store, as known by ``as_of``."""
        from tradeguard.monitor.quota_ledger import (
            LEDGER_SCHEMA,
            ledger_for,
            ledger_version,
            refresh,
        )

        self._refresh()
        if self._batch_key:
            table = refresh(self.store_path, self.rules,
                            ledger_version(self._batch_key, self.rules))
        else:
            table = LEDGER_SCHEMA.empty_table()
        return ledger_for(table, self.rules, as_of)

    def quotas(self, as_of: dt.date, include_signed: bool = False) -> list[dict[str, Any]]:
        """Every quota of an agreement in force; with ``include_signed`` also those of
        agreements signed but never in force (the TPP-12), labelled as studied, never open."""
        store = self._ledger(as_of)
        out = []
        for rid, quota in sorted(self.rules.quotas.items()):
            agreement = self.rules.agreements[quota.agreement]
            if agreement.in_force_from(include_signed) is None:
                continue
            item: dict[str, Any] = {"rule_id": rid, "order_id": quota.order_id,
                                    "title": quota.title, "agreement": quota.agreement,
                                    "agreement_status": agreement.status,
                                    "lines": list(quota.lines),
                                    "products": products_for(list(quota.lines)),
                                    "allocation": quota.allocation, "as_of": as_of.isoformat(),
                                    "data_through": _iso(store.data_through.get(rid))}
            try:
                item.update(_quota_state(store, rid, as_of))
                if agreement.status != "in_force":
                    item.update(_studied(agreement, item))
            except TradeguardError as exc:
                item.update(dict.fromkeys(_STATE_KEYS), status="not_defined", note=str(exc))
            out.append(finite(item))
        return out

    def quota_history(self, quota_id: str, as_of: dt.date) -> dict[str, Any]:
        store = self._ledger(as_of)
        ledger = store.ledger
        quota = ledger.quota(quota_id)
        rid = next(r for r, q in self.rules.quotas.items() if q is quota)
        if not store.has_data(rid, as_of):
            return {"quota_id": quota.order_id, "as_of": as_of.isoformat(), "history": [],
                    "exhaustion_forecast": None, "ledger": _no_data_note(quota)}
        history = ledger.balance_history(quota_id, as_of)
        return finite({"quota_id": quota.order_id, "as_of": as_of.isoformat(),
                       "history": [{"date": d.isoformat(), **_state(st)} for d, st in history],
                       "exhaustion_forecast": _iso(ledger.exhaustion_forecast(quota_id, as_of)),
                       "ledger": "allocated first come, first served from the declarations in "
                                 f"the store (through {_iso(store.data_through.get(rid))})"})

    # ------------------------------------------------------------------ ingest

    def ingest(self, path: Path, *, fmt: str | None, dry_run: bool, ingested_at: dt.datetime,
               source_name: str | None = None, uploaded_by: str | None = None,
               limits: Any = None, replace: bool = False,
               known_on: dt.date | None = None) -> dict[str, Any]:
        from tradeguard.data.store import ingest

        # The store's writer lock (taken inside ingest) waits for this process's readers too.
        report = ingest(path, self.store_path, format=fmt, dry_run=dry_run,
                        ingested_at=ingested_at, source_name=source_name,
                        uploaded_by=uploaded_by, limits=limits, replace=replace,
                        known_on=known_on)
        with self._guard:
            self._stamp = None  # re-read the batch set on the next request
        return finite(report.as_dict())

    def remove_batch(self, batch: str, *, dry_run: bool, removed_at: dt.datetime,
                     removed_by: str | None) -> dict[str, Any]:
        from tradeguard.data.batches import remove_batch

        # The store's writer lock (taken inside remove_batch) waits for this process's readers.
        done = remove_batch(batch, self.store_path, dry_run=dry_run,
                            removed_at=removed_at, removed_by=removed_by)
        with self._guard:
            self._stamp = None  # re-read the batch set on the next request
        return done.as_dict()


def _with_thresholds(report: MonitorReport, thresholds: tuple[float, ...] | None,
                     ) -> MonitorReport:
    if thresholds is not None and tuple(thresholds) != report.thresholds:
        return dataclasses.replace(report, thresholds=tuple(thresholds))
    return report


def _studied(agreement: Any, item: dict[str, Any]) -> dict[str, Any]:
    """A quota of an agreement that never entered into force: its figures as studied (from
    the study date), with the status ``not_in_force``, never ``open``."""
    return {"status": "not_in_force", "exhaustion_forecast": None, "exhausted_on": None,
            "note": f"{agreement.short_name} was {agreement.status}, never in force: volumes "
                    f"as studied from {agreement.study_entry_into_force}"}


_STATE_KEYS = ("period", "period_start", "period_end", "volume_t", "volume_status",
               "allocated_t", "returned_t", "balance_t", "used_share", "status",
               "exhaustion_forecast", "exhausted_on", "note")


def _no_data_note(quota: Any) -> str:
    return (f"no declaration records in the store for lines {', '.join(quota.lines)} in this "
            "period: the balance is unknown (not zero, not full); ingest the declarations "
            "(format `declarations`) to see it")


def _quota_state(store: Any, rule_id: str, as_of: dt.date) -> dict[str, Any]:
    """A quota's balance and status on ``as_of``; ``no_data`` where no declaration reaches."""
    ledger = store.ledger
    state = _state(ledger.state(rule_id, as_of, as_of))
    if state["status"] == "not_open":
        return {**state, "exhaustion_forecast": None, "exhausted_on": None, "note": None}
    if not store.has_data(rule_id, as_of):
        unknown = dict.fromkeys(("allocated_t", "returned_t", "balance_t", "used_share"))
        return {**state, **unknown, "status": "no_data", "exhaustion_forecast": None,
                "exhausted_on": None, "note": _no_data_note(ledger.rules.quotas[rule_id])}
    return {**state, "exhaustion_forecast": _iso(ledger.exhaustion_forecast(rule_id, as_of)),
            "exhausted_on": _iso(ledger.exhaustion_day(rule_id, as_of)), "note": None}


def _state_of(row: dict[str, Any]) -> str:
    """A status card's state; ``no data`` where the count cannot be computed, never open."""
    if row["cumulative_t"] is None:
        return "no data"
    if row["triggered"]:
        return "triggered"
    return "watch" if (row["share"] or 0) >= 0.8 else "open"


def _state(state: Any) -> dict[str, Any]:
    return {k: _iso(v) for k, v in dataclasses.asdict(state).items() if k != "quota_id"}


def projected_crossing(crossing_months: dict[str, float]) -> dt.date | None:
    """The end of the first month by which the forecast's crossing probability reaches 50%."""
    from tradeguard.periods import month_end

    total = 0.0
    for month, p in sorted(crossing_months.items()):
        total += p
        if total >= 0.5:
            year, mon = (int(x) for x in month.split("-"))
            return month_end(dt.date(year, mon, 1))
    return None


_SORTS = {
    "measure": lambda r: (r["measure_id"], r["period"]),
    "share": lambda r: (-(r["share"] or 0.0), r["measure_id"]),
    "probability": lambda r: (-(r["forecast_probability"] or 0.0), r["measure_id"]),
    "crossing": lambda r: (r["days_to_projected_crossing"] is None,
                           r["days_to_projected_crossing"] or 0, r["measure_id"]),
}
SORTS = tuple(_SORTS)
