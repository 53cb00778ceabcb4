"""Pydantic models for every kind of rule file.

A rule file is YAML, one measure (or one coherent table) per file.  Its id is
its path below the rule library with dots, so ``usjta/beef_safeguard.yaml`` is
``usjta.beef_safeguard``.  Every number that came from a legal text or a report
is a *dated value*: it holds from ``valid_from`` until the next value's
``valid_from`` (or its own ``valid_to``), and carries a citation key and a
status, so every output can say how sure we are of it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from tradeguard.errors import InputError
from tradeguard.rules.duties import DutyExpression
from tradeguard.rules.duties import parse_duty as _parse_duty
from tradeguard.rules.lookup import normalise_line


def parse_duty(text: str) -> Any:
    """Parse duty text inside a validator, so a bad expression is collected, not raised."""
    try:
        return _parse_duty(text)
    except InputError as exc:
        raise ValueError(str(exc)) from None

#: How sure we are of a value, mapped from domain-rules.md's markers.
Status = Literal["confirmed", "secondary", "derived", "unconfirmed"]
STATUS_FROM_MARKER: dict[str, Status] = {
    "C": "confirmed", "C2": "secondary", "D": "derived", "U": "unconfirmed",
}

#: Weakest first: an output is as sure as the least sure value behind it.
STATUS_ORDER: tuple[str, ...] = ("unconfirmed", "derived", "secondary", "confirmed")


def weakest(statuses: Any) -> str:
    """The least sure of ``statuses`` (confirmed for none)."""
    statuses = list(statuses)
    return min(statuses, key=STATUS_ORDER.index) if statuses else "confirmed"

T = TypeVar("T")


class Strict(BaseModel):
    """Rule files reject unknown keys: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(Strict):
    """The tail every cited record ends with: how sure it is, the key of its source in the
    file's ``sources``, and a free note."""

    status: Status
    cite: str
    note: str | None = None


class Source(Strict):
    """A citation: the document, where in it, and where a copy was read."""

    title: str
    locator: str | None = None
    url: str | None = None
    published_on: dt.date | None = None

    def text(self) -> str:
        parts = [self.title]
        if self.locator:
            parts.append(self.locator)
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)


class Dated(Strict, Generic[T]):
    """One dated value.  ``value: null`` ends the previous value."""

    valid_from: dt.date
    valid_to: dt.date | None = Field(
        default=None, description="Inclusive last day, when the source states one.")
    value: T | None
    status: Status
    cite: str = Field(description="Key into the file's `sources`.")
    published_on: dt.date | None = Field(
        None, description="Knowledge time: an evaluation with an earlier `as_of` ignores it.")
    note: str | None = None

    @property
    def payload(self) -> T | None:
        """What the value states (``value``; a dated duty's is its ``duty``)."""
        return self.value


class DatedDuty(Strict):
    """A dated duty expression, written in the readable duty grammar."""

    valid_from: dt.date
    valid_to: dt.date | None = None
    duty: DutyExpression | None
    status: Status
    cite: str
    published_on: dt.date | None = None
    note: str | None = None

    @field_validator("duty", mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        return parse_duty(value) if isinstance(value, str) else value

    @property
    def payload(self) -> DutyExpression | None:
        """What the value states: the duty (the one name shared with :class:`Dated`)."""
        return self.duty


class PartnerScope(Strict):
    """Which partners a rule covers: ISO codes and ``group:<id>`` references.

    ``include: all`` means every origin (erga omnes).  ``exclude`` removes
    partners or groups, e.g. the WTO-era beef measure hit only non-EPA origins.
    """

    include: list[str] | Literal["all"]
    exclude: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, data: Any) -> Any:
        if data == "all":
            return {"include": "all"}
        if isinstance(data, list):
            return {"include": data}
        if isinstance(data, dict) and "all_except" in data:
            return {"include": "all", "exclude": data["all_except"]}
        return data

    def references(self) -> list[str]:
        listed = [] if self.include == "all" else list(self.include)
        return listed + list(self.exclude)


