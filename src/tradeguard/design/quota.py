"""A tariff-rate quota as the design engine runs it: a volume trigger whose "safeguard" is the
out-of-quota duty until the quota year ends.

The engine counts and windows; a quota needs nothing else.  Imports of the quota's partners
and lines under its regime are counted from the start of each quota year; while the count is
within the year's volume they pay the in-quota duty (the quota regime's rate); from the month
after the month the volume fills to the year's end they pay the out-of-quota duty (MFN, or
the quota's own out-of-quota rates).  This is the ledger's first-come, first-served
allocation at a month's resolution: the month in which the quota fills is wholly in quota.
Licence and tender allocation, unused licences and state-trading mark-ups are not modelled
(``design/limitations.py``).
"""

from __future__ import annotations

from typing import Any

from tradeguard.errors import RuleValidationError, problem
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers

QUOTA_CITE = "design-quota"


def quota_measure(quota_id: str, rules: RuleSet, where: str) -> dict[str, Any]:
    """The volume-safeguard document that runs quota ``quota_id`` in the design engine."""
    quota = rules.quotas.get(quota_id)
    if quota is None:
        raise RuleValidationError([problem(
            f"`quota: {quota_id}` is not a tariff-rate quota", where=where,
            fix="use one of: " + ", ".join(sorted(rules.quotas)))])
    if quota.period != "fiscal_year" or quota.unit != "t":
        raise RuleValidationError([problem(
            f"quota `{quota_id}` runs by {quota.period} in {quota.unit}; the design engine runs "
            "fiscal-year quotas in tonnes", where=where)])
    out_duties, out_sources = _out_of_quota(quota, rules, where)
    sources = {k: v.model_dump() for k, v in quota.sources.items()} | out_sources
    sources[QUOTA_CITE] = {"title": "tradeguard design lab: a tariff-rate quota run as a volume "
                           "trigger at the quota volume, out of quota from the month after "
                           "it fills (docs/design-lab.md)"}
    how = {"status": "derived", "cite": QUOTA_CITE}
    return {
        "kind": "volume_safeguard",
        "title": f"{quota.title}: in quota until the volume fills, then out of quota",
        "agreement": quota.agreement, "lines": list(quota.lines),
        "valid_from": quota.valid_from, "valid_to": quota.valid_to,
        # In-quota imports go by the quota's regime in the simulation and by the agreement's
        # in the data; a design's smaller quota puts the data's later claims out of quota.
        "hits": quota.partners.model_dump(),
        "hits_regimes": [quota.regime, *([quota.agreement] if quota.agreement != quota.regime
                                         else [])],
        "period": "fiscal_year", "year_start_month": quota.year_start_month,
        "reporting": "month",
        "conditions": [{
            "id": "quota",
            "description": f"Imports under quota {quota.order_id} fill the year's volume",
            "counting": {
                "partners": quota.partners.model_dump(),
                # The data name a preference claim by its agreement (cptpp, jmepa); the
                # simulation names in-quota imports by the quota's regime.
                "regimes": sorted({quota.regime, quota.agreement}),
                "basis": {"counts": "preference_claims", "wording": "imports that took the "
                          "in-quota rate", **how}},
            "trigger": {"basis": "fixed", "volumes": [v.model_dump() for v in quota.volumes]},
        }],
        "safeguard_duty": out_duties,
        "cap_at_mfn": False,
        "remedy": "replace",
        "exempt_in_quota": False,
        "start": {"kind": "month_start_after_period", "months_after_period_end": 0, **how},
        "duration": {"until": "fiscal_year_end", **how},
        "sources": sources,
    }


def _out_of_quota(quota: s.TariffQuota, rules: RuleSet, where: str
                  ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The out-of-quota duties (dated, cited) and the sources they cite."""
    if quota.out_of_quota != "mfn":
        return [d.model_dump() for d in quota.out_of_quota], {}
    for tariff in rules.tariffs.values():
        if tariff.regime != "mfn":
            continue
        for schedule in tariff.schedules:
            if any(covers(schedule.lines, ln) for ln in quota.lines):
                duties = [d.model_dump() | {"cite": f"mfn-{d.cite}"} for d in schedule.rates]
                return duties, {f"mfn-{k}": v.model_dump() for k, v in tariff.sources.items()}
    raise RuleValidationError([problem(
        f"quota `{quota.order_id}` is out of quota at the MFN rate, but no MFN rate is encoded "
        f"for its lines {', '.join(quota.lines)}", where=where,
        fix="encode the MFN tariff of those lines, or give the quota's out_of_quota rates")])
