"""Duty determination for one shipment: every option, the rational choice, and why.

This is the scalar path.  It answers one question at a time and builds a
trace of every rule value it used; the batch engine (:mod:`tradeguard.engine.batch`)
answers the same question for millions of declarations and is tested equal to
this one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.engine import expressions as ex
from tradeguard.engine import money
from tradeguard.engine.payable import NotPayable, Payable, payable
from tradeguard.engine.price_trigger import additional_duty
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import covers, known_since, normalise_line, value_on
from tradeguard.rules.scope import covered_on, partnership_since
from tradeguard.units import convert_quantity

MFN = "mfn"
#: Duties equal to this many yen are a tie; ties go to the preference, then by name.
TIE_DECIMALS = 4


class TraceEntry(BaseModel):
    """One rule value that an answer used, with where it came from."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    key: str
    value: str
    valid_from: dt.date | None
    valid_to: dt.date | None = None
    status: s.Status
    citation: str
    note: str | None = None


class DutyWarning(BaseModel):
    """Where the answer does not reach: what was left out, and why."""

    model_config = ConfigDict(frozen=True)

    code: str = Field(description="agreement_not_encoded, safeguard_announced_after_as_of, "
                                  "safeguard_duty_not_encoded or value_published_after_as_of")
    message: str


class DutyOption(BaseModel):
    """One way the shipment could be entered: MFN or a preference, with any safeguard."""

    regime: str
    agreement: str
    duty: str = Field(description="The duty expression in force, in the readable grammar.")
    ad_valorem_percent: float | None
    specific: dict[str, Any] | None
    safeguard: bool
    in_quota: bool = False
    quota: dict[str, Any] | None = Field(None, description="The quota's id, status and balance.")
    price_safeguard_amount: Decimal | None = Field(
        None, description="WTO AoA Art. 5.5 additional duty on this shipment, if any.")
    duty_amount: Decimal | None = Field(
        None, description="In the customs value's currency, before the law's rounding, to "
                          "1/10,000 (see `payable` for the amount payable).")
    currency: str = "JPY"
    trace: list[TraceEntry]


class DutyResult(BaseModel):
    tariff_line: str
    origin: str
    date: dt.date
    as_of: dt.date
    customs_value: Decimal | None
    quantity: Decimal | None
    quantity_unit: str
    options: list[DutyOption]
    chosen: DutyOption | None
    reason: str
    notes: list[str] = Field(default_factory=list)
    warnings: list[DutyWarning] = Field(
        default_factory=list, description="Where the answer does not reach: agreements whose "
        "schedule is not encoded, safeguards or values announced after `as_of`.")
    payable: Payable | None = Field(
        None, description="The chosen option's amount payable after the law's rounding.")
    payable_reason: str | None = Field(None, description="Why `payable` is null.")

    @property
    def in_quota(self) -> bool | None:
        """Whether the chosen option is an in-quota entry (None if nothing was chosen)."""
        return None if self.chosen is None else self.chosen.in_quota


def official_activations(rules: RuleSet | None = None) -> list[s.Activation]:
    """The announced historical safeguard activations shipped with the rules."""
    return list((rules or shipped_rules()).activations)


def _source_text(doc: Any, cite: str) -> str:
    return doc.sources[cite].text()


def _check_inputs(tariff_line: str, origin: str, date: Any, customs_value: float | None,
                  quantity: float | None) -> tuple[str, str]:
    from tradeguard.reference import checked_partner

    line = normalise_line(tariff_line)
    if not line.isdigit() or not 4 <= len(line) <= 9:
        raise InputError(problem(f"`{tariff_line}` is not a tariff line",
                                 why="Japan's statistical codes have 4 to 9 digits",
                                 fix="write it like 0202, 0202.30 or 020230090"))
    code = checked_partner(origin, named="origin")
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise InputError(problem(f"date `{date}` is not a calendar date",
                                 fix="pass a datetime.date, e.g. date(2021, 3, 20)"))
    for name, amount in (("customs_value", customs_value), ("quantity", quantity)):
        if amount is not None and not amount >= 0:
            raise InputError(problem(f"`{name}` is {amount}", why="it must be zero or more",
                                     fix=f"pass a non-negative {name}"))
    return line, code


