"""REST endpoints for surges (mounted under ``/api`` by ``create_app``).

GET /surges            one page of flags (as the CLI's ``--json``), filterable by line, partner,
                       method, label, period range and size; material flags only unless
                       ``include_immaterial``; each links to its evidence pack and chart.
GET /surges/evidence   the evidence pack (JSON, or HTML with ``format=html``) for a line and
                       partners.

Both read the server's own store (never a path from the request) under the store's reader lock, like
every other route, through the surge service (``api/services/surges.py``), which the
dashboard's surge page calls too; errors are problem details (``api/problems.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from tradeguard.api.services import services_of

router = APIRouter(tags=["surges"])
EVIDENCE_PATH = "/api/surges/evidence"


def evidence_url(row: dict[str, Any], **extra: str) -> str:
    query = {"tariff_line": row["tariff_line"], **extra}
    if row["partner"] != "*":
        query["partners"] = row["partner"]
    return f"{EVIDENCE_PATH}?{urlencode(query)}"


@router.get("/surges")
async def list_surges(request: Request, tariff_line: str | None = None,
                      partner: str | None = None, method: str | None = None,
                      label: str | None = None,
                      period_from: str | None = Query(None, description="YYYY-MM"),
                      period_to: str | None = Query(None, description="YYYY-MM"),
                      min_tonnes: float | None = Query(
                          None, description="smallest increase over the baseline, t"),
                      include_immaterial: bool = False,
                      sort: str = Query("size", description="size, line or period"),
                      page: int = 1, per_page: int = 50,
                      as_of: dt.date | None = None, methods: str | None = None) -> dict:
    """One page of flags (largest increase first by default), with the total, the pages and
    the immaterial flags left out, counted by reason."""
    from tradeguard.surge.api import flags_as_json
    from tradeguard.surge.select import select_flags

    flags = await run_in_threadpool(services_of(request).surges.flags, as_of, methods)
    chosen = select_flags(flags, tariff_line=tariff_line, partner=partner, method=method,
                          label=label, period_from=period_from, period_to=period_to,
                          min_tonnes=min_tonnes, include_immaterial=include_immaterial,
                          sort=sort, page=page, per_page=per_page)
    out = flags_as_json(chosen.flags, sizes=True)
    for row in out:
        row["evidence_url"] = evidence_url(row)
        row["series_url"] = series_url(row)
    return chosen.to_dict(out)


def series_url(row: dict[str, Any]) -> str:
    """The desk's chart of the flag's series (line x partner), marking the flagged period."""
    query = {"line": row["tariff_line"], "partner": row["partner"], "period": row["period"]}
    return f"/surges/series?{urlencode(query)}"


@router.get("/surges/evidence", response_model=None)
async def surge_evidence(request: Request, tariff_line: str, partners: str | None = None,
                         as_of: dt.date | None = None, format: str = "json") -> Any:
    chosen = [p.strip().upper() for p in partners.split(",") if p.strip()] if partners else None
    pack = await run_in_threadpool(services_of(request).surges.evidence, tariff_line,
                                   chosen or None, as_of)
    if format == "html":
        from tradeguard.web.evidence import evidence_html

        return HTMLResponse(evidence_html(pack))
    return pack.to_dict()
