"""WTO Agreement on Agriculture Art. 5.5: the price-triggered additional duty."""

from __future__ import annotations

import itertools
import math

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.engine.price_trigger import (
    additional_duty,
    additional_duty_ibis,
    price_trigger_bands,
)
from tradeguard.errors import InputError

# domain-rules.md 1.5(c): trigger price 100, additional duty per unit by import price.
WORKED_EXAMPLE = [
    (90.0, 0.0),  # shortfall exactly 10 %: "not exceeding 10 %" pays nothing
    (85.0, 1.5),  # 30 % x (15 - 10)
    (60.0, 9.0),  # 30 % x 30
    (50.0, 14.0),  # 9 + 50 % x 10
    (40.0, 19.0),  # 9 + 50 % x 20
    (25.0, 29.5),  # 9 + 10 + 70 % x 15
    (20.0, 34.0),  # 29.5 + 90 % x 5
    (0.0, 52.0),  # 29.5 + 90 % x 25
]


@pytest.mark.parametrize(("import_price", "expected"), WORKED_EXAMPLE)
def test_worked_example_trigger_100(import_price, expected):
    assert additional_duty(100.0, import_price) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("scale", [1.0, 0.37, 524.0, 1e6])
def test_duty_scales_with_the_trigger_price(scale):
    # Every band edge is a fraction of T, so the schedule is homogeneous of degree one.
    for import_price, expected in WORKED_EXAMPLE:
        got = additional_duty(100.0 * scale, import_price * scale)
        assert got == pytest.approx(expected * scale, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("import_price", [100.0, 100.01, 250.0])
def test_no_duty_at_or_above_the_trigger_price(import_price):
    assert additional_duty(100.0, import_price) == 0.0


@pytest.mark.parametrize(("trigger", "price", "message"), [
    (0.0, 10.0, "trigger price is 0.0"),
    (-5.0, 10.0, "trigger price is -5.0"),
    (100.0, -1.0, "import price is negative"),
    (math.nan, 10.0, "trigger_price is nan"),
    (100.0, "cheap", "import_price 'cheap' is not a number"),
])
def test_bad_prices_are_refused(trigger, price, message):
    with pytest.raises(InputError, match=message):
        additional_duty(trigger, price)


def test_bands_are_contiguous_cited_and_marked():
    PRICE_TRIGGER_BANDS = price_trigger_bands()  # from rules/library/wto/price_trigger_bands.yaml
    assert [b.paragraph for b in PRICE_TRIGGER_BANDS] == ["a", "b", "c", "d", "e"]
    assert [b.rate for b in PRICE_TRIGGER_BANDS] == [0.0, 0.3, 0.5, 0.7, 0.9]
    assert PRICE_TRIGGER_BANDS[0].lower == 0.0 and PRICE_TRIGGER_BANDS[-1].upper == 1.0
    for below, above in itertools.pairwise(PRICE_TRIGGER_BANDS):
        assert below.upper == above.lower
    for band in PRICE_TRIGGER_BANDS:
        assert band.citation == f"WTO Agreement on Agriculture, Art. 5.5({band.paragraph})"
    # Only band (e)'s "plus the duties of the previous bands" rests on secondary sources.
    assert {b.paragraph: b.status for b in PRICE_TRIGGER_BANDS} == {
        "a": "confirmed", "b": "confirmed", "c": "confirmed", "d": "confirmed",
        "e": "secondary"}


_prices = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)
_triggers = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(trigger=_triggers, first=_prices, second=_prices)
def test_duty_is_continuous_non_increasing_and_below_the_shortfall(trigger, first, second):
    low, high = sorted((first, second))
    duty_low, duty_high = additional_duty(trigger, low), additional_duty(trigger, high)
    slack = 1e-9 * trigger  # float rounding of the band edges, relative to the prices
    # Non-increasing: a cheaper shipment never pays less.
    assert duty_low >= duty_high - slack
    # Continuous (Lipschitz): no marginal rate exceeds 90 %, so the duty moves by at
    # most 0.9 x the price change -- no jump at any band edge.
    assert duty_low - duty_high <= 0.9 * (high - low) + slack
    # Never more than the shortfall itself, and never negative.
    for price, duty in ((low, duty_low), (high, duty_high)):
        assert 0.0 <= duty <= max(trigger - price, 0.0) + slack


# --------------------------------------------------------------------------- vectorised


@pytest.fixture(scope="module")
def duckdb():
    return ibis.duckdb.connect()


def test_ibis_columns_match_the_scalar_duty(duckdb):
    prices = [price for price, _ in WORKED_EXAMPLE] + [100.0, 130.0, 61.7, 11.3]
    table = ibis.memtable(pa.table({"trigger": [100.0] * len(prices), "price": prices}))
    result = duckdb.to_pyarrow(table.select(
        duty=additional_duty_ibis(table.trigger, table.price)))
    assert result.schema.field("duty").type == pa.float64()
    got = result.column("duty").to_pylist()
    assert got == [pytest.approx(additional_duty(100.0, p), abs=1e-12) for p in prices]
    assert got[: len(WORKED_EXAMPLE)] == [
        pytest.approx(expected, abs=1e-9) for _, expected in WORKED_EXAMPLE]


def test_ibis_accepts_python_floats_for_either_price(duckdb):
    table = ibis.memtable(pa.table({"trigger": [100.0, 200.0], "price": [25.0, 50.0]}))
    fixed_trigger = duckdb.to_pyarrow(table.select(
        duty=additional_duty_ibis(100.0, table.price))).column("duty").to_pylist()
    fixed_price = duckdb.to_pyarrow(table.select(
        duty=additional_duty_ibis(table.trigger, 50.0))).column("duty").to_pylist()
    assert fixed_trigger == [pytest.approx(29.5), pytest.approx(14.0)]
    assert fixed_price == [pytest.approx(14.0), pytest.approx(59.0)]  # T 200, P 50: 18 + 20 + 21


def test_ibis_with_two_floats_is_the_scalar_duty():
    assert additional_duty_ibis(100.0, 25.0) == pytest.approx(29.5)


def test_ibis_rows_with_bad_prices_give_null(duckdb):
    table = ibis.memtable(pa.table({"trigger": [0.0, 100.0, 100.0], "price": [5.0, -1.0, 40.0]}))
    duty = additional_duty_ibis(table.trigger, table.price)
    assert duckdb.to_pyarrow(table.select(duty=duty)).column("duty").to_pylist() == [
        None, None, pytest.approx(19.0)]


def test_ibis_refuses_a_bad_python_float_at_once():
    table = ibis.memtable(pa.table({"price": [5.0]}))
    with pytest.raises(InputError, match=r"trigger price is -1\.0"):
        additional_duty_ibis(-1.0, table.price)
