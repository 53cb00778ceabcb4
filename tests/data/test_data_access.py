"""One writer and many readers (tradeguard.data.access, docs/adr/0005-store-access-one-writer-many-readers.md).

None of these tests times anything: they order events with threads, events and child
processes, and assert what each side saw.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime

import pytest
from test_data_store import VALID, consistency, synthetic_parquet

from tradeguard.data.access import AccessPolicy, StoreBusyError, holding, lock_paths
from tradeguard.data.store import ingest, open_imports

INGESTED_AT = datetime(2026, 1, 1, 9, 30, tzinfo=UTC)

HOLD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from tradeguard.data.access import holding
    with holding(Path(sys.argv[1]), sys.argv[2]):
        print("holding", flush=True)
        sys.stdin.readline()  # until the test says so
""")


def hold_in_child(store, role: str) -> subprocess.Popen:
    """A child process holding the store's reader or writer lock until its stdin closes."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(store), role],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "holding"
    return child


def release_child(child: subprocess.Popen) -> None:
    child.stdin.close()
    child.wait(timeout=60)


def test_a_reader_that_waits_too_long_is_told_which_process_writes(tmp_path, monkeypatch):
    store = tmp_path / "s.duckdb"
    ingest(VALID, store, ingested_at=INGESTED_AT)
    monkeypatch.setenv("TRADEGUARD_STORE_READ_WAIT", "0.2")
    child = hold_in_child(store, "write")
    try:
        with pytest.raises(StoreBusyError) as caught:
            open_imports(store)
    finally:
        release_child(child)
    text = str(caught.value)
    assert f"being written by pid {child.pid}" in text
    assert "TRADEGUARD_STORE_READ_WAIT" in text  # the fix names the setting
    imports = open_imports(store)  # and once the writer is gone, reading works
    try:
        assert imports.count().execute() == 4
    finally:
        imports.get_backend().disconnect()


def test_a_writer_that_waits_too_long_names_the_reading_process(tmp_path, monkeypatch):
    store = tmp_path / "s.duckdb"
    ingest(VALID, store, ingested_at=INGESTED_AT)
    monkeypatch.setenv("TRADEGUARD_STORE_WRITE_WAIT", "0.2")
    other = synthetic_parquet(tmp_path / "other.parquet", 50, seed=1)
    child = hold_in_child(store, "read")
    try:
        with pytest.raises(StoreBusyError, match=f"open in pid {child.pid}"):
            ingest(other, store, ingested_at=INGESTED_AT)
    finally:
        release_child(child)
    assert consistency(store) == (4, 1)  # nothing half-written
    assert not lock_paths(store)[1].read_text()  # the waiting writer left no note behind


def test_a_writer_waits_for_the_reader_in_the_same_process_then_writes(tmp_path):
    store = tmp_path / "s.duckdb"
    ingest(VALID, store, ingested_at=INGESTED_AT)
    other = synthetic_parquet(tmp_path / "other.parquet", 50, seed=2)
    imports = open_imports(store)
    seen_by_reader = imports.count().execute()
    done: dict[str, object] = {}

    def write() -> None:
        done["report"] = ingest(other, store, ingested_at=INGESTED_AT)

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(timeout=0.3)
    assert writer.is_alive() and "report" not in done  # it waits while the reader is open
    imports.get_backend().disconnect()
    writer.join(timeout=60)
    assert done["report"].status == "ingested"
    assert seen_by_reader == 4 and consistency(store) == (54, 2)


def test_new_readers_queue_behind_a_waiting_writer(tmp_path):
    # Writer preference: a reader arriving while a writer waits goes after the writer, so a
    # stream of readers cannot starve it.
    store = tmp_path / "s.duckdb"
    ingest(VALID, store, ingested_at=INGESTED_AT)
    policy = AccessPolicy(read_wait_s=60, write_wait_s=60, poll_s=0.01)
    order: list[str] = []
    first = holding(store, "read", policy)
    first.__enter__()
    writer_in = threading.Event()

    def write() -> None:
        with holding(store, "write", policy):
            order.append("writer")
            writer_in.set()

    def late_read() -> None:
        with holding(store, "read", policy):
            order.append("late reader")

    threads = [threading.Thread(target=write)]
    threads[0].start()
    while not lock_paths(store)[1].read_text():  # the writer's note: it holds the turnstile
        threads[0].join(timeout=0.01)
    threads.append(threading.Thread(target=late_read))
    threads[1].start()
    threads[1].join(timeout=0.2)
    assert order == []  # neither got in while the first reader held the store
    first.__exit__(None, None, None)
    for t in threads:
        t.join(timeout=60)
    assert order == ["writer", "late reader"]


CHILD_INGEST = textwrap.dedent("""
    import sys
    from datetime import datetime, UTC
    from tradeguard.data.store import ingest
    print(ingest(sys.argv[2], sys.argv[1], ingested_at=datetime(2026, 1, 1, tzinfo=UTC)).status)
""")


def test_concurrent_ingests_all_succeed(tmp_path):
    store = tmp_path / "s.duckdb"
    files = [synthetic_parquet(tmp_path / f"f{i}.parquet", 2_000, seed=20 + i) for i in range(4)]
    children = [subprocess.Popen([sys.executable, "-c", CHILD_INGEST, str(store), str(f)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for f in files]
    results = [c.communicate(timeout=300) for c in children]
    assert [c.returncode for c in children] == [0, 0, 0, 0], [r[1][-400:] for r in results]
    assert sorted(r[0].strip() for r in results) == ["ingested"] * 4
    assert consistency(store) == (8_000, 4)


def test_a_bad_wait_setting_is_refused_with_its_name(monkeypatch, tmp_path):
    from tradeguard.data.access import policy_from_env

    monkeypatch.setenv("TRADEGUARD_STORE_WRITE_WAIT", "soon")
    with pytest.raises(Exception, match="TRADEGUARD_STORE_WRITE_WAIT must be a number"):
        policy_from_env()
