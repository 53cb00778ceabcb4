"""Duty determination for one shipment: every option, the rational choice, and why.

This is the scalar path.  It answers one question at a time and builds a
trace of every rule value it used; the batch engine (:mod:`tradeguard.engine.batch`)
answers the same question for millions of declarations and is tested equal to
this one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tradeguard.engine import expressions as ex
from tradeguard.errors import InputError, PeriodError, RuleNotFoundError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet, shipped_rules
from tradeguard.rules.lookup import covers, normalise_line, value_on
from tradeguard.rules.scope import covered_on

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


class DutyOption(BaseModel):
    """One way the shipment could be entered: MFN or a preference, with any safeguard."""

    regime: str
    agreement: str
    duty: str = Field(description="The duty expression in force, in the readable grammar.")
    ad_valorem_percent: float | None
    specific: dict[str, Any] | None
    safeguard: bool
    in_quota: bool = False
    duty_amount: float | None = Field(None, description="In the customs value's currency.")
    currency: str = "JPY"
    trace: list[TraceEntry]


class DutyResult(BaseModel):
    tariff_line: str
    origin: str
    date: dt.date
    as_of: dt.date
    customs_value: float | None
    quantity: float | None
    quantity_unit: str
    options: list[DutyOption]
    chosen: DutyOption | None
    reason: str


def official_activations(rules: RuleSet | None = None) -> list[s.Activation]:
    """The announced historical safeguard activations shipped with the rules."""
    return list((rules or shipped_rules()).activations)


def _source_text(doc: Any, cite: str) -> str:
    return doc.sources[cite].text()


def _check_inputs(tariff_line: str, origin: str, date: Any, customs_value: float | None,
                  quantity: float | None) -> tuple[str, str]:
    from tradeguard.data.partners import is_known_partner

    line = normalise_line(tariff_line)
    if not line.isdigit() or not 4 <= len(line) <= 9:
        raise InputError(problem(f"`{tariff_line}` is not a tariff line",
                                 why="Japan's statistical codes have 4 to 9 digits",
                                 fix="write it like 0202, 0202.30 or 020230090"))
    code = str(origin).strip().upper()
    if len(code) != 2 or not is_known_partner(code):
        raise RuleNotFoundError(problem(f"unknown partner `{origin}`",
                                        why="origins are ISO 3166 alpha-2 codes",
                                        fix="write the origin like US, AU or CA"))
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise InputError(problem(f"date `{date}` is not a calendar date",
                                 fix="pass a datetime.date, e.g. date(2021, 3, 20)"))
    for name, amount in (("customs_value", customs_value), ("quantity", quantity)):
        if amount is not None and not amount >= 0:
            raise InputError(problem(f"`{name}` is {amount}", why="it must be zero or more",
                                     fix=f"pass a non-negative {name}"))
    return line, code


def _agreement_in_force(rules: RuleSet, agreement_id: str, day: dt.date,
                        include_signed: bool) -> bool:
    agreement = rules.agreements[agreement_id]
    if agreement.status == "signed":
        return include_signed
    return agreement.entry_into_force is not None and agreement.entry_into_force <= day


def _option(rules: RuleSet, rule_id: str, tariff: s.Tariff, line: str, origin: str,
            day: dt.date, as_of: dt.date) -> tuple[ex.DutyExpression, TraceEntry] | None:
    for i, schedule in enumerate(tariff.schedules):
        if not covers(schedule.lines, line):
            continue
        found = value_on(schedule.rates, day, as_of)
        if found is None:
            return None
        j, rate = found
        return rate.duty, TraceEntry(
            rule_id=rule_id, key=f"schedules[{i}].rates[{j}]", value=ex.format_duty(rate.duty),
            valid_from=rate.valid_from, valid_to=rate.valid_to, status=rate.status,
            citation=_source_text(tariff, rate.cite), note=rate.note)
    return None


def _activation_in_force(rules: RuleSet, ledger: Iterable[s.Activation], regime: str,
                         line: str, origin: str, day: dt.date,
                         as_of: dt.date) -> s.Activation | None:
    for act in ledger:
        if (act.start <= day <= act.end and regime in act.regimes and covers(act.lines, line)
                and (act.announced_on is None or act.announced_on <= as_of)
                and covered_on(act.partners, origin, day, rules.groups)):
            return act
    return None


def _activation_trace(rules: RuleSet, act: s.Activation) -> TraceEntry:
    official = rules.documents.get("activations")
    citation = (official.sources[act.cite].text()
                if isinstance(official, s.Activations) and act.cite in official.sources
                else act.cite)
    return TraceEntry(rule_id=act.measure_id, key=f"activation {act.start}..{act.end}",
                      value=ex.format_duty(act.duty), valid_from=act.start, valid_to=act.end,
                      status=act.status, citation=citation, note=act.note)


def _amount(expr: ex.DutyExpression, customs_value: float | None, quantity: float | None,
            quantity_unit: str, currency: str) -> float | None:
    available = {name for name, v in (("customs_value", customs_value), ("quantity", quantity))
                 if v is not None}
    if not ex.needs(expr) <= available:
        return None
    return ex.evaluate(expr, customs_value=customs_value, quantity=quantity,
                       quantity_unit=quantity_unit, currency=currency)


def choice_key(regime: str, amount: float) -> tuple[int, int, str]:
    """Order options: lower duty first; on a tie a preference before MFN, then by name.

    Amounts are compared rounded half away from zero to TIE_DECIMALS, the way the
    batch engine's integer key rounds them, so both paths break ties alike.
    """
    return (math.floor(amount * 10**TIE_DECIMALS + 0.5), 1 if regime == MFN else 0, regime)


def _choose(options: Sequence[DutyOption],
            exprs: Sequence[ex.DutyExpression]) -> tuple[DutyOption | None, str]:
    if all(o.duty_amount is not None for o in options):
        best = min(options, key=lambda o: choice_key(o.regime, o.duty_amount or 0.0))
        return best, "lowest duty amount"
    if all(ex.needs(e) == {"customs_value"} and o.ad_valorem_percent is not None
           for o, e in zip(options, exprs, strict=True)):
        best = min(options, key=lambda o: choice_key(o.regime, o.ad_valorem_percent or 0.0))
        return best, "lowest ad valorem rate"
    return None, ("the options are not all ad valorem: give customs_value and quantity "
                  "to compare duty amounts")


def duty(tariff_line: str, origin: str, date: dt.date, customs_value: float | None = None,
         quantity: float | None = None, activations: Sequence[s.Activation] | None = None, *,
         as_of: dt.date, quantity_unit: str = "kg", currency: str = "JPY",
         include_signed: bool = False, rules: RuleSet | None = None) -> DutyResult:
    """Which duty applies to one shipment on ``date``, every option, and why.

    ``activations`` is the safeguard ledger to apply (default: the official,
    announced activations shipped with the rules; the monitor passes computed
    ones).  ``as_of`` is knowledge time: values and activations published after
    it are ignored.  Amounts are in ``currency`` (the customs value's currency)
    and quantities in ``quantity_unit``.
    """
    rules = rules or shipped_rules()
    line, code = _check_inputs(tariff_line, origin, date, customs_value, quantity)
    ledger = official_activations(rules) if activations is None else list(activations)

    candidates = {rid: t for rid, t in rules.tariffs.items()
                  if any(covers(sch.lines, line) for sch in t.schedules)}
    if not candidates:
        known = sorted({p for t in rules.tariffs.values() for sch in t.schedules
                        for p in sch.lines})
        raise RuleNotFoundError(problem(
            f"no rule covers tariff line {line}",
            why=f"the rules cover lines starting {', '.join(known)}",
            fix="check the code, or add a tariff rule for it"))

    options: list[DutyOption] = []
    exprs: list[ex.DutyExpression] = []
    for rid, tariff in sorted(candidates.items()):
        if not (covered_on(tariff.partners, code, date, rules.groups)
                and _agreement_in_force(rules, tariff.agreement, date, include_signed)):
            continue
        found = _option(rules, rid, tariff, line, code, date, as_of)
        if found is None:
            if tariff.regime == MFN:
                first = min(r.valid_from for sch in tariff.schedules for r in sch.rates)
                raise PeriodError(problem(
                    f"no MFN rate for line {line} on {date}", where=rid,
                    why=f"the rules start on {first}",
                    fix=f"ask about a date from {first} on"))
            continue
        expr, entry = found
        trace = [entry]
        act = None if tariff.in_quota else _activation_in_force(
            rules, ledger, tariff.regime, line, code, date, as_of)
        if act is not None:
            expr = act.duty
            trace.append(_activation_trace(rules, act))
        options.append(DutyOption(
            regime=tariff.regime, agreement=tariff.agreement, duty=ex.format_duty(expr),
            ad_valorem_percent=ex.ad_valorem_percent(expr), specific=ex.specific_part(expr),
            safeguard=act is not None, in_quota=tariff.in_quota, currency=currency,
            duty_amount=_amount(expr, customs_value, quantity, quantity_unit, currency),
            trace=trace))
        exprs.append(expr)

    if not any(o.regime == MFN for o in options):
        raise PeriodError(problem(f"no MFN rate for line {line} on {date}",
                                  why="no tariff rule is in force for every origin on that day",
                                  fix="ask about a later date or add the MFN rule"))
    chosen, reason = _choose(options, exprs)
    return DutyResult(tariff_line=line, origin=code, date=date, as_of=as_of,
                      customs_value=customs_value, quantity=quantity,
                      quantity_unit=quantity_unit, options=options, chosen=chosen, reason=reason)
