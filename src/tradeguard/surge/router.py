"""REST endpoints for surges, as a FastAPI ``APIRouter`` that the API package mounts later.

    from tradeguard.surge.router import router
    app.include_router(router, prefix="/api")

GET /surges            flags (JSON list as the CLI's ``--json``), filterable by line, partner,
                       method, label and period range; each links to its evidence pack.
GET /surges/evidence   the evidence pack (JSON, or HTML with ``format=html``) for a line and
                       partners.
Both read the server's own store (never a path from the request) and call only the Python API.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from tradeguard.errors import TradeguardError

router = APIRouter(tags=["surges"])


def _store(request: Request) -> Path | None:
    """The server's store, when mounted in the tradeguard app; else the default store."""
    desk = getattr(request.app.state, "desk", None)
    return None if desk is None else desk.store_path


@router.get("/surges")
def list_surges(tariff_line: str | None = None, partner: str | None = None,
                method: str | None = None, label: str | None = None,
                period_from: str | None = Query(None, description="YYYY-MM"),
                period_to: str | None = Query(None, description="YYYY-MM"),
                as_of: dt.date | None = None, methods: str | None = None,
                *, request: Request) -> list[dict]:
    from tradeguard.surge.api import filter_flags, flags_as_json, scan_store

    try:
        # The store is the server's own; no path ever comes from the request.
        flags = scan_store(_store(request), as_of=as_of, methods=methods)
    except TradeguardError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    flags = filter_flags(flags, tariff_line=tariff_line, partner=partner, method=method,
                         label=label, period_from=period_from, period_to=period_to)
    out = flags_as_json(flags)
    for row in out:
        query = {"tariff_line": row["tariff_line"]}
        if row["partner"] != "*":
            query["partners"] = row["partner"]
        row["evidence_url"] = f"/api/surges/evidence?{urlencode(query)}"
    return out


@router.get("/surges/evidence", response_model=None)
def surge_evidence(tariff_line: str, partners: str | None = None,
                   as_of: dt.date | None = None, format: str = "json",
                   *, request: Request):
    from tradeguard.data.store import open_imports
    from tradeguard.surge.api import last_day
    from tradeguard.surge.evidence import evidence_pack

    try:
        imports = open_imports(_store(request))
        try:
            day = as_of or last_day(imports)
            pack = evidence_pack(imports, tariff_line=tariff_line, as_of=day,
                                 partners=partners.split(",") if partners else None)
        finally:
            imports.get_backend().disconnect()
    except TradeguardError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    if format == "html":
        return HTMLResponse(pack.to_html())
    return pack.to_dict()
