"""The prepared monitor (issue 15): read once per data version, asked at any ``as_of``, it
gives exactly what a fresh ``monitor(imports, as_of=...)`` gives, knowledge time included.

Data: the real bundled extract (monthly) plus 20,000 synthetic day-level records
(``bench.synthetic``, seeded and labelled in their ``source``), so both granularities, real
coverage gaps and crossings are in play; and a constructed store with a revision.
"""

from __future__ import annotations

import datetime as dt
import functools
import random

import pyarrow as pa
import pytest
from bench.synthetic import import_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradeguard.data.bundled import bundled_extract_path
from tradeguard.data.readers import TIDY_COLUMNS, read_any
from tradeguard.data.schema import CANONICAL_SCHEMA
from tradeguard.data.store import ingest
from tradeguard.errors import InputError
from tradeguard.monitor.prepared import MonitorCache, PreparedMonitor, batch_known_dates
from tradeguard.monitor.report import monitor, monitor_latest
from tradeguard.rules.loader import shipped_rules

FIRST, LAST = dt.date(2012, 1, 1), dt.date(2025, 6, 30)
CHILLED = "jaepa.beef_chilled_safeguard"
INGESTED_AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def revised_store(tmp_path) -> object:
    """Constructed (made-up) figures: Australian chilled beef of April 2017, a preliminary
    1,000 t known on 31 May, revised to 1,200 t on 30 June."""
    store = tmp_path / "store.duckdb"
    for name, kg, known_on, replace in (("preliminary", 1_000_000, dt.date(2017, 5, 31), False),
                                         ("confirmed", 1_200_000, dt.date(2017, 6, 30), True)):
        row = ["2017", "4", "JPN", "import", "601", "", "1", "020130010", "", "KG", "0",
               str(kg), str(kg)]
        path = tmp_path / f"{name}.csv"
        path.write_text(",".join(TIDY_COLUMNS) + "\n" + ",".join(row) + "\n")
        ingest(path, store, ingested_at=INGESTED_AT, known_on=known_on, replace=replace)
    return store


@functools.cache
def imports() -> pa.Table:
    real = read_any(bundled_extract_path()).replace_schema_metadata(None).cast(CANONICAL_SCHEMA)
    return pa.concat_tables([import_records(20_000, seed=7), real]).combine_chunks()


@functools.cache
def prepared() -> PreparedMonitor:
    return PreparedMonitor.of(imports())


def answer(report) -> tuple:
    """Everything a report says: rows, timelines, status, alerts and the activation ledger."""
    return ([p.row() for p in report.periods], [p.timeline() for p in report.periods],
            report.status(), [a.row() for a in report.alerts()],
            [a.model_dump() for a in report.activations])


def dates() -> list[dt.date]:
    """Period ends, the days either side of them, and seeded random days."""
    edges = [dt.date(2015, 3, 31), dt.date(2015, 4, 1), dt.date(2018, 12, 29),
             dt.date(2018, 12, 30), dt.date(2019, 3, 31), dt.date(2021, 3, 17),
             dt.date(2021, 3, 18), dt.date(2025, 3, 31)]
    rnd = random.Random(15)
    return edges + [FIRST + dt.timedelta(days=rnd.randrange((LAST - FIRST).days))
                    for _ in range(6)]


@pytest.mark.parametrize("as_of", dates(), ids=str)
def test_a_prepared_lookup_equals_a_fresh_monitor_run(as_of):
    assert answer(prepared().report(as_of)) == answer(monitor(imports(), as_of=as_of))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(FIRST, LAST))
def test_any_as_of_of_the_prepared_monitor_equals_a_fresh_run(as_of):
    assert answer(prepared().report(as_of)) == answer(monitor(imports(), as_of=as_of))


def test_a_later_record_does_not_count_at_an_earlier_as_of():
    early = prepared().report(dt.date(2016, 6, 30)).period("jaepa.beef_frozen_safeguard", 2016)
    assert early.data_through == dt.date(2016, 6, 30)
    assert all(cp.day <= dt.date(2016, 6, 30) for cp in early.checkpoints)


