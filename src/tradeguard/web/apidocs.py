"""``GET /docs``: the API reference as one server-rendered page, from ``/openapi.json``.

FastAPI's Swagger UI loads its scripts from a CDN (a blank page offline) and neither Swagger UI
nor ReDoc ships in an installed package here, so the desk renders the OpenAPI document itself:
no script at all (the Content-Security-Policy forbids it), every operation with its summary,
description, parameters and responses, and a link to the machine-readable document.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;"
          "line-height:1.4}code{background:#f2f2f2;padding:0 .2rem}section{border-top:1px solid "
          "#ccc;padding:.5rem 0}.m{font-weight:bold;text-transform:uppercase;margin-right:.5rem}")


def docs_router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/docs")
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(render_docs(request.app.openapi()))

    return r


def render_docs(schema: dict[str, Any]) -> str:
    info = schema.get("info", {})
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
             f"<title>{escape(info.get('title', 'API'))} API</title><style>{_STYLE}</style>"
             f"</head><body><h1>{escape(info.get('title', 'API'))} API "
             f"{escape(str(info.get('version', '')))}</h1>"
             f"<p>{escape(info.get('description', ''))}</p>"
             "<p>The machine-readable document: <a href='/openapi.json'>/openapi.json</a>.</p>"]
    for path, item in sorted(schema.get("paths", {}).items()):
        for method, op in item.items():
            parts.append(_operation(path, method, op))
    parts.append("</body></html>")
    return "".join(parts)


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    params = "".join(
        f"<li><code>{escape(p['name'])}</code> ({escape(p.get('in', ''))}"
        f"{', required' if p.get('required') else ''}) {escape(p.get('description', ''))}</li>"
        for p in op.get("parameters", []))
    responses = ", ".join(f"{escape(code)} {escape(r.get('description', ''))}"
                          for code, r in sorted(op.get("responses", {}).items()))
    return (f"<section><h2><span class='m'>{escape(method)}</span><code>{escape(path)}</code>"
            f"</h2><p>{escape(op.get('summary', ''))}</p>"
            f"<p>{escape(op.get('description', ''))}</p>"
            + (f"<ul>{params}</ul>" if params else "")
            + f"<p>Responses: {responses}</p></section>")
