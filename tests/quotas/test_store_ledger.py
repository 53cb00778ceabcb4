"""The quota ledger kept in the store: balances from the declarations, no data said as such.

The declarations here are constructed (made-up figures, labelled): New Zealand butter claimed
under the CPTPP against the butter quota of FY2019 (volume 3,294 t).
"""

from __future__ import annotations

import datetime as dt

import pytest

INGESTED_AT = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
BUTTER = "cptpp.butter_quota"
# Constructed declarations (made-up figures).  Only the NZ rows claimed under the CPTPP count:
# the US is no CPTPP party, and an MFN entry uses no quota.
# Each day's declarations are one batch, known on that day.
HEADER = "date,tariff_line,partner,quantity,quantity_unit,value,currency,regime\n"
DECLARATIONS = {
    dt.date(2019, 5, 10): ("2019-05-10,040510129,NZ,1000,T,1,JPY,cptpp\n"
                           "2019-05-10,040510129,US,500,T,1,JPY,cptpp\n"
                           "2019-05-10,040510229,NZ,200,T,1,JPY,mfn\n"),
    dt.date(2019, 6, 1): "2019-06-01,040520090,NZ,2500,T,1,JPY,cptpp\n",
}


def _store(tmp_path, delay=dt.timedelta(0)):
    from tradeguard.data.store import ingest

    store = tmp_path / "store.duckdb"
    for day, rows in DECLARATIONS.items():
        csv = tmp_path / f"declarations-{day}.csv"
        csv.write_text(HEADER + rows, encoding="utf-8")
        ingest(csv, store, format="declarations", ingested_at=INGESTED_AT, known_on=day + delay)
    return store


@pytest.fixture
def quotas(tmp_path):
    from tradeguard.api.services import Services

    return Services.over(_store(tmp_path)).quotas


def _row(quotas, as_of, rule_id=BUTTER):
    return next(q for q in quotas.balances(as_of) if q["rule_id"] == rule_id)


def test_claims_fill_the_quota_first_come_first_served_until_exhausted(quotas):
    row = _row(quotas, dt.date(2019, 12, 31))
    # 1,000 t on 10 May, then 2,500 t asked on 1 June of which only 2,294 t were left
    assert (row["volume_t"], row["allocated_t"], row["balance_t"]) == (3294.0, 3294.0, 0.0)
    assert row["status"] == "exhausted" and row["exhausted_on"] == "2019-06-01"
    assert row["data_through"] == "2019-06-01"


def test_balance_on_a_day_counts_only_the_claims_up_to_that_day(quotas):
    row = _row(quotas, dt.date(2019, 5, 31))
    assert (row["allocated_t"], row["balance_t"], row["status"]) == (1000.0, 2294.0, "open")


def test_a_quota_without_declarations_on_its_lines_says_no_data_never_a_balance(quotas):
    others = [q for q in quotas.balances(dt.date(2019, 12, 31))
              if q["rule_id"] != BUTTER and q["status"] not in ("not_open", "not_defined")]
    assert others and {q["status"] for q in others} == {"no_data"}
    assert {q["balance_t"] for q in others} == {None}
    assert all("no declaration records" in q["note"] for q in others)


def test_declarations_known_after_as_of_are_not_counted(tmp_path):
    from tradeguard.api.services import Services

    quotas = Services.over(_store(tmp_path, delay=dt.timedelta(days=30))).quotas
    assert _row(quotas, dt.date(2019, 6, 8))["status"] == "no_data"
    assert _row(quotas, dt.date(2019, 6, 9))["allocated_t"] == 1000.0
    assert _row(quotas, dt.date(2019, 7, 1))["allocated_t"] == 3294.0


def test_history_lists_the_balance_after_each_allocation_day(quotas):
    hist = quotas.history("cptpp-tpp-butter", dt.date(2019, 12, 31))
    assert [(h["date"], h["balance_t"]) for h in hist["history"]] == [
        ("2019-04-01", 3294.0), ("2019-05-10", 2294.0), ("2019-06-01", 0.0)]


def test_the_ledger_is_persisted_in_the_store_for_its_version(tmp_path):
    from tradeguard.api.services import Services
    from tradeguard.data.derived import read_derived
    from tradeguard.monitor.quota_ledger import TABLE, ledger_version

    services = Services.over(_store(tmp_path))
    services.quotas.balances(dt.date(2019, 12, 31))
    version = ledger_version(services.store.version(), services.rules.rules)
    stored = read_derived(services.store.path, TABLE, version)
    butter = [r for r in stored.to_pylist() if r["quota_id"] == BUTTER]
    assert sorted((r["day"].isoformat(), r["declared_rows"], r["claimed_t"]) for r in butter) == [
        ("2019-05-10", 3, 1000.0), ("2019-06-01", 1, 2500.0)]
    assert read_derived(services.store.path, TABLE, "another version") is None