def test_a_subset_of_measures_equals_a_fresh_run_of_that_subset():
    as_of, ids = dt.date(2019, 3, 31), ["cptpp.beef_safeguard", "jaepa.beef_chilled_safeguard"]
    assert (answer(prepared().report(as_of, measures=ids))
            == answer(monitor(imports(), as_of=as_of, measures=ids)))


def test_a_measure_not_prepared_is_refused_with_the_fix():
    small = PreparedMonitor.of(imports().slice(0, 100), measures=["cptpp.beef_safeguard"])
    with pytest.raises(InputError, match="prepare it with those measures"):
        small.report(dt.date(2019, 3, 31), measures=["usjta.beef_safeguard"])


def test_the_cache_reads_a_revision_only_from_the_day_it_is_known(tmp_path):
    store = revised_store(tmp_path)
    cache, rules = MonitorCache(max_entries=2), shipped_rules()
    assert batch_known_dates(store) == (dt.date(2017, 5, 31), dt.date(2017, 6, 30))
    counted = []
    for day in (dt.date(2017, 6, 15), dt.date(2017, 7, 15), dt.date(2017, 6, 29)):
        report = cache.report(store, version="v1", rules=rules, as_of=day)
        assert answer(report) == answer(monitor(store=store, as_of=day, rules=rules))
        counted.append(round(report.period(CHILLED, 2017).row()["cumulative_t"], 3))
    assert counted == [1000.0, 1200.0, 1000.0]
    assert len(cache._entries) == 2  # one per set of known batches: before and after 30 June


def test_the_cache_is_bounded_and_keyed_by_store_version(tmp_path):
    store = revised_store(tmp_path)
    cache, rules = MonitorCache(max_entries=2), shipped_rules()
    day = dt.date(2017, 7, 15)
    first = cache.prepared(store, version="v1", rules=rules, as_of=day)
    assert cache.prepared(store, version="v1", rules=rules, as_of=day) is first
    assert cache.prepared(store, version="v2", rules=rules, as_of=day) is not first
    cache.prepared(store, version="v3", rules=rules, as_of=day)
    assert [key[0] for key in cache._entries] == ["v2", "v3"]


def test_the_latest_report_equals_monitor_latest():
    assert answer(prepared().latest()) == answer(monitor_latest(imports()))
    assert prepared().latest().as_of_by_measure == monitor_latest(imports()).as_of_by_measure


def test_the_cache_gives_the_latest_report_of_a_store_with_every_batch_known(tmp_path):
    store = revised_store(tmp_path)
    cache, rules = MonitorCache(), shipped_rules()
    report = cache.latest(store, version="v1", rules=rules)
    assert answer(report) == answer(monitor_latest(store=store, rules=rules))
    assert round(report.period(CHILLED, 2017).row()["cumulative_t"], 3) == 1200.0
    later = cache.prepared(store, version="v1", rules=rules, as_of=dt.date(2017, 7, 15))
    assert cache.prepared(store, version="v1", rules=rules, as_of=None) is later



def test_the_counts_do_not_depend_on_the_order_of_the_records():
    # Float sums follow the order they are added in: on 10 M records the prepared report
    # and a fresh run differed in the last bits (2026-11-30), because the backend's threads
    # add in no fixed order. The sums are exact from the first one. Three quantities (kg,
    # not real data) whose float sums differ by more than 1e-9 kg with the order:
    # (68643367.545 + 7.887) + 0.939 = 68643376.37099999, the other way round 68643376.371.
    import ibis

    from tradeguard.monitor.counting import cumulative, specs_for

    rules = shipped_rules()
    real = read_any(bundled_extract_path())
    row = real.filter(pa.compute.starts_with(real["tariff_line"], "0202")).slice(0, 1)
    three = pa.concat_tables([row] * 3)
    quantities = [68643367.545, 7.887, 0.939]
    specs = specs_for(rules, "cptpp.beef_safeguard")
    as_of = dt.date(2025, 3, 31)

    def counted(order):
        t = three.set_column(three.schema.get_field_index("quantity"), "quantity",
                             pa.array([quantities[i] for i in order], pa.float64()))
        out = cumulative(ibis.memtable(t), specs, rules, as_of).to_pyarrow()
        return sorted(out.column("cumulative_t").to_pylist())

    assert counted([0, 1, 2]) == counted([2, 1, 0])
    assert 68643.376371 in counted([0, 1, 2])
