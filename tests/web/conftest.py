"""A live server (uvicorn in a background thread, loopback, a free port) over a temporary
store with the bundled data (the session's one headless Chromium, ``browser``, is in
tests/conftest.py).

Skipped, with the reason, when Debian's chromium or Python Playwright is missing (CI installs
both: `apt-get install -y chromium`, `pip install playwright`).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

TOKEN = "browser-test-token"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, bundled_store):
    uvicorn = pytest.importorskip("uvicorn")
    from tradeguard.api.app import create_app

    # A copy of the session's bundled store: an ingest of its own would cost 3-4 CPU-s.
    store = tmp_path_factory.mktemp("web-store") / "store.duckdb"
    shutil.copyfile(bundled_store, store)
    port = _free_port()
    config = uvicorn.Config(create_app(store, token=TOKEN, cors_origins=()), host="127.0.0.1",
                            port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="session")
def client(bundled_store):
    """The app over the bundled data, through Starlette's test client (no browser)."""
    from tests.conftest import make_client
    from tradeguard.api.app import create_app

    with make_client(create_app(bundled_store, token=TOKEN, cors_origins=()),
                     raise_server_exceptions=False) as c:
        yield c
