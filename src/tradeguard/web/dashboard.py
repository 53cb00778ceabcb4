"""The dashboard: server-rendered HTML pages, each with a JSON twin (``?format=json``).

Each page builds one dict from the services of ``tradeguard.api.services`` (the same
functions the REST API uses) and either renders it with a Jinja2 template or returns it as JSON, so the
page and its twin hold the same numbers.  No JavaScript framework and no CDN: plain HTML,
a small inline stylesheet, and Vega-Lite charts (specs built in Python, drawn by the package's
own scripts under ``/static/``, each with a table of its values for readers without scripts).
Sorting and filtering are GET forms handled on the server, so they work from the keyboard and
without scripts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from tradeguard.api.services import LEDGER_NOTE, SORTS, services_of
from tradeguard.errors import InputError, TradeguardError, problem
from tradeguard.web.assets import CHART_SCRIPTS, assets_router

TEMPLATES = Path(__file__).with_name("templates")
NAV = [("/", "Overview"), ("/duty", "Duty calculator"), ("/rules", "Rules"),
       ("/quotas", "Quotas"), ("/surges", "Surges"), ("/designs", "Design lab"),
       ("/data", "Data")]
SURGE_LABELS = ("surge", "tariff timing", "new under agreement")
DESIGN_PAGE_PATHS = 200  # Monte Carlo paths for an interactive comparison (the CLI uses more)
DESIGN_PAGE_MAX_PATHS = 2000  # ... and the most the page runs (the API's limits apply too)


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                             autoescape=jinja2.select_autoescape(["html"]),
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["t"] = lambda v: "–" if v is None else f"{v:,.0f}"
    env.filters["pct"] = lambda v, d=1: "–" if v is None else f"{v * 100:.{d}f}%"
    # Amounts arrive as exact decimal strings (JSON never carries them as floats).
    env.filters["num"] = lambda v: "–" if v is None else f"{Decimal(str(v)):,.2f}"
    env.filters["yen"] = lambda v: "–" if v is None else f"{Decimal(str(v)):,}"
    env.filters["rule_value"] = rule_value
    env.filters["hs"] = display_code
    env.filters["line_words"] = _line_words
    env.globals["chart_scripts"] = CHART_SCRIPTS
    return env


def _wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def _date(text: str | None, name: str) -> dt.date | None:
    if text is None or not text.strip():
        return None
    from tradeguard.api.models import EARLIEST, LATEST

    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(problem(f"{name} `{text}` is not a date",
                                 fix="write it as YYYY-MM-DD, e.g. 2021-03-20")) from None
    if not EARLIEST <= day <= LATEST:  # the API's window: beyond it no rule or data reaches
        raise InputError(problem(f"{name} `{text}` is outside {EARLIEST} to {LATEST}",
                                 fix="choose a date in that window, e.g. 2021-03-20"))
    return day


def _number(text: str | None, name: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        raise InputError(problem(f"{name} `{text}` is not a number",
                                 fix="write digits only, e.g. 1000000")) from None
    if value != value or value in (float("inf"), float("-inf")) or not 0 <= value <= 1e15:
        raise InputError(problem(f"{name} `{text}` is out of range",
                                 fix="give a number between 0 and 10^15"))
    return value


def duty_inputs(query: dict[str, str], rules: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The duty form's fields parsed, and a message per field that is wrong (in its words)."""
    from tradeguard.reference import is_known_partner
    from tradeguard.rules.lookup import normalise_line

    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    parsers = {"date": lambda t: _date(t, "date"), "as_of": lambda t: _date(t, "as_of"),
               "value": lambda t: _number(t, "value"),
               "quantity": lambda t: _number(t, "quantity")}
    for name, parse in parsers.items():
        try:
            parsed[name] = parse(query[name])
        except InputError as exc:
            errors[name] = str(exc)
    for name in ("line", "origin", "date"):
        if not query[name].strip():
            errors[name] = f"{name} is needed"
    parsed["line"], parsed["origin"] = query["line"].strip(), query["origin"].strip().upper()
    digits = normalise_line(parsed["line"]) if parsed["line"] else ""
    if parsed["line"] and not (digits.isdigit() and 4 <= len(digits) <= 9):
        errors["line"] = (f"`{parsed['line']}` is not a tariff line. "
                          "Fix: write it like 0202, 0202.30 or 020230090")
    elif digits and not rules.tariffs_for(digits):
        errors["line"] = (f"no rule covers tariff line {parsed['line']}. "
                          "Fix: search for the product's line (search box above)")
    if parsed["origin"] and not is_known_partner(parsed["origin"]):
        errors["origin"] = (f"unknown origin `{query['origin'].strip()}`: origins are ISO "
                            "3166 two-letter codes. Fix: write it like US, AU or CA")
    return parsed, errors


