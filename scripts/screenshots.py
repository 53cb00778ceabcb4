"""Full-page screenshots of the desk into docs/screenshots/ (`make screenshots`).

Serves the desk over a temporary store holding the bundled real data (ingested with a fixed
time, so two runs show the same pages) on a free loopback port, and photographs the overview,
a measure, a duty result, the surges and a design-lab comparison at 1366 and 390 px wide with
Debian's Chromium through Playwright (which downloads no browser).  Each chart is drawn before
its page is taken.  Run from the repository root: `python scripts/screenshots.py [--out DIR]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
PAGES = {
    "overview": "/",
    "measure": "/measures/cptpp.beef_safeguard?period=FY2019",
    "duty": "/duty?line=0202.30&origin=US&date=2021-03-20&value=1000000&quantity=1000",
    "surges": "/surges?line=02&partner=AU",
    "design-lab": "/designs?id=beef-japan-opening&id=cptpp-quarterly-110",
}
WIDTHS = (1366, 390)
# static/charts.js marks <html> once every chart is drawn (the CSP forbids evaluated waits).
DRAWN = "html[data-charts-drawn]"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store: Path) -> tuple[str, object]:
    """The desk over ``store`` in a background thread: (base URL, server)."""
    import uvicorn

    from tradeguard.api.app import create_app
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest

    ingest(bundled_extract_path(), store, ingested_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise SystemExit("error: the desk did not start; see the messages above")
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def photograph(base: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        for width in WIDTHS:
            context = browser.new_context(viewport={"width": width, "height": 900},
                                          base_url=base, device_scale_factor=1)
            page = context.new_page()
            page.set_default_timeout(120_000)  # the design lab simulates before it answers
            for name, path in PAGES.items():
                page.goto(path)
                if page.locator("[data-vega-spec]").count():
                    page.wait_for_selector(DRAWN, state="attached")
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
            context.close()
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots",
                        help="folder for the PNG files (default: docs/screenshots)")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: no Chromium at {CHROMIUM}. Fix: make browser (apt-get install chromium)",
              file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tg-screens-") as tmp:
        base, server = serve(Path(tmp) / "store.duckdb")
        try:
            for path in photograph(base, args.out):
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        finally:
            server.should_exit = True
    return 0


if __name__ == "__main__":
    sys.exit(main())
