"""Explicit quantity units and currency conversion.

Every quantity and every amount of money carries its unit by name; nothing is
assumed.  Canonical quantity units are ``kg``, ``100kg`` (decitonne), ``t``
(tonne), ``l`` (litre) and ``hl`` (hectolitre).  The tariff measurement-unit
codes used by customs data (and by the UK duty calculator's vectors) are
accepted as aliases: ``KGM``, ``DTN``, ``TNE``, ``LTR`` and ``HLT``.

Conversions use exact integer ratios between units (a tonne is 1000 kg, a
hectolitre is 100 l) and apply them as one multiplication and at most one
division, so that 100 kg is exactly 1.0 decitonne in binary floating point.
Only Python floats (IEEE float64) are used; never float32.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from tradeguard.errors import InputError, problem

# Size of each canonical unit in its dimension's base unit (kg or l), as integers so
# that every ratio between two units is an exact fraction.
_MASS_IN_KG: dict[str, int] = {"kg": 1, "100kg": 100, "t": 1000}
_VOLUME_IN_L: dict[str, int] = {"l": 1, "hl": 100}
_DIMENSION: dict[str, str] = {
    **{unit: "mass" for unit in _MASS_IN_KG},
    **{unit: "volume" for unit in _VOLUME_IN_L},
}
_SIZE: dict[str, int] = {**_MASS_IN_KG, **_VOLUME_IN_L}

QUANTITY_UNITS: tuple[str, ...] = tuple(_SIZE)
"""The canonical quantity unit names, smallest first within each dimension."""

KG_PER_TONNE: float = float(_MASS_IN_KG["t"])
"""Kilograms in a tonne (1000.0): the one factor for kg <-> t in counts and answers; dividing
by it (not multiplying by 0.001) keeps whole tonnes exact."""

# Tariff measurement-unit codes (as in TARIC and the UK Trade Tariff) and a few
# spellings people write in rule files; all keys are compared in lower case.
_ALIASES: dict[str, str] = {
    "kg": "kg", "kgm": "kg", "kilogram": "kg", "kilograms": "kg",
    "100kg": "100kg", "100 kg": "100kg", "dtn": "100kg", "dt": "100kg", "decitonne": "100kg",
    "t": "t", "tne": "t", "tonne": "t", "tonnes": "t",
    "l": "l", "ltr": "l", "litre": "l", "litres": "l",
    "hl": "hl", "hlt": "hl", "hectolitre": "hl", "hectolitres": "hl",
}

_CURRENCY = re.compile(r"[A-Z]{3}")


def normalise_unit(code: str) -> str:
    """Return the canonical name of a quantity unit given by name or tariff code.

    ``normalise_unit("DTN") == "100kg"``; ``normalise_unit("KGM") == "kg"``.
    """
    key = " ".join(str(code).split()).lower() if isinstance(code, str) else None
    if key is None or key not in _ALIASES:
        raise InputError(problem(
            f"unknown quantity unit {code!r}",
            where="unit",
            why="only mass and volume units with a fixed size are supported",
            fix=f"use one of {', '.join(QUANTITY_UNITS)} "
                "(or the tariff codes KGM, DTN, TNE, LTR, HLT)",
        ))
    return _ALIASES[key]


def unit_dimension(unit: str) -> str:
    """``"mass"`` or ``"volume"`` for a unit name or tariff code."""
    return _DIMENSION[normalise_unit(unit)]


def quantity_ratio(from_unit: str, to_unit: str) -> Fraction:
    """The exact factor that turns a quantity in ``from_unit`` into ``to_unit``.

    ``quantity_ratio("kg", "100kg") == Fraction(1, 100)``.  Mass converts only to
    mass and volume only to volume: without a density the two are not comparable.
    """
    source, target = normalise_unit(from_unit), normalise_unit(to_unit)
    if _DIMENSION[source] != _DIMENSION[target]:
        raise InputError(problem(
            f"cannot convert a quantity in {source} ({_DIMENSION[source]}) "
            f"into {target} ({_DIMENSION[target]})",
            where="quantity unit",
            why="mass and volume are not convertible without a density",
            fix=f"give the quantity in a {_DIMENSION[target]} unit "
                f"({', '.join(u for u in QUANTITY_UNITS if _DIMENSION[u] == _DIMENSION[target])})",
        ))
    return Fraction(_SIZE[source], _SIZE[target])


def scale(value: Any, ratio: Fraction) -> Any:
    """Multiply ``value`` by an exact ratio: one multiplication, at most one division.

    Works on Python floats and on Ibis numeric expressions alike, so that the scalar
    and the vectorised duty paths round identically.
    """
    if ratio == 1:
        return value
    scaled = value * float(ratio.numerator) if ratio.numerator != 1 else value
    return scaled / float(ratio.denominator) if ratio.denominator != 1 else scaled


def convert_quantity(value: float, from_unit: str, to_unit: str) -> float:
    """Convert a quantity between units of the same dimension (mass or volume)."""
    amount = finite_float(value, "quantity value")
    return float(scale(amount, quantity_ratio(from_unit, to_unit)))


def normalise_currency(code: str) -> str:
    """Upper-case ISO 4217 code (``"jpy"`` → ``"JPY"``), or InputError."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if not _CURRENCY.fullmatch(text):
        raise InputError(problem(
            f"{code!r} is not a currency code",
            where="currency",
            why="currencies are written as three-letter ISO 4217 codes",
            fix="write the code, for example JPY, GBP, EUR or USD",
        ))
    return text