_TRIGGER_KEY = re.compile(r"^conditions\[(\d+)\]\.trigger\.volumes\[")


def value_unit(key: str, document: dict[str, Any]) -> str:
    """The unit of a rule's dated value, from its key and the rule (empty when it has none)."""
    found = _TRIGGER_KEY.match(key)
    if found:
        conditions = document.get("conditions") or []
        index = int(found.group(1))
        trigger = conditions[index].get("trigger") or {} if index < len(conditions) else {}
        return trigger.get("unit") or "t"
    names = [n for n in re.sub(r"\[\d+\]", "", key).split(".") if n != "values"]
    name = names[-1] if names else ""
    if name == "volumes":
        return document.get("unit") or "t"
    for ending, unit in (("_jpy", "JPY"), ("_days", "days"), ("_percent", "%")):
        if name.endswith(ending):
            return unit
    return ""


def rule_value(entry: dict[str, Any], document: dict[str, Any]) -> str:
    """A dated value as a reader writes it: 242,000 t, 10,000 JPY, 38.5%; "(ends)" for None."""
    value = entry.get("value")
    if value is None:
        return "(ends)"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = Decimal(str(value))
    text = f"{number:,f}".rstrip("0").rstrip(".") if "." in f"{number:f}" else f"{number:,f}"
    unit = value_unit(str(entry.get("key", "")), document)
    return f"{text}%" if unit == "%" else f"{text} {unit}".strip()


def _line_words(code: str) -> str | None:
    from tradeguard.data.nomenclature import describe

    return describe(str(code))


def display_code(code: str) -> str:
    """An HS code as analysts write it: 0202, 0202.30, 0202.30.090."""
    digits = "".join(ch for ch in str(code) if ch.isdigit())
    return ".".join(part for part in (digits[:4], digits[4:6], digits[6:]) if part)


def json_twin(request: Request) -> str:
    """This page's address as JSON: the same path and query, with ``format=json``."""
    from urllib.parse import urlencode

    params = [(k, v) for k, v in request.query_params.multi_items() if k != "format"]
    return f"{request.url.path}?{urlencode([*params, ('format', 'json')])}"


def _html(request: Request, template: str, data: dict[str, Any], status: int = 200,
          **extra: Any) -> Response:
    page = _env().get_template(template).render(
        data=data, nav=NAV, path=request.url.path, twin=json_twin(request), **extra)
    return HTMLResponse(page, status_code=status)


async def _page(request: Request, template: str,
                build: Callable[[], Awaitable[tuple[dict[str, Any], dict[str, Any]]]]) -> Response:
    """Build the page's data; render it, or return it as JSON; errors as a page or a problem."""
    from tradeguard.api.problems import ApiProblem, classify, problem_response

    try:
        data, extra = await build()
    except (TradeguardError, ApiProblem) as exc:
        if isinstance(exc, ApiProblem):
            status, slug, title, ext = exc.status, exc.slug, exc.title, dict(exc.extra)
            detail = exc.detail
        else:
            status, slug, title, ext = classify(exc)
            detail = str(exc)
        if _wants_json(request):
            return problem_response(request, status, slug, title, detail, **ext)
        return _html(request, "error.html", {"title": title, "detail": detail,
                                             "status": status, **ext}, status=status)
    status = extra.pop("_status", 200)
    if _wants_json(request):
        return JSONResponse(data, status_code=status)
    return _html(request, template, data, status=status, **extra)


TOKEN_WINDOW = 64 * 1024  # the token field must come within the form's first 64 KiB


async def _token_first(request: Request) -> tuple[str | None, Any]:
    """The upload form's ``token`` field, read before the rest of the body, and a stream that
    replays what was read.  The desk's form sends the token first; a form that puts it after
    the file (or past ``TOKEN_WINDOW``) counts as without a token."""
    import re

    match = re.search(r'boundary="?([^";]+)"?', request.headers.get("content-type", ""))
    chunks = request.stream().__aiter__()
    head, token = b"", None
    while match and len(head) < TOKEN_WINDOW:
        try:
            head += await chunks.__anext__()
        except StopAsyncIteration:
            break
        token, complete = _token_part(head, match.group(1).encode())
        if complete:
            break

    async def replay() -> Any:
        yield head
        async for chunk in chunks:
            yield chunk

    return token, replay()


