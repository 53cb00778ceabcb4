"""REST endpoints of the monitor (mounted under ``/api`` by ``create_app``): status, timelines
(as data and as SVG), threshold alerts and forecasts.  Each reads the cached monitor report
of the server's store (``services/monitor.py``)."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tradeguard.api import models as m
from tradeguard.api.params import AsOf, MeasureId, Period, json_response, period_fy, problems_doc
from tradeguard.api.products import PRODUCTS
from tradeguard.api.services import SORTS, services_of

router = APIRouter(tags=["monitor"])


@router.get("/status", response_model=m.Status,
            summary="Every safeguard's open period, optionally filtered",
            responses=problems_doc(404, 422))
async def status(
    request: Request, as_of: AsOf = None,
    measure: Annotated[str | None, Query(max_length=100, openapi_examples={
        "cptpp beef": {"value": "cptpp.beef_safeguard"}})] = None,
    partner: Annotated[str | None, Query(max_length=8, description="ISO alpha-2",
                                         openapi_examples={"AU": {"value": "AU"}})] = None,
    product: Annotated[str | None, Query(description=f"One of: {', '.join(PRODUCTS)}",
                                         openapi_examples={"beef": {"value": "beef"}})] = None,
    sort: Annotated[str, Query(pattern="^(" + "|".join(SORTS) + ")$", openapi_examples={
        "share": {"value": "share"}})] = "measure",
) -> Any:
    # A cached answer at once on the event loop; else the report and its cards are computed
    # in a worker thread (the event loop never waits on the store or the monitor).
    monitor = services_of(request).monitor
    filters = {"measure": measure, "partner": partner, "product": product, "sort": sort}
    body = monitor.cached_status_body(as_of, **filters)
    if body is None:
        body = await run_in_threadpool(functools.partial(monitor.status_body, as_of, **filters))
    return Response(body, media_type="application/json")


@router.get("/measures/{measure_id}/periods/{period}/timeline", response_model=m.Timeline,
            summary="Cumulative imports against the trigger, as data",
            responses=problems_doc(404, 422))
def timeline(request: Request, measure_id: MeasureId, period: Period,
             as_of: AsOf = None) -> Any:
    monitor = services_of(request).monitor
    return json_response(monitor.timeline(monitor.report(as_of), measure_id, period_fy(period)))


@router.get("/measures/{measure_id}/periods/{period}/chart.svg",
            summary="The timeline as an SVG chart",
            responses={200: {"content": {"image/svg+xml": {"example": "<svg ...>...</svg>"}},
                             "description": "SVG"}, **problems_doc(404, 422)})
def timeline_svg(request: Request, measure_id: MeasureId, period: Period,
                 as_of: AsOf = None) -> Any:
    from tradeguard.web.charts import timeline_svg as draw

    monitor = services_of(request).monitor
    data = monitor.timeline(monitor.report(as_of), measure_id, period_fy(period))
    return Response(draw(data), media_type="image/svg+xml")


@router.get("/alerts", response_model=list[m.AlertOut],
            summary="Threshold alerts: the first day each period reached each share",
            responses=problems_doc(404, 422))
def alerts(request: Request, as_of: AsOf = None,
           thresholds: Annotated[str, Query(
               pattern=r"^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?){0,9}\s*$",
               description="Shares of the trigger, comma-separated",
               openapi_examples={"default": {"value": "0.8,0.9,1"}})] = "0.8,0.9,1.0",
           ) -> Any:
    monitor = services_of(request).monitor
    levels = tuple(sorted({float(t) for t in thresholds.split(",")}))
    return json_response(monitor.alerts(monitor.report(as_of, levels)))


@router.get("/forecasts", response_model=list[m.ForecastOut],
            summary="Forecasts of the open periods", responses=problems_doc(404, 422))
def forecasts(request: Request, as_of: AsOf = None,
              measure: Annotated[str | None, Query(max_length=100, openapi_examples={
                  "cptpp beef": {"value": "cptpp.beef_safeguard"}})] = None) -> Any:
    monitor = services_of(request).monitor
    return json_response(monitor.forecasts(monitor.report(as_of), measure))
