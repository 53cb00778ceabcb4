"""Duty expressions: what a tariff line charges, evaluated one shipment or a column at a time.

The models, :func:`parse_duty` and :func:`format_duty` are rules' data
(``tradeguard.rules.duties``, re-exported here).  Rule files write compound duties in a
small text grammar::

    expression := term (operator term)*
    term       := NUMBER "%"  |  NUMBER CURRENCY "/" UNIT
    operator   := "+" | "-" | "MIN" | "MAX"

for example ``"38.5%"``, ``"25% + 130 JPY/kg"`` or
``"13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg"``.

:func:`evaluate` computes one shipment's duty in plain float64 arithmetic;
:func:`to_ibis` builds the same formula as an Ibis expression over columns, and the
two share the formula code below so that they round identically.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tradeguard.errors import InputError, problem
from tradeguard.rules.duties import (  # noqa: F401  (the models are re-exported here)
    GRAMMAR_EXAMPLE,
    Component,
    CompoundDuty,
    DutyExpression,
    GatePriceDuty,
    Operator,
    format_duty,
    parse_duty,
)
from tradeguard.units import (
    QUANTITY_UNITS,
    convert_money,
    convert_quantity,
    finite_float,
    normalise_currency,
    quantity_ratio,
    scale,
    unit_dimension,
)

if TYPE_CHECKING:
    from ibis.expr.types import NumericValue


# --------------------------------------------------------------------------- introspection

def needs(expr: CompoundDuty | GatePriceDuty) -> set[str]:
    """Which shipment facts the expression reads: ``customs_value``, ``quantity`` or both."""
    if isinstance(expr, GatePriceDuty):
        return {"customs_value", "quantity"}
    return {"customs_value" if c.kind == "ad_valorem" else "quantity" for c in expr.components}


def _simple_sum(expr: CompoundDuty | GatePriceDuty) -> list[Component] | None:
    """The components of an ``x%``, ``y``, or ``x% + y`` expression; else None."""
    if isinstance(expr, GatePriceDuty):
        return None
    components = expr.components
    kinds = [c.kind for c in components]
    if any(c.operator != "+" for c in components) or len(kinds) != len(set(kinds)):
        return None
    return components


def linear_parts(expr: CompoundDuty | GatePriceDuty) -> tuple[float, float, int] | None:
    """``(percent, amount, kg_per_unit)`` when the duty is ``value × percent/100 +
    (kg / kg_per_unit) × amount`` in JPY (an ``x%``, ``y JPY/<mass unit>`` or ``x% + y``
    expression); else None.  The batch engine evaluates these as plain column arithmetic.
    """
    components = _simple_sum(expr)
    if components is None:
        return None
    percent, amount, per = 0.0, 0.0, 1
    for c in components:
        if c.kind == "ad_valorem":
            percent = float(c.percent or 0.0)
            continue
        if c.currency != "JPY" or unit_dimension(c.unit or "") != "mass":
            return None
        ratio = quantity_ratio("kg", c.unit or "")
        if ratio.numerator != 1:
            return None
        amount, per = float(c.amount or 0.0), ratio.denominator
    return percent, amount, per


def add_duty(base: CompoundDuty | GatePriceDuty,
             extra: CompoundDuty | GatePriceDuty) -> CompoundDuty:
    """``base`` plus ``extra``, for safeguards that add a duty on top (WTO AoA Art. 5).

    Both must be sums without MIN/MAX: appending terms after a MIN or MAX would fold them
    into the cap (the UK calculator's reading), which is not what "added" means.
    """
    for part in (base, extra):
        if isinstance(part, GatePriceDuty) or any(
                c.operator in ("MIN", "MAX") for c in part.components):
            raise InputError(problem(
                f"cannot add a safeguard duty to '{format_duty(base)}'",
                why="only sums without MIN/MAX caps or gate prices can be added together",
                fix="express the safeguard as a replacement duty (remedy: replace)"))
    assert isinstance(base, CompoundDuty) and isinstance(extra, CompoundDuty)
    tail = [c if i else c.model_copy(update={"operator": "+"})
            for i, c in enumerate(extra.components)]
    return CompoundDuty(components=[*base.components, *tail])


def ad_valorem_percent(expr: CompoundDuty | GatePriceDuty) -> float | None:
    """The ad valorem percent of an ``x%`` or ``x% + y`` expression, else None.

    None also for expressions with ``-``, ``MIN`` or ``MAX``, with two ad valorem
    terms, and for a gate price (whose ad valorem leg applies only above the branch
    point): no single percent describes them; use :func:`format_duty` instead.
    """
    components = _simple_sum(expr) or []
    return next((c.percent for c in components if c.kind == "ad_valorem"), None)


def specific_part(expr: CompoundDuty | GatePriceDuty) -> dict[str, Any] | None:
    """``{"amount", "currency", "unit"}`` of a ``y`` or ``x% + y`` expression, else None."""
    components = _simple_sum(expr) or []
    return next(({"amount": c.amount, "currency": c.currency, "unit": c.unit}
                 for c in components if c.kind == "specific"), None)


# --------------------------------------------------------------------------- shared formulas
# Written once over "numbers" that may be Python floats or Ibis columns, so the scalar
# reference and the vectorised path compute the same operations in the same order.

@dataclass(frozen=True)
class _Arithmetic:
    least: Callable[[Any, Any], Any]
    greatest: Callable[[Any, Any], Any]
    if_else: Callable[[Any, Any, Any], Any]


_PYTHON = _Arithmetic(least=min, greatest=max,
                      if_else=lambda condition, then, otherwise: then if condition else otherwise)


def _ad_valorem(customs_value: Any, percent: float) -> Any:
    return customs_value * percent / 100.0


def _add_up(terms: Sequence[tuple[str, Any]]) -> Any:
    total = terms[0][1]
    for operator, value in terms[1:]:
        total = total - value if operator == "-" else total + value
    return total


def _combine(terms: Sequence[tuple[str, Any]], arithmetic: _Arithmetic) -> Any:
    """Fold (operator, value) pairs with the UK calculator's MIN/MAX reading."""
    joiners = [i for i, (operator, _) in enumerate(terms) if operator in ("MIN", "MAX")]
    if not joiners:
        return _add_up(terms)
    split = joiners[-1]
    left = _combine(terms[:split], arithmetic)
    right = _add_up([("+", terms[split][1]), *terms[split + 1:]])
    if terms[split][0] == "MAX":  # "no more than": a cap
        return arithmetic.least(left, right)
    return arithmetic.greatest(left, right)  # MIN, "no less than": a floor


def _gate_price(expr: GatePriceDuty, customs_value: Any, quantity: Any,
                arithmetic: _Arithmetic) -> Any:
    value_per_unit = customs_value / quantity
    duty_per_unit = arithmetic.if_else(
        value_per_unit > expr.branch_point,
        value_per_unit * expr.ad_valorem_percent / 100.0,
        arithmetic.least(expr.standard_price - value_per_unit, expr.specific_cap),
    )
    return duty_per_unit * quantity


# --------------------------------------------------------------------------- scalar

def evaluate(expr: CompoundDuty | GatePriceDuty, *, customs_value: float | None = None,
             quantity: float | None = None, quantity_unit: str = "kg", currency: str = "JPY",
             exchange_rates: Mapping[str, float] | None = None) -> float:
    """One shipment's duty, in ``currency`` (the currency of ``customs_value``).

    Specific components convert ``quantity`` from ``quantity_unit`` into their own
    unit and their amount from their own currency into ``currency`` with
    ``exchange_rates`` (``{"EUR_to_GBP": 0.8571}``).  A gate price is computed in
    its own currency and unit and the result converted back.
    """
    where = f"duty expression '{format_duty(expr)}'"
    required = needs(expr)
    value = _shipment_fact(customs_value, "customs_value", required, where)
    amount = _shipment_fact(quantity, "quantity", required, where)
    target = normalise_currency(currency)
    try:
        if isinstance(expr, GatePriceDuty):
            return _evaluate_gate_price(expr, value, amount, quantity_unit, target,
                                        exchange_rates, where)
        terms = []
        for component in expr.components:
            if component.kind == "ad_valorem":
                part = _ad_valorem(value, component.percent or 0.0)
            else:
                in_unit = convert_quantity(amount, quantity_unit, component.unit or "")
                part = convert_money((component.amount or 0.0) * in_unit,
                                     component.currency or "", target, exchange_rates)
            terms.append((component.operator, part))
        return float(_combine(terms, _PYTHON))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _evaluate_gate_price(expr: GatePriceDuty, customs_value: float, quantity: float,
                         quantity_unit: str, currency: str,
                         exchange_rates: Mapping[str, float] | None, where: str) -> float:
    in_unit = convert_quantity(quantity, quantity_unit, expr.unit)
    if in_unit <= 0:
        raise InputError(problem(
            "a gate-price duty needs a positive quantity", where="quantity",
            why="the branch-point test compares the customs value per kg, "
                "which a zero quantity leaves undefined",
            fix="pass the shipment's net weight as quantity"))
    value = convert_money(customs_value, currency, expr.currency, exchange_rates)
    duty = _gate_price(expr, value, in_unit, _PYTHON)
    return convert_money(float(duty), expr.currency, currency, exchange_rates)


def _shipment_fact(raw: float | None, name: str, required: set[str], where: str) -> float:
    """Check one input of :func:`evaluate`; 0.0 stands in for an unneeded missing one."""
    if raw is None:
        if name in required:
            example = "customs_value=1000.0" if name == "customs_value" else (
                "quantity=250.0, quantity_unit='kg'")
            raise InputError(problem(
                f"no {name} given", where=where,
                why=f"the expression has {'an ad valorem' if name == 'customs_value' else 'a specific'} part",
                fix=f"call evaluate(..., {example})"))
        return 0.0
    number = finite_float(raw, name)
    if number < 0:
        raise InputError(problem(
            f"{name} is negative ({number})", where=where,
            why="duties are computed on what is imported, which cannot be less than nothing",
            fix=f"pass a {name} of zero or more (record returns or corrections separately)"))
    return number


# --------------------------------------------------------------------------- vectorised

def to_ibis(expr: CompoundDuty | GatePriceDuty, customs_value: NumericValue,
            quantity_kg: NumericValue) -> NumericValue:
    """The duty in JPY for columns of customs values (JPY) and quantities (kg).

    Pure Ibis (``least``, ``greatest``, ``ifelse`` and arithmetic), float64 only,
    with no per-row Python and no backend-specific SQL, so the same expression
    runs on DuckDB today and on PySpark later.  Specific units are converted by
    constant factors.

    The vectorised path is JPY-only for now: a component in another currency
    raises :class:`InputError` (per-row exchange rates are not modelled yet), as
    does a specific component per litre or hectolitre, since quantities arrive in
    kg.  A gate price on a row with zero quantity gives NULL.
    """
    import ibis  # imported here: the scalar path and the CLI should not pay for it

    where = f"duty expression '{format_duty(expr)}'"
    _require_vectorisable(expr, where)
    value = customs_value.cast("float64")
    kilograms = quantity_kg.cast("float64")
    vectorised = _Arithmetic(least=ibis.least, greatest=ibis.greatest, if_else=ibis.ifelse)
    if isinstance(expr, GatePriceDuty):
        in_unit = scale(kilograms, quantity_ratio("kg", expr.unit))
        duty = ibis.ifelse(in_unit > 0, _gate_price(expr, value, in_unit, vectorised),
                           ibis.null("float64"))
        return duty.cast("float64")
    terms = []
    for component in expr.components:
        if component.kind == "ad_valorem":
            part = _ad_valorem(value, component.percent or 0.0)
        else:
            part = (component.amount or 0.0) * scale(
                kilograms, quantity_ratio("kg", component.unit or ""))
        terms.append((component.operator, part))
    return _combine(terms, vectorised).cast("float64")


def _require_vectorisable(expr: CompoundDuty | GatePriceDuty, where: str) -> None:
    if isinstance(expr, GatePriceDuty):
        currencies = {expr.currency}
        units: set[str] = set()
    else:
        currencies = {c.currency for c in expr.components if c.currency is not None}
        units = {c.unit for c in expr.components if c.unit is not None}
    foreign = sorted(currencies - {"JPY"})
    if foreign:
        raise InputError(problem(
            f"amounts in {', '.join(foreign)} cannot be evaluated on columns yet", where=where,
            why="the vectorised path takes customs values in JPY and has no per-row "
                "exchange rates",
            fix="restate the amounts in JPY, or evaluate shipment by shipment with evaluate()"))
    volumes = sorted(u for u in units if unit_dimension(u) != "mass")
    if volumes:
        raise InputError(problem(
            f"specific duty per {', '.join(volumes)} cannot be evaluated on columns yet",
            where=where, why="the vectorised path receives quantities in kg only",
            fix=f"use a mass unit ({', '.join(u for u in QUANTITY_UNITS if unit_dimension(u) == 'mass')}) "
                "or evaluate() with quantity_unit"))
