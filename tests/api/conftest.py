"""An app over the bundled store (``bundled_store``, tests/conftest.py; token: TOKEN)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from tests.conftest import INGESTED_AT, make_client  # noqa: F401 - the API tests import them here

TOKEN = "test-token-0123456789"
AS_OF = dt.date(2019, 12, 31)  # the bundled data's last month


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


@pytest.fixture(scope="session")
def client(app):
    with make_client(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def upload_client(store_copy):
    """An app with the token over a copy of the bundled store (uploads up to 4,096 bytes)."""
    from tradeguard.api.app import create_app

    return make_client(create_app(store_copy, token=TOKEN, max_upload_bytes=4096),
                       raise_server_exceptions=False)


def digest(path: Path) -> str:
    """The file's SHA-256: a store left unchanged keeps it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
