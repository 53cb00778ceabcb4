"""REST endpoints of the design lab, as a FastAPI ``APIRouter`` that calls the design service
(``api/services/designs.py``).

The web API mounts it under ``/api`` (``create_app``).  Bad designs return 422 with every
problem listed, and nothing runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

# The design lab reads the bundled data, not the store: its service is stateless, so this
# router also works mounted alone in another app.
from tradeguard.api.services.designs import DesignService
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import parse
from tradeguard.errors import RuleValidationError

router = APIRouter(prefix="/designs", tags=["design lab"])


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    designs: list[dict[str, Any]] = Field(min_length=1, max_length=20)
    scenario: Scenario = Scenario(paths=500)
    backtest_years: tuple[int, int] | None = (2015, 2019)


@router.post("/compare")
def compare_designs(request: CompareRequest, http: Request) -> dict[str, Any]:
    """Back-test and simulate the designs; the same document as report.json."""
    from tradeguard.api.guards import CpuBudget
    from tradeguard.api.settings import Settings

    # The router also runs alone (in another app): then the default budget.
    settings = getattr(http.app.state, "settings", None) or Settings()
    budget = CpuBudget(settings.cpu_budget_s)  # this worker thread's CPU
    problems: list[str] = []
    designs = []
    for i, doc in enumerate(request.designs):
        try:
            designs.append(parse(doc, source=f"designs[{i}]"))
        except RuleValidationError as exc:
            problems += exc.problems
    if problems:
        raise HTTPException(status_code=422, detail={"problems": problems})
    return DesignService().compare(designs, request.scenario,
                                             backtest_years=request.backtest_years,
                                             progress=budget)


@router.get("/examples")
def examples() -> list[dict[str, Any]]:
    """The example designs shipped in the package (id, file, title, position, base), as
    documents."""
    return DesignService().examples()
