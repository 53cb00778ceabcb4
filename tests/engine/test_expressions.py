"""Units, duty expressions (text form, scalar evaluation) and the vectorised Ibis path."""

from __future__ import annotations

import math

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from tradeguard.engine.expressions import (
    Component,
    CompoundDuty,
    DutyExpression,
    GatePriceDuty,
    ad_valorem_percent,
    evaluate,
    format_duty,
    needs,
    parse_duty,
    specific_part,
    to_ibis,
)
from tradeguard.errors import InputError
from tradeguard.units import convert_money, convert_quantity, normalise_unit

# Japan's pork differential duty before FY2020 (domain-rules.md 2.2) and the FY2025
# CPTPP form (0.4 %, branch point 524 yen/kg, standard price 524 x 1.004, cap 58 yen/kg).
PORK_GATE_PRE_2020 = GatePriceDuty(ad_valorem_percent=4.3, branch_point=524,
                                   standard_price=546.53, specific_cap=482)
PORK_GATE_CPTPP_FY2025 = GatePriceDuty(ad_valorem_percent=0.4, branch_point=524,
                                       standard_price=524 * 1.004, specific_cap=58)

# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(("code", "unit"), [
    ("KGM", "kg"), ("kg", "kg"), ("DTN", "100kg"), ("100 kg", "100kg"), ("TNE", "t"),
    ("t", "t"), ("LTR", "l"), ("HLT", "hl"), ("hl", "hl"),
])
def test_unit_codes_normalise_to_canonical_names(code, unit):
    assert normalise_unit(code) == unit


@pytest.mark.parametrize(("value", "source", "target", "expected"), [
    (100.0, "KGM", "DTN", 1.0),  # the UK calculator's factor 0.01, exactly
    (250.0, "kg", "100kg", 2.5),
    (2.0, "TNE", "kg", 2000.0),
    (3.0, "t", "100kg", 30.0),
    (1000.0, "LTR", "HLT", 10.0),
    (1.5, "hl", "l", 150.0),
    (7.0, "kg", "kg", 7.0),
])
def test_convert_quantity_within_a_dimension(value, source, target, expected):
    assert convert_quantity(value, source, target) == expected


def test_mass_does_not_convert_to_volume():
    with pytest.raises(InputError, match=r"kg \(mass\) into hl \(volume\).*Fix:"):
        convert_quantity(1.0, "kg", "hl")


def test_unknown_unit_lists_the_known_ones():
    with pytest.raises(InputError, match=r"unknown quantity unit 'ASV'.*KGM, DTN"):
        normalise_unit("ASV")


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "100"])
def test_quantity_must_be_a_finite_number(bad):
    with pytest.raises(InputError, match="quantity value"):
        convert_quantity(bad, "kg", "t")


def test_convert_money_direct_inverse_and_same_currency():
    assert convert_money(100.0, "EUR", "GBP", {"EUR_to_GBP": 0.8571}) == pytest.approx(85.71)
    assert convert_money(85.71, "GBP", "EUR", {"EUR_to_GBP": 0.8571}) == pytest.approx(100.0)
    assert convert_money(12.5, "jpy", "JPY", None) == 12.5


def test_missing_exchange_rate_names_the_key_to_supply():
    with pytest.raises(InputError, match=r'exchange_rates=\{"USD_to_JPY"'):
        convert_money(1.0, "USD", "JPY", {"EUR_to_GBP": 0.8571})


@pytest.mark.parametrize("rate", [0.0, -1.0, math.nan])
def test_exchange_rate_must_be_positive_and_finite(rate):
    with pytest.raises(InputError, match="EUR_to_GBP"):
        convert_money(1.0, "EUR", "GBP", {"EUR_to_GBP": rate})


def test_currency_must_be_an_iso_code():
    with pytest.raises(InputError, match="'¥' is not a currency code"):
        convert_money(1.0, "¥", "JPY", None)


# --------------------------------------------------------------------------- models


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "ad_valorem"}, "needs `percent`"),
    ({"kind": "ad_valorem", "percent": 5, "unit": "kg"}, "takes only `percent`; remove unit"),
    ({"kind": "specific", "amount": 5, "currency": "JPY"}, "add unit"),
    ({"kind": "specific", "amount": 5, "currency": "JPY", "unit": "kg", "percent": 1},
     "takes no `percent`"),
    ({"kind": "specific", "amount": 5, "currency": "JPY", "unit": "m2"}, "unknown quantity unit"),
    ({"kind": "specific", "amount": 5, "currency": "yen!", "unit": "kg"}, "not a currency code"),
    ({"kind": "ad_valorem", "percent": -1}, "greater than or equal to 0"),
    ({"kind": "ad_valorem", "percent": 5, "note": "x"}, "Extra inputs are not permitted"),
])
def test_component_fields_must_match_its_kind(fields, message):
    with pytest.raises(ValidationError, match=message):
        Component(**fields)


