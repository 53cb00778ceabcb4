"""The design lab on the server: shipped examples by name, cost limits with and without the
token, and the runs the desk and the REST API share (a compare of an edited design, a
trade-off curve, the packages between two positions), over the Python API.

Kept apart from ``api/service.py`` on purpose: nothing here touches the store (the design lab
reads the bundled data, as the CLI does), so it needs none of the store's locks or caches.

A client never names a file: a position or base is a shipped example's id (looked up in the
package's own list, never opened as a path) or a design document.  A request is priced before
any work (designs x paths, and path-months) and refused with 413 naming the limit.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from tradeguard.api.guards import check_design_request, too_large
from tradeguard.api.problems import ApiProblem
from tradeguard.design.costs import MAX_PATH_RUNS, MAX_RUNS
from tradeguard.design.simulate import Scenario
from tradeguard.design.spec import Design
from tradeguard.errors import InputError, RuleValidationError, problem

#: Monte Carlo paths a request without the token may ask for (with it: the server's
#: ``max_design_paths``).  The desk sends no token, so this is also the desk's cap.
OPEN_PATHS = 500
#: The back-test years of a desk or REST run (the bundled data's complete fiscal years).
BACKTEST_YEARS = (2015, 2019)


@lru_cache(maxsize=1)
def _examples() -> tuple[tuple[str, str, dict[str, Any]], ...]:
    import yaml

    from tradeguard.design.spec import example_paths

    out = []
    for path in example_paths():
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(doc, dict) and "id" in doc:  # sweep specifications are not designs
            out.append((doc["id"], path.stem, doc))
    return tuple(out)


def examples() -> list[dict[str, Any]]:
    """The shipped example designs: id, file, title, position, base and a copy of the
    document."""
    return [{"id": i, "file": stem, "title": doc.get("title"), "position": doc.get("position"),
             "base": doc.get("base"), "document": copy.deepcopy(doc)}
            for i, stem, doc in _examples()]


def example_document(name: str, where: str = "example") -> dict[str, Any]:
    """A copy of the shipped example with this id (or file name); a clear error otherwise."""
    for i, stem, doc in _examples():
        if name in (i, stem):
            return copy.deepcopy(doc)
    raise InputError(problem(f"no example design `{name}`", where=where,
                             fix="choose one of: " + ", ".join(i for i, _, _ in _examples())))


def document_of(ref: str | Mapping[str, Any], where: str) -> dict[str, Any]:
    """A design document from an example's id or a document given inline."""
    return example_document(ref, where) if isinstance(ref, str) else dict(ref)


def design_of(ref: str | Mapping[str, Any], where: str) -> Design:
    """A validated design; every problem of an invalid one as a 422 naming ``where``."""
    from tradeguard.design.spec import parse

    try:
        return parse(document_of(ref, where), source=where)
    except RuleValidationError as exc:
        raise invalid_design(exc.problems, where) from None


def invalid_design(problems: Sequence[str], where: str) -> ApiProblem:
    count = len(problems)
    return ApiProblem(422, "invalid-design", "Invalid design",
                      f"{count} problem{'s' if count != 1 else ''} in {where}: "
                      + "; ".join(problems) + ". Nothing was run.",
                      errors=[{"parameter": where, "message": p} for p in problems])


def paths_limit(settings: Any, has_token: bool) -> int:
    """The Monte Carlo paths one request may ask for."""
    return settings.max_design_paths if has_token else min(OPEN_PATHS,
                                                            settings.max_design_paths)


def check_cost(settings: Any, designs: int, scenario: Scenario, has_token: bool) -> None:
    """413 before any work when ``designs`` simulated on ``scenario`` pass a limit."""
    limit = paths_limit(settings, has_token)
    if scenario.paths > limit and not has_token:
        raise too_large("Monte Carlo paths without the token", limit, scenario.paths,
                        f"ask for at most {limit:,} paths, or send the token "
                        "(`Authorization: Bearer <token>`) for more", "open_design_paths")
    if designs > MAX_RUNS:
        raise too_large("designs simulated in one request", MAX_RUNS, designs,
                        "give fewer element values (or fewer steps)", "max_runs")
    if designs * scenario.paths > MAX_PATH_RUNS:
        raise too_large("designs x paths", MAX_PATH_RUNS, designs * scenario.paths,
                        "ask for fewer paths, or fewer element values", "max_path_runs")
    check_design_request(settings, designs, scenario)


def run_compare(settings: Any, has_token: bool, designs: Sequence[Design],
                scenario: Scenario) -> dict[str, Any]:
    """Back-test and simulate designs (priced, then run): the document ``report.json``
    holds."""
    from tradeguard.api.guards import CpuBudget
    from tradeguard.design.compare import compare

    check_cost(settings, len(designs), scenario, has_token)
    return compare(list(designs), scenario, backtest_years=BACKTEST_YEARS,
                   progress=CpuBudget(settings.cpu_budget_s))  # stops a run past its CPU


def run_trade_off(settings: Any, has_token: bool, base: str | Mapping[str, Any], hold: str,
                  vary: Sequence[str], values: Mapping[str, Sequence[float]] | None,
                  scenario: Scenario) -> dict[str, Any]:
    """The iso-output curve through ``base`` (priced, then run)."""
    from tradeguard.design.negotiate import trade_off, trade_off_runs

    check_cost(settings, trade_off_runs(vary, values), scenario, has_token)
    design_of(base, "base")  # every problem of the base before any work
    return trade_off(document_of(base, "base"), hold, list(vary), values, scenario)


def run_between(settings: Any, has_token: bool, a: str | Mapping[str, Any],
                b: str | Mapping[str, Any], vary: Mapping[str, tuple[float, float]] | None,
                steps: int, scenario: Scenario) -> dict[str, Any]:
    """The frontier packages between two positions (priced, then run)."""
    from tradeguard.design.negotiate import between, between_runs

    first, second = design_of(a, "position a"), design_of(b, "position b")
    if first.id == second.id:
        raise InputError(problem(f"both positions are `{first.id}`", where="design between",
                                 fix="choose two different positions"))
    check_cost(settings, between_runs(first, second, vary, steps), scenario, has_token)
    return between(first, second, vary, steps, scenario)
