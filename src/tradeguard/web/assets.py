"""``GET /static/...``: the desk's own scripts, served from the package (never a CDN).

Only the files shipped under ``web/static/`` are served, by exact name: a name outside that
list is a 404 problem, so no path reaches beyond the folder.  The vendored Vega, Vega-Lite,
Vega-Embed and Vega-Interpreter builds (BSD-3-Clause, see NOTICE) sit in ``static/vendor/``;
``static/charts.js`` draws each chart of a page from its Vega-Lite spec.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

STATIC = Path(__file__).with_name("static")
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# The files change only with the package version; a day's caching spares a reload per page.
CACHE = "public, max-age=86400"
CHART_SCRIPTS = ("vendor/vega.min.js", "vendor/vega-interpreter.min.js",
                 "vendor/vega-lite.min.js", "vendor/vega-embed.min.js", "charts.js")


@lru_cache(maxsize=1)
def static_files() -> dict[str, Path]:
    """Every servable file, by its name under ``/static/``."""
    return {p.relative_to(STATIC).as_posix(): p for p in sorted(STATIC.rglob("*"))
            if p.is_file() and p.suffix in MEDIA_TYPES}


def assets_router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/static/{name:path}")
    def asset(request: Request, name: str) -> Response:
        from tradeguard.api.problems import problem_response

        path = static_files().get(name)
        if path is None:
            return problem_response(request, 404, "not-found", "Not found",
                                    f"no file `{name}` among the desk's static files")
        return FileResponse(path, media_type=MEDIA_TYPES[path.suffix],
                            headers={"Cache-Control": CACHE})

    return r
