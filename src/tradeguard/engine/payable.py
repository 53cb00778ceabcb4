"""The amount payable on a one-line import declaration, after the law's rounding.

Customs Act Art. 13-4 applies Arts. 118(1) and 119(1) of the General Act on National
Taxes: the tax base is cut down to the 1,000 yen and the duty to the 100 yen.  A
specific duty counts its quantity to the decimals the Basic Circular 13-4-2 allows.
The consumption tax is charged on the customs value plus the duty (cut down to the
1,000 yen), nationally at the rate in force (reduced for food from 1 Oct 2019), and the
local consumption tax is a share of the national tax.  Every unit, rate and share is
dated, cited rule data (``rules/library/japan``); this module is only the arithmetic,
in decimals, and each step carries the rule value it used so the build-up can be shown.

Where the amount cannot be computed -- no customs value, a customs value not in yen, no
quantity for a specific duty, a line the rules do not classify for the reduced rate, a
value low enough that an exemption may apply -- there is no amount, and a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from tradeguard.engine import expressions as ex
from tradeguard.engine import money
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, value_on
from tradeguard.units import quantity_ratio


class PayableStep(BaseModel):
    """One line of the build-up: an amount, what it was before the law's cut, and why."""

    step: str
    amount: Decimal
    before: Decimal | None = Field(None, description="The amount before the law's cut.")
    how: str
    rule_id: str | None = None
    key: str | None = None
    status: s.Status | None = None
    citation: str | None = None


class Payable(BaseModel):
    """Customs duty, consumption tax and local consumption tax payable, in whole yen."""

    currency: Literal["JPY"] = "JPY"
    customs_value: Decimal
    duty_base: Decimal | None = Field(
        description="The customs value cut down to the 1,000 yen (ad valorem duties).")
    duty_quantity: Decimal | None = Field(
        description="The quantity a specific duty is charged on, after the circular's cut.")
    customs_duty: Decimal
    consumption_tax_rate: Literal["standard", "reduced"]
    consumption_tax_percent: Decimal
    consumption_tax_base: Decimal
    consumption_tax: Decimal
    local_consumption_tax_share: str = Field(description="Of the national tax, e.g. 22/78.")
    local_consumption_tax: Decimal
    total: Decimal
    steps: list[PayableStep]
    notes: list[str] = Field(default_factory=list)


class NotPayable(Exception):
    """The amount payable cannot be computed; the message is the reason, for the user."""


@dataclass(frozen=True)
class _Value:
    """A rule value in force, with where it came from."""

    value: Any
    rule_id: str
    key: str
    status: s.Status
    citation: str

    def cite(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "key": self.key, "status": self.status,
                "citation": self.citation}


def _document(rules: RuleSet, kind: type) -> tuple[str, Any]:
    found = [(rid, d) for rid, d in sorted(rules.documents.items()) if isinstance(d, kind)]
    if not found:
        raise NotPayable(f"the rules hold no {kind.__name__} file (rules/library/japan)")
    return found[0]


def _in_force(rid: str, doc: Any, key: str, values: list[Any], day: dt.date,
              as_of: dt.date) -> _Value:
    found = value_on(values, day, as_of)
    if found is None:
        first = min(v.valid_from for v in values)
        raise NotPayable(f"no value of {rid} `{key}` is in force on {day} as known on "
                         f"{as_of} (the rules start on {first})")
    i, entry = found
    return _Value(entry.value, rid, f"{key}[{i}]", entry.status,
                  doc.sources[entry.cite].text())


def _check_inputs(customs_value: Decimal | None, currency: str, rounding: tuple[str, Any],
                  day: dt.date, as_of: dt.date) -> None:
    if customs_value is None:
        raise NotPayable("no customs value: give the customs value (CIF, in yen) to see "
                         "the amount payable")
    if currency != "JPY":
        raise NotPayable(f"the customs value is in {currency}: the amount payable is "
                         "computed in yen; give the customs value converted to JPY")
    rid, doc = rounding
    if doc.exempt_value_up_to_jpy:
        limit = _in_force(rid, doc, "exempt_value_up_to_jpy", doc.exempt_value_up_to_jpy,
                          day, as_of)
        if customs_value <= limit.value:
            raise NotPayable(f"a customs value of {limit.value:,} yen or less may be exempt "
                             "from duty and consumption tax (Customs Tariff Act Art. 14(18)), "
                             "depending on the goods; tradeguard does not decide it")


