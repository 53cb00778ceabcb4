"""The services the REST API and the desk call, one per resource.

Each holds the store access and the caching of its resource and shapes its answers as
JSON-ready data; the routes (``api/routes/``) and the pages (``web/dashboard.py``) only parse
the request and serialise or render what they get, so a page and its JSON twin show the same
numbers.  No business rule lives here: thresholds and states are the monitor's, law is the
rule library's.

- ``store.py``: the store file and its version (the set of batches).
- ``cache.py``: the bounded single-flight cache of answers computed from the store (monitor
  reports and surge scans share it, and its compute slots).
- ``rules.py``, ``duty.py``, ``monitor.py``, ``quotas.py``, ``surges.py``, ``designs.py``,
  ``data.py``: one service each.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradeguard.api.services.cache import SingleFlight
from tradeguard.api.services.common import NoDataError, finite
from tradeguard.api.services.data import DataService
from tradeguard.api.services.designs import DesignService
from tradeguard.api.services.duty import DutyService
from tradeguard.api.services.monitor import SORTS, MonitorService
from tradeguard.api.services.quotas import LEDGER_NOTE, QuotaService
from tradeguard.api.services.rules import RuleService
from tradeguard.api.services.store import StoreView
from tradeguard.api.services.surges import SurgeService

if TYPE_CHECKING:
    from tradeguard.rules.loader import RuleSet

__all__ = ["LEDGER_NOTE", "SORTS", "NoDataError", "Services", "finite", "services_of"]


@dataclass(frozen=True)
class Services:
    """Every service of one server, over one store and one rule set."""

    store: StoreView
    rules: RuleService
    duty: DutyService
    monitor: MonitorService
    quotas: QuotaService
    surges: SurgeService
    designs: DesignService
    data: DataService

    @classmethod
    def over(cls, store_path: Path | None, rules: RuleSet | None = None) -> Services:
        store, rule_service, cache = StoreView(store_path), RuleService(rules), SingleFlight()
        return cls(store=store, rules=rule_service, duty=DutyService(rule_service),
                   monitor=MonitorService(store, rule_service, cache),
                   quotas=QuotaService(store, rule_service),
                   surges=SurgeService(store, cache), designs=DesignService(),
                   data=DataService(store))


def services_of(request: Any) -> Services:
    """The services of the app that serves ``request``."""
    return request.app.state.services
