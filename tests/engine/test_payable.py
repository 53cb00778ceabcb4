"""The amount payable: the Customs Act's rounding and the import consumption tax."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tradeguard as tg
from tradeguard.engine.expressions import parse_duty
from tradeguard.engine.payable import NotPayable, payable
from tradeguard.rules.loader import shipped_rules

AS_OF = dt.date(2026, 11, 27)
D = dt.date
WINE = "2204.21"  # liquor: never the reduced rate
BEEF = "0202.30"
SAFEGUARD_DAY = D(2021, 3, 20)


def _owed(duty: str, value: int | str, line: str = WINE, day: dt.date = SAFEGUARD_DAY,
          quantity: str | None = None, currency: str = "JPY", as_of: dt.date = AS_OF):
    return payable(parse_duty(duty), line=line.replace(".", ""), day=day, as_of=as_of,
                   customs_value=Decimal(value),
                   quantity=None if quantity is None else Decimal(quantity),
                   quantity_unit="kg", currency=currency, rules=shipped_rules())


def test_issue_example_609458_at_5_percent_pays_30400():
    owed = _owed("5%", 609_458)
    assert (owed.duty_base, owed.customs_duty) == (Decimal(609_000), Decimal(30_400))
    customs_step = next(s for s in owed.steps if s.step == "customs duty")
    assert customs_step.before == Decimal(30_450)


def test_frozen_us_beef_2021_pays_234400_of_customs_duty():
    result = tg.duty(BEEF, "US", D(2021, 3, 20), customs_value=609_458, quantity=100,
                     as_of=AS_OF)
    assert result.chosen.duty_amount == Decimal("234641.33")  # 38.5% of 609,458, unrounded
    assert result.payable.duty_base == 609_000
    assert result.payable.customs_duty == 234_400  # 38.5% × 609,000 = 234,465 → 234,400


def test_beef_pays_the_reduced_consumption_tax_rate_for_food():
    owed = tg.duty(BEEF, "US", D(2021, 3, 20), customs_value=609_458, quantity=100,
                   as_of=AS_OF).payable
    assert owed.consumption_tax_rate == "reduced"
    assert owed.consumption_tax_base == 843_000  # 609,458 + 234,400 = 843,858 → 843,000
    assert owed.consumption_tax == 52_600  # 6.24% = 52,603.2 → 52,600
    assert owed.local_consumption_tax == 14_800  # 22/78 of 52,600 = 14,835.9 → 14,800
    assert owed.total == 234_400 + 52_600 + 14_800


@pytest.mark.parametrize(("value", "line", "duty", "ct_base", "ct", "local"), [
    # Japan Customs, Customs Answer 1111, worked example A (standard) and B (reduced).
    (534_795, WINE, 74_700, 609_000, 47_500, 13_300),  # local 13,397 yen → 13,300 alone
    (126_258, BEEF, 17_600, 143_000, 8_900, 2_500),    # local 2,510 yen → 2,500 alone
])
def test_the_customs_worked_examples_line_by_line(value, line, duty, ct_base, ct, local):
    owed = _owed("14%", value, line=line)
    assert (owed.customs_duty, owed.consumption_tax_base, owed.consumption_tax,
            owed.local_consumption_tax) == (duty, ct_base, ct, local)


def test_a_non_food_line_pays_the_standard_rate():
    owed = _owed("15%", 609_458, line=WINE)
    assert (owed.consumption_tax_rate, owed.consumption_tax_percent) == ("standard", Decimal("7.8"))
    assert owed.customs_duty == 91_300  # 15% of 609,000 = 91,350
    assert owed.consumption_tax_base == 700_000  # 700,758
    assert (owed.consumption_tax, owed.local_consumption_tax) == (54_600, 15_400)
    assert owed.local_consumption_tax_share == "22/78"


@pytest.mark.parametrize(("day", "rate", "national", "local"), [
    (D(2014, 3, 31), "standard", 33_700, 8_400),   # 4% of 843,000 = 33,720; 25/100 → 8,425
    (D(2014, 4, 1), "standard", 53_100, 14_300),   # 6.3% = 53,109; 17/63 of 53,100 = 14,328
    (D(2019, 9, 30), "standard", 53_100, 14_300),
    (D(2019, 10, 1), "reduced", 52_600, 14_800),   # 6.24% = 52,603.2; 22/78 → 14,835
])
def test_beef_consumption_tax_either_side_of_the_rate_changes(day, rate, national, local):
    owed = _owed("38.5%", 609_458, line=BEEF, day=day)
    assert owed.customs_duty == 234_400 and owed.consumption_tax_base == 843_000
    assert (owed.consumption_tax_rate, owed.consumption_tax, owed.local_consumption_tax) == (
        rate, national, local)


def test_wine_after_october_2019_pays_the_standard_rate_not_the_reduced_one():
    assert _owed("15%", 609_458, line=WINE, day=D(2019, 10, 1)).consumption_tax_rate == "standard"


def test_a_specific_duty_counts_the_quantity_to_the_decimals_the_circular_allows():
    # 119 yen/kg has three whole digits: one decimal of the quantity is kept.
    assert _owed("119 JPY/kg", 100_000, line="110813", quantity="1000.37").duty_quantity == \
        Decimal("1000.3")
    # 39.66 yen/kg has two: whole kilograms.
    owed = _owed("39.66 JPY/kg", 100_000, line="110813", quantity="1000.99")
    assert owed.duty_quantity == 1000 and owed.customs_duty == 39_600  # 39,660 → 39,600
    assert owed.duty_base is None  # no ad valorem part, so no value base is cut


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"value": "5000"}, "may be exempt"),
    ({"currency": "USD"}, "in USD"),
    ({"line": "1209.10"}, "not classified as food"),
    ({"day": D(1999, 3, 31)}, "no value of japan.customs_rounding"),
    # Known in 2015, the reduced rate of 1 Oct 2019 had not been enacted (Nov 2016).
    ({"line": BEEF, "day": D(2019, 10, 1), "as_of": D(2015, 1, 1)},
     r"japan.consumption_tax `rates\[1\].national_percent`"),
])
def test_where_the_amount_cannot_be_computed_there_is_a_reason(kwargs, reason):
    args = {"value": 609_458, **kwargs}
    with pytest.raises(NotPayable, match=reason):
        _owed("10%", **args)


def test_without_a_customs_value_payable_is_null_with_the_reason_never_zero():
    result = tg.duty(BEEF, "US", D(2021, 3, 20), as_of=AS_OF)
    assert result.payable is None
    assert result.payable_reason.startswith("no customs value")
    body = json.loads(result.model_dump_json())
    assert body["payable"] is None and "customs value" in body["payable_reason"]


def test_json_writes_amounts_as_exact_decimal_strings():
    result = tg.duty(BEEF, "US", D(2021, 3, 20), customs_value=609_458, quantity=100,
                     as_of=AS_OF)
    body = json.loads(result.model_dump_json())
    assert body["chosen"]["duty_amount"] == "234641.33"
    assert {k: body["payable"][k] for k in ("customs_duty", "consumption_tax",
                                            "local_consumption_tax", "total")} == {
        "customs_duty": "234400", "consumption_tax": "52600",
        "local_consumption_tax": "14800", "total": "301800"}


def test_a_float_duty_reads_as_the_decimal_it_means():
    # 40,000 yen for 100 kg of pork under the gate price: 146.53 yen/kg, which float64
    # arithmetic gives as 14652.999999999996.
    result = tg.duty("0203.19", "US", D(2018, 6, 1), customs_value=40_000, quantity=100,
                     as_of=AS_OF)
    assert result.chosen.duty_amount == Decimal("14653")
    assert result.payable.customs_duty == 14_600
    assert any("gate-price" in n for n in result.payable.notes)


def test_every_build_up_step_with_a_rule_cites_it():
    owed = _owed("38.5%", 609_458, line=BEEF)
    assert [s.step for s in owed.steps] == [
        "customs value (CIF)", "taxable base", "customs duty", "consumption tax base",
        "consumption tax (national)", "local consumption tax", "total payable"]
    for step in owed.steps[1:-1]:
        assert step.rule_id and step.citation and step.status in {"confirmed", "secondary"}


@settings(max_examples=200, deadline=None)
@given(value=st.integers(10_001, 10**11), percent=st.decimals("0", "60", places=2))
def test_payable_duty_never_exceeds_the_exact_duty_and_falls_short_only_by_the_cuts(
        value, percent):
    owed = _owed(f"{percent}%", value)
    exact = Decimal(value) * percent / 100
    base_effect = (Decimal(value) - owed.duty_base) * percent / 100  # the 1,000-yen cut
    assert owed.customs_duty <= exact
    assert exact - owed.customs_duty < 100 + base_effect
    assert owed.customs_duty % 100 == 0 and owed.consumption_tax % 100 == 0
    assert owed.total == owed.customs_duty + owed.consumption_tax + owed.local_consumption_tax


@settings(max_examples=100, deadline=None)
@given(kg=st.decimals("0", "100000", places=3), rate=st.sampled_from(["39.66", "119", "1250"]))
def test_specific_payable_duty_never_exceeds_the_exact_duty(kg, rate):
    owed = _owed(f"{rate} JPY/kg", 10**7, line="110813", quantity=str(kg))
    exact = Decimal(rate) * kg
    assert owed.duty_quantity <= kg
    assert owed.customs_duty <= exact
    assert exact - owed.customs_duty < 100 + Decimal(rate) * (kg - owed.duty_quantity)


@pytest.mark.parametrize("value", [Decimal("NaN"), float("nan"), "abc"])
def test_a_customs_value_that_is_not_a_finite_number_is_a_clear_error(value):
    with pytest.raises(tg.TradeguardError, match="customs_value"):
        tg.duty(BEEF, "US", D(2021, 3, 20), customs_value=value, as_of=AS_OF)


def test_batch_amounts_are_exact_decimals_equal_to_the_scalar_ones():
    import pyarrow as pa

    table = pa.table({"tariff_line": ["0203.19", BEEF], "origin": ["US", "US"],
                      "date": pa.array([D(2018, 6, 1), D(2021, 3, 20)], pa.date32()),
                      "customs_value": [40_000.0, 609_458.0], "quantity": [100.0, 100.0]})
    out = tg.duty_batch(table, as_of=AS_OF)
    assert out.schema.field("duty_amount").type == pa.decimal128(38, 4)
    assert out.schema.field("duty_mfn").type == pa.decimal128(38, 4)
    amounts = dict(zip(out.column("tariff_line").to_pylist(),
                       out.column("duty_amount").to_pylist(), strict=True))
    assert amounts == {"0203.19": Decimal("14653"), BEEF: Decimal("234641.33")}
