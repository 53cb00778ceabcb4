"""The surge screens: what each one tests, its parameters and its source.

Every method runs per tariff line x partner (and the all-partner series ``*``) x period, on a
complete grid of periods (missing months are zero imports).  ``P`` is the number of periods in a
year (12 for monthly data, 1 for annual data).  Quantities are in kg (reported in tonnes).

=========  ===================================================================================
method     test
=========  ===================================================================================
fao130     imports of the period above :data:`FAO_RATIO` times the moving average of the 3P
           preceding periods (the three-year moving average).  FAO import-surge work; the
           ratio / 3-year form is commonly cited but not found in a retrieved FAO text
           (domain-rules.md s.8, [U]).
ssm        Doha special safeguard mechanism volume trigger: year-to-date imports against the
           base (the average of the same year-to-date span in the three preceding years,
           i.e. the pro-rated 3-year base), in the bands of :data:`SSM_BANDS` (each a trigger
           ratio and the remedy it allows as a share of the bound duty).  Flagged when a
           higher band is first reached in the year.
zscore     seasonally adjusted robust z-score: year-on-year growth g = ln((q_t + 1 t) /
           (q_{t-P} + 1 t)) (comparing the same season removes the seasonal pattern), against
           the median and interquartile range of g over the preceding 3P periods (10 for
           annual data): z = (g - median) / max(IQR / 1.349, 0.1).  Flagged at z >= 3.5
           (Iglewicz & Hoaglin's cut-off for robust z-scores).  tradeguard's own screen.
art5       WTO Agreement on Agriculture Art. 5.1(a)/5.4 volume trigger as a screen:
           year-to-date imports above :data:`ART5_BASE_TRIGGER` times the average of the
           three preceding complete years (the base trigger level used when domestic
           consumption is not taken into account).  Flagged in the month the trigger is
           first crossed.
=========  ===================================================================================

The legal and quasi-legal numbers are rules' data: the FAO ratio and the SSM bands in
``rules/library/screens/surge.yaml``, the Art. 5 level in ``rules/library/wto/
ssg_volume_levels.yaml``, each with its citation and status.  They are read once, on first use
of :data:`FAO_RATIO`, :data:`SSM_BANDS`, :data:`SSM_LOWEST`, :data:`ART5_BASE_TRIGGER` or
:data:`METHODS` (module attributes computed from the shipped library); the titles and the
flags' explanations are derived from them.  A screen applies one definition to all of its
history: the last value the library lists.

A method needs history: a period is tested only when the data cover its whole look-back
(``lookback`` periods before it, counted from the first period of the data set).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class SsmBand:
    """One volume band of the Doha SSM draft: above ``trigger_ratio`` times the base, a remedy
    of up to ``remedy_share`` of the bound duty."""

    band: int
    trigger_ratio: float
    remedy_share: float

    @property
    def text(self) -> str:
        return (f"above {percent(self.trigger_ratio)} of base: remedy up to "
                f"{percent(self.remedy_share)} of the bound duty")


def percent(ratio: float) -> str:
    """1.3 -> "130%": how the screens' ratios read in titles and explanations."""
    return f"{ratio:.0%}"


@dataclass(frozen=True)
class Method:
    name: str
    title: str
    source: str
    status: str  # confirmed | secondary | unconfirmed | tradeguard
    lookback_years: int  # how far back the comparison reaches (for history and "new" labels)


def _methods(fao_ratio: float, ssm_bands: tuple[SsmBand, ...],
             art5_level: float) -> dict[str, Method]:
    ssm = "/".join(percent(b.trigger_ratio) for b in reversed(ssm_bands))
    return {
        "fao130": Method(
            "fao130", f"imports above {percent(fao_ratio)} of the three-year moving average",
            "FAO import-surge work (FAO 2006; Rakotoarisoa, Sharma & Hallam eds., FAO 2011, "
            "'Agricultural import surges in developing countries'); domain-rules.md s.8",
            "unconfirmed", 3),
        "ssm": Method(
            "ssm", f"Doha special safeguard mechanism volume trigger ({ssm} of base imports)",
            "WTO draft modalities for agriculture TN/AG/W/4/Rev.4 (Dec 2008), SSM paras; "
            "domain-rules.md s.8", "unconfirmed", 3),
        "zscore": Method(
            "zscore", "seasonally adjusted robust z-score of year-on-year growth",
            "tradeguard screen; robust z cut-off 3.5 after Iglewicz & Hoaglin (1993)",
            "tradeguard", 4),
        "art5": Method(
            "art5", "WTO Agreement on Agriculture Art. 5 volume trigger "
            f"({percent(art5_level)} of 3-year average)",
            "WTO Agreement on Agriculture Art. 5.1(a), 5.4; domain-rules.md s.1.3-1.4",
            "confirmed", 4),
    }


@lru_cache(maxsize=1)
def _from_rules() -> dict[str, Any]:
    from tradeguard.rules.law import article5, surge_screens
    from tradeguard.rules.loader import shipped_rules

    rules = shipped_rules()
    fao_ratio, rows = surge_screens(rules)
    bands = tuple(SsmBand(*row) for row in rows)
    # the level used when consumption is not taken into account: the case of this screen
    art5_level = article5(rules).without_consumption
    return {"FAO_RATIO": fao_ratio, "SSM_BANDS": bands,
            "SSM_LOWEST": min(bands, key=lambda b: b.trigger_ratio),
            "ART5_BASE_TRIGGER": art5_level,
            "METHODS": _methods(fao_ratio, bands, art5_level)}


def __getattr__(name: str) -> Any:
    law = _from_rules() if name in _FROM_RULES else None
    if law is None:
        raise AttributeError(f"module 'tradeguard.surge.methods' has no attribute {name!r}")
    return law[name]


_FROM_RULES = frozenset({"FAO_RATIO", "SSM_BANDS", "SSM_LOWEST", "ART5_BASE_TRIGGER", "METHODS"})

DEFAULT_METHODS: tuple[str, ...] = ("fao130", "ssm", "zscore", "art5")

Z_CUTOFF = 3.5
Z_MIN_SCALE = 0.1
Z_EPSILON_KG = 1000.0
Z_WINDOW = {12: 36, 1: 10}
DEFAULT_MIN_QUANTITY_KG = 10_000.0
