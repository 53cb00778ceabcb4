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

The legal and quasi-legal numbers live once, below, each with its citation; the titles and the
flags' explanations are derived from them (another session moves them into the rule library).

A method needs history: a period is tested only when the data cover its whole look-back
(``lookback`` periods before it, counted from the first period of the data set).
"""

from __future__ import annotations

from dataclasses import dataclass


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


# FAO import-surge screen: imports above this ratio of the three-year moving average.
# Source: FAO (2006); Rakotoarisoa, Sharma & Hallam (eds.), FAO 2011, "Agricultural import
# surges in developing countries"; domain-rules.md s.8.  Status [U]: the commonly cited form,
# not found in a retrieved FAO text.
FAO_RATIO = 1.30

# Doha SSM volume trigger bands, highest first: (band, trigger ratio of base imports, remedy
# as a share of the bound duty).  Source: WTO, Revised draft modalities for agriculture,
# TN/AG/W/4/Rev.4 (6 Dec 2008), SSM paragraphs, attached to the chair's report of 21 Apr 2011
# https://www.wto.org/english/tratop_e/agric_e/negoti_tnc_21apr11_e.htm ; domain-rules.md s.8.
# Status [U]: the numbers are as remembered there, to verify in the text.
SSM_BANDS: tuple[SsmBand, ...] = (
    SsmBand(3, 1.35, 0.50),
    SsmBand(2, 1.15, 0.40),
    SsmBand(1, 1.10, 0.25),
)
SSM_LOWEST = min(SSM_BANDS, key=lambda b: b.trigger_ratio)

# WTO Agreement on Agriculture Art. 5.1(a), 5.4: the base volume trigger level (of the average
# imports of the three preceding years) where market access opportunities are at most 10% of
# consumption, the level that applies when consumption is not taken into account (the case of
# this screen).  Source: WTO Agreement on Agriculture,
# https://www.wto.org/english/docs_e/legal_e/14-ag_01_e.htm ; values as tabulated in the
# Table MA:3 notifications of Japan (5 Jan 2026) and Chinese Taipei (25 Apr 2025);
# domain-rules.md s.1.3-1.4.  Status [C].
ART5_BASE_TRIGGER = 1.25


@dataclass(frozen=True)
class Method:
    name: str
    title: str
    source: str
    status: str  # confirmed | secondary | unconfirmed | tradeguard
    lookback_years: int  # how far back the comparison reaches (for history and "new" labels)


METHODS: dict[str, Method] = {
    "fao130": Method(
        "fao130", f"imports above {percent(FAO_RATIO)} of the three-year moving average",
        "FAO import-surge work (FAO 2006; Rakotoarisoa, Sharma & Hallam eds., FAO 2011, "
        "'Agricultural import surges in developing countries'); domain-rules.md s.8",
        "unconfirmed", 3),
    "ssm": Method(
        "ssm", "Doha special safeguard mechanism volume trigger ("
        + "/".join(percent(b.trigger_ratio) for b in reversed(SSM_BANDS)) + " of base imports)",
        "WTO draft modalities for agriculture TN/AG/W/4/Rev.4 (Dec 2008), SSM paras; "
        "domain-rules.md s.8", "unconfirmed", 3),
    "zscore": Method(
        "zscore", "seasonally adjusted robust z-score of year-on-year growth",
        "tradeguard screen; robust z cut-off 3.5 after Iglewicz & Hoaglin (1993)",
        "tradeguard", 4),
    "art5": Method(
        "art5", "WTO Agreement on Agriculture Art. 5 volume trigger "
        f"({percent(ART5_BASE_TRIGGER)} of 3-year average)",
        "WTO Agreement on Agriculture Art. 5.1(a), 5.4; domain-rules.md s.1.3-1.4",
        "confirmed", 4),
}
DEFAULT_METHODS: tuple[str, ...] = ("fao130", "ssm", "zscore", "art5")

Z_CUTOFF = 3.5
Z_MIN_SCALE = 0.1
Z_EPSILON_KG = 1000.0
Z_WINDOW = {12: 36, 1: 10}
DEFAULT_MIN_QUANTITY_KG = 10_000.0