def _exact_inputs(customs_value: Any, quantity: Any) -> tuple[Decimal | None, Decimal | None]:
    """The inputs as the decimals their writer meant (a float by its shortest repr)."""
    return tuple(None if v is None else money.tidy(money.to_decimal(v, name))  # type: ignore
                 for name, v in (("customs_value", customs_value), ("quantity", quantity)))


def _agreement_in_force(rules: RuleSet, agreement_id: str, day: dt.date,
                        include_signed: bool) -> bool:
    start = rules.agreements[agreement_id].in_force_from(include_signed)
    return start is not None and start <= day


def _signed_on(rules: RuleSet, agreement_id: str) -> dt.date | None:
    """Policy (docs/semantics.md): a value without `published_on` is known from the
    signature of the agreement that holds it."""
    return rules.agreements[agreement_id].signed_on


def _known_value(values: Sequence[Any], day: dt.date, as_of: dt.date,
                 known_from: dt.date | None, where: str,
                 warnings: list[DutyWarning]) -> tuple[int, Any] | None:
    """``value_on`` as known on ``as_of``; warns when a later-published value is in force."""
    started = [v for v in values if v.valid_from <= day]
    since = known_since(started[-1], known_from) if started else None
    if since is not None and since > as_of:
        warnings.append(DutyWarning(code="value_published_after_as_of", message=(
            f"{where}: the value from {started[-1].valid_from} was published on {since}, "
            f"after as_of {as_of}: not used")))
    return value_on(values, day, as_of, known_from)


def _option(rules: RuleSet, rule_id: str, tariff: s.Tariff, line: str, day: dt.date,
            as_of: dt.date, warnings: list[DutyWarning],
            ) -> tuple[ex.DutyExpression, TraceEntry] | None:
    for i, schedule in enumerate(tariff.schedules):
        if not covers(schedule.lines, line):
            continue
        found = _known_value(schedule.rates, day, as_of, _signed_on(rules, tariff.agreement),
                             rule_id, warnings)
        if found is None:
            return None
        j, rate = found
        return rate.duty, TraceEntry(
            rule_id=rule_id, key=f"schedules[{i}].rates[{j}]", value=ex.format_duty(rate.duty),
            valid_from=rate.valid_from, valid_to=rate.valid_to, status=rate.status,
            citation=_source_text(tariff, rate.cite), note=rate.note)
    return None


def _announced(act: s.Activation, as_of: dt.date) -> bool:
    """An activation in a ledger without `announced_on` is vouched for by its caller."""
    return act.announced_on is None or act.announced_on <= as_of


def _activation_in_force(rules: RuleSet, ledger: Iterable[s.Activation], regime: str,
                         line: str, origin: str, day: dt.date,
                         as_of: dt.date) -> s.Activation | None:
    for act in ledger:
        if (act.start <= day <= act.end and regime in act.regimes and covers(act.lines, line)
                and _announced(act, as_of)
                and covered_on(act.partners, origin, day, rules.groups)):
            return act
    return None


def _unannounced_warning(rules: RuleSet, ledger: Iterable[s.Activation], regime: str,
                         line: str, origin: str, day: dt.date,
                         as_of: dt.date) -> DutyWarning | None:
    """The safeguard that would apply on ``day`` had it been announced by ``as_of``."""
    for act in ledger:
        if (act.start <= day <= act.end and regime in act.regimes and covers(act.lines, line)
                and not _announced(act, as_of)
                and covered_on(act.partners, origin, day, rules.groups)):
            return DutyWarning(code="safeguard_announced_after_as_of", message=(
                f"safeguard {act.measure_id} {act.start}–{act.end} ({ex.format_duty(act.duty)} "
                f"on {regime}) announced on {act.announced_on}, after as_of {as_of}: "
                "not applied"))
    return None


