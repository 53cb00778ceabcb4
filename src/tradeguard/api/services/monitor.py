"""The monitor service: ``monitor(...)`` on the store, cached per store version and
``as_of`` (single flight, ``cache.py``), and its views: status cards, timelines, the measure
page, alerts and forecasts.  The states and the projected crossing are the monitor's
(``tradeguard.monitor.screens``); this module only filters and shapes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from tradeguard.api.products import PRODUCTS, products_for
from tradeguard.api.services.cache import SingleFlight
from tradeguard.api.services.common import NoDataError, finite, iso
from tradeguard.api.services.rules import RuleService
from tradeguard.api.services.store import StoreView
from tradeguard.errors import InputError, problem
from tradeguard.monitor.prepared import MonitorCache
from tradeguard.monitor.screens import period_state, projected_crossing
from tradeguard.periods import period_key
from tradeguard.reference import checked_partner

if TYPE_CHECKING:
    from tradeguard.monitor.report import MonitorReport

SORTS_BY = {
    "measure": lambda r: (r["measure_id"], r["period"]),
    "share": lambda r: (-(r["share"] or 0.0), r["measure_id"]),
    "probability": lambda r: (-(r["forecast_probability"] or 0.0), r["measure_id"]),
    "crossing": lambda r: (r["days_to_projected_crossing"] is None,
                           r["days_to_projected_crossing"] or 0, r["measure_id"]),
}
SORTS = tuple(SORTS_BY)
STATUS_BODIES = 2048  # cached GET /api/status answers (as_of x filters): ~10 kB each, ~20 MB

# The overview's side-by-side panel: after 1 April 2020 Japan ran three beef safeguards at
# once (issue 16); a choice of what to show, not law.
FY2020_BEEF = ("cptpp.beef_safeguard", "jeuepa.beef_safeguard", "usjta.beef_safeguard")


class MonitorService:
    """Monitor reports of one store under one rule set, and their views."""

    def __init__(self, store: StoreView, rules: RuleService, cache: SingleFlight):
        self.store, self._rules, self.cache = store, rules, cache
        # GET /api/status answers (JSON bytes) by store version, as_of and filters: building
        # and serialising the cards cost more than the cached report's lookup.
        self._status_bodies = _Bounded(STATUS_BODIES)
        # The store's running sums, read once per store version and rule set, then cut at
        # any as_of (issue 15: status at a new as_of without recounting the records).
        self._prepared = MonitorCache()
        # A status at a new as_of (judging the report, the cards, their forecasts) is
        # Python work that holds the GIL: side by side, several gain nothing and only take
        # turns with the event loop. One at a time; the others wait without the GIL.
        self._judging = threading.Lock()

    @property
    def rules(self) -> Any:
        return self._rules.rules

    def cached(self, as_of: dt.date | None, thresholds: tuple[float, ...] | None = None,
               ) -> MonitorReport | None:
        """The cached report, or None; costs a stat of the store and never waits (the event
        loop calls it): a changed store is re-read by :meth:`report`, in a worker thread."""
        version = self.store.known_version()
        if version is None:
            return None
        report = self.cache.peek(("monitor", version, as_of))
        return None if report is None else _with_thresholds(report, thresholds)

    def report(self, as_of: dt.date | None, thresholds: tuple[float, ...] | None = None,
               ) -> MonitorReport:
        """``monitor(imports, as_of=...)`` on the store, cached per store version and as_of.

        Without ``as_of``, each measure as of the last day the data covers what it counts
        (``monitor_latest``), never the clock nor the latest row of any line.
        """
        return _with_thresholds(self._report_at(self.store.version(), as_of), thresholds)

    def _report_at(self, version: frozenset[str], as_of: dt.date | None) -> MonitorReport:
        return self.cache.get(("monitor", version, as_of), lambda: self._compute(as_of))

    def cached_status_body(self, as_of: dt.date | None, **filters: Any) -> bytes | None:
        """The cached ``GET /api/status`` answer, or None; never waits (the event loop
        calls it)."""
        version = self.store.known_version()
        return None if version is None else self._status_bodies.get(
            (version, as_of, *sorted(filters.items())))

    def status_body(self, as_of: dt.date | None, **filters: Any) -> bytes:
        """``GET /api/status`` as JSON bytes (:meth:`status` of the report), cached by store
        version, as_of and filters; bad filters raise as :meth:`status` does."""
        from fastapi.responses import JSONResponse

        version = self.store.version()
        key = (version, as_of, *sorted(filters.items()))
        body = self._status_bodies.get(key)
        if body is None:
            with self._judging:  # never held while waiting on another lock holder
                body = JSONResponse(self.status(self._report_at(version, as_of),
                                                **filters)).body
            self._status_bodies.put(key, body)
        return body

    async def report_async(self, as_of: dt.date | None,
                           thresholds: tuple[float, ...] | None = None) -> MonitorReport:
        """:meth:`report` for the event loop: a cached report at once, else computed in a
        worker thread."""
        from starlette.concurrency import run_in_threadpool

        found = self.cached(as_of, thresholds)
        return found if found is not None else await run_in_threadpool(
            self.report, as_of, thresholds)

    def resolve_as_of(self, as_of: dt.date | None) -> dt.date:
        """``as_of`` as given, else the latest day the data covers what a measure counts
        (the default report's ``as_of``, as ``tradeguard status`` does)."""
        return as_of if as_of is not None else self.report(None).as_of

    def _compute(self, as_of: dt.date | None) -> MonitorReport:
        if not self.store.version():
            raise NoDataError(problem("the store holds no import data",
                                      where=str(self.store.path),
                                      fix="upload a file on the Data page (or run "
                                          "`tradeguard ingest --bundled`)"))
        version = self.store.version()
        if as_of is None:
            return self._prepared.latest(self.store.path, version=version, rules=self.rules)
        return self._prepared.report(self.store.path, version=version, rules=self.rules,
                                     as_of=as_of)

    # ------------------------------------------------------------------ views

    def status(self, report: MonitorReport, *, measure: str | None = None,
               partner: str | None = None, product: str | None = None,
               sort: str = "measure") -> dict[str, Any]:
        """Status rows (``report.status()``), filtered, each with its products, the
        projected crossing and its state; the overview's cards and ``GET /api/status``."""
        if measure is not None:
            self._safeguard(measure, "choose a measure id from GET /api/status")
        if partner is not None:
            partner = checked_partner(partner)
        if product is not None and product not in PRODUCTS:
            raise InputError(problem(f"unknown product `{product}`",
                                     fix=f"use one of: {', '.join(PRODUCTS)}"))
        rows = []
        for period, row in zip([p for p in report.periods if p.open], report.status(),
                               strict=True):
            card = self._card(report, period, row)
            if _shown(card, measure, product) and (
                    partner is None or self._partner_covered(report, period, partner)):
                rows.append(card)
        rows.sort(key=SORTS_BY[sort])
        return {"as_of": report.as_of.isoformat(), "filters": {
            "measure": measure, "partner": partner, "product": product, "sort": sort},
            "rows": rows}

    def side_by_side(self, report: MonitorReport, measures: tuple[str, ...] = FY2020_BEEF,
                     fy: int = 2020) -> dict[str, Any]:
        """One fiscal year of several measures side by side (the overview's panel of the
        three FY2020 beef safeguards): each one's count, trigger and coverage statement.
        A period the report has not reached (or has no data for) says so; the trigger then
        comes from the rule, with its status."""
        from tradeguard.errors import PeriodError
        from tradeguard.periods import fiscal_year_start
        from tradeguard.rules.partner_compare import trigger_on

        rows = []
        for mid in measures:
            as_of = report.as_of_for(mid)
            try:
                row = report.period(mid, fy).row()
            except PeriodError:
                row = {"coverage": "none", "cumulative_t": None, "trigger_t": None,
                       "coverage_reason": f"the report, as of {as_of}, has no "
                                          f"{period_key(fy)} period of this measure: no "
                                          "count, not a zero"}
            if row.get("trigger_t") is None:
                rule_trigger = trigger_on(self.rules, mid, fiscal_year_start(fy), as_of)
                row["trigger_t"] = rule_trigger.value if rule_trigger else None
                row["trigger_status"] = rule_trigger.status if rule_trigger else None
            rows.append(finite({
                "measure_id": mid, "title": self.rules.safeguards[mid].title,
                "period": period_key(fy), "as_of": as_of.isoformat(),
                **{k: row.get(k) for k in (
                    "coverage", "coverage_reason", "cumulative_t", "trigger_t",
                    "trigger_status", "share", "triggered", "crossing_date",
                    "safeguard_rate")}}))
        return {"period": period_key(fy), "rows": rows}

    def _card(self, report: MonitorReport, period: Any, row: dict[str, Any]) -> dict[str, Any]:
        mid = row["measure_id"]
        lines = list(self.rules.safeguards[mid].lines)
        fc = period.forecast
        crossing = projected_crossing(fc.crossing_months if fc else {})
        return finite({
            **row, "title": self.rules.safeguards[mid].title, "lines": lines,
            "products": products_for(lines),
            "forecast_low_t": round(fc.low_t, 1) if fc else None,
            "forecast_high_t": round(fc.high_t, 1) if fc else None,
            "projected_crossing": crossing.isoformat() if crossing else None,
            "days_to_projected_crossing": ((crossing - report.as_of_for(mid)).days
                                           if crossing else None),
            "state": period_state(row),
        })

    def _partner_covered(self, report: MonitorReport, period: Any, partner: str) -> bool:
        from tradeguard.rules.scope import covered_on

        mid = period.measure_id
        day = min(max(report.as_of_for(mid), period.period_start), period.period_end)
        return covered_on(self.rules.safeguards[mid].hits, partner, day, self.rules.groups)

    def _safeguard(self, measure_id: str, fix: str) -> None:
        """Nothing for a volume safeguard's id; else 404 for an unknown rule, 422 for a rule
        of another kind."""
        if measure_id not in self.rules.safeguards:
            self.rules.rule(measure_id)  # RuleNotFoundError for an unknown id
            raise InputError(problem(f"`{measure_id}` is not a volume safeguard", fix=fix))

    def timeline(self, report: MonitorReport, measure_id: str, fy: int) -> dict[str, Any]:
        self._safeguard(measure_id, "choose a measure id from GET /api/status")
        return finite({"as_of": report.as_of.isoformat(),
                       **report.period(measure_id, fy).timeline()})

    def measure(self, report: MonitorReport, measure_id: str, fy: int | None,
                earlier: int = 2) -> dict[str, Any]:
        """The measure page: this period's timeline and earlier ones, activation windows,
        the rule with its citations."""
        self._safeguard(measure_id, "choose a measure id from the overview")
        periods = [p for p in report.periods if p.measure_id == measure_id]
        if not periods:
            raise NoDataError(problem(f"no period of {measure_id} up to {report.as_of}",
                                      fix="choose a later as_of"))
        chosen = fy if fy is not None else max(p.fy for p in periods)
        current = report.period(measure_id, chosen)
        before = sorted((p for p in periods if p.fy < chosen), key=lambda p: p.fy)[-earlier:]
        as_of = report.as_of_for(measure_id).isoformat()
        return finite({
            "as_of": as_of, "measure_id": measure_id, "period": period_key(chosen),
            "periods": [period_key(p.fy) for p in periods],
            "status": {**current.row(), "as_of": as_of}, "timeline": current.timeline(),
            "earlier": [p.timeline() for p in before],
            "activations": [_activation(p) for p in periods if p.activation is not None],
            "rule": self._rules.rule(measure_id),
        })

    def alerts(self, report: MonitorReport) -> list[dict[str, Any]]:
        return [finite(a.row()) for a in report.alerts()]

    def forecasts(self, report: MonitorReport, measure: str | None = None,
                  ) -> list[dict[str, Any]]:
        return [_forecast(p) for p in report.periods if p.forecast is not None
                and (measure is None or p.measure_id == measure)]


class _Bounded:
    """A small LRU map, safe across threads (its lock is held for the dict only)."""

    def __init__(self, size: int):
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._guard:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: Any) -> None:
        with self._guard:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


