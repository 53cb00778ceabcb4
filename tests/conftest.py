"""Fixtures shared across the test tree."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings

import pytest

INGESTED_AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def bundled_store(tmp_path_factory):
    """A temporary store with the bundled real data (read only: copy it to write)."""
    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest

    path = tmp_path_factory.mktemp("bundled-store") / "store.duckdb"
    ingest(bundled_extract_path(), path, ingested_at=INGESTED_AT)
    return path


def make_client(app, **kwargs):
    """Starlette's TestClient (its import warns that httpx is deprecated there: harmless)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app, **kwargs)


@pytest.fixture(scope="session")
def spark_con():
    """One local Spark (``local[2]``) per test worker, as an Ibis backend.

    The Spark tests carry ``xdist_group("spark")`` and ``make test`` runs with
    ``--dist loadgroup``, so one worker starts the JVM once for all of them.
    """
    pytest.importorskip("pyspark", reason="pyspark not installed (pip install 'tradeguard[spark]')")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark")
    from tradeguard.data.backends import local_spark_session, spark_backend

    session = local_spark_session("local[2]", shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield spark_backend(session)
    session.stop()
