"""The surge service: the surge scan of the store, cached like the monitor reports (per store
version, ``as_of`` and methods, single flight), evidence packs and one flag's series."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tradeguard.api.services.cache import SingleFlight
from tradeguard.api.services.store import StoreView

if TYPE_CHECKING:
    import pyarrow as pa

    from tradeguard.surge.evidence import EvidencePack


class SurgeService:
    """Surge flags, evidence and series of one store (each read under its reader lock)."""

    def __init__(self, store: StoreView, cache: SingleFlight):
        self.store, self.cache = store, cache

    def flags(self, as_of: dt.date | None = None, methods: str | None = None) -> pa.Table:
        """The surge flags of the store (``scan_store``), cached per store version, ``as_of``
        and methods."""
        from tradeguard.surge.api import scan_store

        key = ("surges", self.store.version(), as_of, methods)
        return self.cache.get(
            key, lambda: scan_store(self.store.path, as_of=as_of, methods=methods))

    def evidence(self, tariff_line: str, partners: list[str] | None,
                 as_of: dt.date | None) -> EvidencePack:
        """The evidence pack of a line (and partners) from the store."""
        from tradeguard.data.store import open_imports
        from tradeguard.surge.api import last_day
        from tradeguard.surge.evidence import evidence_pack

        imports = open_imports(self.store.path, known_on=as_of)
        try:
            return evidence_pack(imports, tariff_line=tariff_line, partners=partners,
                                 as_of=as_of or last_day(imports))
        finally:
            imports.get_backend().disconnect()

    def series(self, tariff_line: str, partner: str) -> list[dict[str, Any]]:
        """The monthly imports of one flag's series (``*``: all partners)."""
        from tradeguard.surge.api import flag_series

        return flag_series(self.store.path, tariff_line, partner)