def test_compound_duty_cannot_start_with_a_joiner():
    first = Component(kind="ad_valorem", operator="MAX", percent=5)
    with pytest.raises(ValidationError, match="nothing before it"):
        CompoundDuty(components=[first])
    with pytest.raises(ValidationError, match="at least 1 item"):
        CompoundDuty(components=[])


def test_gate_price_prices_must_be_in_order_and_per_mass():
    with pytest.raises(ValidationError, match="below branch_point"):
        GatePriceDuty(ad_valorem_percent=4.3, branch_point=546.53, standard_price=524,
                      specific_cap=482)
    with pytest.raises(ValidationError, match="per unit of mass"):
        GatePriceDuty(ad_valorem_percent=4.3, branch_point=524, standard_price=546.53,
                      specific_cap=482, unit="l")


def test_duty_expression_is_chosen_by_kind():
    adapter = TypeAdapter(DutyExpression)
    gate = adapter.validate_python({"kind": "gate_price", "ad_valorem_percent": 4.3,
                                    "branch_point": 524, "standard_price": 546.53,
                                    "specific_cap": 482})
    assert gate == PORK_GATE_PRE_2020
    compound = adapter.validate_python(
        {"kind": "compound", "components": [{"kind": "ad_valorem", "percent": 38.5}]})
    assert compound == parse_duty("38.5%")


# --------------------------------------------------------------------------- text form


@pytest.mark.parametrize(("text", "canonical", "components"), [
    ("38.5%", "38.5%", [("+", "ad_valorem", 38.5, None, None)]),
    ("0%", "0%", [("+", "ad_valorem", 0.0, None, None)]),
    ("25% + 130 JPY/kg", "25% + 130 JPY/kg",
     [("+", "ad_valorem", 25.0, None, None), ("+", "specific", 130.0, "JPY", "kg")]),
    ("482 JPY/kg", "482 JPY/kg", [("+", "specific", 482.0, "JPY", "kg")]),
    ("35.1 EUR/100kg", "35.1 EUR/100kg", [("+", "specific", 35.1, "EUR", "100kg")]),
    ("35.1 eur / DTN", "35.1 EUR/100kg", [("+", "specific", 35.1, "EUR", "100kg")]),
    ("13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg",
     "13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg",
     [("+", "ad_valorem", 13.8, None, None), ("MIN", "specific", 13.0, "GBP", "100kg"),
      ("MAX", "specific", 15.0, "GBP", "100kg"), ("-", "specific", 7.0, "GBP", "100kg")]),
    ("20%max 2 jpy/kg\u22121 JPY/t", "20% MAX 2 JPY/kg - 1 JPY/t",
     [("+", "ad_valorem", 20.0, None, None), ("MAX", "specific", 2.0, "JPY", "kg"),
      ("-", "specific", 1.0, "JPY", "t")]),
])
def test_parse_duty_reads_the_rule_grammar(text, canonical, components):
    expr = parse_duty(text)
    got = [(c.operator, c.kind, c.percent if c.kind == "ad_valorem" else c.amount,
            c.currency, c.unit) for c in expr.components]
    assert got == components
    assert format_duty(expr) == canonical
    assert str(expr) == canonical


@pytest.mark.parametrize(("text", "token"), [
    ("", "empty duty expression"),
    ("   ", "empty duty expression"),
    ("38.5", "found the end of the text"),
    ("38.5% +", "found the end of the text"),
    ("abc", "found 'abc' at character 1"),
    ("- 5%", "found '-' at character 1"),
    ("5% * 3%", "found '\\*' at character 4"),
    ("1.2.3%", "found '.3%' at character 4"),
    ("5% 3%", "expected an operator .* found '3' at character 4"),
    ("12 JPY/m", "unknown quantity unit 'm'"),
])
def test_parse_duty_names_the_bad_token_and_shows_the_grammar(text, token):
    with pytest.raises(InputError, match=token) as caught:
        parse_duty(text)
    assert 'e.g. "13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg"' in str(caught.value)


def test_gate_price_formats_as_a_sentence():
    assert format_duty(PORK_GATE_PRE_2020) == (
        "gate price: 4.3% above 524 JPY/kg, else min(546.53 \u2212 value, 482) JPY/kg")
    assert str(PORK_GATE_CPTPP_FY2025).startswith("gate price: 0.4% above 524 JPY/kg")


