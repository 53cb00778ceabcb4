"""The services behind the API and the desk: the store's version and the single-flight cache."""

from __future__ import annotations

import pytest

from tradeguard.api.services import Services
from tradeguard.api.services.cache import SingleFlight


def test_a_store_without_a_batches_table_lists_no_batches(tmp_path):
    import duckdb

    path = tmp_path / "store.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE imports (a INTEGER)")
    con.close()
    services = Services.over(path)
    assert services.data.batches() == [] and services.store.version() == frozenset()


def test_the_version_is_known_without_io_only_until_the_store_file_changes(bundled_store):
    store = Services.over(bundled_store).store
    assert store.known_version() is None  # never read yet
    version = store.version()
    assert len(version) == 1 and store.known_version() == version
    store.changed()  # a write through the server
    assert store.known_version() is None


def test_the_cache_keeps_the_newest_answers_and_computes_a_miss_once():
    cache = SingleFlight(size=2, slots=1)
    calls = []
    for key in ("a", "b", "a", "c"):
        cache.get(key, lambda key=key: calls.append(key) or key.upper())
    assert calls == ["a", "b", "c"]
    assert (cache.peek("a"), cache.peek("b"), cache.peek("c")) == ("A", None, "C")
    assert len(cache) == 2


def test_a_failed_computation_is_not_cached_and_is_tried_again():
    cache = SingleFlight()
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise ValueError("first try fails")
        return "ok"

    with pytest.raises(ValueError, match="first try fails"):
        cache.get("k", flaky)
    assert cache.peek("k") is None and cache.get("k", flaky) == "ok" and len(attempts) == 2
