"""Layering additional duties and VAT on a duty option (truth table plus edge cases)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tradeguard.engine.layering import AdditionalDuty, option_total
from tradeguard.errors import InputError

SAFEGUARD = AdditionalDuty(kind="safeguard", amount=40.0)
ANTI_DUMPING = AdditionalDuty(kind="anti_dumping", amount=25.0)


@pytest.mark.parametrize(("in_quota", "applied", "not_applied", "total"), [
    # WTO AoA Art. 5.2: in-quota imports are never subject to the safeguard duty.
    (True, {"anti_dumping": 25.0}, ["safeguard"], 125.0),
    # Outside the quota (third country, preference, suspension) the safeguard stays.
    (False, {"safeguard": 40.0, "anti_dumping": 25.0}, [], 165.0),
])
def test_safeguard_is_left_out_of_quota_options_only(in_quota, applied, not_applied, total):
    result = option_total(100.0, [SAFEGUARD, ANTI_DUMPING], in_quota=in_quota)
    assert result.duty == 100.0
    assert result.additional_applied == applied
    assert result.additional_not_applied == not_applied
    assert result.total == total
    assert result.vat_base is None and result.vat is None


def test_zero_additional_duties_are_dropped():
    result = option_total(10.0, [AdditionalDuty(kind="countervailing", amount=0.0),
                                 ANTI_DUMPING], in_quota=False)
    assert result.additional_applied == {"anti_dumping": 25.0}
    assert result.additional_not_applied == []
    assert result.total == 35.0


def test_duties_of_one_kind_are_summed():
    result = option_total(0.0, [ANTI_DUMPING, AdditionalDuty(kind="anti_dumping", amount=5.5)],
                          in_quota=False)
    assert result.additional_applied == {"anti_dumping": 30.5}


def test_vat_is_charged_on_value_plus_every_applied_duty():
    result = option_total(100.0, [SAFEGUARD, ANTI_DUMPING], in_quota=True, vat_percent=10.0,
                          customs_value=1000.0)
    assert result.vat_base == pytest.approx(1125.0)  # the safeguard is not in the base
    assert result.vat == pytest.approx(112.5)
    assert result.total == pytest.approx(100.0 + 25.0 + 112.5)


def test_vat_needs_the_customs_value():
    with pytest.raises(InputError, match="pass customs_value"):
        option_total(100.0, [], in_quota=False, vat_percent=20.0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"option_duty": -1.0}, "option_duty is negative"),
    ({"option_duty": 1.0, "vat_percent": -20.0, "customs_value": 5.0}, "vat_percent is negative"),
    ({"option_duty": 1.0, "vat_percent": 20.0, "customs_value": -5.0},
     "customs_value is negative"),
])
def test_negative_inputs_are_refused(kwargs, message):
    with pytest.raises(InputError, match=message):
        option_total(additional=[], in_quota=False, **kwargs)


@pytest.mark.parametrize("fields", [
    {"kind": "tariff", "amount": 1.0},
    {"kind": "safeguard", "amount": -1.0},
])
def test_additional_duty_kind_and_amount_are_checked(fields):
    with pytest.raises(ValidationError):
        AdditionalDuty(**fields)
