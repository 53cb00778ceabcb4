"""Products as users name them, by tariff-line prefix (HS 2012 headings and subheadings).

A measure belongs to a product when one of its lines and one of the product's prefixes
share a prefix (``0202`` is beef; ``020312`` is pork).  This is presentation: the rules
themselves only know lines.
"""

from __future__ import annotations

from collections.abc import Sequence

PRODUCTS: dict[str, tuple[str, ...]] = {
    "beef": ("0201", "0202"),
    "pork": ("0203",),
    "dairy": ("0402", "0405"),
    "rice": ("1006",),
    "sugar": ("1701",),
    "starch": ("1108",),
}


def _overlap(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def products_for(lines: Sequence[str]) -> list[str]:
    """The products whose prefixes overlap any of ``lines`` (normalised digits)."""
    return [name for name, prefixes in PRODUCTS.items()
            if any(_overlap(line, p) for line in lines for p in prefixes)]
