"""Issue 13's reliability suite, against a real server process (not timed).

A running server reads the store while a CLI ingest and API uploads write it: every write
succeeds (waiting if it must), and no read gets a 5xx.  (Kills during ingest and concurrent
CLI ingests: tests/data/test_data_store.py and tests/data/test_data_access.py; the design-lab
limits: tests/api/test_hardening.py.)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SERVE = ("import sys; from pathlib import Path; from tradeguard.api.app import serve\n"
         "serve(port=int(sys.argv[1]), store=Path(sys.argv[2]))\n")
HEADER = "date,tariff_line,partner,quantity,quantity_unit,value,currency,regime\n"
pytestmark = pytest.mark.slow  # started first, so the suite's tail is short tests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _declarations(path: Path, day: int) -> Path:
    """A small synthetic file (not real data): one row, distinct content per ``day``."""
    path.write_text(HEADER + f"2019-05-{day:02d},020130010,AU,{100 + day},kg,1000,JPY,jaepa\n")
    return path


@pytest.fixture
def server(bundled_store, tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copyfile(bundled_store, store)
    port = _free_port()
    # The readers below poll as fast as the server answers, from the same address as the
    # uploads: with the default rate limit (30 at once, 60 a minute) a fast server would
    # answer an upload 429. This suite is about the store's lock, so the limit is lifted.
    config = tmp_path / "api.toml"
    config.write_text("rate_burst = 1000000\nrate_per_minute = 1000000\n")
    env = {**os.environ, "TRADEGUARD_API_TOKEN": TOKEN, "TRADEGUARD_API_CONFIG": str(config)}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, str(port), str(store)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("tradeguard: dashboard and API")
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=120) as client:
        for _ in range(600):  # until uvicorn listens (bounded, not timed)
            try:
                client.get("/healthz")
                break
            except httpx.TransportError:
                threading.Event().wait(0.1)
        yield client, store, proc
    proc.terminate()
    proc.wait(timeout=60)


def _read_until(client: httpx.Client, stop: threading.Event, codes: list[int]) -> None:
    day = dt.date(2019, 4, 1)
    while not stop.is_set():
        for path, params in (("/api/status", {"as_of": day.isoformat()}),
                             ("/api/surges", {"methods": "fao130", "partner": "AU"}),
                             ("/api/batches", {})):
            codes.append(client.get(path, params=params, headers=AUTH).status_code)
        day += dt.timedelta(days=17)
        if day.year > 2019:
            day = dt.date(2019, 4, 1)
        stop.wait(0.05)  # reads keep overlapping the writes without spinning the server's CPU


def test_ingest_and_uploads_while_the_server_reads_all_succeed_without_5xx(server, tmp_path):
    client, store, _ = server
    codes: list[int] = []
    stop = threading.Event()
    readers = [threading.Thread(target=_read_until, args=(client, stop, codes)) for _ in range(2)]
    for t in readers:
        t.start()
    try:
        cli = subprocess.run([sys.executable, "-m", "tradeguard.cli", "ingest",
                              str(_declarations(tmp_path / "cli.csv", 1)), "--store", str(store)],
                             capture_output=True, text=True, timeout=600)
        uploads = [client.post("/api/ingest", params={"filename": f"u{d}.csv"},
                               content=_declarations(tmp_path / f"u{d}.csv", d).read_bytes(),
                               headers={"Authorization": f"Bearer {TOKEN}"})
                   for d in (2, 3)]
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=600)
    assert cli.returncode == 0, cli.stderr[-600:]
    assert "ingested" in cli.stdout
    assert [u.status_code for u in uploads] == [200, 200]
    assert codes and not [c for c in codes if c >= 500]
    assert set(codes) == {200}
    assert len(client.get("/api/batches", headers=AUTH).json()) == 4  # the bundled batch and three new ones
