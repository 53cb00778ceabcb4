"""RFC 9457 problem details (``application/problem+json``) for every error.

The library's errors map to HTTP statuses here and nowhere else:

======================================  ======  ===================================
error                                   status  type
======================================  ======  ===================================
RuleNotFoundError                       404     urn:tradeguard:problem:not-found
NoDataError (empty store)               404     urn:tradeguard:problem:no-data
InputError, PeriodError                 422     urn:tradeguard:problem:invalid-input
IngestProblemsError (row-level report)  422     urn:tradeguard:problem:ingest-rejected
StoreBusyError (store held too long)    503     urn:tradeguard:problem:store-busy
IngestError                             422     urn:tradeguard:problem:ingest-failed
request validation (FastAPI)            422     urn:tradeguard:problem:invalid-request
missing token                           401     urn:tradeguard:problem:unauthorized
wrong token / uploads disabled          403     urn:tradeguard:problem:forbidden
request too large, over a cost limit    413     urn:tradeguard:problem:too-large
too many requests from one client       429     urn:tradeguard:problem:rate-limited
request timeout                         503     urn:tradeguard:problem:timeout
other TradeguardError                   400     urn:tradeguard:problem:bad-request
anything else                           500     urn:tradeguard:problem:internal
======================================  ======  ===================================
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
PREFIX = "urn:tradeguard:problem:"
log = logging.getLogger("tradeguard.api")


class RowProblemOut(BaseModel):
    row: int | None = Field(description="1-based row (the header is row 1); null: whole file")
    column: str | None
    value: str | None
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem detail; extension members may follow."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "urn:tradeguard:problem:not-found", "title": "Not found", "status": 404,
        "detail": "no rule `usjta.lamb` (the id is not in the rule library) "
                  "Fix: run `tradeguard rules list` to see the ids",
        "instance": "/api/rules/usjta.lamb"}]})

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str | None = None
    problems: list[RowProblemOut] | None = Field(
        None, description="Row-level problems of a rejected ingest.")
    total: int | None = Field(None, description="How many row-level problems were found.")
    errors: list[dict[str, Any]] | None = Field(
        None, description="Request validation errors (parameter, message).")


class ApiProblem(Exception):
    """Raised by the HTTP layer for its own refusals (auth, size)."""

    def __init__(self, status: int, slug: str, title: str, detail: str,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.slug, self.title, self.detail = status, slug, title, detail
        self.headers = headers or {}
        self.extra = extra  # extension members (e.g. the limit that was exceeded)


def problem_response(request: Request | None, status: int, slug: str, title: str,
                     detail: str, headers: dict[str, str] | None = None,
                     **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PREFIX + slug, "title": title, "status": status,
                            "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def classify(exc: Exception) -> tuple[int, str, str, dict[str, Any]]:
    """(status, slug, title, extension members) for a library error."""
    from tradeguard.api.services.common import NoDataError
    from tradeguard.data.access import StoreBusyError
    from tradeguard.data.problems import IngestProblemsError
    from tradeguard.errors import (
        IngestError,
        InputError,
        PeriodError,
        RuleNotFoundError,
        TradeguardError,
    )

    if isinstance(exc, RuleNotFoundError):
        return 404, "not-found", "Not found", {}
    if isinstance(exc, NoDataError):
        return 404, "no-data", "No import data", {}
    if isinstance(exc, InputError | PeriodError):
        return 422, "invalid-input", "Invalid input", {}
    if isinstance(exc, IngestProblemsError):
        rows = [{"row": p.row, "column": p.column, "value": p.value, "reason": p.reason}
                for p in exc.problems]
        return 422, "ingest-rejected", "The file was rejected", {"problems": rows,
                                                                  "total": exc.total}
    if isinstance(exc, StoreBusyError):
        return 503, "store-busy", "The store is busy", {}
    if isinstance(exc, IngestError):
        return 422, "ingest-failed", "Ingest failed", {}
    if isinstance(exc, TradeguardError):
        return 400, "bad-request", "Bad request", {}
    return 500, "internal", "Internal error", {}


def install(app: Any) -> None:
    """Register the problem+json handlers on a FastAPI app."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from tradeguard.errors import TradeguardError

    async def tradeguard_error(request: Request, exc: Exception) -> JSONResponse:
        status, slug, title, extra = classify(exc)
        headers = {"Retry-After": "5"} if status == 503 else None
        return problem_response(request, status, slug, title, str(exc), headers=headers,
                                **extra)

    async def api_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(request, exc.status, exc.slug, exc.title, exc.detail,
                                headers=exc.headers, **exc.extra)

    async def validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"parameter": ".".join(str(p) for p in e.get("loc", ())),
                   "message": str(e.get("msg", ""))} for e in exc.errors()]
        detail = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors[:5])
        return problem_response(request, 422, "invalid-request", "Invalid request",
                                detail or "the request is malformed", errors=errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request too large"}
        return problem_response(request, exc.status_code, f"http-{exc.status_code}",
                                titles.get(exc.status_code, "HTTP error"), str(exc.detail),
                                headers=getattr(exc, "headers", None))

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(request, 500, "internal", "Internal error",
                                "the server failed to answer; the error was logged")

    app.add_exception_handler(TradeguardError, tradeguard_error)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, internal)
