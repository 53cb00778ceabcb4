"""The design lab's desk pages beyond the example list: edit a copy of an example design and
run it (``/designs/edit``), and the packages between two positions with their frontier chart
(``/designs/between``).

GET forms, so every run is a link and ``?format=json`` its twin.  The work goes through
:mod:`tradeguard.api.lab`, within its cost limits: the desk sends no token, so at most
``lab.OPEN_PATHS`` paths.  A form with problems comes back with its inputs kept and each
problem beside its field (422); nothing runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tradeguard.api import lab
from tradeguard.errors import InputError, RuleValidationError
from tradeguard.web import design_form as f

BETWEEN_STEPS = (2, 3)  # values per element on the desk: 2 -> 18 designs, 3 -> 83


def frontier_chart(result: Mapping[str, Any]) -> dict[str, Any]:
    """The ``between`` result as a Vega-Lite spec: every package, the frontier, the
    positions (the tables on the page hold the same values)."""
    from tradeguard.web.design_specs import frontier_spec

    points = [{"x": p["protection_points"], "y": p["access_t_a_year"], "label": p["label"],
               "frontier": p["frontier"], "between": p["between"]} for p in result["points"]]
    points += [{"x": p["protection_points"], "y": p["access_t_a_year"], "label": p["id"],
                "position": p["position"]} for p in result["positions"]]
    return frontier_spec("safeguard protection (tariff points, mean over years)",
                         "imports from the partners hit (t a year)", points)


def _scenario(form: Mapping[str, str], errors: dict[str, str]) -> Any:
    """The run's scenario from the form; a message beside paths, years or seed if wrong."""
    from tradeguard.design.simulate import Scenario

    paths = f.number(form, "paths", errors, minimum=1, maximum=lab.OPEN_PATHS, whole=True)
    years = f.number(form, "years", errors, minimum=1, maximum=f.MAX_YEARS, whole=True)
    seed = f.number(form, "seed", errors, minimum=0, maximum=2**32 - 1, whole=True)
    if "paths" in errors:
        errors["paths"] += f" (the desk runs at most {lab.OPEN_PATHS:,} paths; the CLI more)"
    return Scenario(paths=int(paths or f.DEFAULT_PATHS), years=int(years or f.DEFAULT_YEARS),
                    seed=int(seed if seed is not None else Scenario().seed))


def backtest_notes(report: Mapping[str, Any]) -> list[str]:
    """A sentence for each design the back-test could not reach, so an empty back-test is
    never read as "never triggered"."""
    first, last = lab.BACKTEST_YEARS
    return [f"{d['id']}: no back-test. None of fiscal years {first}-{last} of the bundled data "
            "holds a period of this design with data (the USJTA's safeguard, for one, starts "
            "on 1 January 2020, after the data's last day); only the simulation speaks for it."
            for d in report["designs"] if not d["backtest"]["periods"]]


async def _within_limits(request: Request, errors: dict[str, str], run: Any,
                         *args: Any) -> Any:
    """``run(*args)`` in a worker thread.  A run over a cost limit is refused before any work;
    on the page its message goes beside the paths (the inputs kept) and None comes back, in
    the JSON twin it stays the 413 problem naming the limit."""
    from tradeguard.api.problems import ApiProblem
    from tradeguard.web.dashboard import _wants_json

    try:
        return await run_in_threadpool(run, *args)
    except ApiProblem as exc:
        if exc.status != 413 or _wants_json(request):
            raise
        errors["paths"] = exc.detail
        return None


async def _run_checked(request: Request, errors: dict[str, str], run: Any,
                       *args: Any) -> tuple[Any, int | None]:
    """The run of a checked form, for the three design pages: ``(None, 422)`` when the form has
    errors (the JSON twin raises them instead), ``(None, 413)`` over a cost limit (the message
    in ``errors``), else ``(result, None)``."""
    from tradeguard.web.dashboard import _wants_json

    if errors and _wants_json(request):
        raise _invalid(errors)
    if errors:
        return None, 422
    result = await _within_limits(request, errors, run, *args)
    return result, 413 if result is None else None