def _encoded(rules: RuleSet, agreement_id: str | None, line: str, day: dt.date) -> bool:
    """Whether the library encodes the agreement's schedule for ``line`` on ``day``: a
    tariff rate or a quota that has started by then."""
    if agreement_id is None:
        return False
    return (any(t.agreement == agreement_id and any(
                    covers(sch.lines, line) and sch.rates[0].valid_from <= day
                    for sch in t.schedules) for _, t in rules.tariffs_for(line))
            or any(q.agreement == agreement_id and covers(q.lines, line)
                   and q.valid_from <= day for q in rules.quotas.values()))


def _exclusion(epa: s.EconomicPartnership, line: str,
               day: dt.date) -> tuple[str, s.ProductTreatment] | None:
    """The product group under which the agreement excludes ``line`` on ``day``, if any."""
    for group, found in epa.products.items():
        if (covers(found.lines or [], line)
                and (found.valid_from or epa.entry_into_force) <= day):
            return group, found
    return None


def exclusion_notes(rules: RuleSet, line: str, origin: str, day: dt.date) -> list[str]:
    """A note per economic partnership that applies to ``origin`` on ``day`` and excludes
    ``line`` from its preferences: MFN applies under it, which is a finding, not a gap."""
    out = []
    doc = rules.documents.get("economic_partnerships")
    for _key, epa in sorted(rules.epas.items()):
        found = _exclusion(epa, line, day)
        if found is None or partnership_since(epa, origin, day, rules.groups) is None:
            continue
        group, treatment = found
        cited = doc.sources.get(treatment.cite) if isinstance(
            doc, s.EconomicPartnerships) else None
        source = ", ".join(filter(None, [cited.title, cited.url])) if cited else treatment.cite
        said = (f"{group} is excluded under the {epa.short_name}"
                if treatment.treatment == "excluded"
                else f"the {epa.short_name} gives this {group} line no preference")
        out.append(f"{said}: line {line}, MFN applies [{treatment.status}: {source}]")
    return out


def coverage_warnings(rules: RuleSet, line: str, origin: str, day: dt.date,
                      regimes: Iterable[str]) -> list[DutyWarning]:
    """A warning per economic partnership that applies to ``origin`` on ``day`` but whose
    schedule for ``line`` is not encoded (nor recorded as excluded): its rate cannot be
    among the options."""
    shown = sorted(set(regimes))
    tail = "MFN shown" if shown == [MFN] else f"options shown: {', '.join(shown)}"
    out = []
    for _key, epa in sorted(rules.epas.items()):
        since = partnership_since(epa, origin, day, rules.groups)
        if (since is None or _encoded(rules, epa.encoded_as, line, day)
                or _exclusion(epa, line, day) is not None):
            continue
        out.append(DutyWarning(code="agreement_not_encoded", message=(
            f"the {epa.short_name} ({epa.title}) applies to {origin} from {since}; its "
            f"schedule for line {line} is not encoded; {tail}")))
    return out


def unencoded_safeguard_warnings(rules: RuleSet, line: str, origin: str, day: dt.date,
                                 as_of: dt.date, regimes: Iterable[str]) -> list[DutyWarning]:
    """A warning per confirmed safeguard use in force on ``day`` whose duty is not encoded:
    the duty shown for its regimes is then lower than what was charged."""
    shown = set(regimes)
    return [DutyWarning(code="safeguard_duty_not_encoded", message=(
                f"safeguard {u.measure_id} was in force {u.start}–{u.end} on "
                f"{', '.join(u.regimes)}; its duty is not encoded ({u.missing}): the "
                f"{', '.join(sorted(shown & set(u.regimes)))} duty shown is without it"))
            for u in rules.unencoded_activations
            if (u.start <= day <= u.end and u.announced_on <= as_of and shown & set(u.regimes)
                and covers(u.lines, line) and covered_on(u.partners, origin, day, rules.groups))]


def _activation_trace(rules: RuleSet, act: s.Activation) -> TraceEntry:
    official = rules.documents.get("activations")
    sources = official.sources if isinstance(official, s.Activations) else {}
    citation = sources[act.cite].text() if act.cite in sources else act.cite
    note = act.note
    if act.announced_on is not None:
        cite = act.announced_cite or act.cite
        said = sources[cite].text() if cite in sources else cite
        note = "; ".join(filter(None, [note, f"announced on {act.announced_on} "
                                             f"[{act.announced_status or act.status}]: {said}"]))
    return TraceEntry(rule_id=act.measure_id, key=f"activation {act.start}..{act.end}",
                      value=ex.format_duty(act.duty), valid_from=act.start, valid_to=act.end,
                      status=act.status, citation=citation, note=note)


