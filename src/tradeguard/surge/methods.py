"""The surge screens: what each one tests, its parameters and its source.

Every method runs per tariff line x partner (and the all-partner series ``*``) x period, on a
complete grid of periods (missing months are zero imports).  ``P`` is the number of periods in a
year (12 for monthly data, 1 for annual data).  Quantities are in kg (reported in tonnes).

=========  ===================================================================================
method     test
=========  ===================================================================================
fao130     imports of the period > 130% of the moving average of the 3P preceding periods
           (the three-year moving average).  FAO import-surge work; the 130% / 3-year form is
           commonly cited but not found in a retrieved FAO text (domain-rules.md s.8, [U]).
ssm        Doha special safeguard mechanism volume trigger: year-to-date imports against the
           base (the average of the same year-to-date span in the three preceding years,
           i.e. the pro-rated 3-year base); bands 110% / 115% / 135% allow remedies up to
           25% / 40% / 50% of the bound duty (Dec 2008 draft modalities TN/AG/W/4/Rev.4,
           domain-rules.md s.8, numbers [U]).  Flagged when a higher band is first reached in
           the year.
zscore     seasonally adjusted robust z-score: year-on-year growth g = ln((q_t + 1 t) /
           (q_{t-P} + 1 t)) (comparing the same season removes the seasonal pattern), against
           the median and interquartile range of g over the preceding 3P periods (10 for
           annual data): z = (g - median) / max(IQR / 1.349, 0.1).  Flagged at z >= 3.5
           (Iglewicz & Hoaglin's cut-off for robust z-scores).  tradeguard's own screen.
art5       WTO Agreement on Agriculture Art. 5.1(a)/5.4 volume trigger as a screen:
           year-to-date imports > 125% of the average of the three preceding complete years
           (the base trigger level used when domestic consumption is not taken into account;
           domain-rules.md s.1.3-1.4, [C]).  Flagged in the month the trigger is first crossed.
=========  ===================================================================================

A method needs history: a period is tested only when the data cover its whole look-back
(``lookback`` periods before it, counted from the first period of the data set).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    name: str
    title: str
    source: str
    status: str  # confirmed | secondary | unconfirmed | tradeguard
    lookback_years: int  # how far back the comparison reaches (for history and "new" labels)


METHODS: dict[str, Method] = {
    "fao130": Method(
        "fao130", "imports above 130% of the three-year moving average",
        "FAO import-surge work (FAO 2006; Rakotoarisoa, Sharma & Hallam eds., FAO 2011, "
        "'Agricultural import surges in developing countries'); domain-rules.md s.8",
        "unconfirmed", 3),
    "ssm": Method(
        "ssm", "Doha special safeguard mechanism volume trigger (110/115/135% of base imports)",
        "WTO draft modalities for agriculture TN/AG/W/4/Rev.4 (Dec 2008), SSM paras; "
        "domain-rules.md s.8", "unconfirmed", 3),
    "zscore": Method(
        "zscore", "seasonally adjusted robust z-score of year-on-year growth",
        "tradeguard screen; robust z cut-off 3.5 after Iglewicz & Hoaglin (1993)",
        "tradeguard", 4),
    "art5": Method(
        "art5", "WTO Agreement on Agriculture Art. 5 volume trigger (125% of 3-year average)",
        "WTO Agreement on Agriculture Art. 5.1(a), 5.4; domain-rules.md s.1.3-1.4",
        "confirmed", 4),
}
DEFAULT_METHODS: tuple[str, ...] = ("fao130", "ssm", "zscore", "art5")

FAO_RATIO = 1.30
SSM_BANDS: tuple[tuple[float, int, str], ...] = (
    (1.35, 3, "above 135% of base: remedy up to 50% of the bound duty"),
    (1.15, 2, "above 115% of base: remedy up to 40% of the bound duty"),
    (1.10, 1, "above 110% of base: remedy up to 25% of the bound duty"),
)
ART5_RATIO = 1.25
Z_CUTOFF = 3.5
Z_MIN_SCALE = 0.1
Z_EPSILON_KG = 1000.0
Z_WINDOW = {12: 36, 1: 10}
DEFAULT_MIN_QUANTITY_KG = 10_000.0