def _invalid(errors: Mapping[str, str]) -> InputError:
    return InputError("; ".join(f"{name}: {text}" for name, text in errors.items()))


def _example_list() -> list[dict[str, Any]]:
    return [{k: e[k] for k in ("id", "title", "position", "base")} for e in lab.examples()]


async def edit_page(request: Request, example: str | None) -> tuple[dict, dict]:
    """The edit form for a copy of ``example``; with ``run``, the copy validated and run."""
    data: dict[str, Any] = {"examples": _example_list(), "example": example, "form": None,
                            "errors": {}, "document": None, "report": None}
    if not example:
        return data, {}
    source = lab.example_document(example)
    query = request.query_params
    if "run" not in query:
        form = f.form_from_document(source)
        form["compare_example"] = "on"
        return data | {"form": form}, {}
    form = {fl.name: query.get(fl.name, "") for fl in (*f.DESIGN_FIELDS, *f.RUN_FIELDS)}
    form["compare_example"] = query.get("compare_example", "")
    doc, errors = f.document_from_form(form, source)
    designs = _designs(doc, source, form, errors)
    scenario = _scenario(form, errors)
    data |= {"form": form, "errors": errors, "document": doc}
    report, refused = await _run_checked(request, errors, lab.run_compare,
                                         request.app.state.settings, False, designs, scenario)
    if refused:
        return data, {"_status": refused}
    import yaml

    from tradeguard.web.design_report import render_html

    return data | {"report": report, "notes": backtest_notes(report)}, {
        "report_html": render_html(report), "share_url": f"{request.url.path}?{query}",
        "document_yaml": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)}


def _designs(doc: dict[str, Any], source: Mapping[str, Any], form: Mapping[str, str],
             errors: dict[str, str]) -> list[Any]:
    """The copy (and the example beside it, if asked), validated; problems into ``errors``."""
    from tradeguard.design.spec import parse

    if errors:
        return []
    try:
        designs = [parse(doc, source=f.SOURCE)]
    except RuleValidationError as exc:
        errors.update(f.problems_by_field(exc.problems, form))
        return []
    if form.get("compare_example"):
        if doc["id"] == source["id"]:
            errors["id"] = (f"the copy needs an id of its own to run beside `{source['id']}`. "
                            "Fix: rename it, or untick the comparison")
            return []
        designs.append(parse(dict(source), source=f"example `{source['id']}`"))
    return designs


def _position_errors(form: Mapping[str, str], positions: list[dict[str, Any]]
                     ) -> dict[str, str]:
    """A message beside A or B unless they are two listed positions on one measure."""
    bases = {p["id"]: p["base"] for p in positions}
    errors = {side: "choose one of the listed positions" for side in ("a", "b")
              if form[side] not in bases}
    if errors:
        return errors
    if form["a"] == form["b"]:
        return {"b": "choose a position other than A"}
    if bases[form["a"]] != bases[form["b"]]:
        return {"b": f"choose a position on the same measure as A ({bases[form['a']]})"}
    return {}


async def between_page(request: Request) -> tuple[dict, dict]:
    """Two example positions; with both chosen, the packages between them and their chart."""
    query = request.query_params
    form = {"a": query.get("a", ""), "b": query.get("b", ""),
            "steps": query.get("steps", str(BETWEEN_STEPS[0])),
            "paths": query.get("paths", str(f.DEFAULT_PATHS)),
            "years": query.get("years", str(f.DEFAULT_YEARS)),
            "seed": query.get("seed", "")}
    positions = [e for e in _example_list() if e["base"]]
    data: dict[str, Any] = {"positions": positions, "form": form, "errors": {}, "result": None}
    if not (form["a"] or form["b"]):
        japan, us = (positions[0]["id"], positions[1]["id"]) if len(positions) > 1 else ("", "")
        return data | {"form": form | {"a": japan, "b": us}}, {}
    errors = _position_errors(form, positions)
    steps = f.number(form, "steps", errors, minimum=min(BETWEEN_STEPS),
                     maximum=max(BETWEEN_STEPS), whole=True)
    scenario = _scenario(form, errors)
    result, refused = await _run_checked(request, errors, lab.run_between,
                                         request.app.state.settings, False, form["a"], form["b"],
                                         None, int(steps or 2), scenario)
    if refused:
        return data | {"errors": errors}, {"_status": refused}
    return data | {"result": result}, {"charts": {"frontier": frontier_chart(result)}}


