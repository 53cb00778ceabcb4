"""Quantity units: the canonical set and how source unit codes convert to it.

Canonical units (``quantity_unit``): ``kg`` (mass), ``l`` (volume of liquids), ``number`` (head,
pieces), ``m2``, ``m3``.  Safeguard triggers count kilograms, so mass in any source unit is
converted to ``kg``.  Litres are *not* turned into kilograms: that needs a density per product,
which the data do not give; Japan Customs reports beverages (HS 2201-2209) in litres only, and
they are kept in ``l`` so that nothing is dropped and nothing is invented.
"""

from __future__ import annotations

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
