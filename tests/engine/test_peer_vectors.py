"""Reproduce the UK Trade Tariff duty calculator's own test examples.

The vectors (``tests/fixtures/peer_vectors/uk-duty-calculator.json``, described in
the README next to it) restate inputs and expected results from the peer's specs.
Each is mapped onto our components, ``evaluate`` and ``option_total``; only UK
excise kinds, which a Japanese agricultural tariff never uses, are skipped.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from tradeguard.engine.expressions import Component, CompoundDuty, evaluate
from tradeguard.engine.layering import AdditionalDuty, option_total
from tradeguard.errors import InputError
from tradeguard.units import convert_quantity, normalise_unit

FIXTURE = Path(__file__).parents[1] / "fixtures" / "peer_vectors" / "uk-duty-calculator.json"
VECTORS: list[dict[str, Any]] = json.loads(FIXTURE.read_text(encoding="utf-8"))["vectors"]

# The peer's duty-expression abbreviations; "%" is the plain first term and adds.
OPERATORS = {"%": "+", "+": "+", "-": "-", "MIN": "MIN", "MAX": "MAX"}
# Component kinds of the vectors that are ad valorem or specific terms with a joiner.
JOINER_KINDS = {"minimum": "MIN", "maximum": "MAX", "specific_subtracted": "-"}

UK_EXCISE_KINDS = {
    "ad_valorem_on_retail_price": "a percentage of the declared retail price, unit RET",
    "specific_per_pct_vol_per_hl": "alcohol duty per % vol per hectolitre, unit ASV+X",
    "specific_per_100kg_per_pct_sucrose": "sugar duty per 100 kg per % sucrose, unit DTN+Z",
    "spr_discount": "the small-producer-relief discount on LPA-based spirits excise, unit SPQ",
}

# UK measure types in the option vectors (README "VAT and options").
ADDITIONAL_DUTY_KINDS = {
    "306": "excise",
    "551": "anti_dumping", "552": "anti_dumping",
    "553": "countervailing", "554": "countervailing",
    "695": "additional",
    "696": "safeguard",
}
TARIFF_QUOTA_MEASURE_TYPES = {"122", "123", "143", "146", "147"}


def _component(raw: dict[str, Any]) -> Component:
    operator = OPERATORS[raw["operator"]]
    if raw["kind"] in JOINER_KINDS:
        assert operator == JOINER_KINDS[raw["kind"]], raw
    if raw.get("percent") is not None:
        return Component(kind="ad_valorem", operator=operator, percent=raw["percent"])
    # A null currency is pounds in the peer.  A unit qualifier such as TNE+I ("tonne of
    # biodiesel") qualifies the goods, not the size of the unit.
    return Component(kind="specific", operator=operator, amount=raw["amount"],
                     currency=raw["currency"] or "GBP", unit=raw["unit"])


def _expression(components: list[dict[str, Any]]) -> CompoundDuty:
    return CompoundDuty(components=[_component(raw) for raw in components])


def _known_unit(code: str) -> bool:
    try:
        normalise_unit(code)
    except InputError:
        return False
    return True


def _shipment_arguments(shipment: dict[str, Any]) -> dict[str, Any]:
    """The vector's shipment as keyword arguments of ``evaluate``."""
    customs_value = shipment.get("customs_value")
    quantities = [q for q in shipment.get("quantities", []) if _known_unit(q["unit"])]
    arguments: dict[str, Any] = {
        "customs_value": customs_value["amount"] if customs_value else None,
        "currency": (customs_value or {}).get("currency") or "GBP",
        "exchange_rates": shipment.get("exchange_rates"),
    }
    if quantities:
        arguments["quantity"] = quantities[0]["value"]
        arguments["quantity_unit"] = quantities[0]["unit"]
    return arguments


def _pounds(amount: float) -> str:
    """The peer's display text: pounds rounded half up to pence, thousands separated."""
    pence = Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"£{pence:,.2f}"


def _excise_kinds(vector: dict[str, Any]) -> list[str]:
    raws = list(vector["components"])
    for measure in vector.get("measures", []):
        raws += measure["components"]
    return sorted({raw["kind"] for raw in raws} & UK_EXCISE_KINDS.keys())