def _normalise_lines(lines: Any) -> Any:
    if not isinstance(lines, list):
        return lines
    return [normalise_line(line) for line in lines]


#: Tariff lines or prefixes; "0202.30" and "020230" mean the same prefix.
Lines = Annotated[list[str], BeforeValidator(_normalise_lines), Field(min_length=1)]


# --- agreements and partner groups -------------------------------------------------


class YearConvention(Strict):
    """How an agreement numbers its years.

    Japan's fiscal year runs April to March.  Year 1 runs from entry into
    force to the next 31 March; each later year is the 12 months from 1 April
    (CPTPP Appendix A; USJTA Annex I, Section A, para 1(e)).
    """

    start_month: int = Field(4, ge=1, le=12)
    year1: Literal["entry_into_force_to_year_end", "first_full_year"] = (
        "entry_into_force_to_year_end")


class Agreement(Strict):
    kind: Literal["agreement"]
    title: str
    short_name: str
    status: Literal["in_force", "signed", "terminated"]
    signed_on: dt.date | None = None
    entry_into_force: dt.date | None = None
    parties: PartnerScope
    study_entry_into_force: dt.date | None = Field(
        None, description="For a signed agreement never in force: the date its schedule is "
                          "laid out from when a caller studies it (Year 1 starts there).")
    year: YearConvention = YearConvention()
    sources: dict[str, Source]
    cite: str

    @model_validator(mode="after")
    def _in_force_has_date(self) -> Agreement:
        if self.status == "in_force" and self.entry_into_force is None:
            raise ValueError("an agreement in force needs `entry_into_force`")
        if self.status == "signed" and self.study_entry_into_force is None:
            raise ValueError("a signed agreement needs `study_entry_into_force` to be studied")
        return self

    def in_force_from(self, include_signed: bool = False) -> dt.date | None:
        """The first day its rates apply: entry into force, or for a signed agreement the
        study date when the caller asks for signed agreements; None if it never applies."""
        if self.status == "in_force":
            return self.entry_into_force
        if self.status == "signed" and include_signed:
            return self.study_entry_into_force
        return None


class Membership(Cited):
    partner: str
    valid_from: dt.date
    valid_to: dt.date | None = None


class PartnerGroups(Strict):
    """Named partner groups whose membership has validity dates."""

    kind: Literal["partner_groups"]
    sources: dict[str, Source]
    groups: dict[str, Annotated[list[Membership], Field(min_length=1)]]


# --- tariffs ------------------------------------------------------------------------


class Schedule(Strict):
    """The dated rates of one set of tariff lines."""

    lines: Lines
    rates: Annotated[list[DatedDuty], Field(min_length=1)]



class Tariff(Strict):
    """A tariff regime's rates for some lines: MFN, or one agreement's preference."""

    kind: Literal["tariff"]
    title: str
    regime: str = Field(description="Option name in duty output: mfn, jaepa, cptpp ...")
    agreement: str
    partners: PartnerScope
    in_quota: bool = False
    sources: dict[str, Source]
    schedules: Annotated[list[Schedule], Field(min_length=1)]


# --- volume safeguards ----------------------------------------------------------------


class CountingBasis(Strict):
    """What the law (or the authority that administers it) counts towards a trigger.

    ``preference_claims``: goods that entered at the agreement's preferential rate;
    ``all_imports``: every entry from the partners named, whatever the rate;
    ``imports_without_preference``: entries that did not take an EPA rate, from any origin.
    ``wording`` quotes or paraphrases the source.  The condition's ``partners`` and
    ``regimes`` must say the same thing (the loader checks it).
    """

    counts: Literal["preference_claims", "all_imports", "imports_without_preference"]
    wording: str
    status: Status
    cite: str


