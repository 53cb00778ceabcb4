"""REST endpoints of the tariff-rate quotas (mounted under ``/api`` by ``create_app``):
balances from the declarations in the store, and one quota's balance history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from tradeguard.api import models as m
from tradeguard.api.params import AsOf, json_response, problems_doc
from tradeguard.api.services import services_of

router = APIRouter(tags=["quotas"])


@router.get("/quotas", response_model=list[m.QuotaOut],
            summary="Every tariff-rate quota: balance, status, exhaustion forecast",
            responses=problems_doc(404, 422))
def quotas(request: Request, as_of: AsOf = None,
           include_signed: Annotated[bool, Query(
               description="Also list quotas of agreements signed but never in force "
                           "(the TPP-12), as studied, with status not_in_force.")] = False,
           ) -> Any:
    services = services_of(request)
    known = services.monitor.resolve_as_of(as_of)
    return json_response(services.quotas.balances(known, include_signed))


@router.get("/quotas/{quota_id}/history", response_model=m.QuotaHistory,
            summary="A quota's balance history in the period containing as_of",
            responses=problems_doc(404, 422))
def quota_history(request: Request, quota_id: Annotated[str, PathParam(
        max_length=100, openapi_examples={"butter": {"value": "cptpp-tpp-butter"}})],
        as_of: AsOf = None) -> Any:
    services = services_of(request)
    known = services.monitor.resolve_as_of(as_of)
    return json_response(services.quotas.history(quota_id, known))
