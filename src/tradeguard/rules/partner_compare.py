"""Every partner, the same formula? Japan's agreement safeguards side by side (issue 16).

For one product group (beef, pork), every volume safeguard of an encoded agreement whose
lines fall in the group: its trigger fiscal year by fiscal year with the growth over the
year before, the safeguard duty, how long a duty runs and what is counted, each value with
its status.  Everything is read from the rules; a value the research did not find stays
``None`` (never a zero, never the year before).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tradeguard.errors import InputError, problem
from tradeguard.periods import fiscal_year, fiscal_year_end, fiscal_year_start
from tradeguard.rules import schema as s
from tradeguard.rules.duties import format_duty
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import value_on


def _agreements(rules: RuleSet) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The encoded agreements (rule id prefix -> short name) and the product groups' lines."""
    doc = rules.documents.get("economic_partnerships")
    if not isinstance(doc, s.EconomicPartnerships):
        raise InputError(problem("the rule library has no economic_partnerships.yaml",
                                 why="it lists the agreements and the product groups' lines",
                                 fix="add the file (see docs/rules-authoring.md)"))
    names = {epa.encoded_as: epa.short_name for epa in doc.agreements.values()
             if epa.encoded_as}
    return names, {g: list(lines) for g, lines in doc.product_groups.items()}


