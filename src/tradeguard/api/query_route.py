"""A GET route whose one query model is validated by the model itself: ``QueryModelRoute``.

FastAPI solves a query model field by field, with typing introspection of every field on
every request: in the profile of ``GET /api/duty`` (docs/benchmarks.md, "REST API") that was
most of what a memoised answer cost, ten times the answer itself.  This route validates a
plain query (each parameter a field of the model, given once) with the model's own
``model_validate`` — the validation FastAPI runs on the same values — and calls the endpoint.
Anything else (an invalid value, an unknown or repeated parameter) goes through FastAPI's
own handler, so every error is FastAPI's own 422, word for word, and the OpenAPI document
still comes from the endpoint's signature.

The endpoint must be ``async def endpoint(request, q)``: its work runs on the event loop, so
it must be short and bounded (a thread hop costs more than a memoised answer).  The fast path
runs no dependencies: a route with dependencies of its own is always FastAPI's, and a router
holding this route must be included without any.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

QUERY_PARAMETER = "q"


class QueryModelRoute(APIRoute):
    """An ``APIRoute`` of an endpoint ``async (request, q: Annotated[Model, Query()])``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        fastapi_handler = super().get_route_handler()
        if self.dependencies:  # the fast path would skip them
            return fastapi_handler
        endpoint = self.endpoint
        model = _query_model(endpoint)

        async def handler(request: Request) -> Response:
            query = plain_query(request, model)
            if query is None:  # FastAPI says what is wrong, as for any other route
                return await fastapi_handler(request)
            return await endpoint(request, query)

        return handler


def _query_model(endpoint: Callable[..., Any]) -> type[BaseModel]:
    hint = typing.get_type_hints(endpoint, include_extras=True)[QUERY_PARAMETER]
    model = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"{endpoint.__name__}: `{QUERY_PARAMETER}` must be a pydantic model")
    return model


def plain_query(request: Request, model: type[BaseModel]) -> BaseModel | None:
    """The query as ``model`` when each parameter is one of its fields, given once, and valid;
    else None (FastAPI's handler then answers)."""
    items = request.query_params.multi_items()
    params = dict(items)
    if len(params) != len(items) or not params.keys() <= model.model_fields.keys():
        return None
    try:
        return model.model_validate(params)
    except ValidationError:
        return None
