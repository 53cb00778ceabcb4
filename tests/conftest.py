"""Fixtures shared across the test tree."""

from __future__ import annotations

import shutil

import pytest


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