def _specific_quantity(component: ex.Component, quantity: Decimal, quantity_unit: str,
                       digits: _Value) -> Decimal:
    """The quantity in the component's unit, cut to the decimals its rate allows."""
    in_unit = quantity * money.from_fraction(quantity_ratio(quantity_unit, component.unit or ""))
    rate = money.to_decimal(component.amount or 0.0, "specific rate")
    whole_digits = len(str(int(rate))) if rate >= 1 else 0
    return money.cut_to_places(in_unit, max(0, whole_digits - int(digits.value)))


def _compound_duty(expr: ex.CompoundDuty, base: Decimal, quantity: Decimal | None,
                   quantity_unit: str, digits: _Value) -> tuple[Decimal, Decimal | None]:
    """The duty on the cut base and quantity, exactly; and the quantity used."""
    terms: list[tuple[str, Decimal]] = []
    used = None
    for c in expr.components:
        if c.kind == "ad_valorem":
            part = base * money.to_decimal(c.percent or 0.0, "percent") / 100
        else:
            if c.currency != "JPY":
                raise NotPayable(f"the duty has a term in {c.currency}: the amount payable "
                                 "needs an exchange rate, which tradeguard does not hold")
            if quantity is None:
                raise NotPayable("no quantity: a specific duty needs the quantity")
            used = _specific_quantity(c, quantity, quantity_unit, digits)
            part = money.to_decimal(c.amount or 0.0, "specific rate") * used
        terms.append((c.operator, part))
    return ex._combine(terms, ex._PYTHON), used


@dataclass(frozen=True)
class _Duty:
    before: Decimal
    base: Decimal | None
    quantity: Decimal | None
    notes: tuple[str, ...] = ()


def _duty_before_cut(expr: ex.DutyExpression, exact_amount: Decimal | None,
                     extra: Decimal | None, customs_value: Decimal, quantity: Decimal | None,
                     quantity_unit: str, base_unit: _Value, digits: _Value) -> _Duty:
    if isinstance(expr, ex.GatePriceDuty):
        if exact_amount is None:
            raise NotPayable("no duty amount: the gate-price duty needs the quantity")
        return _Duty(exact_amount, None, None, (
            "gate-price duty: how the circular cuts the base and quantity of the "
            "differential duty is not encoded; the duty is cut to the 100 yen only",))
    base = money.cut_down(customs_value, base_unit.value)
    before, used = _compound_duty(expr, base, quantity, quantity_unit, digits)
    notes: tuple[str, ...] = ()
    if extra:
        before += extra
        notes = ("price safeguard (WTO AoA Art. 5.5): its additional duty is added before "
                 "the 100-yen cut; the circular's quantity rule for it is not encoded",)
    has_ad_valorem = any(c.kind == "ad_valorem" for c in expr.components)
    return _Duty(before, base if has_ad_valorem else None, used, notes)


def _tax_rate(ct: tuple[str, s.ConsumptionTax], line: str, day: dt.date) -> str:
    rid, doc = ct
    lines = doc.reduced_rate_lines
    if day < lines.valid_from:
        return "standard"
    if covers(lines.not_food, line):
        return "standard"
    if covers(lines.food, line):
        return "reduced"
    raise NotPayable(f"line {line} is not classified as food or not food for the reduced "
                     f"consumption tax rate (rules: {rid} `reduced_rate_lines`)")


def payable(expr: ex.DutyExpression, *, line: str, day: dt.date, as_of: dt.date,
            customs_value: Decimal | None, quantity: Decimal | None, quantity_unit: str,
            currency: str, rules: RuleSet, exact_amount: Decimal | None = None,
            extra: Decimal | None = None) -> Payable:
    """The amount payable on a one-line declaration whose duty is ``expr``.

    ``exact_amount`` is the engine's duty before rounding (used for gate-price duties);
    ``extra`` a price-safeguard duty on top.  Raises :class:`NotPayable` with the reason.
    """
    rounding = _document(rules, s.CustomsRounding)
    ct = _document(rules, s.ConsumptionTax)
    _check_inputs(customs_value, currency, rounding, day, as_of)
    assert customs_value is not None
    r_id, r_doc = rounding
    base_unit = _in_force(r_id, r_doc, "tax_base_unit_jpy", r_doc.tax_base_unit_jpy, day, as_of)
    duty_unit = _in_force(r_id, r_doc, "duty_unit_jpy", r_doc.duty_unit_jpy, day, as_of)
    digits = _in_force(r_id, r_doc, "specific_rate_digits_for_whole_units",
                       r_doc.specific_rate_digits_for_whole_units, day, as_of)
    duty = _duty_before_cut(expr, exact_amount, extra, customs_value, quantity, quantity_unit,
                            base_unit, digits)
    customs_duty = money.cut_down(max(duty.before, Decimal(0)), duty_unit.value)
    return _with_consumption_tax(ct, line, day, as_of, customs_value, duty, customs_duty,
                                 [base_unit, duty_unit, digits])


