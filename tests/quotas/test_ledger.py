"""Tariff-rate quota ledger: status and balance for each combination of events (truth table),
first-come-first-served allocation with pro rata on an oversubscribed day, and bad input."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from tradeguard.engine.allocation import allocate, allocate_reference
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError
from tradeguard.monitor.quotas import QuotaEvent, QuotaLedger
from tradeguard.rules.loader import shipped_rules

D = dt.date
SMP = "cptpp-tpp-smp"      # 3,719 t a year from Year 6 (FY2023)
DAY = D(2025, 12, 31)
JUNE = D(2025, 6, 1)


def ev(kind, qty=0.0, day=JUNE):
    return QuotaEvent(SMP, day, kind, qty)


@pytest.mark.parametrize(("events", "status", "balance"), [
    ([], "open", 3_719),
    ([ev("allocation", 3_000)], "open", 719),                      # 80.7% used
    ([ev("allocation", 3_400)], "critical", 319),                  # 91.4% used >= 90%
    ([ev("allocation", 3_719)], "exhausted", 0),
    ([ev("allocation", 5_000)], "exhausted", 0),                   # balance never negative
    ([ev("allocation", 3_719), ev("return", 500, D(2025, 7, 1))], "open", 500),
    ([ev("allocation", 3_400), ev("return", 100, D(2025, 7, 1))], "open", 419),  # 88.7% used
    ([ev("allocation", 1_000), ev("critical")], "critical", 2_719),        # declared by rule
    ([ev("allocation", 1_000), ev("exhaustion")], "exhausted", 2_719),     # declared closed
    ([ev("exhaustion"), ev("reopening", day=D(2025, 8, 1))], "open", 3_719),
    ([ev("critical"), ev("reopening", day=D(2025, 8, 1))], "open", 3_719),
    ([ev("allocation", 3_000, D(2024, 6, 1))], "open", 3_719),             # last year's events
])
def test_quota_status_truth_table(events, status, balance):
    ledger = QuotaLedger(shipped_rules()).record(events, as_of=DAY)
    state = ledger.state(SMP, DAY)
    assert (state.status, state.balance_t) == (status, pytest.approx(balance))
    assert state.volume_t == 3_719 and state.period == "FY2025"


def test_before_the_quota_opens():
    state = QuotaLedger(shipped_rules()).state(SMP, D(2018, 12, 29))
    assert state.status == "not_open"


def test_first_come_first_served_with_pro_rata_on_an_oversubscribed_day():
    requests = pa.table({
        "quota_id": [SMP] * 5, "period": ["FY2025"] * 5,
        "day": [D(2025, 4, 1), D(2025, 5, 1), D(2025, 5, 1), D(2025, 5, 1), D(2025, 6, 1)],
        "request_t": [3_000.0, 600.0, 300.0, 300.0, 100.0],
        "declaration": ["a", "b", "c", "d", "e"]})
    volumes = pa.table({"quota_id": [SMP], "period": ["FY2025"], "volume_t": [3_719.0]})
    out = {r["declaration"]: r["allocated_t"] for r in allocate(requests, volumes).to_pylist()}
    # 3,000 t on 1 April fit; on 1 May 1,200 t are asked for 719 t left: each gets 719/1,200.
    assert out == pytest.approx({"a": 3_000, "b": 359.5, "c": 179.75, "d": 179.75, "e": 0.0})
    assert list(out.values()) == pytest.approx(allocate_reference(
        requests.to_pylist(), {(SMP, "FY2025"): 3_719.0}))
    ledger = QuotaLedger(shipped_rules()).record(
        [QuotaEvent(SMP, r["day"], "allocation", r["allocated_t"])
         for r in allocate(requests, volumes).to_pylist() if r["allocated_t"] > 0], as_of=DAY)
    assert ledger.state(SMP, D(2025, 4, 30)).status == "open"
    assert ledger.state(SMP, D(2025, 5, 1)).status == "exhausted"
    assert ledger.exhaustion_day(SMP, DAY) == D(2025, 5, 1)


@pytest.mark.parametrize(("event", "error", "words"), [
    (QuotaEvent("no-such-quota", D(2025, 6, 1), "allocation", 1.0), RuleNotFoundError,
     "unknown quota `no-such-quota`"),
    (QuotaEvent(SMP, D(2017, 6, 1), "allocation", 1.0), PeriodError,
     "outside quota cptpp-tpp-smp's periods"),
    (QuotaEvent(SMP, D(2025, 7, 1), "return", 2_000.0), InputError,
     "exceeds what was allocated"),
    (QuotaEvent(SMP, D(2025, 7, 1), "allocation", -5.0), InputError, "negative quantity"),
])
def test_bad_events_are_refused_and_change_nothing(event, error, words):
    ledger = QuotaLedger(shipped_rules()).record([ev("allocation", 1_000)], as_of=DAY)
    with pytest.raises(error, match=words.replace("(", r"\(")):
        ledger.record([event], as_of=DAY)
    assert ledger.events == (ev("allocation", 1_000),)
    assert ledger.state(SMP, DAY).balance_t == pytest.approx(2_719)


def test_exhaustion_forecast_at_the_average_fill_rate():
    # 2,500 t used in the first 183 days of FY2025 (13.66 t a day): 1,219 t left → 90 days.
    ledger = QuotaLedger(shipped_rules()).record([ev("allocation", 2_500, D(2025, 5, 1))],
                                                 as_of=DAY)
    assert ledger.exhaustion_forecast(SMP, D(2025, 9, 30)) == D(2025, 12, 29)
    # A slower fill (1,830 t: 189 days left) lasts beyond 31 March: no exhaustion this year.
    slow = QuotaLedger(shipped_rules()).record([ev("allocation", 1_830)], as_of=DAY)
    assert slow.exhaustion_forecast(SMP, D(2025, 9, 30)) is None
