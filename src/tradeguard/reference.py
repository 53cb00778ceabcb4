"""Reference tables at the base of the package: trading partners, as ISO 3166 alpha-2 codes and
Japan Customs 3-digit country codes.

Rules, engine and data all read it (the rule loader checks partner codes against it), so it
imports nothing of the project but ``errors`` (for ``checked_partner``, the one check of a
partner a user typed).  ``tradeguard.data.partners`` re-exports it for the readers.

The runtime source is the shipped table ``data/reference/partners.csv`` (built by
``scripts/build_partner_table.py``; provenance in ``reference/README.md``), so nothing here needs
``../shared``.  The CLI calls these functions on a cold start, so the table is read with the
``csv`` module once, on first use, and pyarrow is imported only by the vectorised lookup.

Table columns: ``iso2, iso3, name, jp_customs_code``.  One row per ISO country (``jp_customs_code``
empty when Japan Customs has no code for it), plus extra rows where several Japan codes fold into
one ISO country (216 Azores -> PT) and rows with an empty ``iso2`` for Japan codes that
deliberately have no ISO code (702 "Unknown", 326 Netherlands Antilles ...).

Those codes are still *known*: ``reference/jp_placeholders.csv`` gives each one a placeholder
from ISO 3166's user-assigned range (326 -> ``XN``), so that rows carrying them are stored
(an obsolete code in a real workbook must not block the file) yet never join a real partner:
no rule, partner group or duty question accepts a placeholder (:func:`known_partners` holds ISO
codes only; the store's validator also accepts :func:`placeholder_partners`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pyarrow as pa

PARTNERS_CSV = Path(__file__).parent / "data" / "reference" / "partners.csv"
PLACEHOLDERS_CSV = PARTNERS_CSV.with_name("jp_placeholders.csv")


@dataclass(frozen=True)
class _PartnerTable:
    names: dict[str, str]  # iso2 -> name (first row wins)
    iso3_to_iso2: dict[str, str]
    jp_to_iso2: dict[str, str]  # Japan code -> iso2 ("" when deliberately unmapped)
    jp_names: dict[str, str]  # Japan code -> name as listed


@cache
def _table() -> _PartnerTable:
    names: dict[str, str] = {}
    iso3: dict[str, str] = {}
    jp: dict[str, str] = {}
    jp_names: dict[str, str] = {}
    # keep_default_na is not a concern with the csv module: "NA" (Namibia) stays a string.
    with PARTNERS_CSV.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            iso2 = row["iso2"]
            if iso2:
                names.setdefault(iso2, row["name"])
                iso3.setdefault(row["iso3"], iso2)
            if row["jp_customs_code"]:
                jp[row["jp_customs_code"]] = iso2
                jp_names[row["jp_customs_code"]] = row["name"]
    return _PartnerTable(names, iso3, jp, jp_names)


def known_partners() -> frozenset[str]:
    """Every ISO 3166 alpha-2 code the package accepts as a partner."""
    return frozenset(_table().names)


def is_known_partner(iso2: str | None) -> bool:
    """True when ``iso2`` is an ISO 3166 alpha-2 code in the shipped table (case-sensitive)."""
    return bool(iso2) and iso2 in _table().names


def checked_partner(text: str, named: str = "partner") -> str:
    """``text`` as a partner code (trimmed, upper case); an unknown one is a
    ``RuleNotFoundError`` that says how to write it (``named``: the word the caller's user
    knows the field by, e.g. origin)."""
    code = str(text).strip().upper()
    if len(code) == 2 and is_known_partner(code):
        return code
    from tradeguard.errors import RuleNotFoundError, problem  # the one project import, here

    raise RuleNotFoundError(problem(f"unknown partner `{text}`",
                                    why=f"{named}s are ISO 3166 alpha-2 codes",
                                    fix=f"write the {named} like US, AU or CA"))


def partner_name(iso2: str) -> str:
    """English name of an ISO alpha-2 partner; raises KeyError naming the code if unknown."""
    try:
        return _table().names[iso2]
    except KeyError:
        raise KeyError(f"unknown partner code {iso2!r}: not an ISO 3166 alpha-2 code in "
                       f"{PARTNERS_CSV.name}") from None


def jp_code_mapping() -> dict[str, str]:
    """Japan Customs code -> ISO alpha-2, for the codes that have one (a copy)."""
    return {code: iso2 for code, iso2 in _table().jp_to_iso2.items() if iso2}


@cache
def _placeholders() -> dict[str, tuple[str, str]]:
    """Japan Customs code -> (placeholder, name) for the codes without an ISO code."""
    with PLACEHOLDERS_CSV.open(encoding="utf-8", newline="") as handle:
        return {r["jp_customs_code"]: (r["placeholder"], r["name"])
                for r in csv.DictReader(handle)}


def placeholder_partners() -> dict[str, str]:
    """Placeholder -> name (``XN`` -> Netherlands Antilles): partners that are no ISO country."""
    return {code: name for code, name in _placeholders().values()}


def jp_code_partners() -> dict[str, str]:
    """Every Japan Customs code -> ISO alpha-2, or its placeholder where it has no ISO code."""
    out = jp_code_mapping()
    out.update({code: ph for code, (ph, _) in _placeholders().items()})
    return out


def iso3_mapping() -> dict[str, str]:
    """ISO alpha-3 -> alpha-2 (a copy)."""
    return dict(_table().iso3_to_iso2)


def iso2_from_iso3(iso3: str) -> str | None:
    """ISO alpha-2 for an alpha-3 code (as used by UN Comtrade), or None."""
    return _table().iso3_to_iso2.get(iso3)


def jp_code_name(code: str) -> str | None:
    """Name listed for a Japan Customs code (also for codes without ISO code), or None."""
    return _table().jp_names.get(_jp_key(code))


def _jp_key(code: object) -> str:
    text = str(code).strip()
    return text.zfill(3) if text.isdigit() else text


def iso_from_jp_code(codes: pa.Array | pa.ChunkedArray | Iterable[object]) -> pa.Array:
    """Map Japan Customs country codes (int or str, e.g. 601 or "601") to ISO alpha-2.

    Vectorised with pyarrow compute: returns a string array of the same length, null where the
    code is unknown or deliberately has no ISO code (see ``jp_code_name`` for what it was).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    mapped = jp_code_mapping()
    keys = pa.array(list(mapped), pa.string())
    values = pa.array(list(mapped.values()), pa.string())
    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    if not isinstance(codes, pa.Array):
        codes = pa.array([None if c is None else str(c) for c in codes], pa.string())
    text = pc.utf8_trim_whitespace(codes.cast(pa.string()))
    padded = pc.utf8_lpad(text, width=3, padding="0")
    return pc.take(values, pc.index_in(padded, value_set=keys))