def _shown(card: dict[str, Any], measure: str | None, product: str | None) -> bool:
    return ((measure is None or card["measure_id"] == measure)
            and (product is None or product in card["products"]))


def _activation(p: Any) -> dict[str, Any]:
    return {"period": period_key(p.fy), "crossing_date": iso(p.crossing_date),
            "start": iso(p.activation.start), "end": iso(p.activation.end),
            "announced_on": iso(p.activation.announced_on), "duty": p.safeguard_rate,
            "status": p.activation.status}


def _forecast(p: Any) -> dict[str, Any]:
    fc = p.forecast
    crossing = projected_crossing(fc.crossing_months)
    return finite({
        "measure_id": p.measure_id, "period": period_key(p.fy),
        "data_through": iso(p.data_through),
        "projected_t": round(fc.projected_t, 1), "low_t": round(fc.low_t, 1),
        "high_t": round(fc.high_t, 1), "probability": round(fc.probability, 4),
        "crossing_months": fc.crossing_months, "years_used": list(fc.years_used),
        "prior": fc.prior, "prior_description": fc.prior_description,
        "projected_crossing": crossing.isoformat() if crossing else None})


def _with_thresholds(report: MonitorReport, thresholds: tuple[float, ...] | None,
                     ) -> MonitorReport:
    if thresholds is not None and tuple(thresholds) != report.thresholds:
        return dataclasses.replace(report, thresholds=tuple(thresholds))
    return report