class CountingScope(Strict):
    """Which imports count towards a trigger, and on what legal basis."""

    partners: PartnerScope = PartnerScope(include="all")
    regimes: list[str] | Literal["all"] = "all"
    lines: list[str] | None = Field(None, description="Defaults to the measure's lines.")
    basis: CountingBasis | None = Field(
        None, description="The cited legal counting basis (which rows of the data count).")

    @model_validator(mode="after")
    def _basis_matches_regimes(self) -> CountingScope:
        if self.basis is None:
            return self
        counts, regimes = self.basis.counts, self.regimes
        agrees = {"all_imports": regimes == "all",
                  "imports_without_preference": regimes == ["mfn"],
                  "preference_claims": regimes != "all" and "mfn" not in regimes}[counts]
        if not agrees:
            raise ValueError(f"the counting basis `{counts}` does not match `regimes: {regimes}`")
        return self


class BaseFloor(Strict):
    """A floor on a prior-period base, e.g. half of FY2002 + FY2003 (MOF Notice 112)."""

    kind: Literal["half_of_fiscal_years_sum"]
    fiscal_years: list[int]
    valid_from: dt.date
    status: Status
    cite: str


class PriorImportsIfHigher(Strict):
    """USJTA 2023 protocol: if last year's imports exceeded this year's trigger,
    last year's imports become the trigger (trigger years FY2022-FY2027)."""

    kind: Literal["prior_year_imports_if_higher"]
    valid_from: dt.date
    valid_to: dt.date
    status: Status
    cite: str


class Article5(Strict):
    """WTO Agreement on Agriculture Art. 5.4 volume trigger parameters.

    The trigger is the three preceding years' average imports times a base level
    chosen by market-access opportunity (imports over consumption), plus the change
    in consumption, floored at 105% of the average; without consumption data, 125%.
    Rounding is explicit because notifications round the average before multiplying.
    """

    consumption: list[Dated[float]] = Field(
        default_factory=list, description="Domestic consumption per year, keyed by year start.")
    average_decimals: int | None = Field(None, description="Round the 3-year average first.")
    trigger_decimals: int | None = Field(None, description="Round the trigger.")
    status: Status
    cite: str


class Trigger(Strict):
    """How the trigger level of one condition is set."""

    basis: Literal["fixed", "percent_of_prior_period", "percent_of_average",
                   "percent_of_largest", "same_as", "wto_article5"]
    unit: Literal["t", "kg"] = "t"
    volumes: list[Dated[float]] | None = Field(
        None, description="basis fixed: trigger per fiscal year, keyed by its first day.")
    percent: list[Dated[float]] | None = None
    average_years: int | None = None
    floor: BaseFloor | None = None
    same_as: str | None = Field(None, description="basis same_as: `<rule id>#<condition id>`.")
    article5: Article5 | None = None
    adjustments: list[PriorImportsIfHigher] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fields_for_basis(self) -> Trigger:
        needed = {"fixed": ["volumes"], "percent_of_prior_period": ["percent"],
                  "percent_of_average": ["percent", "average_years"],
                  "percent_of_largest": ["percent", "average_years"],
                  "same_as": ["same_as"], "wto_article5": ["article5"]}[self.basis]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"basis `{self.basis}` needs {', '.join(missing)}")
        return self


class Condition(Strict):
    """One test of a safeguard; a measure triggers when all its conditions hold."""

    id: str
    description: str
    counting: CountingScope
    trigger: Trigger
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


def _fraction(value: Any) -> Any:
    """Accept "2/12" as well as 0.1667: authors copy fractions from the texts."""
    if isinstance(value, str) and "/" in value:
        top, _, bottom = value.partition("/")
        try:
            return float(top) / float(bottom)
        except (ValueError, ZeroDivisionError):
            return value
    return value


class Proration(Strict):
    """How a partial first year's trigger is set (CPTPP Y1 = 1/4; USJTA by days;
    JAEPA 2/12 of the annual figure)."""

    method: Literal["fixed_fraction", "day_count", "none"]
    fraction: Annotated[float, BeforeValidator(_fraction)] | None = Field(None, gt=0, le=1)
    listed_values_are_annual: bool = Field(
        False, description="The value listed for the partial year is the annual figure, "
                           "to be prorated (JAEPA); otherwise it is already prorated.")
    status: Status
    cite: str


