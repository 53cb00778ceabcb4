"""The store as the server sees it: its file and its version (the set of batches), re-read
only when the file changed.

The store is a DuckDB file shared with other processes: every read opens a connection for
that one operation under the store's reader lock, and an ingest takes the writer lock
(``tradeguard.data.access``, docs/adr/0005-store-access-one-writer-many-readers.md).  The lock
of this object guards its own fields only, never store access.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from tradeguard.api.services.common import finite, iso
from tradeguard.errors import IngestError


class StoreView:
    """One store file and its version, cached against the file's stat."""

    def __init__(self, path: Path | None):
        from tradeguard.data.store import default_store_path

        self.path = Path(path) if path is not None else default_store_path()
        self._guard = threading.Lock()
        self._stamp: tuple | None = None
        self._batch_key: frozenset[str] = frozenset()

    def _file_stamp(self) -> tuple:
        stamp = []
        for f in (self.path, self.path.with_name(self.path.name + ".wal")):
            try:
                st = f.stat()
            except OSError:
                stamp.append(None)
            else:
                stamp.append((st.st_mtime_ns, st.st_size, st.st_ino))
        return tuple(stamp)

    def refresh(self) -> None:
        """Re-read the batch set when the store file changed."""
        stamp = self._file_stamp()
        if stamp == self._stamp:
            return
        batch_key = frozenset(b["batch_id"] for b in self.batches())
        with self._guard:
            self._batch_key = batch_key
            self._stamp = stamp

    def version(self) -> frozenset[str]:
        """The store's version (its batch ids), re-read if the file changed."""
        self.refresh()
        return self._batch_key

    def known_version(self) -> frozenset[str] | None:
        """The version last read, or None when the file changed since: costs a stat and
        never waits (the event loop calls it)."""
        stamp = self._file_stamp()
        with self._guard:
            return self._batch_key if stamp == self._stamp else None

    def changed(self) -> None:
        """The store was written: re-read the batch set on the next request."""
        with self._guard:
            self._stamp = None

    def batches(self) -> list[dict[str, Any]]:
        """The ingested batches with their provenance, oldest first."""
        from ibis.common.exceptions import TableNotFound

        from tradeguard.data.access import StoreBusyError
        from tradeguard.data.store import open_batches

        if not self.path.is_file():
            return []
        try:
            table = open_batches(self.path)
        except StoreBusyError:  # say the store is busy, never that it is empty
            raise
        except (IngestError, TableNotFound):  # no imports, or no batches table yet
            return []
        try:
            rows = table.order_by(["ingested_at", "batch_id"]).to_pyarrow().to_pylist()
        finally:
            table.get_backend().disconnect()
        return [_batch_row(r) for r in rows]


def _batch_row(row: dict[str, Any]) -> dict[str, Any]:
    item = {k: iso(v) for k, v in row.items()}
    item["totals"] = json.loads(row["totals"])
    item["notes"] = json.loads(row["notes"])
    return finite(item)
