"""Every page reachable from the desk's navigation, and one level down, in headless Chromium:
no console error, no failed request, no request to another host.

"Page" is a path: links that differ only in their query (the Surges page's 50 series links,
each page's JSON twin) are one page, visited once, so the crawl stays cheap.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

NAV_PAGES = ("/", "/duty", "/rules", "/quotas", "/surges", "/designs", "/data")
# static/charts.js marks <html> once every chart of the page is drawn (or has failed, which
# the assertion below then names); a selector, as the CSP forbids evaluating strings.
DRAWN = "html[data-charts-drawn]"
pytestmark = pytest.mark.slow  # started first, so the suite's tail is short tests


def _links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return [h for h in hrefs if h.startswith(origin + "/")]


def test_every_page_one_level_below_the_navigation_loads_cleanly(page, live_server):
    origin = live_server
    problems: list[str] = []
    where = {"url": ""}
    page.on("console", lambda m: problems.append(f"{where['url']}: console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{where['url']}: script error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"{where['url']}: failed {r.url}"))
    page.on("response", lambda r: problems.append(f"{where['url']}: {r.status} {r.url}")
            if r.status >= 400 else None)
    page.on("request", lambda r: problems.append(f"{where['url']}: other host {r.url}")
            if not r.url.startswith((origin + "/", "data:", "blob:")) else None)
    seen: dict[str, str] = {}
    queue = [origin + p for p in NAV_PAGES]
    for depth in (0, 1):
        found: list[str] = []
        for url in queue:
            path = urlsplit(url).path
            if path in seen:
                continue
            seen[path] = url
            where["url"] = url
            page.goto(url)  # waits for the load event: every script has run
            if page.locator("[data-vega-spec]").count():
                page.wait_for_selector(DRAWN, state="attached")
            drawn = page.eval_on_selector_all("[data-vega-spec]",
                                              "els => els.map(e => e.dataset.rendered)")
            assert set(drawn) <= {"true"}, url
            if depth == 0 and "json" not in (page.evaluate("document.contentType") or ""):
                found += _links(page, origin)
        queue = found
    assert problems == []
    assert len(seen) > 60  # the nav pages, every rule, the measures, the lines, the docs