def _token_part(head: bytes, boundary: bytes) -> tuple[str | None, bool]:
    """(token, whether the first part is complete) from the body's first bytes."""
    end = head.find(b"\r\n\r\n")
    closing = head.find(b"\r\n--" + boundary, end + 4) if end >= 0 else -1
    if closing < 0:
        return None, False
    headers = head[:end].lower()
    if b'name="token"' not in headers:
        return None, True  # the first part is something else: no token first
    return head[end + 4:closing].decode("utf-8", "replace").strip() or None, True


async def _form(request: Request, stream: Any) -> Any:
    from starlette.formparsers import MultiPartParser

    return await MultiPartParser(request.headers, stream, max_files=1, max_fields=10).parse()


router = APIRouter(include_in_schema=False)
router.include_router(assets_router())


async def _report(request: Request, as_of: dt.date | None) -> Any:
    return await services_of(request).monitor.report_async(as_of)


@router.get("/")
async def overview(request: Request, as_of: str | None = None, product: str | None = None,
                   partner: str | None = None, sort: str = "measure") -> Response:
    from tradeguard.api.products import PRODUCTS

    async def build() -> tuple[dict, dict]:
        if sort not in SORTS:
            raise InputError(problem(f"unknown sort `{sort}`",
                                     fix=f"use one of: {', '.join(SORTS)}"))
        rep = await _report(request, _date(as_of, "as_of"))
        data = services_of(request).monitor.status(rep, product=product or None,
                                                   partner=partner or None, sort=sort)
        data["fy2020_beef"] = services_of(request).monitor.side_by_side(rep)
        from tradeguard.web.overview_chart import overview_spec

        charts = {"overview": overview_spec(data["rows"])} if data["rows"] else {}
        return data, {"products": list(PRODUCTS), "sorts": SORTS, "charts": charts}

    return await _page(request, "overview.html", build)


def _period_fy(period: str | None) -> int | None:
    """The measure page's ``period`` (FY2019); None when not given."""
    from tradeguard.periods import parse_period_key

    if not period:
        return None
    try:
        return parse_period_key(period)
    except ValueError:
        raise InputError(problem(f"period `{period}` is not a fiscal year",
                                 fix="write it like FY2019")) from None


@router.get("/measures/{measure_id}")
async def measure(request: Request, measure_id: str, period: str | None = None,
                  as_of: str | None = None) -> Response:
    from tradeguard.web.measure_chart import measure_spec

    async def build() -> tuple[dict, dict]:
        fy = _period_fy(period)
        rep = await _report(request, _date(as_of, "as_of"))
        data = services_of(request).monitor.measure(rep, measure_id, fy)
        spec = measure_spec(data["timeline"], data["earlier"], data["as_of"])
        return data, {"charts": {"measure": spec} if spec else {}}

    return await _page(request, "measure.html", build)


@router.get("/duty")
async def duty(request: Request, line: str | None = None, origin: str | None = None,
               date: str | None = None, value: str | None = None,
               quantity: str | None = None, as_of: str | None = None) -> Response:
    query = {"line": line or "", "origin": origin or "", "date": date or "",
             "value": value or "", "quantity": quantity or "", "as_of": as_of or ""}

    async def build() -> tuple[dict, dict]:
        if not (line or origin or date):
            return {"query": query, "result": None, "errors": {}}, {}
        services = services_of(request)
        parsed, errors = duty_inputs(query, services.rules.rules)
        if errors and _wants_json(request):
            raise InputError("; ".join(f"{k}: {v}" for k, v in errors.items()))
        if errors:  # the form again, with its inputs and each error beside its field
            return {"query": query, "result": None, "errors": errors}, {"_status": 422}
        found = services.duty.duty(parsed["line"], parsed["origin"], parsed["date"],
                                   parsed["value"], parsed["quantity"], parsed["as_of"])
        return ({"query": query, "result": found.model_dump(mode="json"), "errors": {}},
                {"line_description": _line_words(parsed["line"])})

    return await _page(request, "duty.html", build)


@router.get("/lines")
async def lines(request: Request, q: str | None = None, limit: int = 50) -> Response:
    """Tariff lines by product words or code; each links to its subheadings and duty."""
    async def build() -> tuple[dict, dict]:
        from tradeguard.data.nomenclature import search

        text = (q or "").strip()[:200]
        found = search(text, max(1, min(limit, 200))) if text else []
        rows = [{**line.row(), "display": display_code(line.code)} for line in found]
        return {"query": text, "lines": rows}, {"search_query": text}

    return await _page(request, "lines.html", build)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    # Pages declare an empty data: icon; a client that asks anyway gets no 404.
    return Response(status_code=204)