def convert_money(amount: float, from_ccy: str, to_ccy: str,
                  exchange_rates: Mapping[str, float] | None) -> float:
    """Convert an amount of money between currencies.

    ``exchange_rates`` maps ``"EUR_to_GBP"``-style keys to the number of units of
    the second currency per unit of the first.  The inverse key (``"GBP_to_EUR"``)
    is accepted too and divided by.  No rate is ever guessed: a missing one is an
    :class:`InputError` naming the key to supply.
    """
    source, target = normalise_currency(from_ccy), normalise_currency(to_ccy)
    value = finite_float(amount, "money amount")
    if source == target:
        return value
    rates = exchange_rates or {}
    direct, inverse = f"{source}_to_{target}", f"{target}_to_{source}"
    if direct in rates:
        return value * _rate(rates[direct], direct)
    if inverse in rates:
        return value / _rate(rates[inverse], inverse)
    raise InputError(problem(
        f"no exchange rate to convert {source} into {target}",
        where="exchange_rates",
        why=f"an amount is stated in {source} but the result is wanted in {target}",
        fix=f'supply exchange_rates={{"{direct}": <{target} per 1 {source}>}}',
    ))


def _rate(raw: object, key: str) -> float:
    rate = finite_float(raw, f"exchange rate {key}")
    if rate <= 0:
        raise InputError(problem(
            f"exchange rate {key} is {rate}",
            where="exchange_rates",
            why="a rate must be a positive number of target units per source unit",
            fix=f"correct {key} to the published rate",
        ))
    return rate


def finite_float(value: object, what: str) -> float:
    """Return ``value`` as a float64, or InputError naming ``what`` if it is not finite."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(problem(
            f"{what} {value!r} is not a number",
            where=what,
            why=f"got a {type(value).__name__}",
            fix="pass an int or float",
        ))
    number = float(value)
    if not math.isfinite(number):
        raise InputError(problem(
            f"{what} is {number}",
            where=what,
            why="NaN and infinity have no meaning for quantities or money",
            fix="pass a finite number",
        ))
    return number


# --- units of the store's import records (tradeguard.data) ----------------------------------
#
# Quantity units: the canonical set and how source unit codes convert to it.
#
# Canonical units (``quantity_unit``): ``kg`` (mass), ``l`` (volume of liquids), ``number`` (head,
# pieces), ``m2``, ``m3``.  Safeguard triggers count kilograms, so mass in any source unit is
# converted to ``kg``.  Litres are *not* turned into kilograms: that needs a density per product,
# which the data do not give; Japan Customs reports beverages (HS 2201-2209) in litres only, and
# they are kept in ``l`` so that nothing is dropped and nothing is invented.

CANONICAL_UNITS: frozenset[str] = frozenset({"kg", "l", "number", "m2", "m3"})

# Plausibility ceilings for one record (see "Data bounds" in docs/semantics.md).  Not law, and
# not tight: they only keep absurd numbers (1e308, a pasted serial number) out of the store, so
# that sums stay finite.  10^12 kg is a billion tonnes, more than all of Japan's imports of every
# good in a year; 10^15 yen is about ten times Japan's annual imports by value.
QUANTITY_CEILING: dict[str, float] = {unit: 1e12 for unit in CANONICAL_UNITS}
VALUE_CEILING: dict[str, float] = {"JPY": 1e15, "USD": 1e13}

# source code (upper-cased, trimmed) -> (canonical unit, multiply the quantity by)
# Japan Customs codes: KG kilogram, GR gram, MT metric ton, L litre, KL kilolitre, NO number,
# DZ dozen, TH thousand, SM square metre, CM cubic metre.  Comtrade weights are already in kg.
UNIT_CONVERSIONS: dict[str, tuple[str, float]] = {
    "KG": ("kg", 1.0),
    "GR": ("kg", 0.001),
    "G": ("kg", 0.001),
    "MT": ("kg", 1000.0),
    "T": ("kg", 1000.0),
    "TONNE": ("kg", 1000.0),
    "L": ("l", 1.0),
    "KL": ("l", 1000.0),
    "NO": ("number", 1.0),
    "NUMBER": ("number", 1.0),
    "U": ("number", 1.0),
    "DZ": ("number", 12.0),
    "TH": ("number", 1000.0),
    "SM": ("m2", 1.0),
    "M2": ("m2", 1.0),
    "CM": ("m3", 1.0),
    "M3": ("m3", 1.0),
}