_rates = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)
_components = st.one_of(
    st.builds(Component, kind=st.just("ad_valorem"), operator=st.sampled_from("+-"),
              percent=_rates),
    st.builds(Component, kind=st.just("specific"), operator=st.sampled_from("+-"),
              amount=_rates, currency=st.sampled_from(["JPY", "GBP", "EUR"]),
              unit=st.sampled_from(["kg", "100kg", "t", "l", "hl"])),
)


@st.composite
def compound_duties(draw, components=_components):
    first = draw(components).model_copy(update={"operator": "+"})
    rest = draw(st.lists(components, max_size=4))
    joiners = draw(st.lists(st.sampled_from(["+", "-", "MIN", "MAX"]),
                            min_size=len(rest), max_size=len(rest)))
    rest = [c.model_copy(update={"operator": op}) for c, op in zip(rest, joiners, strict=True)]
    return CompoundDuty(components=[first, *rest])


@settings(max_examples=200, deadline=None)
@given(compound_duties())
def test_format_then_parse_gives_back_the_same_expression(expr):
    text = format_duty(expr)
    assert parse_duty(text) == expr
    assert format_duty(parse_duty(text)) == text


# --------------------------------------------------------------------------- introspection


@pytest.mark.parametrize(("text", "needed", "percent", "specific"), [
    ("38.5%", {"customs_value"}, 38.5, None),
    ("482 JPY/kg", {"quantity"}, None, {"amount": 482.0, "currency": "JPY", "unit": "kg"}),
    ("25% + 130 JPY/kg", {"customs_value", "quantity"}, 25.0,
     {"amount": 130.0, "currency": "JPY", "unit": "kg"}),
    ("10% MAX 2 JPY/kg", {"customs_value", "quantity"}, None, None),
    ("10% - 2 JPY/kg", {"customs_value", "quantity"}, None, None),
    ("10% + 5%", {"customs_value"}, None, None),
])
def test_needs_and_json_parts(text, needed, percent, specific):
    expr = parse_duty(text)
    assert needs(expr) == needed
    assert ad_valorem_percent(expr) == percent
    assert specific_part(expr) == specific


def test_gate_price_needs_both_and_has_no_single_rate():
    assert needs(PORK_GATE_PRE_2020) == {"customs_value", "quantity"}
    assert ad_valorem_percent(PORK_GATE_PRE_2020) is None
    assert specific_part(PORK_GATE_PRE_2020) is None


# --------------------------------------------------------------------------- scalar evaluation


@pytest.mark.parametrize(("text", "kwargs", "expected"), [
    ("38.5%", {"customs_value": 1000.0}, 385.0),
    ("0%", {"customs_value": 1000.0}, 0.0),
    ("25% + 130 JPY/kg", {"customs_value": 1000.0, "quantity": 10.0}, 1550.0),
    ("482 JPY/kg", {"quantity": 2.0, "quantity_unit": "t"}, 964_000.0),
    ("35.1 EUR/100kg", {"quantity": 250.0, "exchange_rates": {"EUR_to_JPY": 160.0}}, 14_040.0),
    ("35.1 EUR/100kg", {"quantity": 250.0, "exchange_rates": {"JPY_to_EUR": 0.00625}},
     14_040.0),
    ("20% - 5%", {"customs_value": 1000.0}, 150.0),
    ("12 JPY/hl", {"quantity": 250.0, "quantity_unit": "LTR"}, 30.0),
])
def test_evaluate_simple_expressions(text, kwargs, expected):
    assert evaluate(parse_duty(text), **kwargs) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("customs_value", "expected"), [
    (100.0, 20.0),  # floor binds: max(10, 2 x 10 kg)
    (1000.0, 100.0),  # ad valorem above the floor
])
def test_min_is_a_floor(customs_value, expected):
    expr = parse_duty("10% MIN 2 JPY/kg")
    assert evaluate(expr, customs_value=customs_value, quantity=10.0) == pytest.approx(expected)


@pytest.mark.parametrize(("customs_value", "expected"), [
    (1000.0, 20.0),  # cap binds: min(100, 2 x 10 kg)
    (100.0, 10.0),  # ad valorem below the cap
])
def test_max_is_a_cap(customs_value, expected):
    expr = parse_duty("10% MAX 2 JPY/kg")
    assert evaluate(expr, customs_value=customs_value, quantity=10.0) == pytest.approx(expected)


