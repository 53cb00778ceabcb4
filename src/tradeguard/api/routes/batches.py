"""REST endpoint for undo (mounted under ``/api`` by ``create_app``).

DELETE /batches/{batch}   remove one batch (its number or full id) from the server's store,
                          atomically; ``dry_run=true`` says what would go and changes nothing.
                          Needs the token, like uploads; the removal is recorded in the store's
                          ``batch_events`` with the token's label.  ``GET /api/batches`` lists
                          the batches (``app.py``).

It calls only the Python API (``tradeguard.data.batches``) through the data service (``api/services/data.py``); errors are
problem details (``api/problems.py``): 404 for a batch the store does not hold.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tradeguard.api.auth import bearer, check_token
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
