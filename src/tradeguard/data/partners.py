"""Trading partners for the data readers: the reference table of :mod:`tradeguard.reference`.

The table moved to the base of the package so that the rule loader may read it without
importing ``data``; this module keeps the readers' (and the faces') name for it.
"""

from __future__ import annotations

from tradeguard.reference import (  # noqa: F401  (re-exported)
    PARTNERS_CSV,
    PLACEHOLDERS_CSV,
    is_known_partner,
    iso2_from_iso3,
    iso3_mapping,
    iso_from_jp_code,
    jp_code_mapping,
    jp_code_name,
    jp_code_partners,
    known_partners,
    partner_name,
    placeholder_partners,
)