class LateCrossing(Strict):
    """What happens when the trigger is crossed late in the year: the duty runs a fixed
    number of ``days`` (into the next year), or, with ``carry_over``, no duty is imposed
    and the excess is counted into the next year's imports (JAEPA)."""

    month: int = Field(ge=1, le=12)
    days: int | None = Field(None, gt=0)
    carry_over: bool = False

    @model_validator(mode="after")
    def _one_remedy(self) -> LateCrossing:
        if (self.days is None) == (not self.carry_over):
            raise ValueError("give either `days` or `carry_over: true`")
        return self


class Duration(Strict):
    """How long a safeguard duty applies once triggered."""

    until: Literal["fiscal_year_end"] = "fiscal_year_end"
    late_crossing: list[LateCrossing] = Field(default_factory=list)
    status: Status
    cite: str


class Start(Strict):
    """When the safeguard duty starts after a crossing."""

    kind: Literal["working_days_after_reporting_period", "month_start_after_period"]
    working_days: int | None = None
    months_after_period_end: int | None = None
    status: Status
    cite: str


class NextYearCut(Cited):
    """What happens to the next fiscal year's scheduled cut while a safeguard runs into it.

    ``outside_window``: the safeguard rate replaces the preferential rate on the days of its
    window only; on every other day of the new year the year's scheduled rate applies.  This
    is what the March 2021 USJTA case shows (38.5% to 16 April, 25.0% from 17 April).  A rule
    that holds the cut back until the window ends would differ only before a window that
    starts after 1 April; no source states one, so none is encoded (docs/research/
    issue10-sources.md, question 2).
    """

    applies: Literal["outside_window"]


class Termination(Strict):
    quiet_years: int | None = Field(None, description="Abolished after this many years untriggered.")
    quiet_years_counted_from: dt.date | None = None
    ends_when_preference_reaches_zero: bool = False
    status: Status
    cite: str


class VolumeSafeguard(Strict):
    """A volume-triggered safeguard: triggers, counting, safeguard duty, duration."""

    kind: Literal["volume_safeguard"]
    title: str
    agreement: str
    lines: Lines
    valid_from: dt.date
    valid_to: dt.date | None = None
    hits: PartnerScope = Field(description="Whose goods pay the safeguard duty.")
    hits_regimes: list[str] = Field(description="Which duty options the safeguard raises.")
    period: Literal["fiscal_year", "fiscal_quarters_cumulative"]
    year_start_month: int = Field(4, ge=1, le=12, description="Japan's fiscal year: April.")
    reporting: Literal["month", "ten_day", "day"] = "month"
    conditions: Annotated[list[Condition], Field(min_length=1)]
    safeguard_duty: Annotated[list[DatedDuty], Field(min_length=1)]
    cap_at_mfn: bool = True
    remedy: Literal["replace", "add"] = Field(
        "replace", description="replace: the safeguard duty replaces the regime's duty "
                               "(snap-back); add: it is added on top (WTO AoA Art. 5).")
    next_year_cut: NextYearCut | None = Field(
        None, description="How a safeguard running past 31 March meets the next year's "
                          "scheduled tariff cut (USJTA March 2021).")
    proration: Proration | None = None
    start: Start
    duration: Duration
    termination: Termination | None = None
    exempt_in_quota: bool = True
    sources: dict[str, Source]



# --- tariff-rate quotas -------------------------------------------------------------------