def _amount(expr: ex.DutyExpression, customs_value: float | None, quantity: float | None,
            quantity_unit: str, currency: str) -> float | None:
    available = {name for name, v in (("customs_value", customs_value), ("quantity", quantity))
                 if v is not None}
    if not ex.needs(expr) <= available:
        return None
    return ex.evaluate(expr, customs_value=customs_value, quantity=quantity,
                       quantity_unit=quantity_unit, currency=currency)


def choice_key(regime: str, amount: float | Decimal) -> tuple[int, int, str]:
    """Order options: lower duty first; on a tie a preference before MFN, then by name.

    Amounts are compared rounded half away from zero to TIE_DECIMALS, the way the
    batch engine's integer key rounds them, so both paths break ties alike.
    """
    return (math.floor(float(amount) * 10**TIE_DECIMALS + 0.5), 1 if regime == MFN else 0,
            regime)


def _choose(options: Sequence[DutyOption],
            exprs: Sequence[ex.DutyExpression]) -> tuple[DutyOption | None, str]:
    if len(options) == 1:
        return options[0], "the only option"
    if all(o.duty_amount is not None for o in options):
        return _lowest(options, lambda o: o.duty_amount or 0.0, "lowest duty amount")
    if all(ex.needs(e) == {"customs_value"} and o.ad_valorem_percent is not None
           for o, e in zip(options, exprs, strict=True)):
        return _lowest(options, lambda o: o.ad_valorem_percent or 0.0, "lowest ad valorem rate")
    return None, ("the options are not all ad valorem: give customs_value and quantity "
                  "to compare duty amounts")


def _lowest(options: Sequence[DutyOption], measure: Callable[[DutyOption], float | Decimal],
            reason: str) -> tuple[DutyOption, str]:
    """The lowest option; a tie is named, with the rule that broke it (ADR 0002)."""
    best = min(options, key=lambda o: choice_key(o.regime, measure(o)))
    tied = sorted(o.regime for o in options if o is not best
                  and choice_key(o.regime, measure(o))[0] == choice_key(best.regime, measure(best))[0])
    if not tied:
        return best, reason
    rule = ("a preference is chosen over MFN" if MFN in tied else "the first by name is chosen")
    return best, f"{reason}, tied with {', '.join(tied)}; {rule} on a tie, under ADR 0002"


@dataclass
class _Offer:
    """One way to enter the goods before safeguards: a regime's duty and its trace."""

    regime: str
    agreement: str
    expr: ex.DutyExpression
    trace: list[TraceEntry]
    in_quota: bool = False
    quota: dict[str, Any] | None = None


def _tariff_offers(rules: RuleSet, line: str, code: str, day: dt.date, as_of: dt.date,
                   include_signed: bool, warnings: list[DutyWarning]) -> list[_Offer]:
    offers = []
    for rid, tariff in rules.tariffs_for(line):
        if not (covered_on(tariff.partners, code, day, rules.groups)
                and _agreement_in_force(rules, tariff.agreement, day, include_signed)):
            continue
        found = _option(rules, rid, tariff, line, day, as_of, warnings)
        if found is None:
            if tariff.regime == MFN:
                first = min(r.valid_from for sch in tariff.schedules for r in sch.rates)
                raise PeriodError(problem(
                    f"no MFN rate for line {line} on {day}", where=rid,
                    why=f"the rules start on {first}", fix=f"ask about a date from {first} on"))
            continue
        offers.append(_Offer(tariff.regime, tariff.agreement, found[0], [found[1]],
                             in_quota=tariff.in_quota))
    return offers