@router.get("/rules")
async def rules(request: Request) -> Response:
    async def build() -> tuple[dict, dict]:
        return services_of(request).rules.overview(), {}

    return await _page(request, "rules.html", build)


@router.get("/rules/coverage")
async def rules_coverage(request: Request) -> Response:
    from tradeguard.rules.coverage import GROUPS, cell_text, coverage

    async def build() -> tuple[dict, dict]:
        cells = coverage(services_of(request).rules.rules)
        rows: dict[str, dict[str, Any]] = {}
        for c in cells:
            row = rows.setdefault(c.agreement, {"agreement": c.agreement,
                                                "short_name": c.short_name, "cells": []})
            row["cells"].append({**c.as_dict(), "text": cell_text(c)})
        return {"groups": list(GROUPS), "rows": list(rows.values())}, {}

    return await _page(request, "rules_coverage.html", build)


@router.get("/rules/{rule_id}")
async def rule(request: Request, rule_id: str) -> Response:
    async def build() -> tuple[dict, dict]:
        return services_of(request).rules.rule(rule_id), {}

    return await _page(request, "rule.html", build)


@router.get("/quotas")
async def quotas(request: Request, as_of: str | None = None,
                 include_signed: bool = False) -> Response:
    async def build() -> tuple[dict, dict]:
        services = services_of(request)
        known = await run_in_threadpool(services.monitor.resolve_as_of, _date(as_of, "as_of"))
        rows = await run_in_threadpool(services.quotas.balances, known, include_signed)
        return {"as_of": known.isoformat(), "quotas": rows,
                "include_signed": include_signed, "ledger": LEDGER_NOTE}, {}

    return await _page(request, "quotas.html", build)


@router.get("/surges")
async def surges(request: Request, line: str | None = None, partner: str | None = None,
                 label: str | None = None, method: str | None = None,
                 min_tonnes: str | None = None, period_from: str | None = None,
                 period_to: str | None = None, include_immaterial: bool = False,
                 sort: str = "size", page: int = 1, per_page: int = 50) -> Response:
    """Surge flags with their explanations, filtered, largest first, a page at a time; each
    links to its series chart and its evidence pack."""
    async def build() -> tuple[dict, dict]:
        filters = {"line": line or None, "partner": (partner or "").upper() or None,
                   "label": label or None, "method": method or None,
                   "min_tonnes": _surge_tonnes(min_tonnes), "period_from": period_from or None,
                   "period_to": period_to or None, "include_immaterial": include_immaterial,
                   "sort": sort, "per_page": per_page}
        flags = await run_in_threadpool(services_of(request).surges.flags)
        return {"filters": filters, **_surge_page(flags, filters, page)}, {
            "page_url": _surges_page_url(filters)}

    return await _page(request, "surges.html", build)


def _surge_page(flags: Any, filters: dict[str, Any], page: int) -> dict[str, Any]:
    """One page of the flags chosen by the Surges form, each with its links."""
    from tradeguard.api.routes.surges import evidence_url, series_url
    from tradeguard.surge.api import flags_as_json
    from tradeguard.surge.select import select_flags

    chosen = select_flags(
        flags, tariff_line=filters["line"], partner=filters["partner"],
        label=filters["label"], method=filters["method"], min_tonnes=filters["min_tonnes"],
        period_from=filters["period_from"], period_to=filters["period_to"],
        include_immaterial=filters["include_immaterial"], sort=filters["sort"], page=page,
        per_page=filters["per_page"])
    rows = flags_as_json(chosen.flags, sizes=True)
    for row in rows:
        row["evidence_url"] = evidence_url(row, format="html")
        row["series_url"] = series_url(row)
    return chosen.to_dict(rows)


@router.get("/surges/series")
async def surge_series(request: Request, line: str, partner: str = "*",
                       period: str | None = None) -> Response:
    """One flag's series (monthly imports of a line from a partner) on a chart."""
    async def build() -> tuple[dict, dict]:
        from tradeguard.web.surge_chart import series_spec

        who = partner.upper() if partner != "*" else "*"
        points = await run_in_threadpool(services_of(request).surges.series, line, who)
        if not points:
            raise InputError(problem(f"no monthly imports of {line} from {who}",
                                     where="the store",
                                     fix="open a flag's chart from the Surges page"))
        return ({"line": line, "partner": who, "period": period, "points": points},
                {"charts": {"series": series_spec(line, who, points, period)}})

    return await _page(request, "surge_series.html", build)


