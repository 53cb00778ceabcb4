"""A temporary store with the bundled real data, and an app over it (token: TOKEN)."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest

TOKEN = "test-token-0123456789"
INGESTED_AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
AS_OF = dt.date(2019, 12, 31)  # the bundled data's last month


@pytest.fixture(scope="session")
def bundled_store(tmp_path_factory):
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest

    path = tmp_path_factory.mktemp("api-store") / "store.duckdb"
    ingest(bundled_extract_path(), path, ingested_at=INGESTED_AT)
    return path


@pytest.fixture(scope="session")
def report(bundled_store):
    """The library's monitor report on the bundled store, as the API should serve it."""
    from tradeguard.data.store import open_imports
    from tradeguard.monitor.report import monitor

    imports = open_imports(bundled_store)
    try:
        return monitor(imports, as_of=AS_OF)
    finally:
        imports.get_backend().disconnect()


@pytest.fixture(scope="session")
def app(bundled_store):
    from tradeguard.api.app import create_app

    return create_app(bundled_store, token=TOKEN, cors_origins=())


def make_client(app, **kwargs):
    """Starlette's TestClient (its import warns that httpx is deprecated there: harmless)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app, **kwargs)


@pytest.fixture(scope="session")
def client(app):
    with make_client(app, raise_server_exceptions=False) as c:
        yield c
