"""Duty expressions as rules' data: the models, and their text form.

Two kinds of expression cover the tariffs tradeguard models:

* :class:`CompoundDuty` -- a list of components, each a percentage of the customs
  value (ad valorem) or an amount per unit of quantity (specific), joined by
  ``+``, ``-``, ``MIN`` and ``MAX`` as in the customs data standard (TARIC duty
  expressions; the UK Online Trade Tariff uses the same abbreviations).
* :class:`GatePriceDuty` -- Japan's differential ("gate price") duty on pork,
  which charges ad valorem above a branch-point price and the gap to a standard
  import price below it (``domain-rules.md`` section 2.2; the structure is
  confirmed by secondary sources only, so verify against the tariff schedule
  before relying on the figures).

Rule files write compound duties in a small text grammar read by :func:`parse_duty`
and written back by :func:`format_duty`::

    expression := term (operator term)*
    term       := NUMBER "%"  |  NUMBER CURRENCY "/" UNIT
    operator   := "+" | "-" | "MIN" | "MAX"

for example ``"38.5%"``, ``"25% + 130 JPY/kg"`` or
``"13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg"``.

Evaluating an expression, one shipment or a column at a time, is the engine's
(``tradeguard.engine.expressions``).
"""


from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradeguard.errors import InputError, problem
from tradeguard.units import (
    normalise_currency,
    normalise_unit,
    unit_dimension,
)

Operator = Literal["+", "-", "MIN", "MAX"]

GRAMMAR_EXAMPLE = (
    'write terms such as "38.5%", "130 JPY/kg" or "35.1 EUR/100kg" joined by +, -, MIN or '
    'MAX, e.g. "13.8% MIN 13 GBP/100kg MAX 15 GBP/100kg - 7 GBP/100kg"'
)


class Component(BaseModel):
    """One term of a duty expression.

    ``operator`` joins the component to what precedes it.  ``MIN`` and ``MAX`` are
    the customs-data joiners (TARIC duty expressions 15 "Minimum" and 17
    "Maximum"): ``MIN`` is a floor ("no less than") and ``MAX`` a cap ("no more
    than"); see :class:`CompoundDuty` for how far they reach.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["ad_valorem", "specific"]
    operator: Operator = "+"
    percent: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    amount: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    currency: str | None = None
    unit: str | None = None

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_currency(value)
        except InputError as exc:  # pydantic collects ValueErrors into one report
            raise ValueError(str(exc)) from None

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_unit(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Component:
        if self.kind == "ad_valorem":
            if self.percent is None:
                raise ValueError(
                    "an ad_valorem component needs `percent` (38.5 means 38.5 % of the "
                    "customs value)")
            stray = [name for name in ("amount", "currency", "unit")
                     if getattr(self, name) is not None]
            if stray:
                raise ValueError(
                    f"an ad_valorem component takes only `percent`; remove {', '.join(stray)} "
                    "or make the component specific")
        else:
            missing = [name for name in ("amount", "currency", "unit")
                       if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"a specific component needs amount, currency and unit; add "
                    f"{', '.join(missing)} (e.g. amount: 130, currency: JPY, unit: kg)")
            if self.percent is not None:
                raise ValueError(
                    "a specific component takes no `percent`; split it into an ad_valorem "
                    "and a specific component joined by '+'")
        return self

    def __str__(self) -> str:
        return _format_term(self)


class CompoundDuty(BaseModel):
    """Components joined by ``+``, ``-``, ``MIN`` and ``MAX``.

    The reading of ``MIN``/``MAX`` follows the UK Online Trade Tariff duty
    calculator (see ``tests/fixtures/peer_vectors/README.md``): a ``MIN`` or ``MAX``
    component starts a right-hand side that absorbs every component after it,
    the expression is split at the right-most joiner and the left part is
    evaluated the same way.  So ``A MIN B MAX C - D`` is
    ``min(max(A, B), C - D)``: the trailing ``- D`` lowers the cap, it is not
    taken off after capping.  The result is not clamped at zero.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["compound"] = "compound"
    components: list[Component] = Field(min_length=1)

    @model_validator(mode="after")
    def _starts_with_a_plain_term(self) -> CompoundDuty:
        first = self.components[0].operator
        if first != "+":
            raise ValueError(
                f"the first component has operator {first!r}, but there is nothing before it "
                "to join to; give the first component operator '+'")
        return self

    def __str__(self) -> str:
        return format_duty(self)


