"""The Art. 5.4 numbers the design engine uses, read once from the rule library.

Their values, dates, citations and statuses live in ``rules/library/wto/ssg_volume_levels.yaml``
(WTO Agreement on Agriculture, Art. 5.4); the monitor's
``tradeguard.monitor.triggers.article5_trigger`` applies the same rule from the same file.  A
design simulates years to come, so it takes the levels the library lists last.
"""

from __future__ import annotations

from tradeguard.rules.law import article5
from tradeguard.rules.loader import shipped_rules

_ARTICLE5 = article5(shipped_rules())

#: The base level used when domestic consumption is not taken into account (Art. 5.4(a),
#: also the level for a market-access opportunity of at most 10%): 125% of the average.
ARTICLE5_BASE_TRIGGER_MULTIPLE = _ARTICLE5.without_consumption

#: Years averaged for the Art. 5.4 base volume (the three preceding years).
ARTICLE5_BASE_YEARS = _ARTICLE5.average_years