@pytest.mark.parametrize(("customs_value", "expected"), [
    (100.0, 20.0),  # min(max(10, 20), 50)
    (300.0, 30.0),  # min(max(30, 20), 50)
    (1000.0, 50.0),  # min(max(100, 20), 50)
])
def test_joiners_apply_left_to_right(customs_value, expected):
    expr = parse_duty("10% MIN 2 JPY/kg MAX 5 JPY/kg")
    assert evaluate(expr, customs_value=customs_value, quantity=10.0) == pytest.approx(expected)


def test_trailing_minus_lowers_the_cap_instead_of_coming_off_after_it():
    # UK calculator reading: min(max(13.8% x 1000, 13 x 10), 15 x 10 - 7 x 10) = min(138, 80).
    # Taking the 7/100kg off after capping would give min(138, 150) - 70 = 68 instead.
    expr = parse_duty("13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg")
    duty = evaluate(expr, customs_value=1000.0, quantity=1000.0, currency="GBP")
    assert duty == pytest.approx(80.0)


@pytest.mark.parametrize(("gate", "value_per_kg", "duty_per_kg"), [
    (PORK_GATE_PRE_2020, 600.0, 25.8),  # above the branch point: 4.3 % x 600
    (PORK_GATE_PRE_2020, 400.0, 146.53),  # 546.53 - 400
    (PORK_GATE_PRE_2020, 50.0, 482.0),  # 546.53 - 50 = 496.53, capped at 482
    (PORK_GATE_PRE_2020, 524.0, 22.53),  # at the branch point the specific leg applies
    (PORK_GATE_CPTPP_FY2025, 400.0, 58.0),  # min(126.096, 58)
    (PORK_GATE_CPTPP_FY2025, 500.0, 26.096),  # min(26.096, 58)
    (PORK_GATE_CPTPP_FY2025, 600.0, 2.4),  # 0.4 % x 600
])
@pytest.mark.parametrize("kilograms", [1.0, 1250.0])
def test_gate_price_duty(gate, value_per_kg, duty_per_kg, kilograms):
    duty = evaluate(gate, customs_value=value_per_kg * kilograms, quantity=kilograms)
    assert duty == pytest.approx(duty_per_kg * kilograms, rel=1e-9)


def test_gate_price_converts_quantity_and_currency():
    # 2 t declared in tonnes, customs value in USD at 150 yen per dollar:
    # 800,000 yen / 2,000 kg = 400 yen/kg -> 146.53 yen/kg -> 293,060 yen -> 1,953.73 USD.
    duty = evaluate(PORK_GATE_PRE_2020, customs_value=800_000 / 150, quantity=2.0,
                    quantity_unit="t", currency="USD", exchange_rates={"USD_to_JPY": 150.0})
    assert duty == pytest.approx(146.53 * 2000 / 150, rel=1e-12)


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("38.5%", {}, r"no customs_value given.*customs_value=1000.0"),
    ("482 JPY/kg", {"customs_value": 5.0}, r"no quantity given.*quantity=250.0"),
    ("38.5%", {"customs_value": -1.0}, "customs_value is negative"),
    ("482 JPY/kg", {"quantity": -0.5}, "quantity is negative"),
    ("482 JPY/kg", {"quantity": math.nan}, "quantity is nan"),
    ("12 JPY/hl", {"quantity": 3.0}, r"'12 JPY/hl'.*kg \(mass\) into hl \(volume\)"),
    ("5 EUR/kg", {"quantity": 3.0}, r"'5 EUR/kg'.*EUR_to_JPY"),
    ("5%", {"customs_value": 3.0, "currency": "¥"}, "not a currency code"),
])
def test_evaluate_refuses_bad_input_and_says_what_to_pass(text, kwargs, message):
    with pytest.raises(InputError, match=message):
        evaluate(parse_duty(text), **kwargs)


def test_gate_price_refuses_zero_quantity():
    with pytest.raises(InputError, match="needs a positive quantity"):
        evaluate(PORK_GATE_PRE_2020, customs_value=100.0, quantity=0.0)


# --------------------------------------------------------------------------- vectorised


@pytest.fixture(scope="module")
def duckdb():
    return ibis.duckdb.connect()


