"""What the API's routes share: parameter types, the problem responses they document, and
plain JSON answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query
from fastapi.responses import JSONResponse

from tradeguard.api import models as m
from tradeguard.api.problems import Problem
from tradeguard.errors import InputError, problem
from tradeguard.periods import parse_period_key

AsOf = Annotated[dt.date | None, Query(
    ge=m.EARLIEST, le=m.LATEST,
    description="Knowledge date (default: the last day of the stored data).",
    openapi_examples={"data end": {"summary": "as of the bundled data's last day",
                                   "value": "2019-12-31"}})]
MeasureId = Annotated[str, PathParam(
    max_length=100, description="Volume safeguard rule id.",
    openapi_examples={"cptpp beef": {"value": "cptpp.beef_safeguard"},
                      "usjta beef": {"value": "usjta.beef_safeguard"}})]
Period = Annotated[str, PathParam(
    pattern=r"^(FY|fy)?\d{4}$", description="Fiscal year, e.g. FY2019.",
    openapi_examples={"FY2019": {"value": "FY2019"}})]

_PROBLEM_TEXT = {400: "Bad request", 401: "No token", 403: "Wrong token, or uploads disabled",
                 404: "Not found (rule, measure, period or data)",
                 413: "Request too large, or over a cost limit (the problem names the limit)",
                 422: "Invalid input",
                 429: "Too many requests from this client (Retry-After)",
                 503: "Timed out, or the store is busy with a write (Retry-After)"}


def period_fy(period: str) -> int:
    """The fiscal year of a path's period (``FY2019``; the path's pattern checked it)."""
    return parse_period_key(period)


def json_response(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def problems_doc(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of these error responses (problem details)."""
    return {code: {"model": Problem, "description": _PROBLEM_TEXT[code]} for code in codes}


def invalid(what: str, fix: str) -> Exception:
    return InputError(problem(what, fix=fix))