def _quota_offers(rules: RuleSet, line: str, code: str, day: dt.date, as_of: dt.date,
                  include_signed: bool, quotas: Any, claims: Sequence[str],
                  notes: list[str], warnings: list[DutyWarning]) -> list[_Offer]:
    """In-quota options of the tariff-rate quotas that cover the shipment."""
    offers = []
    for rid, quota in sorted(rules.quotas.items()):
        if not (covers(quota.lines, line) and quota.valid_from <= day
                and (quota.valid_to is None or day <= quota.valid_to)
                and covered_on(quota.partners, code, day, rules.groups)
                and _agreement_in_force(rules, quota.agreement, day, include_signed)):
            continue
        if not quota.offered(claims):
            notes.append(f"quota {quota.order_id} ({quota.allocation}) covers this shipment; "
                         "claim it with quota_claims if the importer holds an allocation")
            continue
        found = _known_value(quota.in_quota_duty, day, as_of,
                             _signed_on(rules, quota.agreement), rid, warnings)
        if found is None:
            continue
        j, rate = found
        trace = [TraceEntry(rule_id=rid, key=f"in_quota_duty[{j}]",
                            value=ex.format_duty(rate.duty), valid_from=rate.valid_from,
                            valid_to=rate.valid_to, status=rate.status,
                            citation=_source_text(quota, rate.cite), note=rate.note)]
        info: dict[str, Any] = {"order_id": quota.order_id, "allocation": quota.allocation}
        if quotas is None:
            notes.append(f"quota {quota.order_id}: balance not checked (no quota ledger "
                         "given); the in-quota option assumes an allocation")
        else:
            state = quotas.state(rid, day, as_of)
            info.update(status=state.status, balance_t=round(state.balance_t, 3),
                        volume_t=state.volume_t)
            if state.status in ("exhausted", "not_open"):
                notes.append(f"quota {quota.order_id} is {state.status} on {day}: "
                             "the shipment is out of quota")
                continue
        offers.append(_Offer(quota.regime, quota.agreement, rate.duty, trace,
                             in_quota=True, quota=info))
    return offers


def _offers(rules: RuleSet, line: str, code: str, day: dt.date, as_of: dt.date,
            include_signed: bool, quotas: Any, claims: Sequence[str],
            ) -> tuple[list[_Offer], list[str], list[DutyWarning]]:
    """The shipment's offers before safeguards, with the notes and warnings found on the way.

    Without a quota ledger they follow from the rules, the line, the origin, the day and
    ``as_of`` alone, so they are memoised on the rule set (a new customs value reuses them;
    nothing downstream changes an offer).  A ledger's balances are never memoised.
    """
    def find() -> tuple[list[_Offer], list[str], list[DutyWarning]]:
        notes: list[str] = []
        warnings: list[DutyWarning] = []
        offers = (_tariff_offers(rules, line, code, day, as_of, include_signed, warnings)
                  + _quota_offers(rules, line, code, day, as_of, include_signed, quotas,
                                  claims, notes, warnings))
        return offers, notes, warnings

    if quotas is not None:
        return find()
    return rules.derived(("offers", line, code, day, as_of, include_signed, tuple(claims)),
                         find)


def _trigger_price(rules: RuleSet, regime: str, line: str, day: dt.date, as_of: dt.date,
                   warnings: list[DutyWarning]) -> tuple[float, TraceEntry] | None:
    """The Art. 5.1(b) trigger price (JPY/kg) for the line on ``day``, if one applies."""
    for rid, rule in sorted(rules.price_safeguards.items()):
        if (regime not in rule.regimes or day < rule.valid_from
                or (rule.valid_to is not None and day > rule.valid_to)):
            continue
        for i, tp in enumerate(rule.trigger_prices):
            if covers(tp.lines, line):
                found = _known_value(tp.prices, day, as_of, _signed_on(rules, rule.agreement),
                                     rid, warnings)
                if found is None:
                    return None
                j, price = found
                return float(price.value), TraceEntry(
                    rule_id=rid, key=f"trigger_prices[{i}].prices[{j}]",
                    value=f"trigger price {price.value} JPY/kg", valid_from=price.valid_from,
                    valid_to=price.valid_to, status=price.status,
                    citation=_source_text(rule, price.cite), note=price.note)
    return None


@dataclass
class _Shipment:
    line: str
    origin: str
    date: dt.date
    as_of: dt.date
    customs_value: float | None
    quantity: float | None
    quantity_unit: str
    currency: str