@router.get("/designs")
async def designs(request: Request, paths: int = DESIGN_PAGE_PATHS) -> Response:
    """The shipped example designs; pick some to compare them (back-test and simulation)."""
    chosen = request.query_params.getlist("id")

    async def build() -> tuple[dict, dict]:
        from tradeguard.api import lab as runs
        from tradeguard.design.simulate import Scenario
        from tradeguard.web.design_report import render_html
        from tradeguard.web.design_specs import comparison_specs

        lab = services_of(request).designs
        examples = [{"id": e["id"], "file": Path(e["file"]).stem, "title": e["title"]}
                    for e in lab.examples()]
        if not chosen:
            return {"examples": examples, "report": None}, {}
        loaded = lab.load_examples(list(dict.fromkeys(chosen)))  # each example once
        if paths < 1:
            raise InputError(problem(f"paths must be at least 1 (got {paths})",
                                     fix=f"give e.g. paths={DESIGN_PAGE_PATHS}"))
        # Priced like every design-lab run (api/lab.py): the desk has no token.
        result = await run_in_threadpool(runs.run_compare, request.app.state.settings,
                                         False, loaded, Scenario(paths=paths))
        return ({"examples": examples, "report": result},
                {"report_html": render_html(result, charts_inline=False),
                 "charts": comparison_specs(result)})

    return await _page(request, "designs.html", build)


#: A batch's fields that name who uploaded which file: only with the token (as
#: ``GET /api/batches``); the open desk shows what each batch holds, not whose it is.
PRIVATE_BATCH_FIELDS = ("source_path", "source_name", "uploaded_by")


def _open_batch(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: ("withheld" if k in PRIVATE_BATCH_FIELDS and v is not None else v)
            for k, v in batch.items()}


@router.get("/data")
async def data(request: Request) -> Response:
    async def build() -> tuple[dict, dict]:
        batches = await run_in_threadpool(services_of(request).data.batches)
        return {"batches": [_open_batch(b) for b in batches], "report": None, "rejected": None,
                "uploads_enabled": bool(request.app.state.token)}, {}

    return await _page(request, "data.html", build)


@router.post("/data")
async def upload(request: Request) -> Response:
    async def build() -> tuple[dict, dict]:
        file, dry_run = await _upload_form(request)
        report, rejected = await _ingest_or_rejection(request, file, dry_run)
        batches = await run_in_threadpool(services_of(request).data.batches)
        return ({"batches": batches, "report": report, "rejected": rejected,
                 "uploads_enabled": True}, {"_status": 422 if rejected else 200})

    return await _page(request, "data.html", build)


async def _upload_form(request: Request) -> tuple[Any, bool]:
    """The upload form's file and dry-run box, read after its token was checked."""
    from tradeguard.api.auth import check_token
    from tradeguard.api.problems import ApiProblem

    token, stream = await _token_first(request)
    if token is None and request.app.state.token:
        raise ApiProblem(401, "unauthorized", "Token required",
                         "this upload needs the upload token, sent as the form's first "
                         "field `token` (before the file); nothing was read or stored")
    check_token(request.app.state.token, token)  # before the file is read
    form = await _form(request, stream)
    file = form.get("file")
    if file is None or isinstance(file, str) or not file.filename:
        raise InputError(problem("no file was chosen", fix="choose a file to upload"))
    return file, form.get("dry_run") == "on"


async def _ingest_or_rejection(request: Request, file: Any,
                               dry_run: bool) -> tuple[dict | None, dict | None]:
    """(the ingest report, None), or (None, the rejection with its row-level problems)."""
    from tradeguard.api.problems import classify
    from tradeguard.api.uploads import ingest_upload
    from tradeguard.data.problems import IngestProblemsError

    content = await file.read()
    try:
        return await ingest_upload(services_of(request).data, content=content, stream=None,
                                   filename=file.filename, fmt=None, dry_run=dry_run), None
    except IngestProblemsError as exc:
        _, _, title, ext = classify(exc)
        return None, {"title": title, "detail": str(exc), "filename": file.filename, **ext}


def _surges_page_url(filters: dict[str, Any]) -> Callable[[int], str]:
    """The Surges page's URL for page ``n`` with the same filters (for the page links)."""
    from urllib.parse import urlencode

    kept = {k: v for k, v in filters.items() if v not in (None, "", False)}

    def url(n: int) -> str:
        return "/surges?" + urlencode({**kept, "page": n})

    return url


def _surge_tonnes(text: str | None) -> float | None:
    """The Surges form's minimum increase: blank is no minimum; anything else a number."""
    if text is None or not text.strip():
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise InputError(problem(f"minimum increase `{text}` is not a number of tonnes",
                                 where="Min. increase (t)", fix="write a number, e.g. 100")) \
            from None
