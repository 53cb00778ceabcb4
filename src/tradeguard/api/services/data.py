"""The data service: the store's batches, ingest and undo.  Both writes take the store's
writer lock inside the library call (which waits for this process's readers too), and mark
the store changed so the next request re-reads its version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tradeguard.api.services.common import finite
from tradeguard.api.services.store import StoreView


class DataService:
    """Batches of one store, and the writes that add or remove them."""

    def __init__(self, store: StoreView):
        self.store = store

    def batches(self) -> list[dict[str, Any]]:
        return self.store.batches()

    def ingest(self, path: Path, *, fmt: str | None, dry_run: bool, ingested_at: dt.datetime,
               source_name: str | None = None, uploaded_by: str | None = None,
               limits: Any = None, replace: bool = False,
               known_on: dt.date | None = None) -> dict[str, Any]:
        from tradeguard.data.store import ingest

        report = ingest(path, self.store.path, format=fmt, dry_run=dry_run,
                        ingested_at=ingested_at, source_name=source_name,
                        uploaded_by=uploaded_by, limits=limits, replace=replace,
                        known_on=known_on)
        self.store.changed()
        return finite(report.as_dict())

    def remove_batch(self, batch: str, *, dry_run: bool, removed_at: dt.datetime,
                     removed_by: str | None) -> dict[str, Any]:
        from tradeguard.data.batches import remove_batch

        done = remove_batch(batch, self.store.path, dry_run=dry_run,
                            removed_at=removed_at, removed_by=removed_by)
        self.store.changed()
        return done.as_dict()