def _price_safeguard(rules: RuleSet, regime: str, ship: _Shipment, notes: list[str],
                     warnings: list[DutyWarning]) -> tuple[float | None, TraceEntry | None]:
    """WTO AoA Art. 5.1(b): the additional duty on this shipment below the trigger price."""
    tp = _trigger_price(rules, regime, ship.line, ship.date, ship.as_of, warnings)
    if tp is None:
        return None, None
    if ship.customs_value is None or not ship.quantity:
        notes.append(f"{regime}: a price safeguard may apply below "
                     f"{tp[0]} JPY/kg; give customs_value and quantity to check it")
        return None, None
    kilograms = convert_quantity(ship.quantity, ship.quantity_unit, "kg")
    per_kg = additional_duty(tp[0], ship.customs_value / kilograms)
    return (per_kg * kilograms if per_kg > 0 else None), tp[1]


def _priced(rules: RuleSet, offer: _Offer, ship: _Shipment, ledger: Sequence[s.Activation],
            notes: list[str], warnings: list[DutyWarning]) -> tuple[DutyOption, ex.DutyExpression]:
    """One option with its safeguards layered on (docs/semantics.md), priced."""
    expr, trace = offer.expr, list(offer.trace)
    act = None
    if not offer.in_quota:  # in-quota goods never pay a safeguard duty (WTO AoA Art. 5.2)
        act = _activation_in_force(rules, ledger, offer.regime, ship.line, ship.origin,
                                   ship.date, ship.as_of)
        unannounced = None if act is not None else _unannounced_warning(
            rules, ledger, offer.regime, ship.line, ship.origin, ship.date, ship.as_of)
        warnings.extend([unannounced] if unannounced else [])
    if act is not None:
        expr = ex.add_duty(expr, act.duty) if act.remedy == "add" else act.duty
        trace.append(_activation_trace(rules, act))
    amount = _amount(expr, ship.customs_value, ship.quantity, ship.quantity_unit, ship.currency)
    price_sg = None
    if not offer.in_quota and act is None:  # Art. 5.1: volume or price, not both
        price_sg, tp_trace = _price_safeguard(rules, offer.regime, ship, notes, warnings)
        trace.extend([tp_trace] if tp_trace else [])
        if price_sg is not None and amount is not None:
            amount += price_sg
    text = ex.format_duty(expr)
    if price_sg is not None:
        text += f" + price safeguard {price_sg:,.2f} {ship.currency}"
    return DutyOption(
        regime=offer.regime, agreement=offer.agreement, duty=text,
        ad_valorem_percent=None if price_sg else ex.ad_valorem_percent(expr),
        specific=None if price_sg else ex.specific_part(expr),
        safeguard=act is not None or price_sg is not None, in_quota=offer.in_quota,
        quota=offer.quota, price_safeguard_amount=_exact(price_sg), currency=ship.currency,
        duty_amount=_exact(amount), trace=trace), expr


