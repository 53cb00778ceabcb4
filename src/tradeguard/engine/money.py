"""Exact yen: amounts as decimals, and the law's "cut down to the unit".

Answers never carry binary floats.  Two kinds of amount leave the engine:

* a duty *before* the law's rounding (``DutyOption.duty_amount``), computed in
  float64 like the batch engine and then fixed to :data:`AMOUNT_PLACES` decimals,
  rounding half up -- exactly the integer key both engines choose options by, so the
  scalar and batch paths give the same decimal;
* the amounts *payable* (:mod:`tradeguard.engine.payable`), computed in decimal
  arithmetic from the decimal inputs and cut down to whole units of yen as the law says.
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from fractions import Fraction

from tradeguard.errors import InputError, problem

#: Decimal places of a duty before rounding: 1/10,000 yen, the choice key's precision.
AMOUNT_PLACES = 4


def tidy(value: Decimal) -> Decimal:
    """The same number without trailing zeros, never in exponent form (``385000``)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def from_float_amount(value: float) -> Decimal:
    """A float64 duty as a decimal of :data:`AMOUNT_PLACES` places, half up.

    ``floor(x × 10^4 + 0.5)`` is the formula of ``duty.choice_key`` and of the batch
    engine's integer key, so 14652.999999999996 becomes 14653 on both paths.
    """
    scaled = math.floor(value * 10**AMOUNT_PLACES + 0.5)
    return tidy(Decimal(scaled).scaleb(-AMOUNT_PLACES))


def to_decimal(value: object, what: str) -> Decimal:
    """An input number as the decimal its writer meant (a float by its shortest repr)."""
    if isinstance(value, bool):
        raise InputError(problem(f"{what} {value!r} is not a number", fix="pass a number"))
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation:
        raise InputError(problem(f"{what} {value!r} is not a number",
                                 fix="pass digits, e.g. 609458")) from None
    if not number.is_finite():
        raise InputError(problem(f"{what} is {number}",
                                 why="NaN and infinity have no meaning for money",
                                 fix=f"pass a finite {what}"))
    return number


def from_fraction(value: Fraction) -> Decimal:
    """A fraction as an exact decimal when it has one (unit ratios are 1/10^k)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def cut_down(value: Decimal, unit: Decimal | int) -> Decimal:
    """``value`` cut down to a whole multiple of ``unit`` (1,000 yen, 100 yen, 1 yen)."""
    step = Decimal(unit)
    return tidy((value / step).to_integral_value(rounding=ROUND_FLOOR) * step)


def cut_to_places(value: Decimal, places: int) -> Decimal:
    """``value`` cut down to ``places`` decimals (a specific duty's quantity)."""
    return tidy(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_FLOOR))


def share(value: Decimal, fraction: str) -> Decimal:
    """``value`` × a share written as the law writes it ("22/78"; "0" for none)."""
    top, _, bottom = fraction.partition("/")
    return value * Decimal(int(top)) / Decimal(int(bottom or 1))
