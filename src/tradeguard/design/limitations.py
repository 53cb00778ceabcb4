"""What the simulation does not model, as plain sentences for the report's reader.

An answer knows its limits: ``report.json`` carries ``limitations`` (these sentences) and the
HTML report shows them at the top.  The general ones hold for every design; the others are
found in the design itself (an element the rules express but the engine does not apply).
"""

from __future__ import annotations

from tradeguard.design.spec import Design

GENERAL = (
    "Tariff-rate quotas are not simulated: imports in and out of quota, the quota ledger's "
    "allocation and an in-quota exemption from the safeguard are not modelled, so every "
    "imported tonne of a hit partner pays the safeguard duty while it is in force.",
    "Only ad valorem rates are simulated: specific and compound duties, Japan's pork gate "
    "price and price-triggered safeguards (WTO AoA Art. 5.5) are not, so pork, the dairy "
    "and rice quotas and sugar cannot be designed in the simulation yet.",
    "Termination is not modelled: the safeguard stays available in every simulated year, "
    "with no last year, no expiry when the tariff reaches its final rate, and none of a "
    "rule's own ending clauses.",
    "The market is the beef flows of the scenario (by default simulate.BEEF_FLOWS); other "
    "goods and substitution between meats are not modelled.",
    "World prices are fixed (infinite export supply, SMART's default) and the elasticities "
    "are documented assumptions, not estimates: see fitted.parameters.",
    "MFN imports are not in the bundled data: a flow with no preferential history (US beef) "
    "starts from a cited assumed level, not from data.",
    "The back-test replays what was imported: it assumes imports did not respond to the "
    "safeguard.",
    "Monthly steps: a crossing is placed at a month's end, so a window can start later than "
    "it would on daily or ten-day statistics.",
)


def for_design(design: Design) -> list[str]:
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
    return out


def limitations(designs: list[Design]) -> list[str]:
    """The general sentences, then each design's own."""
    return [*GENERAL, *(line for d in designs for line in for_design(d))]
