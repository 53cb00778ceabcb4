"""What the simulation does not model, as plain sentences for the report's reader.

An answer knows its limits: ``report.json`` carries ``limitations`` (these sentences) and the
HTML report shows them at the top.  The general ones hold for every design; the others are
found in the design itself (an element the rules express but the engine does not apply).
"""

from __future__ import annotations

from tradeguard.design.spec import Design
from tradeguard.rules.loader import RuleSet, shipped_rules

GENERAL = (
    "Tariff-rate quotas are simulated at a month's resolution: the month in which a quota "
    "fills is wholly in quota, and the ledger's allocation is first come, first served; "
    "licences, tenders, unused licences and state-trading mark-ups are not modelled, and a "
    "safeguard's in-quota exemption is not applied (every tonne of a hit partner pays the "
    "safeguard duty while it is in force).",
    "Specific and compound rates and Japan's pork gate price enter as their ad valorem "
    "equivalent at each flow's one unit value (a safeguard or out-of-quota duty at the mean "
    "unit value of the flows it can hit): the spread of shipments' values, and importers "
    "who combine cuts to declare near the gate price's branch point, are not modelled.",
    "Price-triggered safeguards (WTO AoA Art. 5.5) are not part of the simulated designs: "
    "import prices are fixed, so a price trigger would apply always or never; "
    "design/price_safeguard.py gives the probability that one applies on price paths.",
    "Termination is modelled only as the measure's last day (`valid_to`, which a design may "
    "set): there is no expiry when the tariff reaches its final rate, and none of a rule's "
    "own ending clauses is applied.",
    "The market is the flows the designs state (by default the beef flows of "
    "simulate.BEEF_FLOWS); other goods and substitution between them are not modelled, and "
    "the elasticities, documented for beef, are used for every good.",
    "World prices are fixed (infinite export supply, SMART's default) and the elasticities "
    "are documented assumptions, not estimates: see fitted.parameters.",
    "MFN imports are not in the bundled data: a flow with no preferential history (US beef, "
    "US pork) starts from a cited assumed level, not from data.",
    "The back-test replays what was imported: it assumes imports did not respond to the "
    "safeguard.",
    "Monthly steps: a crossing is placed at a month's end, so a window can start later than "
    "it would on daily or ten-day statistics.",
)


def for_design(design: Design, rules: RuleSet | None = None) -> list[str]:
    """Sentences for the elements of this design that the engine does not apply."""
    m = design.measure
    out = []
    for cond in m.conditions:
        if cond.trigger.floor is not None:
            out.append(f"{design.id}: condition `{cond.id}` has a base floor, which is not "
                       "applied: the simulated trigger can be lower than the rule's.")
        art5 = cond.trigger.article5
        if art5 is not None and art5.consumption:
            out.append(f"{design.id}: Art. 5 consumption data are ignored: the trigger is "
                       "125% of the three-year average import volume.")
    if m.termination is not None:
        out.append(f"{design.id}: the rule's termination clause is not applied.")
    if m.year_start_month != 4:
        out.append(f"{design.id}: the measure's year starts in month {m.year_start_month}, "
                   "but the engine's year starts in April.")
    if design.price_trigger is not None:
        pt = design.price_trigger
        out.append(f"{design.id}: the price safeguard on {pt.partner} {pt.line} is reported on "
                   "its own price paths (a month's average price for every shipment) and does "
                   "not feed back into the simulated imports; its trigger price "
                   f"({pt.trigger_price:g} yen/kg) comes from: {pt.source}.")
    return out + _market(design) + _quota(design, rules or shipped_rules())


def _market(design: Design) -> list[str]:
    """The flows whose level is an assumption, each with its source."""
    return [f"{design.id}: {f.partner} {f.line} is not in the bundled data; its level "
            f"({f.base_t:,.0f} t a year) and unit value are assumptions: {f.source or 'no source given'}."
            for f in design.flows or () if f.assumed]


def _quota(design: Design, rules: RuleSet) -> list[str]:
    quota = rules.quotas.get(design.quota or "")
    if quota is None:
        return []
    out = [f"{design.id}: the quota is allocated by {quota.allocation} in law; the simulation "
           "fills it first come, first served from the imports that took the in-quota rate, "
           "so unused licences or tender volumes are not modelled.",
           f"{design.id}: out-of-quota imports at the MFN rate are not in the bundled data: "
           "the fitted demand is the in-quota demand, and imports beyond the quota follow it "
           "with the price response only."]
    statuses = sorted({v.status for v in quota.volumes})
    if statuses != ["confirmed"]:
        out.append(f"{design.id}: the quota volumes are not all confirmed (statuses: "
                   f"{', '.join(statuses)}; see the rule's citations).")
    return out


def limitations(designs: list[Design], rules: RuleSet | None = None) -> list[str]:
    """The general sentences, then each design's own."""
    return [*GENERAL, *(line for d in designs for line in for_design(d, rules))]
