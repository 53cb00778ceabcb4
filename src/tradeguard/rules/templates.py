"""The same formula across partners: instantiate a safeguard template for any partner set.

Negotiators asked whether the terms agreed with one partner should go to the others: "it
depends on the tariff line, but in general we try to apply the same formula".  A template
(``kind: safeguard_template``) reuses a base measure's elements and scales its trigger path
by a partner's share.  :func:`instantiate` returns an ordinary ``VolumeSafeguard`` that the
monitor and the duty engine use like any encoded one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from tradeguard.errors import RuleNotFoundError, RuleValidationError, problem
from tradeguard.periods import fiscal_year, fiscal_year_start, partial_year_fraction
from tradeguard.rules import schema as s
from tradeguard.rules.duties import format_duty
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import value_on


def template(rules: RuleSet, template_id: str) -> s.SafeguardTemplate:
    found = rules.templates.get(template_id)
    if found is None:
        raise RuleNotFoundError(problem(
            f"no safeguard template `{template_id}`",
            fix=f"use one of: {', '.join(sorted(rules.templates)) or '(none)'}"))
    return found


def _year_start(day: dt.date, start_month: int) -> dt.date:
    return fiscal_year_start(fiscal_year(day, start_month), start_month)


def trigger_path(rules: RuleSet, template_id: str, *, valid_from: dt.date,
                 share: float | None = None, offset_t: float | None = None,
                 ) -> list[s.Dated[float]]:
    """The instance's trigger volumes by fiscal year, from ``valid_from`` on."""
    tpl = template(rules, template_id)
    base = rules.safeguards[tpl.base]
    cond = next(c for c in base.conditions if c.id == tpl.base_condition)
    share = tpl.share if share is None else share
    offset = tpl.offset_t if offset_t is None else offset_t
    start_month = base.year_start_month

    def scaled(value: float) -> float:
        return round(share * (value - offset), tpl.rounding_decimals)

    full_years = [v for v in cond.trigger.volumes or []
                  if v.value is not None and v.valid_from >= valid_from
                  and v.valid_from == _year_start(v.valid_from, start_month)]
    out = []
    if valid_from > _year_start(valid_from, start_month) and full_years:
        # A partial first year: prorate the first full year's figure (USJTA FY2019).
        fraction = partial_year_fraction(valid_from, fiscal_year(valid_from, start_month),
                                         tpl.proration.method, tpl.proration.fraction,
                                         start_month)
        first = share * (float(full_years[0].value) - offset) * fraction
        out.append(s.Dated[float](valid_from=valid_from,
                                  value=round(first, tpl.rounding_decimals),
                                  status=tpl.proration.status, cite=tpl.cite,
                                  note=f"partial first year: {fraction:.6g} of the next figure"))
    for v in full_years:
        out.append(s.Dated[float](valid_from=v.valid_from, value=scaled(float(v.value)),
                                  status=s.weakest([v.status, tpl.status]), cite=tpl.cite,
                                  note=f"{share:.6g} × ({v.value:,.0f} − {offset:,.0f})"))
    return out


def instantiate(rules: RuleSet, template_id: str, *, partners: Sequence[str], agreement: str,
                regime: str, valid_from: dt.date, share: float | None = None,
                offset_t: float | None = None,
                overrides: Mapping[str, Any] | None = None) -> s.VolumeSafeguard:
    """A volume safeguard for ``partners`` built from the template.

    ``partners`` may name ISO codes or ``group:<id>``; the instance counts and hits them
    (bilateral for one partner, aggregate for a group), under ``regime``.  ``overrides``
    replaces other elements of the base measure by name (e.g. ``reporting``), validated.
    """
    tpl = template(rules, template_id)
    base = rules.safeguards[tpl.base]
    volumes = trigger_path(rules, template_id, valid_from=valid_from, share=share,
                           offset_t=offset_t)
    scope = s.PartnerScope(include=list(partners))
    cond = s.Condition(
        id="instance", description=f"{template_id} for {', '.join(partners)}",
        counting=s.CountingScope(partners=scope), trigger=s.Trigger(basis="fixed", volumes=volumes))
    duties = [d for d in base.safeguard_duty if d.valid_from >= valid_from]
    before = [d for d in base.safeguard_duty if d.valid_from < valid_from]
    if before:  # the rate in force when the instance starts
        duties.insert(0, before[-1].model_copy(update={"valid_from": valid_from}))
    fields = base.model_dump() | {
        "title": f"{tpl.title}: {', '.join(partners)}", "agreement": agreement,
        "valid_from": valid_from, "valid_to": None, "hits": scope.model_dump(),
        "hits_regimes": [regime], "conditions": [cond.model_dump()],
        "safeguard_duty": [d.model_dump() for d in duties], "proration": None}
    # Re-validate, so an override with an unknown element or a bad value is refused.
    try:
        return s.VolumeSafeguard.model_validate(fields | dict(overrides or {}))
    except ValidationError as exc:
        raise RuleValidationError([problem(e["msg"], where=f"{template_id} instance, element "
                                           f"`{'.'.join(map(str, e['loc']))}`",
                                           fix="correct or drop the override")
                                   for e in exc.errors()]) from None


def compare(rules: RuleSet, template_id: str, shares: dict[str, float], *,
            valid_from: dt.date, offset_t: float | None = None) -> list[dict]:
    """Year by year, what each partner gets under the same formula."""
    base = rules.safeguards[template(rules, template_id).base]
    rows = []
    paths = {p: trigger_path(rules, template_id, valid_from=valid_from, share=sh,
                             offset_t=offset_t) for p, sh in shares.items()}
    days = sorted({v.valid_from for path in paths.values() for v in path})
    for day in days:
        rate = value_on(base.safeguard_duty, day, day)
        row = {"from": day.isoformat(),
               "safeguard_duty": None if rate is None or rate[1].duty is None
               else format_duty(rate[1].duty)}
        for partner, path in paths.items():
            found = value_on(path, day, day)
            row[partner] = None if found is None else found[1].value
        rows.append(row)
    return rows


def shares_from_imports(imports, rules: RuleSet, template_id: str, partners: Sequence[str],
                        fiscal_year: int) -> dict[str, float]:
    """Each partner's share of the listed partners' imports of the base lines in a fiscal
    year (any regime): one way to set "the partner's share" from data."""
    import ibis
    from ibis import _

    base = rules.safeguards[template(rules, template_id).base]
    start = fiscal_year_start(fiscal_year, base.year_start_month)
    end = fiscal_year_start(fiscal_year + 1, base.year_start_month)
    table = imports if isinstance(imports, ibis.Table) else ibis.memtable(imports)
    line_ok = ibis.or_(*[table.tariff_line.startswith(p) for p in base.lines])
    totals = (table.filter(line_ok & table.partner.isin(list(partners))
                           & (table.period_start >= start) & (table.period_start < end)
                           & (table.quantity_unit == "kg"))
              .group_by("partner").aggregate(kg=_.quantity.sum()).to_pyarrow().to_pylist())
    by_partner = {r["partner"]: float(r["kg"]) for r in totals}
    grand = sum(by_partner.values())
    if grand <= 0:
        raise RuleNotFoundError(problem(
            f"no imports of {', '.join(base.lines)} from {', '.join(partners)} in FY{fiscal_year}",
            why="shares cannot be computed from data that has none",
            fix="ingest data for that year, choose another year, or give the shares"))
    return {p: by_partner.get(p, 0.0) / grand for p in partners}
