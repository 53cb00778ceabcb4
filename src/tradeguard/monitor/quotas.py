"""Tariff-rate quota balances from a ledger of dated events.

The ledger is the record; balance and status are derived from it for any
``as_of`` date, by the precedence written in docs/semantics.md:

====  ==========================================================  ==========
rank  condition on ``as_of``                                      status
====  ==========================================================  ==========
1     before the period opens                                     not_open
2     an ``exhaustion`` event not followed by a ``reopening``,    exhausted
      or the balance is zero
3     a ``critical`` event (declared by rule) not followed by     critical
      a ``reopening``, or the used share ≥ the quota's
      ``critical_share`` (default 90%)
4     otherwise                                                   open
====  ==========================================================  ==========

A ledger is immutable: :meth:`QuotaLedger.record` validates new events and
returns a new ledger, so a bad event (unknown quota, undefined period, a return
larger than what was allocated) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, problem
from tradeguard.periods import fiscal_year, fiscal_year_end, fiscal_year_start, period_key
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import value_on
from tradeguard.units import KG_PER_TONNE

EventKind = Literal["allocation", "return", "exhaustion", "critical", "reopening"]
Status = Literal["not_open", "open", "critical", "exhausted"]


@dataclass(frozen=True)
class QuotaEvent:
    quota_id: str
    day: dt.date
    kind: EventKind
    quantity_t: float = 0.0
    note: str | None = None


@dataclass(frozen=True)
class QuotaState:
    quota_id: str
    period: str
    period_start: dt.date
    period_end: dt.date
    volume_t: float
    volume_status: str
    allocated_t: float
    returned_t: float
    balance_t: float
    used_share: float
    status: Status


def quota_period(quota: s.TariffQuota, day: dt.date) -> tuple[int, dt.date, dt.date]:
    """The quota year containing ``day``: (year, first day, last day)."""
    start_month = 1 if quota.period == "calendar_year" else quota.year_start_month
    year = fiscal_year(day, start_month)
    start = max(fiscal_year_start(year, start_month), quota.valid_from)
    return year, start, fiscal_year_end(year, start_month)


def quota_volume(quota: s.TariffQuota, day: dt.date, as_of: dt.date) -> tuple[float, str]:
    """The quota's volume (t) for the period containing ``day``, and its status."""
    _, start, _ = quota_period(quota, day)
    found = value_on(quota.volumes, start, as_of)
    if found is None:
        raise PeriodError(problem(f"no quota volume for the period containing {day}",
                                  where=f"quota {quota.order_id}",
                                  fix="choose a date within the quota's defined periods"))
    volume = float(found[1].value)
    return (volume / KG_PER_TONNE if quota.unit == "kg" else volume), found[1].status