@pytest.mark.parametrize("vector", [pytest.param(v, id=v["id"]) for v in VECTORS])
def test_peer_vector(vector: dict[str, Any]) -> None:
    excise = _excise_kinds(vector)
    if excise:
        pytest.skip("; ".join(
            f"{kind} ({UK_EXCISE_KINDS[kind]}) is UK excise, outside a Japanese "
            "agricultural tariff" for kind in excise))

    expected = vector["expected"]
    tolerance = expected["abs_tolerance"]
    shipment = vector["shipment"]
    assert expected["currency"] == "GBP"

    for conversion in shipment.get("unit_conversions", []):
        factor = convert_quantity(1.0, conversion["from"], conversion["to"])
        assert factor == pytest.approx(conversion["factor"], rel=1e-15)

    scope = vector["scope"]
    if scope in ("measure", "measure_condition_component"):
        expr = _expression(vector["components"])
        arguments = _shipment_arguments(shipment)
        duty = evaluate(expr, **arguments)
        assert duty == pytest.approx(expected["duty_value"], abs=tolerance)
        if "quantity_in_duty_unit" in expected:
            duty_unit = vector["components"][0]["unit"]
            in_duty_unit = convert_quantity(arguments["quantity"], arguments["quantity_unit"],
                                            duty_unit)
            assert in_duty_unit == pytest.approx(expected["quantity_in_duty_unit"],
                                                 abs=tolerance)
    elif scope == "vat":
        (vat_component,) = vector["components"]
        result = option_total(shipment["duty_total_before_vat"], [], in_quota=False,
                              vat_percent=vat_component["percent"],
                              customs_value=shipment["customs_value"]["amount"])
        assert result.vat_base == pytest.approx(30.0 + 1000.0)
        assert result.vat == pytest.approx(expected["duty_value"], abs=tolerance)
    elif scope == "duty_option_total":
        _check_duty_option(vector)
    else:
        pytest.fail(f"{vector['id']}: scope {scope!r} is not mapped; add it to this test")


def _check_duty_option(vector: dict[str, Any]) -> None:
    expected = vector["expected"]
    arguments = _shipment_arguments(vector["shipment"])
    option_duty = None
    vat_percent = None
    in_quota = False
    additional: list[AdditionalDuty] = []
    for measure in vector["measures"]:
        if measure["role"] == "vat":
            (vat_component,) = measure["components"]
            vat_percent = vat_component["percent"]
            continue
        amount = evaluate(_expression(measure["components"]), **arguments)
        if measure["role"] == "option_measure":
            option_duty = amount
            in_quota = measure["measure_type"] in TARIFF_QUOTA_MEASURE_TYPES
        else:
            kind = ADDITIONAL_DUTY_KINDS[measure["measure_type"]]
            additional.append(AdditionalDuty(kind=kind, amount=amount))
    assert option_duty is not None

    result = option_total(option_duty, additional, in_quota=in_quota, vat_percent=vat_percent,
                          customs_value=arguments["customs_value"])

    assert result.duty == pytest.approx(expected["duty_value"], abs=expected["abs_tolerance"])
    not_applied = {ADDITIONAL_DUTY_KINDS[code] for code in expected["additional_duties_not_applied"]}
    assert set(result.additional_not_applied) == not_applied
    # "696" is the safeguard: excluded from the quota option, kept by the suspension.
    if in_quota:
        assert "safeguard" in result.additional_not_applied
        assert "safeguard" not in result.additional_applied
    else:
        assert "safeguard" in result.additional_applied

    lines = expected["additional_duty_lines_formatted"]
    assert {ADDITIONAL_DUTY_KINDS[code] for code in lines} == set(result.additional_applied)
    for code, text in lines.items():
        assert _pounds(result.additional_applied[ADDITIONAL_DUTY_KINDS[code]]) == text
    assert _pounds(result.vat_base) == expected["vat_base_formatted"]
    assert _pounds(result.vat) == expected["vat_formatted"]
    # The peer's "total" is duty + additional duties + VAT; the customs value is not in it
    # (quota option: 252.178 + 315.2225 + 288.20 + 423.2981 = 1,278.8986).
    assert _pounds(result.total) == expected["total_including_vat_formatted"]


def test_quota_example_amounts():
    """The quota option's parts, worked by hand (README, duty_calculator_spec.rb)."""
    (vector,) = [v for v in VECTORS if v["id"] == "ukdc-option-quota-excludes-safeguard"]
    arguments = _shipment_arguments(vector["shipment"])
    measures = {m["measure_type"]: m for m in vector["measures"]}
    # 552 anti-dumping: 144.10 GBP per tonne x 2 t.
    assert evaluate(_expression(measures["552"]["components"]), **arguments) == pytest.approx(
        144.1 * 2)
    # 695 additional duty: 25 % of the customs value 1,260.89.
    assert evaluate(_expression(measures["695"]["components"]), **arguments) == pytest.approx(
        0.25 * 1260.89)


def test_only_uk_excise_vectors_are_skipped():
    skipped = {v["id"] for v in VECTORS if _excise_kinds(v)}
    assert skipped == {"ukdc-retail-price-percent", "ukdc-spr-discount-lpa-based",
                       "ukdc-spr-discount-asvx-based"}
    assert len(VECTORS) - len(skipped) == 6