class TariffQuota(Strict):
    """A tariff-rate quota: a volume per period at an in-quota duty; beyond it, the
    out-of-quota duty.  In-quota imports count towards safeguard triggers but never pay
    a safeguard duty (WTO AoA Art. 5.2)."""

    kind: Literal["tariff_quota"]
    title: str
    order_id: str = Field(description="The quota's order number or id.")
    agreement: str
    regime: str = Field(description="Option name for the in-quota duty in duty output.")
    lines: Lines
    partners: PartnerScope
    valid_from: dt.date
    valid_to: dt.date | None = None
    period: Literal["fiscal_year", "calendar_year"] = "fiscal_year"
    year_start_month: int = Field(4, ge=1, le=12)
    unit: Literal["t", "kg"] = "t"
    basis: str = Field("product weight", description="e.g. product weight, raw-milk equivalent")
    volumes: Annotated[list[Dated[float]], Field(min_length=1)]
    in_quota_duty: Annotated[list[DatedDuty], Field(min_length=1)]
    out_of_quota: Literal["mfn"] | list[DatedDuty] = "mfn"
    allocation: Literal["first_come_first_served", "licence", "tender"]
    critical_share: float = Field(0.9, gt=0, le=1, description="Used share that makes it critical.")
    sources: dict[str, Source]

    def offered(self, claims: Any = ()) -> bool:
        """First-come-first-served quotas are open to any shipment; licence and tender
        quotas only to a shipment that holds an allocation, stated as a claim."""
        return self.allocation == "first_come_first_served" or self.order_id in claims


# --- the same formula across partners ----------------------------------------------------------


class SafeguardTemplate(Strict):
    """A volume safeguard written once, to be instantiated for any partner or group.

    The instance's trigger for fiscal year FY is ``share × (base trigger(FY) − offset_t)``,
    rounded to ``rounding_decimals``; a partial first year is prorated by ``proration``
    from the first full year's figure.  Everything else (safeguard duty path, start and
    duration rules, termination) comes from the base measure.
    """

    kind: Literal["safeguard_template"]
    title: str
    base: str = Field(description="The volume safeguard whose elements are reused.")
    base_condition: str
    share: float = Field(1.0, gt=0, description="Default share of the aggregate trigger.")
    offset_t: float = Field(0.0, description="Tonnes taken off the aggregate path first.")
    rounding_decimals: int = 0
    proration: Proration
    status: Status
    cite: str
    sources: dict[str, Source]


# --- price-triggered safeguards -------------------------------------------------------------


class TriggerPrice(Strict):
    lines: Lines
    prices: Annotated[list[Dated[float]], Field(min_length=1)]


class PriceSafeguard(Strict):
    """WTO AoA Art. 5.1(b): shipment by shipment, when the c.i.f. import price falls below
    the trigger price, an additional duty by the Art. 5.5 bands.  Not applied to in-quota
    imports (Art. 5.2) nor while a volume safeguard on the same goods is in force (Art. 5.1:
    "but not concurrently")."""

    kind: Literal["price_safeguard"]
    title: str
    agreement: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    regimes: list[str] = Field(default_factory=lambda: ["mfn"])
    currency: Literal["JPY"] = "JPY"
    unit: Literal["kg"] = "kg"
    trigger_prices: Annotated[list[TriggerPrice], Field(min_length=1)]
    sources: dict[str, Source]


# --- activations ------------------------------------------------------------------------


class SafeguardWindow(Strict):
    """Which measure ran, when (inclusive), on which lines, partners and regimes."""

    measure_id: str
    start: dt.date
    end: dt.date = Field(description="Inclusive last day.")
    lines: Lines
    partners: PartnerScope
    regimes: list[str]


