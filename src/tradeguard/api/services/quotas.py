"""The quota service: the quota ledger kept in the store (``monitor/quota_ledger.py``), filled
from the declarations first come, first served, read as known on ``as_of``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from tradeguard.api.products import products_for
from tradeguard.api.services.common import finite, iso
from tradeguard.api.services.rules import RuleService
from tradeguard.api.services.store import StoreView
from tradeguard.errors import TradeguardError

LEDGER_NOTE = ("the declarations in the store, allocated first come, first served; "
               "a quota whose lines have no declaration records in the period shows "
               "no_data, its balance unknown")

_STATE_KEYS = ("period", "period_start", "period_end", "volume_t", "volume_status",
               "allocated_t", "returned_t", "balance_t", "used_share", "status",
               "exhaustion_forecast", "exhausted_on", "note")


class QuotaService:
    """Balances and histories of the tariff-rate quotas, from the store's declarations."""

    def __init__(self, store: StoreView, rules: RuleService):
        self.store, self._rules = store, rules

    @property
    def rules(self) -> Any:
        return self._rules.rules

    def ledger(self, as_of: dt.date) -> Any:
        """The quota ledger from the declarations in the store, as known by ``as_of``."""
        from tradeguard.monitor.quota_ledger import (
            LEDGER_SCHEMA,
            ledger_for,
            ledger_version,
            refresh,
        )

        version = self.store.version()
        if version:
            table = refresh(self.store.path, self.rules, ledger_version(version, self.rules))
        else:
            table = LEDGER_SCHEMA.empty_table()
        return ledger_for(table, self.rules, as_of)

    def balances(self, as_of: dt.date, include_signed: bool = False) -> list[dict[str, Any]]:
        """Every quota of an agreement in force; with ``include_signed`` also those of
        agreements signed but never in force (the TPP-12), labelled as studied, never open."""
        store = self.ledger(as_of)
        out = []
        for rid, quota in sorted(self.rules.quotas.items()):
            agreement = self.rules.agreements[quota.agreement]
            if agreement.in_force_from(include_signed) is not None:
                out.append(finite(_balance(store, rid, quota, agreement, as_of)))
        return out

    def history(self, quota_id: str, as_of: dt.date) -> dict[str, Any]:
        store = self.ledger(as_of)
        ledger = store.ledger
        quota = ledger.quota(quota_id)
        rid = next(r for r, q in self.rules.quotas.items() if q is quota)
        if not store.has_data(rid, as_of):
            return {"quota_id": quota.order_id, "as_of": as_of.isoformat(), "history": [],
                    "exhaustion_forecast": None, "ledger": _no_data_note(quota)}
        history = ledger.balance_history(quota_id, as_of)
        return finite({"quota_id": quota.order_id, "as_of": as_of.isoformat(),
                       "history": [{"date": d.isoformat(), **_state(st)} for d, st in history],
                       "exhaustion_forecast": iso(ledger.exhaustion_forecast(quota_id, as_of)),
                       "ledger": "allocated first come, first served from the declarations in "
                                 f"the store (through {iso(store.data_through.get(rid))})"})


def _balance(store: Any, rule_id: str, quota: Any, agreement: Any,
             as_of: dt.date) -> dict[str, Any]:
    item: dict[str, Any] = {"rule_id": rule_id, "order_id": quota.order_id,
                            "title": quota.title, "agreement": quota.agreement,
                            "agreement_status": agreement.status, "lines": list(quota.lines),
                            "products": products_for(list(quota.lines)),
                            "allocation": quota.allocation, "as_of": as_of.isoformat(),
                            "data_through": iso(store.data_through.get(rule_id))}
    try:
        item.update(_quota_state(store, rule_id, as_of))
        if agreement.status != "in_force":
            item.update(_studied(agreement))
    except TradeguardError as exc:
        item.update(dict.fromkeys(_STATE_KEYS), status="not_defined", note=str(exc))
    return item


def _studied(agreement: Any) -> dict[str, Any]:
    """A quota of an agreement that never entered into force: its figures as studied (from
    the study date), with the status ``not_in_force``, never ``open``."""
    return {"status": "not_in_force", "exhaustion_forecast": None, "exhausted_on": None,
            "note": f"{agreement.short_name} was {agreement.status}, never in force: volumes "
                    f"as studied from {agreement.study_entry_into_force}"}


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
    return {**state, "exhaustion_forecast": iso(ledger.exhaustion_forecast(rule_id, as_of)),
            "exhausted_on": iso(ledger.exhaustion_day(rule_id, as_of)), "note": None}


def _state(state: Any) -> dict[str, Any]:
    return {k: iso(v) for k, v in dataclasses.asdict(state).items() if k != "quota_id"}