class GatePriceDuty(BaseModel):
    """Japan's differential ("gate price") duty on pork.

    Per unit (kg) of customs value ``V``: above ``branch_point`` the duty is
    ``ad_valorem_percent`` of ``V``; at or below it, the gap to the standard import
    price, ``standard_price - V``, but no more than ``specific_cap``.  Before FY2020
    the structure was 4.3 %, branch point 524 yen/kg, standard import price
    546.53 yen/kg and cap 482 yen/kg (``domain-rules.md`` 2.2, SankeiBiz
    29 Jul 2015 [C2]).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["gate_price"] = "gate_price"
    ad_valorem_percent: float = Field(ge=0, allow_inf_nan=False)
    branch_point: float = Field(gt=0, allow_inf_nan=False)
    standard_price: float = Field(gt=0, allow_inf_nan=False)
    specific_cap: float = Field(ge=0, allow_inf_nan=False)
    currency: str = "JPY"
    unit: str = "kg"

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        try:
            return normalise_currency(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("unit")
    @classmethod
    def _mass_unit(cls, value: str) -> str:
        try:
            unit = normalise_unit(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
        if unit_dimension(unit) != "mass":
            raise ValueError(f"a gate price is set per unit of mass (kg), not per {unit}")
        return unit

    @model_validator(mode="after")
    def _standard_not_below_branch(self) -> GatePriceDuty:
        # Below the branch point the duty is standard_price - V; a standard price under
        # the branch point would make that negative, which no gate-price schedule does.
        if self.standard_price < self.branch_point:
            raise ValueError(
                f"standard_price {self.standard_price} is below branch_point "
                f"{self.branch_point}; check the two prices are not swapped")
        return self

    def __str__(self) -> str:
        return format_duty(self)


DutyExpression = Annotated[CompoundDuty | GatePriceDuty, Field(discriminator="kind")]
"""Any duty expression; rule files pick the kind with ``kind:``."""


# --------------------------------------------------------------------------- text form

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
      | (?P<percent>%)
      | (?P<operator>\+|-|\u2212|(?i:MIN|MAX)\b)
      | (?P<currency>[A-Za-z]{3})\s*/\s*(?P<unit>100\s*kg|[A-Za-z0-9]+)
      | (?P<other>\S+)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int
    currency: str | None = None
    unit: str | None = None


def _tokenise(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while text[position:].strip():
        match = _TOKEN.match(text, position)
        assert match is not None  # the `other` branch matches any non-space run
        kind = match.lastgroup or "other"
        if kind == "unit":  # the currency/unit pair is reported by its last group
            kind = "currency"
        start = match.start(kind)
        tokens.append(_Token(kind, match.group(0).strip(), start,
                             match.group("currency"), match.group("unit")))
        position = match.end()
    return tokens


def parse_duty(text: str) -> CompoundDuty:
    """Read a compound duty from its rule-file text, e.g. ``"25% + 130 JPY/kg"``."""
    if not isinstance(text, str) or not text.strip():
        raise InputError(problem(
            f"empty duty expression {text!r}", where="duty expression",
            why="a duty needs at least one term", fix=GRAMMAR_EXAMPLE))
    tokens = _tokenise(text)

    def unexpected(token: _Token | None, wanted: str) -> InputError:
        found = "the end of the text" if token is None else (
            f"{token.text!r} at character {token.position + 1}")
        return InputError(problem(
            f"cannot read duty expression {text!r}: expected {wanted}, found {found}",
            where="duty expression", why="it does not follow the duty grammar",
            fix=GRAMMAR_EXAMPLE))

    components: list[dict[str, Any]] = []
    operator = "+"
    index = 0
    while True:
        number = tokens[index] if index < len(tokens) else None
        if number is None or number.kind != "number":
            raise unexpected(number, "a number (the rate)")
        measure = tokens[index + 1] if index + 1 < len(tokens) else None
        if measure is not None and measure.kind == "percent":
            components.append({"kind": "ad_valorem", "operator": operator,
                               "percent": float(number.text)})
        elif measure is not None and measure.kind == "currency":
            components.append({"kind": "specific", "operator": operator,
                               "amount": float(number.text), "currency": measure.currency,
                               "unit": measure.unit})
        else:
            raise unexpected(measure, "'%' or a CURRENCY/UNIT such as JPY/kg")
        index += 2
        if index == len(tokens):
            break
        joiner = tokens[index]
        if joiner.kind != "operator":
            raise unexpected(joiner, "an operator (+, -, MIN or MAX)")
        operator = "-" if joiner.text == "\u2212" else joiner.text.upper()
        index += 1

    try:
        return CompoundDuty(components=components)
    except ValidationError as exc:
        reasons = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise InputError(problem(
            f"duty expression {text!r} is not valid", where="duty expression",
            why=reasons, fix=GRAMMAR_EXAMPLE)) from None


def _format_number(value: float) -> str:
    # Integers print without a decimal point; anything else uses Python's shortest
    # round-tripping repr, so parse_duty(format_duty(x)) == x exactly.
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _format_term(component: Component) -> str:
    if component.kind == "ad_valorem":
        return f"{_format_number(component.percent or 0.0)}%"
    return f"{_format_number(component.amount or 0.0)} {component.currency}/{component.unit}"


def format_duty(expr: CompoundDuty | GatePriceDuty) -> str:
    """Render a duty expression canonically (the text :func:`parse_duty` reads)."""
    if isinstance(expr, GatePriceDuty):
        per = f"{expr.currency}/{expr.unit}"
        return (f"gate price: {_format_number(expr.ad_valorem_percent)}% above "
                f"{_format_number(expr.branch_point)} {per}, else "
                f"min({_format_number(expr.standard_price)} \u2212 value, "
                f"{_format_number(expr.specific_cap)}) {per}")
    parts = [_format_term(expr.components[0])]
    parts += [f"{c.operator} {_format_term(c)}" for c in expr.components[1:]]
    return " ".join(parts)


