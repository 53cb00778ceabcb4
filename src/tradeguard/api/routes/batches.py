"""REST endpoint for undo (mounted under ``/api`` by ``create_app``).

GET /batches              the ingested batches with their provenance.  Needs the token: the
                          list names who uploaded which file (the token's label, the file name
                          the user gave, a local ingest's path), which is not for every reader
                          of an open desk.  What the data *cover* stays open: ``/api/status``
                          and every answer carry their coverage and gaps.
DELETE /batches/{batch}   remove one batch (its number or full id) from the server's store,
                          atomically; ``dry_run=true`` says what would go and changes nothing.
                          Needs the token, like uploads; the removal is recorded in the store's
                          ``batch_events`` with the token's label.

It calls only the Python API (``tradeguard.data.batches``) through the data service
(``api/services/data.py``); errors are problem details (``api/problems.py``): 404 for a batch the store does not hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tradeguard.api.auth import bearer, check_token
from tradeguard.api.models import BatchOut
from tradeguard.api.params import problems_doc
from tradeguard.api.services import services_of

router = APIRouter(tags=["data"])


class RemovalOut(BaseModel):
    """What a removal did (``removed``) or would do (``dry run``)."""

    status: str = Field(description="`removed` or `dry run`")
    batch_no: int | None
    batch_id: str
    source_name: str | None
    rows: int
    known_on: str | None
    store_path: str
    reinstated: int = Field(description="Records of earlier batches that count again")
    removed_at: str | None
    removed_by: str | None


@router.get("/batches", summary="Ingested batches with their provenance (needs the token)",
            response_model=list[BatchOut], responses=problems_doc(401, 403),
            description="Every batch with its number, file name, size, uploader, `known_on`, "
                        "periods and totals. The list names who uploaded which file, so it "
                        "needs `Authorization: Bearer <token>`, like uploads and removals.")
async def list_batches_route(request: Request) -> Any:
    _check_reader_token(request.app.state.token, bearer(request))
    return JSONResponse(await run_in_threadpool(services_of(request).data.batches))


def _check_reader_token(configured: str | None, given: str | None) -> None:
    """As ``app.check_token`` (constant-time comparison), in the words of a read."""
    import hmac

    from tradeguard.api.problems import ApiProblem

    why = "the batch list names who uploaded which file, so it needs the token"
    if not configured:
        raise ApiProblem(403, "forbidden", "Batch list not served",
                         f"{why}, and no token is configured on this server. Fix: set "
                         "TRADEGUARD_API_TOKEN (or `token` in the API config file) and restart "
                         "the server, or run `tradeguard batches list` where the store is")
    if not given:
        raise ApiProblem(401, "unauthorized", "Token required",
                         f"{why}. Fix: send `Authorization: Bearer <token>`",
                         headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(given.encode(), configured.encode()):
        raise ApiProblem(403, "forbidden", "Wrong token",
                         f"{why}, and the token does not match. Fix: check the token")


@router.delete("/batches/{batch}", summary="Remove a batch (needs the token)",
               response_model=RemovalOut, responses=problems_doc(401, 403, 404, 422),
               description="Removes the batch's records, coverage and record in one "
                           "transaction and records the removal. Records it had superseded "
                           "count again. `dry_run=true` changes nothing. Needs "
                           "`Authorization: Bearer <token>`.")
async def remove_batch_route(
    request: Request,
    batch: Annotated[str, Path(max_length=64, description="Batch number or full id",
                               openapi_examples={"number": {"value": "2"}})],
    dry_run: Annotated[bool, Query(description="Say what would go; change nothing")] = False,
) -> Any:
    check_token(request.app.state.token, bearer(request))
    data = services_of(request).data
    done = await run_in_threadpool(_remove, data, batch, dry_run,
                                   request.app.state.token_label)
    return JSONResponse(done)


def _remove(data: Any, batch: str, dry_run: bool, label: str | None) -> dict[str, Any]:
    from tradeguard.api.problems import ApiProblem
    from tradeguard.data.batches import NoSuchBatch

    try:
        return data.remove_batch(batch, dry_run=dry_run, removed_by=label,
                                 removed_at=dt.datetime.now(dt.UTC))  # the face reads the clock
    except NoSuchBatch as exc:
        raise ApiProblem(404, "not-found", "No such batch", str(exc)) from exc
