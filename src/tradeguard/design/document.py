"""A design as a document and as the validated object the engine compiles.

The YAML grammar is in docs/design-lab.md; :mod:`tradeguard.design.overrides` turns a
document into a :class:`Design`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.design.flows import FlowSpec
from tradeguard.engine import expressions as ex
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import covers

DESIGN_CITE = "design"
DESIGN_STATUS = "derived"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TemplateRef(_Strict):
    """"The same formula": instantiate a safeguard template for some partners."""

    id: str = Field(description="A `safeguard_template` rule id, e.g. cptpp.beef_formula.")
    partners: list[str] = Field(min_length=1)
    share: float | None = Field(None, gt=0)
    offset_t: float | None = None
    regime: str
    agreement: str
    valid_from: dt.date


class Exemptions(_Strict):
    in_quota: bool = True
    en_route_days: int = Field(0, ge=0, le=120, description=(
        "Goods shipped before the safeguard started and still en route pay the normal rate: "
        "modelled as the first N days of each window being exempt for duty."))


class PriceTrigger(_Strict):
    """A price-triggered safeguard (WTO AoA Art. 5.5) on one flow beside the design: the
    probability that it applies is reported on seeded price paths (design/price_safeguard.py)."""

    partner: str
    line: str
    trigger_price: float = Field(gt=0, description="JPY/kg, the c.i.f. trigger price.")
    source: str = Field(min_length=1, description="Where the trigger price comes from: a "
                        "citation, or `assumption: ...`.")


class DesignFile(_Strict):
    """The YAML document of one design."""

    id: str
    title: str
    description: str | None = None
    position: str | None = Field(None, description="e.g. `Japan opening` - for sweeps' bands.")
    base: str | None = Field(None, description="An encoded volume safeguard rule id.")
    template: TemplateRef | None = None
    measure: dict[str, Any] | None = Field(None, description="A whole volume safeguard.")
    quota: str | None = Field(None, description="An encoded tariff-rate quota rule id: in "
                              "quota until its volume fills, then out of quota.")
    flows: list[FlowSpec] | None = Field(None, description="The market this design is "
                                         "simulated on (default: the beef market).")
    price_trigger: PriceTrigger | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Design:
    """A validated design: the measure it builds, its tariff path and its exemptions."""

    id: str
    title: str
    measure: s.VolumeSafeguard
    #: The hit regime's preferential tariff per line prefix: [(valid_from, percent)], sorted.
    tariff: dict[str, list[tuple[dt.date, float]]]
    period_mode: Literal["annual", "quarterly", "cumulative_quarters"] = "annual"
    exemptions: Exemptions = field(default_factory=Exemptions)
    base: str | None = None
    position: str | None = None
    description: str | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None
    #: The market stated in the design file (None: the beef market).
    flows: tuple[FlowSpec, ...] | None = None
    #: The tariff-rate quota the measure stands for (``quota:`` designs).
    quota: str | None = None
    price_trigger: PriceTrigger | None = None

    @property
    def measure_id(self) -> str:
        return f"design.{self.id}"

    def rules(self, rules: RuleSet | None = None) -> RuleSet:
        """The rule set with this design's measure added as ``design.<id>``."""
        rules = rules or shipped_rules()
        return dataclasses.replace(rules, safeguards={**rules.safeguards,
                                                       self.measure_id: self.measure})


def percent_of(duty: Any) -> float | None:
    """The ad valorem percent of a rate written as a number, duty text or expression.

    None when the rate has no single ad valorem percent or is not a rate at all (the schema
    check reports that); raises ValueError for duty text that does not parse.
    """
    if isinstance(duty, int | float):
        return float(duty)
    if isinstance(duty, str):
        return ex.ad_valorem_percent(s.parse_duty(duty))
    if isinstance(duty, ex.CompoundDuty | ex.GatePriceDuty):
        return ex.ad_valorem_percent(duty)
    return None


def mfn_percent(rules: RuleSet, line: str, day: dt.date) -> float | None:
    """The MFN ad valorem rate on a line and day, as known on that day."""
    from tradeguard.monitor.activation import mfn_percent as known_mfn_percent

    return known_mfn_percent(rules, line, day, day)


def regime_tariff(rules: RuleSet, regime: str, line: str, unit_value: float | None = None
                  ) -> list[tuple[dt.date, float]]:
    """A regime's path on a line as [(valid_from, percent)].

    Without ``unit_value``, only plain ad valorem rates (a compound rate's ad valorem part
    alone would understate it); with it, every duty as its ad valorem equivalent at that customs value per kg (:mod:`tradeguard.design.rates`).  A
    tariff-rate quota's regime gives its in-quota duty.
    """
    from tradeguard.design.rates import ave_percent

    for entries in _regime_entries(rules, regime, line):
        path = [(r.valid_from, ave_percent(r.duty, unit_value)) for r in entries]
        if any(p is None and r.duty is not None for (_, p), r in zip(path, entries, strict=True)):
            return []  # not all in percent without a unit value: none, rather than a part
        return [(day, p) for day, p in path if p is not None]
    return []


def _regime_entries(rules: RuleSet, regime: str, line: str):
    """The dated duties of a regime on a line: a tariff schedule's rates, or a quota's
    in-quota duties."""
    def matches(lines: list[str]) -> bool:
        return covers(lines, line) or any(covers([line], ln) for ln in lines)

    for tariff in rules.tariffs.values():
        if tariff.regime != regime:
            continue
        for schedule in tariff.schedules:
            if matches(schedule.lines):
                yield schedule.rates
    for quota in rules.quotas.values():
        if quota.regime == regime and matches(quota.lines):
            yield quota.in_quota_duty
