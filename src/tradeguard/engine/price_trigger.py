"""The price-triggered special safeguard duty of WTO Agreement on Agriculture Art. 5.5.

When a shipment's c.i.f. import price ``P`` falls below the trigger price ``T``,
Art. 5.1(b) allows an additional duty per shipment, banded by the shortfall
``D = T - P`` as a fraction ``r = D / T`` of the trigger price (Art. 5.5(a)-(e)):
no duty up to 10 %, then 30 %, 50 %, 70 % and 90 % of the part of ``D`` that falls
in each successive band.  Each band's rate applies only to its slice of ``D``,
as income tax brackets do, so the duty is continuous in ``P``.

The bands are rules' data (``rules/library/wto/price_trigger_bands.yaml``), each with its
paragraph and the confidence we have in it (``domain-rules.md`` section 1.4), read by
:func:`price_trigger_bands`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tradeguard.errors import InputError, problem
from tradeguard.units import finite_float


@dataclass(frozen=True)
class PriceBand:
    """One band of Art. 5.5: ``rate`` applies to the part of the shortfall ``D`` with
    ``lower < D/T <= upper`` (fractions of the trigger price)."""

    paragraph: str
    lower: float  # exclusive
    upper: float  # inclusive
    rate: float  # marginal rate on the slice of D inside the band
    citation: str
    status: str


_AOA = "WTO Agreement on Agriculture, Art. 5.5"


@lru_cache(maxsize=1)
def price_trigger_bands() -> tuple[PriceBand, ...]:
    """Art. 5.5 bands, lowest first, as the shipped rule library holds them; together they
    cover shortfalls from 0 to 100 %."""
    from tradeguard.rules.law import price_bands
    from tradeguard.rules.loader import shipped_rules

    return tuple(PriceBand(b.paragraph, b.above, b.up_to, b.rate,
                           f"{_AOA}({b.paragraph})", b.status)
                 for b in price_bands(shipped_rules()))


def _banded_duty(trigger_price: Any, import_price: Any, least: Any, greatest: Any) -> Any:
    # Work in money, not in fractions: each band's slice of D is clamped between the
    # band's edges expressed as amounts (edge x T), so that T = 100, P = 25 gives
    # exactly 9 + 10 + 10.5 = 29.5 without fractions of fractions.
    shortfall = trigger_price - import_price
    duty: Any = 0.0
    for band in price_trigger_bands():
        if band.rate == 0:
            continue
        floor = trigger_price * band.lower
        width = trigger_price * band.upper - floor
        duty = duty + band.rate * least(greatest(shortfall - floor, 0.0), width)
    return duty


def additional_duty(trigger_price: float, import_price: float) -> float:
    """Additional duty per unit under Art. 5.5, in the currency of the prices.

    ``trigger_price`` is the 1986-88 reference price (Art. 5.1(b)); ``import_price``
    is the shipment's c.i.f. price in domestic currency, per the same unit.  An
    import price at or above the trigger price pays nothing.
    """
    trigger = _checked_trigger_price(trigger_price)
    price = _checked_import_price(import_price)
    return float(_banded_duty(trigger, price, min, max))


def additional_duty_ibis(trigger_price: Any, import_price: Any) -> Any:
    """:func:`additional_duty` over Ibis columns; either argument may be a Python float.

    Pure Ibis and float64.  Rows with a trigger price at or below zero, or a
    negative import price, give NULL rather than an error, since one bad row must
    not stop a whole column; check such rows before trusting a total.
    Two Python floats give the scalar result.
    """
    import ibis
    from ibis.expr.types import Value

    if not isinstance(trigger_price, Value) and not isinstance(import_price, Value):
        return additional_duty(trigger_price, import_price)

    # A Python float is one value for every row: check it now, like the scalar path.
    trigger = (trigger_price.cast("float64") if isinstance(trigger_price, Value)
               else ibis.literal(_checked_trigger_price(trigger_price), type="float64"))
    price = (import_price.cast("float64") if isinstance(import_price, Value)
             else ibis.literal(_checked_import_price(import_price), type="float64"))
    duty = _banded_duty(trigger, price, ibis.least, ibis.greatest)
    valid = (trigger > 0) & (price >= 0)
    return ibis.ifelse(valid, duty, ibis.null("float64")).cast("float64")


def _checked_trigger_price(raw: object) -> float:
    trigger = finite_float(raw, "trigger_price")
    if trigger <= 0:
        raise InputError(problem(
            f"trigger price is {trigger}", where="trigger_price",
            why="the shortfall is measured as a fraction of the trigger price, "
                "which must be positive",
            fix="pass the notified trigger (reference) price for the tariff line"))
    return trigger


def _checked_import_price(raw: object) -> float:
    price = finite_float(raw, "import_price")
    if price < 0:
        raise InputError(problem(
            f"import price is negative ({price})", where="import_price",
            why="a c.i.f. price cannot be below zero",
            fix="pass the shipment's c.i.f. value per unit, in domestic currency"))
    return price