TRADE_OFF_DEFAULTS = {"base": "beef-us-opening", "hold": "protection",
                      "x": "trigger_growth", "y": "safeguard_rate", "x_values": "0, 5, 10, 15",
                      "y_values": "26, 30, 34, 38.5"}
MAX_VALUES = 8  # values per axis on the desk


def _values(form: Mapping[str, str], name: str, errors: dict[str, str]) -> list[float]:
    try:
        found = [float(v) for v in form[name].replace(";", ",").split(",") if v.strip()]
    except ValueError:
        errors[name] = f"`{form[name]}` is not a list of numbers. Fix: e.g. 0, 5, 10"
        return []
    if not 2 <= len(found) <= MAX_VALUES:
        errors[name] = f"give 2 to {MAX_VALUES} values (got {len(found)})"
    return found


async def trade_off_page(request: Request) -> tuple[dict, dict]:
    """An example as the base, two elements and the output held: the iso-output curve."""
    from tradeguard.design.negotiate import ELEMENTS, HOLD

    query = request.query_params
    form = {k: query.get(k, v) for k, v in TRADE_OFF_DEFAULTS.items()}
    form |= {"paths": query.get("paths", str(f.DEFAULT_PATHS)),
             "years": query.get("years", str(f.DEFAULT_YEARS)), "seed": query.get("seed", "")}
    data: dict[str, Any] = {"bases": _example_list(), "elements": list(ELEMENTS),
                            "holds": list(HOLD), "form": form, "errors": {}, "result": None}
    if "run" not in query:
        return data, {}
    errors: dict[str, str] = {}
    if form["base"] not in {e["id"] for e in data["bases"]}:
        errors["base"] = "choose one of the listed examples"
    for name, known in (("hold", HOLD), ("x", ELEMENTS), ("y", ELEMENTS)):
        if form[name] not in known:
            errors[name] = "choose one of: " + ", ".join(known)
    if form["x"] == form["y"]:
        errors["y"] = "choose an element other than x"
    values = {form["x"]: _values(form, "x_values", errors),
              form["y"]: _values(form, "y_values", errors)}
    scenario = _scenario(form, errors)
    result, refused = await _run_checked(request, errors, lab.run_trade_off,
                                         request.app.state.settings, False, form["base"],
                                         form["hold"], [form["x"], form["y"]], values, scenario)
    if refused:
        return data | {"errors": errors}, {"_status": refused}
    return data | {"result": result}, {}


def design_pages_router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/designs/edit")
    async def edit(request: Request, example: str | None = None) -> Response:
        from tradeguard.web.dashboard import _page

        extra = {"fields": f.DESIGN_FIELDS, "run_fields": f.RUN_FIELDS,
                 "bases": f.TRIGGER_BASES, "periods": f.COUNTING_PERIODS,
                 "max_paths": lab.OPEN_PATHS,
                 "labels": {fl.name: fl.label for fl in (*f.DESIGN_FIELDS, *f.RUN_FIELDS)}}

        async def build() -> tuple[dict, dict]:
            data, more = await edit_page(request, example)
            return data, {**extra, **more}

        return await _page(request, "design_edit.html", build)

    @r.get("/designs/between")
    async def between(request: Request) -> Response:
        from tradeguard.web.dashboard import _page

        async def build() -> tuple[dict, dict]:
            data, more = await between_page(request)
            return data, {"steps": BETWEEN_STEPS, "max_paths": lab.OPEN_PATHS, **more}

        return await _page(request, "design_between.html", build)

    @r.get("/designs/trade-off")
    async def trade_off(request: Request) -> Response:
        from tradeguard.web.dashboard import _page

        async def build() -> tuple[dict, dict]:
            data, more = await trade_off_page(request)
            return data, {"max_paths": lab.OPEN_PATHS, **more}

        return await _page(request, "design_trade_off.html", build)

    return r
