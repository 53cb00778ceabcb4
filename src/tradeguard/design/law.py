"""The few legal numbers the design engine still holds in code, each in one named place.

They belong in the rule library (another change moves them there); until then every use goes
through these names so none is repeated.
"""

from __future__ import annotations

#: WTO Agreement on Agriculture, Art. 5.4(a): a volume-based special safeguard triggers when
#: imports exceed 125% of the average of the three preceding years, the base level used when
#: domestic consumption is not taken into account (and the level for a market-access
#: opportunity of at most 10%).  Source: domain-rules.md §1 (status [C], USDA Federal Register
#: notices and the WTO Table MA:3 notifications of Japan, 5 Jan 2026,
#: http://web.wtocenter.org.tw/Page/12297/419566).  The monitor's
#: ``tradeguard.monitor.triggers.article5_trigger`` applies the same rule.
ARTICLE5_BASE_TRIGGER_MULTIPLE = 1.25

#: Years averaged for the Art. 5.4 base volume (the three preceding years; same source).
ARTICLE5_BASE_YEARS = 3