def _overlaps(a: list[str], b: list[str]) -> bool:
    return any(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _condition(rules: RuleSet, ref: str) -> s.Condition | None:
    rule_id, _, cond_id = ref.partition("#")
    measure = rules.safeguards.get(rule_id)
    if measure is None:
        return None
    return next((c for c in measure.conditions if c.id == cond_id), None)


def _fixed_volumes(rules: RuleSet, trigger: s.Trigger) -> list[s.Dated[float]] | None:
    if trigger.basis == "fixed":
        return trigger.volumes
    if trigger.basis == "same_as" and trigger.same_as:
        ref = _condition(rules, trigger.same_as)
        return _fixed_volumes(rules, ref.trigger) if ref is not None else None
    return None


def trigger_on(rules: RuleSet, measure_id: str, day: dt.date, as_of: dt.date
               ) -> s.Dated[float] | None:
    """The fixed trigger volume of the measure's first condition in force on ``day`` (through
    ``same_as``), as known on ``as_of``; None when the trigger is not a fixed volume or none
    is in force (the research did not find it)."""
    cond = rules.safeguards[measure_id].conditions[0]
    found = value_on(_fixed_volumes(rules, cond.trigger) or [], day, as_of)
    return found[1] if found else None


def trigger_basis(trigger: s.Trigger, day: dt.date, as_of: dt.date) -> str:
    """The trigger's basis in words, with its percentage on ``day`` where it has one."""
    if trigger.basis == "fixed":
        return "a fixed volume for each fiscal year"
    if trigger.basis == "same_as":
        return f"the trigger of {trigger.same_as}"
    found = value_on(trigger.percent or [], day, as_of)
    pct = f"{found[1].value:g}%" if found else "a percentage (not in force)"
    years = trigger.average_years
    return {"percent_of_largest": f"{pct} of the largest of the preceding {years} years",
            "percent_of_average": f"{pct} of the average of the preceding {years} years",
            "percent_of_prior_period": f"{pct} of the prior period"}.get(
        trigger.basis, trigger.basis.replace("_", " "))


def _duration(measure: s.VolumeSafeguard) -> dict[str, Any] | None:
    d = measure.duration
    if d is None:
        return None
    late = [f"crossed in month {x.month}: "
            + ("no duty, the excess counts into the next year" if x.carry_over
               else f"{x.days} days") for x in d.late_crossing]
    return {"until": d.until.replace("_", " "), "late_crossing": late, "status": d.status}


def _counting(cond: s.Condition) -> dict[str, Any]:
    basis = cond.counting.basis
    include = cond.counting.partners.include
    return {"condition": cond.id, "description": cond.description,
            "partners": include if include == "all" else list(include),
            "regimes": cond.counting.regimes,
            "counts": basis.counts if basis else None,
            "wording": basis.wording if basis else None,
            "status": basis.status if basis else None}


def _in_force(measure: s.VolumeSafeguard, fy: int) -> dt.date | None:
    """The first day of ``fy`` the measure is in force, or None."""
    start, end = fiscal_year_start(fy, measure.year_start_month), fiscal_year_end(
        fy, measure.year_start_month)
    first = max(start, measure.valid_from)
    if first > end or (measure.valid_to is not None and measure.valid_to < first):
        return None
    return first


def _year(rules: RuleSet, rule_id: str, fy: int, day: dt.date, as_of: dt.date
          ) -> dict[str, Any]:
    measure = rules.safeguards[rule_id]
    cond = measure.conditions[0]
    trig = trigger_on(rules, rule_id, day, as_of)
    duty = value_on(measure.safeguard_duty, day, as_of)
    partial = day > fiscal_year_start(fy, measure.year_start_month)
    return {"fy": fy, "from": day.isoformat(), "partial_year": partial,
            "trigger_t": trig.value if trig else None,
            "trigger_status": trig.status if trig else None,
            "trigger_kind": cond.trigger.basis,
            "trigger_basis": trigger_basis(cond.trigger, day, as_of),
            "safeguard_duty": format_duty(duty[1].duty) if duty else None,
            "duty_status": duty[1].status if duty else None}


def _with_growth(years: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Growth over the year before, only between two full years that both have a trigger."""
    prev = None
    for row in years:
        ok = (prev is not None and prev["fy"] == row["fy"] - 1 and not prev["partial_year"]
              and not row["partial_year"] and None not in (prev["trigger_t"], row["trigger_t"]))
        row["growth_t"] = row["trigger_t"] - prev["trigger_t"] if ok else None
        row["growth_pct"] = (round(100 * row["growth_t"] / prev["trigger_t"], 2)
                             if ok and prev["trigger_t"] else None)
        prev = row
    return years


def _last_fy(measure: s.VolumeSafeguard) -> int:
    """The measure's last fiscal year (its ``valid_to``), else its last dated value's."""
    if measure.valid_to is not None:
        return fiscal_year(measure.valid_to, measure.year_start_month)
    days = [v.valid_from for c in measure.conditions for v in (c.trigger.volumes or [])]
    days += [d.valid_from for d in measure.safeguard_duty] + [measure.valid_from]
    return fiscal_year(max(days), measure.year_start_month)


def _measure(rules: RuleSet, rule_id: str, name: str, fys: range,
             as_of: dt.date | None) -> dict[str, Any]:
    m = rules.safeguards[rule_id]
    years = [_year(rules, rule_id, fy, day, as_of or day) for fy in fys
             if (day := _in_force(m, fy)) is not None]
    include = m.hits.include
    return {"measure_id": rule_id, "agreement": m.agreement, "agreement_name": name,
            "title": m.title, "lines": list(m.lines),
            "hits": include if include == "all" else list(include),
            "valid_from": m.valid_from.isoformat(),
            "valid_to": m.valid_to.isoformat() if m.valid_to else None,
            "conditions": [_counting(c) for c in m.conditions],
            "duration": _duration(m), "years": _with_growth(years)}


def compare_partners(rules: RuleSet, group: str, *, as_of: dt.date | None = None,
                     first_fy: int | None = None, last_fy: int | None = None
                     ) -> dict[str, Any]:
    """Every encoded agreement's safeguard on ``group``, fiscal year by fiscal year.

    ``as_of`` is the knowledge date (None: each year's values as known on its first day).
    The years run from the first measure's entry into force to the last year any of them
    has a dated value, unless ``first_fy``/``last_fy`` say otherwise.
    """
    names, groups = _agreements(rules)
    if group not in groups:
        raise InputError(problem(f"unknown product group `{group}`",
                                 fix=f"use one of: {', '.join(sorted(groups))}"))
    lines = groups[group]
    ids = sorted(rid for rid, m in rules.safeguards.items()
                 if m.agreement in names and _overlaps(list(m.lines), lines))
    chosen = [rules.safeguards[rid] for rid in ids]
    first = first_fy if first_fy is not None else min(
        (fiscal_year(m.valid_from, m.year_start_month) for m in chosen), default=0)
    last = last_fy if last_fy is not None else max((_last_fy(m) for m in chosen), default=-1)
    fys = range(first, last + 1)
    return {"group": group, "lines": lines, "as_of": as_of.isoformat() if as_of else None,
            "fiscal_years": list(fys),
            "measures": [_measure(rules, rid, names[rules.safeguards[rid].agreement], fys,
                                  as_of) for rid in ids]}
