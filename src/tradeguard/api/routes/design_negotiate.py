"""REST endpoints for negotiating a safeguard's linked elements (``design/negotiate.py``):
``POST /api/designs/trade-off`` (an iso-output curve) and ``POST /api/designs/between`` (the
frontier packages between two positions).  Same JSON as the CLI's ``--json``.

A base or position is a shipped example's id or a design document; each request is priced
before any work and refused over the limits (413 naming the limit): without the token at most
``lab.OPEN_PATHS`` paths, and always at most 400 designs, 400,000 designs x paths and the
server's path-months.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from tradeguard.api import lab
from tradeguard.design.simulate import Scenario

router = APIRouter(prefix="/designs", tags=["design lab"])

Position = str | dict[str, Any]
_POSITION = ("A shipped example's id (`GET /api/designs/examples`), or a design document "
             "(docs/design-lab.md).")
_ELEMENTS = "trigger_growth, safeguard_rate, late_february_days or late_march_days"
_LIMITS = (f"Limits: at most {lab.OPEN_PATHS:,} paths without the token (the server's "
           "max_design_paths with it), 400 designs and 400,000 designs x paths per request, "
           "and the server's path-months; else 413 naming the limit, before any work.")


class TradeOffRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "base": "beef-us-opening", "hold": "protection",
        "vary": ["trigger_growth", "safeguard_rate"], "x_values": [0, 15],
        "y_values": [26, 30, 38.5], "scenario": {"paths": 100, "years": 4}}]})

    base: Position = Field(description=_POSITION)
    hold: Literal["protection", "days", "access"] = Field(
        "protection", description="The output kept at the base design's level.")
    vary: tuple[str, str] = Field(("trigger_growth", "safeguard_rate"),
                                  description=f"x and y elements: {_ELEMENTS}.")
    x_values: list[float] | None = Field(None, min_length=2, max_length=20,
                                         description="Default: the element's own grid.")
    y_values: list[float] | None = Field(None, min_length=2, max_length=20,
                                         description="Default: the element's own grid.")
    scenario: Scenario = Scenario(paths=200, years=8)


class BetweenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "a": "beef-japan-opening", "b": "beef-us-opening", "steps": 2,
        "scenario": {"paths": 100, "years": 4}}]})

    a: Position = Field(description=_POSITION)
    b: Position = Field(description=_POSITION)
    vary: dict[str, tuple[float, float]] | None = Field(
        None, description=f"element: [from, to] for {_ELEMENTS}. Default: the elements "
                          "the positions set differently, from A's value to B's.")
    steps: int = Field(3, ge=2, le=10, description="Values per element.")
    scenario: Scenario = Scenario(paths=200, years=8)


def _has_token(request: Request) -> bool:
    from tradeguard.api.auth import valid_token

    return valid_token(request)


@router.post("/trade-off", summary="Iso-output curve: the y that keeps the base's output "
             "for each x", description="For each value of one element (x), the value of "
             "another (y) that keeps the held output (protection, expected safeguard days or "
             "the hit partners' imports) at the base design's level, by interpolation over a "
             "grid simulated on one set of seeded paths. Same JSON as `tradeguard design "
             "trade-off --json`, with `limitations`. " + _LIMITS)
def trade_off(request: Request, body: TradeOffRequest) -> dict[str, Any]:
    values = {name: v for name, v in zip(body.vary, (body.x_values, body.y_values),
                                         strict=True) if v is not None}
    return lab.run_trade_off(request.app.state.settings, _has_token(request), body.base,
                             body.hold, body.vary, values or None, body.scenario)


@router.post("/between", summary="The frontier packages between two positions",
             description="Steps each element from position A's value to B's, simulates the "
             "packages beside both positions, and lists those on the protection / "
             "market-access frontier inside the box the positions span (`packages`), with "
             "every package's point (`points`) for a chart. Same JSON as `tradeguard design "
             "between --json`, with `limitations`. " + _LIMITS)
def between(request: Request, body: BetweenRequest) -> dict[str, Any]:
    vary = {k: (float(lo), float(hi)) for k, (lo, hi) in body.vary.items()} if body.vary \
        else None
    return lab.run_between(request.app.state.settings, _has_token(request), body.a, body.b,
                           vary, body.steps, body.scenario)
