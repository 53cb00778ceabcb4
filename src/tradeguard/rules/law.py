"""The WTO law the engines apply, read from the rule library.

Agriculture Art. 5.4 (volume trigger levels), Art. 5.5 (price bands), the surge screens'
thresholds and the Agreement on Safeguards' limits are rule files of their own kinds
(``rules/library/wto/`` and ``rules/library/screens/``).  A rule folder that lacks one (a
test's or a user's small library) falls back to the shipped one: the WTO texts do not change
with the measures a folder encodes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from tradeguard.errors import PeriodError, RuleNotFoundError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.lookup import value_on
from tradeguard.rules.schema import weakest

D = TypeVar("D")

def law_document(rules: Any, kind: type[D]) -> D:
    """The one document of ``kind`` in ``rules`` (a RuleSet), else in the shipped library."""
    found = [d for d in rules.documents.values() if isinstance(d, kind)]
    if not found:
        from tradeguard.rules.loader import shipped_rules

        found = [d for d in shipped_rules().documents.values() if isinstance(d, kind)]
    if len(found) != 1:
        raise RuleNotFoundError(problem(
            f"{len(found)} rule files of kind `{getattr(kind, '__name__', kind)}`",
            why="the engines read exactly one file of this kind",
            fix="keep one such file in the rule library (the shipped one is under "
                "rules/library/wto/ or rules/library/screens/)"))
    return found[0]


def in_force(values: Sequence[s.Dated], day: dt.date, as_of: dt.date, what: str) -> s.Dated:
    """The dated value in force on ``day`` as known on ``as_of``, or a PeriodError."""
    found = value_on(values, day, as_of)
    if found is None:
        raise PeriodError(problem(f"no {what} in force on {day}", where="the rule library",
                                  fix=f"add a value of the {what} in force on that day"))
    return found[1]


def latest(values: Sequence[s.Dated]) -> s.Dated:
    """The last value listed: the law as the library holds it now, for analysis that applies
    one definition to all of its history (the surge screens, the design lab)."""
    return values[-1]


@dataclass(frozen=True)
class Article5:
    """Art. 5.4's numbers in force for one year: base levels ``(mao_up_to, level)`` (the last
    with ``None``), the level without consumption, the floor and the years averaged."""

    base_levels: tuple[tuple[float | None, float], ...]
    without_consumption: float
    floor: float
    average_years: int
    status: str

    def base_level(self, mao: float) -> float:
        return next(level for up_to, level in self.base_levels if up_to is None or mao <= up_to)


def _pick(values: Sequence[s.Dated], day: dt.date | None, as_of: dt.date | None,
          what: str) -> s.Dated:
    """The value in force on ``day`` (known on ``as_of``), or without a day the latest."""
    return latest(values) if day is None else in_force(values, day, as_of or day, what)


def article5(rules: Any, day: dt.date | None = None, as_of: dt.date | None = None) -> Article5:
    """Art. 5.4 as in force on ``day`` (known on ``as_of``); without a day, the latest."""
    doc = law_document(rules, s.Article5Levels)
    levels = [(row.mao_up_to, _pick(row.base_level, day, as_of, "WTO AoA Art. 5.4 base level"))
              for row in doc.base_levels]
    chosen = [_pick(doc.without_consumption, day, as_of, "WTO AoA Art. 5.4 level"),
              _pick(doc.floor, day, as_of, "WTO AoA Art. 5.4 floor"),
              _pick(doc.average_years, day, as_of, "WTO AoA Art. 5.4 averaged years")]
    without, floor, years = (c.value for c in chosen)
    ordered = sorted(levels, key=lambda lv: (lv[0] is None, lv[0] or 0.0))
    return Article5(tuple((up_to, float(v.value)) for up_to, v in ordered), float(without),
                    float(floor), int(years),
                    weakest([c.status for c in chosen] + [v.status for _, v in levels]))


@dataclass(frozen=True)
class PriceBand:
    """One Art. 5.5 band in force: ``rate`` on the slice of the shortfall with
    ``above < D/T <= up_to``; ``paragraph`` its letter; ``status`` how sure its rate is."""

    paragraph: str
    above: float
    up_to: float
    rate: float
    status: str


def price_bands(rules: Any, day: dt.date | None = None) -> tuple[PriceBand, ...]:
    """Art. 5.5's bands, lowest first, in force on ``day`` (without a day, the latest)."""
    doc = law_document(rules, s.PriceTriggerBands)
    out = []
    for row in sorted(doc.bands, key=lambda b: b.above):
        rate = _pick(row.rate, day, day, f"WTO AoA Art. 5.5({row.id}) rate")
        out.append(PriceBand(row.id, row.above, row.up_to, float(rate.value), rate.status))
    return tuple(out)


def surge_screens(rules: Any) -> tuple[float, tuple[tuple[int, float, float], ...]]:
    """The FAO ratio, and the SSM bands as (band, trigger ratio, remedy share), highest first:
    the last values listed."""
    doc = law_document(rules, s.SurgeScreens)
    bands = [(row.band, float(latest(row.trigger_ratio).value),
              float(latest(row.remedy_share).value)) for row in doc.ssm_bands]
    return float(latest(doc.fao_ratio).value), tuple(sorted(bands, key=lambda b: -b[1]))


@dataclass(frozen=True)
class Materiality:
    """The surge flags' materiality threshold (the latest values listed): a minimum increase
    in tonnes and a minimum share of the line's imports; ``status`` how sure they are."""

    min_increase_t: float
    min_share: float
    status: str


def surge_materiality(rules: Any) -> Materiality:
    """The materiality threshold of the surge screens (``screens/surge.yaml``); a folder whose
    screens file has none falls back to the shipped one."""
    doc = law_document(rules, s.SurgeScreens)
    if doc.materiality is None:
        from tradeguard.rules.loader import shipped_rules

        doc = law_document(shipped_rules(), s.SurgeScreens)
    if doc.materiality is None:
        raise RuleNotFoundError(problem(
            "no surge materiality threshold", where="rules/library/screens/surge.yaml",
            fix="add `materiality: {min_increase_t: [...], min_share: [...]}` to the file"))
    tonnes, share = latest(doc.materiality.min_increase_t), latest(doc.materiality.min_share)
    return Materiality(float(tonnes.value), float(share.value),
                       weakest([tonnes.status, share.status]))


def safeguard_limits(rules: Any) -> dict[str, tuple[s.SafeguardLimit, s.Dated]]:
    """The Agreement on Safeguards' limits by name, each with its latest dated value."""
    doc = law_document(rules, s.SafeguardsAgreement)
    return {name: (limit, latest(limit.values)) for name, limit in doc.limits.items()}


def entry_into_force_by_regime(rules: Any) -> dict[str, dt.date]:
    """Each economic partnership's first entry into force for Japan, by its import-data
    regime name (``economic_partnerships.yaml``; the shipped file if ``rules`` has none)."""
    doc = law_document(rules, s.EconomicPartnerships)
    return {epa.regime: epa.entry_into_force for epa in doc.agreements.values() if epa.regime}
