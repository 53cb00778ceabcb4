"""REST endpoint for product words (mounted under ``/api`` by ``create_app``).

GET /lines?q=frozen+beef   tariff lines by product words or by code, best first, with their
                           HS 2022 descriptions and trade names (``data/nomenclature.py``,
                           the same search as ``tradeguard lines search`` and ``tg.lines()``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from tradeguard.api.params import problems_doc

router = APIRouter(tags=["lines"])


class LineOut(BaseModel):
    """One HS heading (4 digits) or subheading (6 digits), with its words."""

    code: str = Field(description="HS code, digits only (e.g. 0202 or 020230)")
    level: int = Field(description="Digits in the code: 2, 4 or 6")
    description: str = Field(description="The HS 2022 description")
    names: list[str] = Field(description="Plain trade names (tradeguard's own)")


@router.get("/lines", summary="Find tariff lines by product words or by code",
            response_model=list[LineOut], responses={
                200: {"description": "Matching lines, best first (an empty list when none)",
                      "content": {"application/json": {"example": [{
                          "code": "0202", "level": 4,
                          "description": "Meat of bovine animals; frozen",
                          "names": ["frozen beef", "beef"]}]}}},
                **problems_doc(422)},
            description="Words match a trade name or the HS 2022 description (every word, "
                        "as a word start; `beef` also matches `bovine`); a code matches the "
                        "line, what it contains and the headings it belongs to.")
def lines_route(
    q: Annotated[str, Query(min_length=1, max_length=200,
                            description='Words or a code, e.g. "frozen beef" or 0202',
                            openapi_examples={"words": {"value": "frozen beef"},
                                              "code": {"value": "0202"}})],
    limit: Annotated[int, Query(ge=1, le=200, description="Most lines to return")] = 20,
) -> Any:
    from tradeguard.data.nomenclature import search

    return JSONResponse([line.row() for line in search(q, limit)])
