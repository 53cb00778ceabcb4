"""Uploads: a file a client sends goes to a fresh temporary file whose name the server chooses,
then to :func:`tradeguard.data.store.ingest` (through the data service).  No file path is
ever built from what a client sends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from tradeguard.api.services.data import DataService
from tradeguard.api.settings import DEFAULT_TOKEN_LABEL

UPLOAD_INFLATION = 20  # an upload may inflate to 20 times its size (real xlsx: about 6)
# Suffixes an upload may keep (so the reader can sniff the format): chosen from this list,
# never copied from the client's file name.
_SUFFIXES = (".csv.gz", ".xlsx", ".xlsm", ".parquet", ".pq", ".csv", ".gz")
FORMATS = ("jp-epa-tidy", "jp-customs-xlsx", "parquet", "comtrade", "declarations")


def upload_limits(size: int) -> Any:
    """Tighter read limits for a server than for the CLI: an upload may inflate at most
    ``UPLOAD_INFLATION`` times its size (and never past the CLI's limits), so a 2 MB xlsx
    cannot make the server hold gigabytes."""
    from tradeguard.data.limits import limits_from_env

    base = limits_from_env()
    cap = min(base.max_uncompressed_bytes, max(size, 1 << 20) * UPLOAD_INFLATION)
    return dataclasses.replace(base, max_uncompressed_bytes=cap,
                               max_cells=min(base.max_cells, cap // 8),
                               max_rows=min(base.max_rows, cap // 40))


def _client_name(filename: str | None) -> str:
    """The client's file name without any folder part (recorded, never used as a path)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "upload"


def upload_suffix(filename: str | None) -> str:
    """A suffix from the fixed list that the client's file name ends with, else ``.upload``."""
    name = (filename or "").lower()
    return next((s for s in _SUFFIXES if name.endswith(s)), ".upload")


async def ingest_upload(data: DataService, *, content: bytes | None, stream: Any,
                        filename: str | None, fmt: str | None, dry_run: bool,
                        uploaded_by: str = DEFAULT_TOKEN_LABEL, replace: bool = False,
                        known_on: dt.date | None = None) -> dict[str, Any]:
    """Write the upload to a temporary file the server names, then ``ingest()`` it.

    The batch records the client's file name (never the temporary path), and ``uploaded_by``.
    """
    from tradeguard.errors import TradeguardError

    with tempfile.TemporaryDirectory(prefix="tradeguard-upload-") as folder:
        target = Path(folder) / ("upload" + upload_suffix(filename))
        with target.open("wb") as fh:
            if content is not None:
                fh.write(content)
            else:
                async for chunk in stream:
                    fh.write(chunk)
        label = f"upload {filename!r}" if filename else "upload"
        try:
            report = await run_in_threadpool(
                data.ingest, target, fmt=fmt, dry_run=dry_run,
                ingested_at=dt.datetime.now(dt.UTC),  # provenance: the interface reads the clock
                source_name=_client_name(filename), uploaded_by=uploaded_by,
                limits=upload_limits(target.stat().st_size), replace=replace, known_on=known_on)
        except TradeguardError as exc:
            # Say "upload 'x.csv'" instead of the temporary path in the message.
            exc.args = tuple(str(a).replace(str(target.resolve()), label)
                             .replace(str(target), label) for a in exc.args) or exc.args
            if hasattr(exc, "source"):
                exc.source = label
            raise
    report["filename"] = filename
    return report