def _shipments(seed: int, rows: int = 300) -> pa.Table:
    """Random (customs value in JPY, quantity in kg) rows plus hand-picked edges."""
    rng = np.random.default_rng(seed)
    quantity = rng.uniform(0.001, 50_000.0, rows)
    value_per_kg = rng.uniform(0.0, 1_500.0, rows)
    customs_value = value_per_kg * quantity
    # Exactly at the gate-price branch points and zero values: the edges most likely to
    # differ if the two paths compared or rounded differently.
    edges_value = np.array([524.0, 524.0 * 7, 546.53, 0.0, 1.0, 64.53], dtype=np.float64)
    edges_quantity = np.array([1.0, 7.0, 1.0, 3.0, 1e-3, 1.0], dtype=np.float64)
    return pa.table({
        "customs_value": np.concatenate([customs_value, edges_value]).astype(np.float64),
        "quantity_kg": np.concatenate([quantity, edges_quantity]).astype(np.float64),
    })


def _vectorised_matches_scalar(con, expr, seed: int) -> None:
    data = _shipments(seed)
    table = ibis.memtable(data)
    result = con.to_pyarrow(table.select(duty=to_ibis(expr, table.customs_value,
                                                      table.quantity_kg)))
    assert result.schema.field("duty").type == pa.float64()
    values = data.column("customs_value").to_pylist()
    quantities = data.column("quantity_kg").to_pylist()
    for value, kilograms, duty in zip(values, quantities, result.column("duty").to_pylist(),
                                      strict=True):
        expected = evaluate(expr, customs_value=value, quantity=kilograms)
        assert duty == pytest.approx(expected, rel=1e-12, abs=1e-9), (value, kilograms)


JPY_EXPRESSIONS = [
    parse_duty("38.5%"),
    parse_duty("25% + 130 JPY/kg"),
    parse_duty("482 JPY/kg"),
    parse_duty("35.1 JPY/100kg"),
    parse_duty("13.8% MIN 13 JPY/100kg MAX 15 JPY/100kg - 7 JPY/100kg"),
    parse_duty("10% MIN 2 JPY/kg MAX 5 JPY/kg"),
    parse_duty("50% MAX 361 JPY/t + 20 JPY/kg"),
    PORK_GATE_PRE_2020,
    PORK_GATE_CPTPP_FY2025,
]


@pytest.mark.parametrize("expr", JPY_EXPRESSIONS, ids=format_duty)
def test_to_ibis_matches_evaluate_row_by_row(duckdb, expr):
    _vectorised_matches_scalar(duckdb, expr, seed=20_250_401)


_jpy_mass_components = st.one_of(
    st.builds(Component, kind=st.just("ad_valorem"), operator=st.just("+"),
              percent=st.floats(min_value=0, max_value=200, allow_nan=False)),
    st.builds(Component, kind=st.just("specific"), operator=st.just("+"),
              amount=st.floats(min_value=0, max_value=2_000, allow_nan=False),
              currency=st.just("JPY"), unit=st.sampled_from(["kg", "100kg", "t"])),
)
_gate_prices = st.builds(
    lambda percent, branch, markup, cap: GatePriceDuty(
        ad_valorem_percent=percent, branch_point=branch, standard_price=branch * markup,
        specific_cap=cap),
    st.floats(min_value=0, max_value=50), st.floats(min_value=1, max_value=1_000),
    st.floats(min_value=1, max_value=1.5), st.floats(min_value=0, max_value=1_000),
)


@settings(max_examples=30, deadline=None)
@given(expr=st.one_of(compound_duties(_jpy_mass_components), _gate_prices),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_to_ibis_matches_evaluate_for_generated_expressions(duckdb, expr, seed):
    _vectorised_matches_scalar(duckdb, expr, seed)


def test_to_ibis_gate_price_gives_null_for_zero_quantity(duckdb):
    table = ibis.memtable(pa.table({"customs_value": [100.0, 600.0], "quantity_kg": [0.0, 1.0]}))
    duty = to_ibis(PORK_GATE_PRE_2020, table.customs_value, table.quantity_kg)
    assert duckdb.to_pyarrow(table.select(duty=duty)).column("duty").to_pylist() == [
        None, pytest.approx(25.8)]


@pytest.mark.parametrize(("expr", "message"), [
    (parse_duty("35.1 EUR/100kg"), "amounts in EUR cannot be evaluated on columns yet"),
    (GatePriceDuty(ad_valorem_percent=4.3, branch_point=5, standard_price=5.5,
                   specific_cap=4, currency="USD"), "amounts in USD"),
    (parse_duty("10% + 12 JPY/hl"), "specific duty per hl cannot be evaluated on columns"),
])
def test_to_ibis_is_jpy_and_mass_only_for_now(expr, message):
    table = ibis.memtable(pa.table({"customs_value": [1.0], "quantity_kg": [1.0]}))
    with pytest.raises(InputError, match=message):
        to_ibis(expr, table.customs_value, table.quantity_kg)