class Activation(SafeguardWindow, Cited):
    """A safeguard in force: a dated event that the duty engine applies.

    Official ones ship as data; the monitor computes others in the same shape.
    """

    duty: DutyExpression
    remedy: Literal["replace", "add"] = "replace"
    origin: Literal["official", "computed"] = "official"
    announced_on: dt.date | None = Field(
        None, description="Knowledge time: the date of the announcement; an evaluation with "
                          "an earlier `as_of` does not apply the activation.  Required in the "
                          "official ledger; in a ledger a caller passes, None means the caller "
                          "vouches that it is known at every `as_of` asked (the monitor's "
                          "computed activations are computed as of the same `as_of`).")
    announced_status: Status | None = Field(
        None, description="How sure the announcement date is (default: `status`).")
    announced_cite: str | None = Field(
        None, description="Key into `sources` for the announcement (default: `cite`).")

    @field_validator("duty", mode="before")
    @classmethod
    def _parse_text(cls, value: Any) -> Any:
        return parse_duty(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ordered(self) -> Activation:
        if self.end < self.start:
            raise ValueError(f"`end` {self.end} is before `start` {self.start}")
        return self


class UnencodedActivation(SafeguardWindow, Cited):
    """A safeguard that sources confirm was applied but whose duty the rules cannot state.

    The duty engine cannot apply it, so an answer on a day it covers warns
    (`safeguard_duty_not_encoded`) instead of showing the normal duty as if nothing ran.
    ``missing`` says what is not known (e.g. the raised standard import price).
    """

    announced_on: dt.date
    announced_status: Status | None = None
    announced_cite: str | None = None
    missing: str


class Activations(Strict):
    """The official ledger: every activation carries the date it was announced."""

    kind: Literal["activations"]
    sources: dict[str, Source]
    activations: list[Activation]
    unencoded: list[UnencodedActivation] = Field(
        default_factory=list, description="Confirmed uses whose duty is not encoded.")

    @model_validator(mode="after")
    def _announced(self) -> Activations:
        missing = [f"{a.measure_id} {a.start}" for a in self.activations if a.announced_on is None]
        if missing:
            raise ValueError(f"official activations need `announced_on` (the date of the cited "
                             f"announcement): {', '.join(missing)}")
        return self


# --- agreement coverage ---------------------------------------------------------------------


#: The five product groups the coverage table reports on.
ProductGroup = Literal["beef", "pork", "dairy", "rice", "sugar"]


class ProductTreatment(Cited):
    """What one agreement does for one product group, as research found it.

    ``excluded``: the agreement grants no preference on the group (MFN applies).
    ``encoded`` and ``partly_encoded``: tariff or quota rules of the agreement cover the
    group (``note`` says what is left out).  ``not_encoded``: preferences exist or may exist
    but are not in the library; ``note`` says what was found and what was searched.
    ``lines`` are the group's lines on which the agreement grants no preference: on them a
    duty answer says "MFN applies" instead of warning that the schedule is missing.
    """

    treatment: Literal["encoded", "partly_encoded", "excluded", "not_encoded"]
    lines: Annotated[list[str], BeforeValidator(_normalise_lines)] | None = Field(
        None, description="Lines with no preference (prefixes).")
    valid_from: dt.date | None = Field(
        None, description="First day the treatment holds (default: entry into force).")

    @model_validator(mode="after")
    def _excluded_names_lines(self) -> ProductTreatment:
        if self.treatment == "excluded" and not self.lines:
            raise ValueError("an exclusion names its `lines`, so a duty answer can say so")
        return self


class EconomicPartnership(Cited):
    """One of Japan's economic partnership agreements, with whom and from when it applies.

    ``members`` lists each partner with the day the agreement entered into force between it
    and Japan (and, where it stopped applying, its last day); a plurilateral agreement whose
    membership the library already holds names that group in ``parties`` instead.
    ``encoded_as`` is the rule library's agreement id whose tariff rules encode this
    agreement's schedule for some lines (none: no line of its schedule is encoded).
    """

    title: str
    short_name: str
    signed_on: dt.date | None = None
    entry_into_force: dt.date = Field(description="First entry into force for Japan.")
    members: list[Membership] = Field(default_factory=list)
    parties: PartnerScope | None = None
    encoded_as: str | None = None
    products: dict[ProductGroup, ProductTreatment] = Field(
        default_factory=dict, description="The research finding per product group.")
    regime: str | None = Field(
        None, description="The agreement's name in import data (`regime`, e.g. jsepa).")

    @model_validator(mode="after")
    def _one_membership(self) -> EconomicPartnership:
        if bool(self.members) == (self.parties is not None):
            raise ValueError("give either `members` (dated partners) or `parties` (a group)")
        return self


class EconomicPartnerships(Strict):
    """Every economic partnership agreement Japan has in force, encoded or not."""

    kind: Literal["economic_partnerships"]
    sources: dict[str, Source]
    product_groups: dict[ProductGroup, Lines] = Field(
        default_factory=dict, description="The tariff lines (prefixes) of each product group.")
    agreements: dict[str, EconomicPartnership]


# --- WTO law the engines apply: Agriculture Art. 5, the Agreement on Safeguards ---------


class MarketAccessBand(Strict):
    """One row of the Art. 5.4 base trigger levels: up to this market-access opportunity
    (imports over consumption; none: above every other row), the dated multiple of the
    average imports."""

    mao_up_to: float | None = Field(None, gt=0)
    base_level: Annotated[list[Dated[float]], Field(min_length=1)]


class Article5Levels(Strict):
    """WTO Agreement on Agriculture Art. 5.4: the volume trigger's base levels by market-access
    opportunity, the level used when consumption is not taken into account, the floor (a
    multiple of the average), and how many preceding years are averaged."""

    kind: Literal["article5_levels"]
    title: str
    base_levels: Annotated[list[MarketAccessBand], Field(min_length=1)]
    without_consumption: Annotated[list[Dated[float]], Field(min_length=1)]
    floor: Annotated[list[Dated[float]], Field(min_length=1)]
    average_years: Annotated[list[Dated[int]], Field(min_length=1)]
    sources: dict[str, Source]


class PriceBandRow(Strict):
    """One Art. 5.5 band, by its paragraph (``id``): the dated ``rate`` applies to the slice of
    the shortfall D with ``above < D/T <= up_to`` (fractions of the trigger price T)."""

    id: str
    above: float = Field(ge=0)
    up_to: float = Field(gt=0, le=1)
    rate: Annotated[list[Dated[float]], Field(min_length=1)]


class PriceTriggerBands(Strict):
    """WTO Agreement on Agriculture Art. 5.5: the price trigger's additional duty bands."""

    kind: Literal["price_trigger_bands"]
    title: str
    bands: Annotated[list[PriceBandRow], Field(min_length=1)]
    sources: dict[str, Source]


class SsmBandRow(Strict):
    """One Doha SSM volume band: above the dated ``trigger_ratio`` times the base imports, a
    remedy of up to ``remedy_share`` of the bound duty."""

    band: int = Field(ge=1)
    trigger_ratio: Annotated[list[Dated[float]], Field(min_length=1)]
    remedy_share: Annotated[list[Dated[float]], Field(min_length=1)]


class SurgeMateriality(Strict):
    """When a surge flag matters: its increase over the baseline reaches ``min_increase_t``
    tonnes and the flagged quantity is at least ``min_share`` of the line's imports from all
    partners over the same span."""

    min_increase_t: Annotated[list[Dated[float]], Field(min_length=1)]
    min_share: Annotated[list[Dated[float]], Field(min_length=1)]


class SurgeScreens(Strict):
    """The quasi-legal thresholds of the surge screens: the FAO import-surge ratio and the
    Doha special safeguard mechanism's volume bands (a draft that never became law)."""

    kind: Literal["surge_screens"]
    title: str
    fao_ratio: Annotated[list[Dated[float]], Field(min_length=1)]
    ssm_bands: Annotated[list[SsmBandRow], Field(min_length=1)]
    materiality: SurgeMateriality | None = Field(
        default=None, description="The size below which a flag is immaterial (hidden).")
    sources: dict[str, Source]


class SafeguardLimit(Strict):
    """One limit of the Agreement on Safeguards: its article, the text it paraphrases, and
    its dated value (days, years or an import share, as its name says)."""

    article: str
    text: str
    values: Annotated[list[Dated[float]], Field(min_length=1)]


class SafeguardsAgreement(Strict):
    """The WTO Agreement on Safeguards' time limits and thresholds (GATT 1994 Art. XIX)."""

    kind: Literal["safeguards_agreement"]
    title: str
    limits: dict[str, SafeguardLimit]
    sources: dict[str, Source]


# --- the amount payable: the law's rounding and the consumption tax ---------------------


def _is_fraction(text: str) -> str:
    top, slash, bottom = text.partition("/")
    if not (top.strip().isdigit() and (not slash or bottom.strip().isdigit())) or (
            slash and int(bottom) == 0):
        raise ValueError(f"`{text}` is not a fraction; write it like 22/78 (or 0 for none)")
    return text


#: A share written as the law writes it, e.g. "22/78" (of the national consumption tax).
FractionText = Annotated[str, AfterValidator(_is_fraction)]


class CustomsRounding(Strict):
    """How the customs duty on one declaration is rounded (Customs Act Art. 13-4).

    ``tax_base_unit_jpy``: the tax base is cut down to a multiple of this (1,000 yen);
    ``duty_unit_jpy``: the duty is cut down to a multiple of this (100 yen).
    ``specific_rate_digits_for_whole_units``: for a specific duty, a rate with at most
    this many digits before the decimal point counts whole units of quantity; each
    further digit keeps one more decimal of the quantity (fractions cut down).
    ``exempt_value_up_to_jpy``: declarations of at most this customs value may be
    exempt; the engine does not decide the exemption, it declines to give an amount.
    """

    kind: Literal["customs_rounding"]
    title: str
    tax_base_unit_jpy: Annotated[list[Dated[int]], Field(min_length=1)]
    duty_unit_jpy: Annotated[list[Dated[int]], Field(min_length=1)]
    specific_rate_digits_for_whole_units: Annotated[list[Dated[int]], Field(min_length=1)]
    exempt_value_up_to_jpy: list[Dated[int]] = Field(default_factory=list)
    sources: dict[str, Source]


class TaxRate(Strict):
    """One consumption tax rate: the national percent and the local share of it."""

    id: str
    national_percent: Annotated[list[Dated[float]], Field(min_length=1)]
    local_share_of_national: Annotated[list[Dated[FractionText]], Field(min_length=1)]


class ReducedRateLines(Cited):
    """Which tariff lines are food (reduced rate) and which are not (standard rate).

    A line in neither list is not classified: the engine then gives no consumption tax.
    """

    food: Lines
    not_food: Lines
    valid_from: dt.date


class ConsumptionTax(Strict):
    """Japan's consumption tax and local consumption tax on imported goods.

    The base is the customs value plus the customs duty, cut down to ``base_unit_jpy``;
    the national tax is the rate's percent of it, cut down to ``tax_unit_jpy``; the local
    tax is ``local_share_of_national`` of the national tax, cut down to
    ``local_tax_unit_jpy``.
    """

    kind: Literal["consumption_tax"]
    title: str
    base_unit_jpy: Annotated[list[Dated[int]], Field(min_length=1)]
    tax_unit_jpy: Annotated[list[Dated[int]], Field(min_length=1)]
    local_tax_unit_jpy: Annotated[list[Dated[int]], Field(min_length=1)]
    rates: Annotated[list[TaxRate], Field(min_length=1)]
    reduced_rate_lines: ReducedRateLines
    sources: dict[str, Source]

    def rate(self, rate_id: str) -> TaxRate | None:
        return next((r for r in self.rates if r.id == rate_id), None)


RuleFile = Annotated[
    Agreement | PartnerGroups | Tariff | VolumeSafeguard | TariffQuota | PriceSafeguard
    | SafeguardTemplate | Activations | EconomicPartnerships | CustomsRounding
    | ConsumptionTax | Article5Levels | PriceTriggerBands | SurgeScreens | SafeguardsAgreement,
    Field(discriminator="kind"),
]