def _with_consumption_tax(ct: tuple[str, s.ConsumptionTax], line: str, day: dt.date,
                          as_of: dt.date, customs_value: Decimal, duty: _Duty,
                          customs_duty: Decimal, used: list[_Value]) -> Payable:
    c_id, c_doc = ct
    rate_id = _tax_rate(ct, line, day)
    rate = c_doc.rate(rate_id)
    if rate is None:
        raise NotPayable(f"{c_id} has no `{rate_id}` rate")
    key = f"rates[{c_doc.rates.index(rate)}]"
    percent = _in_force(c_id, c_doc, f"{key}.national_percent", rate.national_percent, day,
                        as_of)
    local = _in_force(c_id, c_doc, f"{key}.local_share_of_national",
                      rate.local_share_of_national, day, as_of)
    base_unit = _in_force(c_id, c_doc, "base_unit_jpy", c_doc.base_unit_jpy, day, as_of)
    tax_unit = _in_force(c_id, c_doc, "tax_unit_jpy", c_doc.tax_unit_jpy, day, as_of)
    local_unit = _in_force(c_id, c_doc, "local_tax_unit_jpy", c_doc.local_tax_unit_jpy, day,
                           as_of)
    national_percent = money.to_decimal(percent.value, "consumption tax percent")
    ct_base_before = customs_value + customs_duty
    ct_base = money.cut_down(ct_base_before, base_unit.value)
    national_before = ct_base * national_percent / 100
    national = money.cut_down(national_before, tax_unit.value)
    # Each line's local tax is cut to the yen, the declaration's total to the 100 yen.
    local_before = money.cut_down(money.share(national, local.value), 1)
    local_tax = money.cut_down(local_before, local_unit.value)
    total = customs_duty + national + local_tax
    base_unit_duty, duty_unit, digits = used
    steps = _steps(customs_value, duty, customs_duty, base_unit_duty, duty_unit, digits,
                   (ct_base_before, ct_base, base_unit),
                   (national_before, national, percent, tax_unit),
                   (local_before, local_tax, local, local_unit), total)
    return Payable(customs_value=money.tidy(customs_value), duty_base=duty.base,
                   duty_quantity=duty.quantity, customs_duty=customs_duty,
                   consumption_tax_rate=rate_id,  # type: ignore[arg-type]
                   consumption_tax_percent=money.tidy(national_percent),
                   consumption_tax_base=ct_base, consumption_tax=national,
                   local_consumption_tax_share=str(local.value),
                   local_consumption_tax=local_tax, total=total, steps=steps,
                   notes=list(duty.notes))


def _steps(customs_value: Decimal, duty: _Duty, customs_duty: Decimal, base_unit: _Value,
           duty_unit: _Value, digits: _Value, ct_base: tuple, national: tuple,
           local: tuple, total: Decimal) -> list[PayableStep]:
    steps = [PayableStep(step="customs value (CIF)", amount=money.tidy(customs_value),
                         how="as declared, in yen")]
    if duty.base is not None:
        steps.append(PayableStep(step="taxable base", amount=duty.base,
                                 before=money.tidy(customs_value),
                                 how=f"cut down to the {base_unit.value:,} yen",
                                 **base_unit.cite()))
    if duty.quantity is not None:
        steps.append(PayableStep(step="quantity for the specific duty", amount=duty.quantity,
                                 how=f"rates of up to {digits.value} whole digits count whole "
                                     "units; each further digit keeps one more decimal",
                                 **digits.cite()))
    steps.append(PayableStep(step="customs duty", amount=customs_duty,
                             before=money.tidy(duty.before),
                             how=f"cut down to the {duty_unit.value:,} yen", **duty_unit.cite()))
    before, amount, unit = ct_base
    steps.append(PayableStep(step="consumption tax base", amount=amount,
                             before=money.tidy(before),
                             how=f"customs value + customs duty, cut down to the "
                                 f"{unit.value:,} yen", **unit.cite()))
    before, amount, percent, unit = national
    steps.append(PayableStep(step="consumption tax (national)", amount=amount,
                             before=money.tidy(before),
                             how=f"{percent.value}% of the base, cut down to the "
                                 f"{unit.value:,} yen", **percent.cite()))
    before, amount, fraction, unit = local
    steps.append(PayableStep(step="local consumption tax", amount=amount,
                             before=money.tidy(before),
                             how=f"{fraction.value} of the national tax, cut down to the "
                                 f"{unit.value:,} yen", **fraction.cite()))
    steps.append(PayableStep(step="total payable", amount=total,
                             how="customs duty + consumption tax + local consumption tax"))
    return steps