@dataclass(frozen=True)
class QuotaLedger:
    """Dated events for the quotas of a rule set."""

    rules: RuleSet
    events: tuple[QuotaEvent, ...] = field(default_factory=tuple)

    def quota(self, quota_id: str) -> s.TariffQuota:
        for rid, q in self.rules.quotas.items():
            if quota_id in (rid, q.order_id):
                return q
        known = sorted(q.order_id for q in self.rules.quotas.values())
        raise RuleNotFoundError(problem(f"unknown quota `{quota_id}`",
                                        fix=f"use one of: {', '.join(known) or '(none)'}"))

    def record(self, events: Iterable[QuotaEvent], as_of: dt.date) -> QuotaLedger:
        """A new ledger with ``events`` added; all or nothing."""
        new = list(events)
        candidate = QuotaLedger(self.rules, tuple(sorted(
            (*self.events, *new), key=lambda e: (e.day, _ORDER[e.kind]))))
        for event in new:
            quota = self.quota(event.quota_id)
            if event.day < quota.valid_from or (quota.valid_to and event.day > quota.valid_to):
                raise PeriodError(problem(
                    f"{event.kind} on {event.day} is outside quota {quota.order_id}'s periods",
                    why=f"the quota runs from {quota.valid_from}"
                        + (f" to {quota.valid_to}" if quota.valid_to else ""),
                    fix="correct the date; the ledger is unchanged"))
            quota_volume(quota, event.day, as_of)  # the period must have a volume
            if event.quantity_t < 0:
                raise InputError(problem(f"negative quantity {event.quantity_t} t",
                                         where=f"{event.kind} on {event.day}",
                                         fix="give quantities as positive tonnes"))
        for event in new:
            state = candidate.state(event.quota_id, event.day, as_of)
            if state.returned_t > state.allocated_t + 1e-9:
                raise InputError(problem(
                    f"return of {event.quantity_t:,.3f} t on {event.day} exceeds what was "
                    f"allocated ({state.allocated_t - state.returned_t + event.quantity_t:,.3f} t "
                    "outstanding)", where=f"quota {state.quota_id}, {state.period}",
                    fix="return at most the allocated quantity; the ledger is unchanged"))
        return candidate

    def state(self, quota_id: str, day: dt.date, as_of: dt.date | None = None) -> QuotaState:
        """Balance and status of a quota on ``day`` (events known by ``as_of``)."""
        as_of = as_of or day
        quota = self.quota(quota_id)
        year, start, end = quota_period(quota, day)
        label = period_key(year) if quota.period == "fiscal_year" else str(year)
        if day < quota.valid_from:
            return QuotaState(quota.order_id, label, start, end, 0.0, "n/a", 0, 0, 0, 0,
                              "not_open")
        volume, volume_status = quota_volume(quota, day, as_of)
        mine = [e for e in self.events if e.quota_id in (quota_id, quota.order_id)
                and start <= e.day <= day and e.day <= as_of]
        allocated = sum(e.quantity_t for e in mine if e.kind == "allocation")
        returned = sum(e.quantity_t for e in mine if e.kind == "return")
        balance = max(volume - allocated + returned, 0.0)
        used = (volume - balance) / volume if volume > 0 else 1.0
        flags = [e.kind for e in mine if e.kind in ("exhaustion", "critical", "reopening")]
        last_flag = flags[-1] if flags else None
        if balance <= 1e-9 or last_flag == "exhaustion":
            status: Status = "exhausted"
        elif last_flag == "critical" or used >= quota.critical_share - 1e-12:
            status = "critical"
        else:
            status = "open"
        return QuotaState(quota.order_id, label, start, end, volume, volume_status, allocated,
                          returned, balance, used, status)

    def balance_history(self, quota_id: str, as_of: dt.date) -> list[tuple[dt.date, QuotaState]]:
        """(day, state) at the period's opening and after each event day, up to ``as_of``."""
        quota = self.quota(quota_id)
        _, start, _ = quota_period(quota, as_of)
        days = sorted({e.day for e in self.events
                       if e.quota_id in (quota_id, quota.order_id) and start <= e.day <= as_of})
        return [(d, self.state(quota_id, d, as_of)) for d in [start, *days]
                if d >= quota.valid_from]

    def exhaustion_forecast(self, quota_id: str, as_of: dt.date) -> dt.date | None:
        """When the quota will run out at the period's average net fill rate so far.

        None when it is already exhausted (see :meth:`exhaustion_day`), when nothing has
        been used yet, or when at this rate it lasts beyond the period's end.
        """
        state = self.state(quota_id, as_of, as_of)
        if state.status in ("exhausted", "not_open"):
            return None
        used = state.allocated_t - state.returned_t
        elapsed = (as_of - state.period_start).days + 1
        if used <= 0 or elapsed <= 0:
            return None
        days_left = state.balance_t / (used / elapsed)
        day = as_of + dt.timedelta(days=math.ceil(days_left))
        return day if day <= state.period_end else None

    def exhaustion_day(self, quota_id: str, as_of: dt.date) -> dt.date | None:
        """The first day of the current period on which the quota was exhausted, if any."""
        return next((d for d, st in self.balance_history(quota_id, as_of)
                     if st.status == "exhausted"), None)


# Same-day events apply allocations first, then returns, then declarations of state.
_ORDER = {"allocation": 0, "return": 1, "critical": 2, "exhaustion": 3, "reopening": 4}


def allocation_events(quota_id: str, allocations: Sequence[tuple[dt.date, float]],
                      ) -> list[QuotaEvent]:
    return [QuotaEvent(quota_id, day, "allocation", qty) for day, qty in allocations if qty > 0]
