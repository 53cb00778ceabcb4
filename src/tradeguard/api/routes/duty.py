"""REST endpoints of the duty (mounted under ``/api`` by ``create_app``): one shipment, and a
batch of declarations posted as JSON or CSV."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tradeguard.api import models as m
from tradeguard.api.auth import valid_token
from tradeguard.api.guards import check_batch_rows
from tradeguard.api.params import invalid, json_response, problems_doc
from tradeguard.api.query_route import QueryModelRoute
from tradeguard.api.services import services_of

router = APIRouter(tags=["duty"])
MAX_CSV_ROWS = 100_000
_CSV_COLUMNS = ["tariff_line", "origin", "date", "customs_value", "quantity"]


def _duty_model() -> Any:
    from tradeguard.engine.duty import DutyResult

    return DutyResult


_DUTY_EXAMPLE = {
    "tariff_line": "0202.30", "origin": "US", "date": "2021-03-20", "as_of": "2021-03-20",
    "customs_value": None, "quantity": None, "quantity_unit": "kg",
    "options": [{"regime": "usjta", "agreement": "usjta", "duty": "38.5%",
                 "ad_valorem_percent": 38.5, "specific": None, "safeguard": True,
                 "in_quota": False, "quota": None, "price_safeguard_amount": None,
                 "duty_amount": None, "currency": "JPY", "trace": [{
                     "rule_id": "usjta.beef_safeguard", "key": "activation 2021-03-18..2021-04-16",
                     "value": "38.5%", "valid_from": "2021-03-18", "valid_to": "2021-04-16",
                     "status": "confirmed", "citation": "MAFF, 2021", "note": None}]}],
    "chosen": None, "reason": "lowest ad valorem rate", "notes": [], "warnings": [], "payable": None,
    "payable_reason": "no customs value: give the customs value (CIF, in yen) to see the "
                      "amount payable"}


async def duty_get(request: Request, q: Annotated[m.DutyQuery, Query()]) -> Any:
    # On the event loop: one shipment is bounded work (about a millisecond when new, a dict
    # lookup when memoised), and a worker thread's hop would cost more than a memoised answer.
    body = services_of(request).duty.duty_json(q.line, q.origin, q.date, q.value, q.quantity,
                                               q.as_of)
    return Response(body, media_type="application/json")


# A plain query skips FastAPI's per-field parameter solving (api/query_route.py).
router.add_api_route(
    "/duty", duty_get, methods=["GET"], route_class_override=QueryModelRoute,
    summary="Which duty applies to one shipment, and why", response_model=_duty_model(),
    responses={200: {"description": "Every option, the chosen one and its trace",
                     "content": {"application/json": {"example": _DUTY_EXAMPLE}}},
               **problems_doc(404, 422)})


@router.post("/duty/batch", response_model=m.BatchResponse,
             summary="Duty for a batch of declarations, posted as JSON or CSV",
             responses=problems_doc(404, 413, 422), openapi_extra={"requestBody": {
                 "required": True, "content": {
                     "application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"},
                                          "example": m.BatchRequest.model_config[
                                              "json_schema_extra"]["examples"][0]},
                     "text/csv": {"schema": {"type": "string"}, "example": (
                         "tariff_line,origin,date,customs_value,quantity\n"
                         "0202.30,US,2021-03-20,1000000,1000\n")}}}})
async def duty_batch(
    request: Request,
    as_of: Annotated[dt.date | None, Query(
        ge=m.EARLIEST, le=m.LATEST, description="Knowledge date, for a CSV body "
        "(required there; a JSON body carries its own)",
        openapi_examples={"today": {"value": "2026-11-27"}})] = None,
    trace: Annotated[bool, Query(description="For a CSV body: add each row's trace",
                                 openapi_examples={"no": {"value": False}})] = False,
) -> Any:
    body = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "text/csv":
        rows = _csv_declarations(body)
        if as_of is None:
            raise invalid("as_of is required with a CSV body", "add ?as_of=YYYY-MM-DD")
        parsed = m.BatchRequest(as_of=as_of, trace=trace, declarations=rows)
    else:
        parsed = _parse_batch_json(body)
    check_batch_rows(request.app.state.settings, len(parsed.declarations),
                     has_token=valid_token(request))
    rows_out = await run_in_threadpool(
        services_of(request).duty.batch, [d.model_dump() for d in parsed.declarations],
        parsed.as_of, parsed.trace)
    return json_response({"as_of": parsed.as_of.isoformat(), "rows": rows_out})


def _parse_batch_json(body: bytes) -> m.BatchRequest:
    from fastapi.exceptions import RequestValidationError
    from pydantic import ValidationError

    try:
        return m.BatchRequest.model_validate_json(body or b"{}")
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)],
        ) from None


def _csv_declarations(body: bytes) -> list[m.Declaration]:
    import csv
    import io

    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("the CSV is not UTF-8", "save it as UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise invalid(f"the CSV lacks column(s) {', '.join(missing)}",
                      f"give a header with {', '.join(_CSV_COLUMNS)}")
    rows, problems = [], []
    for i, rec in enumerate(reader, start=2):
        declaration, trouble = _csv_row(i, rec)
        if trouble:
            problems.append(trouble)
        else:
            rows.append(declaration)
        if len(rows) > MAX_CSV_ROWS:
            raise invalid(f"the CSV has more than {MAX_CSV_ROWS:,} rows", "split it")
    if problems:
        raise invalid(f"{len(problems)} bad row(s): " + "; ".join(problems[:10]),
                      "correct the rows and post again")
    return rows


def _csv_row(i: int, rec: dict[str, Any]) -> tuple[m.Declaration | None, str | None]:
    """One CSV row as a declaration, or what is wrong with it (in the row's words)."""
    from pydantic import ValidationError

    try:
        return m.Declaration(**{k: rec[k] for k in _CSV_COLUMNS}), None
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, f"row {i}, column {first['loc'][0]}: {first['msg']}"
    except TypeError:
        return None, f"row {i}: missing fields"