def duty(tariff_line: str, origin: str, date: dt.date, customs_value: float | None = None,
         quantity: float | None = None, activations: Sequence[s.Activation] | None = None, *,
         as_of: dt.date, quotas: Any = None, quota_claims: Sequence[str] = (),
         quantity_unit: str = "kg", currency: str = "JPY", include_signed: bool = False,
         rules: RuleSet | None = None) -> DutyResult:
    """Which duty applies to one shipment on ``date``, every option, and why.

    ``activations`` is the safeguard ledger to apply (default: the official,
    announced activations shipped with the rules; the monitor passes computed
    ones).  ``quotas`` is a :class:`~tradeguard.monitor.quotas.QuotaLedger`; without
    one, in-quota options are offered and the result notes that the balance was not
    checked.  ``quota_claims`` names the licence or tender quotas (by order id) under
    which the importer holds an allocation; first-come-first-served quotas need none.
    ``as_of`` is knowledge time: values published and activations announced after it
    are not used, and ``warnings`` says so.  ``warnings`` also names every economic
    partnership that applies to the origin but whose schedule for the line is not
    encoded.  Amounts are in ``currency`` (the customs value's currency) and
    quantities in ``quantity_unit``; ``customs_value`` and ``quantity`` may also be
    ``Decimal``.  ``payable`` is the amount payable after the law's rounding, or None
    with ``payable_reason``.  ``include_signed`` also applies agreements that
    were signed but never entered into force (the TPP), from their study date.
    """
    rules = rules or shipped_rules()
    exact_value, exact_quantity = _exact_inputs(customs_value, quantity)  # NaN: InputError
    line, code = _check_inputs(tariff_line, origin, date, customs_value, quantity)
    customs_value = None if customs_value is None else float(customs_value)
    quantity = None if quantity is None else float(quantity)
    ledger = official_activations(rules) if activations is None else list(activations)
    if not rules.tariffs_for(line):
        known = sorted({p for t in rules.tariffs.values() for sch in t.schedules
                        for p in sch.lines})
        raise RuleNotFoundError(problem(
            f"no rule covers tariff line {line}",
            why=f"the rules cover lines starting {', '.join(known)}",
            fix="check the code, or add a tariff rule for it"))
    offers, found_notes, found_warnings = _offers(rules, line, code, date, as_of,
                                                  include_signed, quotas, quota_claims)
    notes, warnings = list(found_notes), list(found_warnings)
    if not any(o.regime == MFN for o in offers):
        raise PeriodError(problem(f"no MFN rate for line {line} on {date}",
                                  why="no tariff rule is in force for every origin on that day",
                                  fix="ask about a later date or add the MFN rule"))
    ship = _Shipment(line, code, date, as_of, customs_value, quantity, quantity_unit, currency)
    priced = [_priced(rules, offer, ship, ledger, notes, warnings) for offer in offers]
    options = [option for option, _ in priced]
    exprs = [expr for _, expr in priced]
    chosen, reason = _choose(options, exprs)
    regimes = tuple(sorted({o.regime for o in options}))
    # Both follow from the rules, the line, the origin and the day alone: memoised per rules.
    warnings += rules.derived(("coverage_warnings", line, code, date, regimes),
                              lambda: coverage_warnings(rules, line, code, date, regimes))
    notes += rules.derived(("exclusion_notes", line, code, date),
                           lambda: exclusion_notes(rules, line, code, date))
    owed, owed_reason = _payable(chosen, options, exprs, line, date, as_of, exact_value,
                                 exact_quantity, quantity_unit, currency, rules)
    unencoded = unencoded_safeguard_warnings(rules, line, code, date, as_of,
                                             [chosen.regime] if chosen else [])
    if unencoded:  # the amount would leave out a duty that was charged: no amount, a reason
        owed, owed_reason = None, unencoded[0].message
    warnings += unencoded or unencoded_safeguard_warnings(rules, line, code, date, as_of,
                                                          (o.regime for o in options))
    return DutyResult(tariff_line=line, origin=code, date=date, as_of=as_of,
                      customs_value=exact_value, quantity=exact_quantity,
                      quantity_unit=quantity_unit, options=options, chosen=chosen, reason=reason,
                      notes=notes, warnings=list(dict.fromkeys(warnings)), payable=owed,
                      payable_reason=owed_reason)


def _exact(amount: float | None) -> Decimal | None:
    return None if amount is None else money.from_float_amount(amount)


def _payable(chosen: DutyOption | None, options: Sequence[DutyOption],
             exprs: Sequence[ex.DutyExpression], line: str, day: dt.date, as_of: dt.date,
             value: Decimal | None, quantity: Decimal | None, quantity_unit: str,
             currency: str, rules: RuleSet) -> tuple[Payable | None, str | None]:
    """The chosen option's amount payable, or None and the reason (never a zero)."""
    if chosen is None:
        return None, "no option was chosen, so there is no amount payable"
    expr = exprs[list(options).index(chosen)]
    try:
        return payable(expr, line=line, day=day, as_of=as_of, customs_value=value,
                       quantity=quantity, quantity_unit=quantity_unit, currency=currency,
                       rules=rules, exact_amount=chosen.duty_amount,
                       extra=chosen.price_safeguard_amount), None
    except NotPayable as exc:
        return None, str(exc)
