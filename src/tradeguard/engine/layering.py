"""A duty option's total: its own duty, the additional duties that stack on it, and VAT.

An "option" is one way a shipment can be charged -- the third-country (MFN) rate,
a preference, a suspension or an in-quota rate.  Trade remedies and other
additional duties are layered on top, with one exclusion: goods imported within a
tariff-rate quota pay no special safeguard duty (WTO Agreement on Agriculture,
Art. 5.2: in-quota imports are not subject to the safeguard duty; the UK duty
calculator leaves measure type 696 out of every quota option for the same reason).
Suspensions and preferences keep it.

VAT is charged on the customs value plus every duty applied in the option, as in
the UK calculator (VAT base = customs value + option duty + additional duties).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.errors import InputError, problem
from tradeguard.units import finite_float

AdditionalDutyKind = Literal["safeguard", "anti_dumping", "countervailing", "additional", "excise"]

EXCLUDED_IN_QUOTA: frozenset[str] = frozenset({"safeguard"})
"""Additional-duty kinds an in-quota option never pays (WTO AoA Art. 5.2)."""


class AdditionalDuty(BaseModel):
    """An additional duty already evaluated for the shipment, in the option's currency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AdditionalDutyKind
    amount: float = Field(ge=0, allow_inf_nan=False)


class OptionTotal(BaseModel):
    """What one option charges; all amounts in the customs value's currency."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    duty: float
    additional_applied: dict[str, float]
    additional_not_applied: list[str]
    vat_base: float | None
    vat: float | None
    total: float  # duty + applied additional duties + VAT; the customs value is not included


def option_total(option_duty: float, additional: Sequence[AdditionalDuty], *, in_quota: bool,
                 vat_percent: float | None = None,
                 customs_value: float | None = None) -> OptionTotal:
    """Layer additional duties and VAT on an option's own duty.

    * In quota, the kinds in :data:`EXCLUDED_IN_QUOTA` are not applied and are listed
      in ``additional_not_applied``.
    * Additional duties of amount 0 are dropped (they would print as empty lines).
    * Several duties of one kind (two anti-dumping measures, say) are summed.
    * VAT, when ``vat_percent`` is given, is ``vat_percent`` % of
      ``customs_value + option_duty + applied additional duties``.
    """
    duty = _non_negative(option_duty, "option_duty")
    applied: dict[str, list[float]] = {}
    not_applied: list[str] = []
    for item in additional:
        if in_quota and item.kind in EXCLUDED_IN_QUOTA:
            if item.kind not in not_applied:
                not_applied.append(item.kind)
            continue
        if item.amount == 0:
            continue
        applied.setdefault(item.kind, []).append(item.amount)
    # fsum: each sum is rounded once, so totals do not depend on the order of measures.
    applied_amounts = {kind: math.fsum(amounts) for kind, amounts in applied.items()}
    additional_total = math.fsum(applied_amounts.values())

    vat_base = vat = None
    if vat_percent is not None:
        rate = _non_negative(vat_percent, "vat_percent")
        if customs_value is None:
            raise InputError(problem(
                "VAT asked for without a customs value", where="option_total",
                why="VAT is charged on customs value + duty + additional duties",
                fix="pass customs_value=... together with vat_percent"))
        value = _non_negative(customs_value, "customs_value")
        vat_base = math.fsum([value, duty, *applied_amounts.values()])
        vat = vat_base * rate / 100.0
    total = math.fsum([duty, additional_total, vat or 0.0])
    return OptionTotal(duty=duty, additional_applied=applied_amounts,
                       additional_not_applied=not_applied, vat_base=vat_base, vat=vat,
                       total=total)


def _non_negative(raw: object, name: str) -> float:
    number = finite_float(raw, name)
    if number < 0:
        raise InputError(problem(
            f"{name} is negative ({number})", where="option_total",
            why="duties, rates and customs values are never below zero",
            fix=f"pass {name} as zero or more"))
    return number
