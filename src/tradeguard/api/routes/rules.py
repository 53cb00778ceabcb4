"""REST endpoints of the rules (mounted under ``/api`` by ``create_app``): the list, one rule
with its dated values and citations, and the rules quality report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from tradeguard.api import models as m
from tradeguard.api.params import json_response, problems_doc
from tradeguard.api.services import services_of

router = APIRouter(tags=["rules"])


@router.get("/rules", response_model=list[m.RuleSummary], summary="List the rules")
def rules_list(request: Request) -> Any:
    return json_response(services_of(request).rules.listing())


@router.get("/rules/{rule_id}", response_model=m.RuleDetail,
            summary="One rule, with its dated values, statuses and citations",
            responses=problems_doc(404, 422))
def rule_show(request: Request, rule_id: Annotated[str, PathParam(
        max_length=200, openapi_examples={"usjta beef": {
            "value": "usjta.beef_safeguard"}})]) -> Any:
    return json_response(services_of(request).rules.rule(rule_id))


@router.get("/rules-quality", summary="The rules quality report",
            responses={200: {"description": "The report (tradeguard rules report --json)",
                             "content": {"application/json": {"example": {
                                 "as_of": "2026-11-27", "horizon_years": 5, "ok": True,
                                 "rule_count": 34, "overlaps": []}}}},
                       **problems_doc(422)})
def rules_quality(request: Request, as_of: Annotated[dt.date | None, Query(
        ge=m.EARLIEST, le=m.LATEST, description="Default: today (as the CLI).",
        openapi_examples={"issue date": {"value": "2026-11-27"}})] = None,
        horizon_years: Annotated[int, Query(ge=0, le=50, openapi_examples={
            "five": {"value": 5}})] = 5) -> Any:
    known = as_of or dt.date.today()  # the interface picks today, like the CLI
    return json_response(services_of(request).rules.quality(known, horizon_years))
