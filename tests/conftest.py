"""Fixtures shared across the test tree."""

from __future__ import annotations

import datetime as dt
import os
import resource
import shutil
import warnings
from pathlib import Path

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


@pytest.fixture
def store_copy(bundled_store, tmp_path):
    """A copy of the bundled store that a test may write to (a copy costs milliseconds, an
    ingest of the bundled extract 3-4 CPU-s)."""
    copy = tmp_path / "store.duckdb"
    shutil.copyfile(bundled_store, copy)
    return copy


def make_client(app, **kwargs):
    """Starlette's TestClient (its import warns that httpx is deprecated there: harmless)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient(app, **kwargs)


# The test JVM compiles with C1 only and collects with one thread: the parity tests run a
# few seconds of queries, for which C2's optimising compiler and the parallel collector's
# threads cost more than they give (JVM CPU for the three parity files: 100 CPU-s -> 50, with
# the same results; on 2 cores that CPU is taken from the other test worker).
SPARK_TEST_SUBMIT_ARGS = ("--driver-java-options '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC' "
                          "pyspark-shell")


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

    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", SPARK_TEST_SUBMIT_ARGS)
    session = local_spark_session("local[2]", shuffle_partitions=2)
    session.sparkContext.setLogLevel("ERROR")
    yield spark_backend(session)
    session.stop()


# Opt-in profile of the suite's cost: with TRADEGUARD_TEST_CPU_LOG=FILE each test's CPU seconds
# (this process's threads and the subprocesses it waited for; setup, call and teardown) are
# appended to FILE.  CPU time, unlike wall time, hardly moves with the load from other work, so
# it says which tests make `make test` slow even on a busy machine.  Nothing is asserted on it.
_CPU_LOG = os.environ.get("TRADEGUARD_TEST_CPU_LOG")


def _cpu_seconds() -> float:
    own, children = (resource.getrusage(who) for who in
                     (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not _CPU_LOG:
        yield
        return
    start = _cpu_seconds()
    yield
    with open(_CPU_LOG, "a", encoding="utf-8") as log:
        log.write(f"{_cpu_seconds() - start:.3f}\t{item.nodeid}\n")


# tryfirst: xdist's own hook reads the ``xdist_group`` marks to name the work units.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """The tests marked ``slow`` first: the workers take the long ones while there is still
    other work to pair them with, and the suite does not end waiting for one of them.

    Every test that uses Chromium (the ``browser`` fixture, or ``page`` through it) is one
    xdist group: one worker starts Chromium and the live server once for all of them."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("browser"))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--no-first-run"]


# One sync Playwright per test worker, for every browser test: a second one in the same
# worker fails (the first keeps its event loop running in the main thread).
@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip("no Debian chromium at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Python Playwright is not installed (pip install playwright)")
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield b
        b.close()




# pytest-xdist 3.8 names a test's work unit by appending "@group" to ``item._nodeid``, which
# pytest 9 no longer reads (``nodeid`` is ``str(item._id)``): under ``--dist loadgroup`` every
# ``xdist_group`` was ignored, so both workers started a Spark JVM (50-100 CPU-s each) and
# built the wheel's venv.  This hook, run after xdist's, gives the id the suffix xdist meant;
# it does nothing where xdist's own suffix took.
@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_name_xdist_groups(config, items):
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = {str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                 for m in item.iter_markers("xdist_group")}
        if names and "@" not in item.nodeid:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(sorted(names))}")
