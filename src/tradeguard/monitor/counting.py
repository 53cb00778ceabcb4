"""Counted cumulative imports: the vectorised heart of the monitor.

Each safeguard condition says which imports count: tariff lines, partners
(with dated membership), claimed regimes, and the measure's validity.  Those
rules are compiled into three small tables, per distinct line, partner and
regime found in the data; the imports are then joined, summed by fiscal year
and reporting period, and accumulated with a window sum, all in Ibis, so the
same expression runs on DuckDB or PySpark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.datatypes as dt_ibis
import pyarrow as pa
from ibis import _

from tradeguard.periods import fiscal_year_expr
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers
from tradeguard.rules.scope import BEGINNING, END, Interval, coverage, intersect
from tradeguard.units import KG_PER_TONNE

DAY = dt.timedelta(days=1)
# Sums of kilograms, exact to 1e-9 kg: 29 digits before the point hold 20 M records of the
# 10^12 kg ceiling (units.QUANTITY_CEILING).
EXACT_KG = dt_ibis.Decimal(38, 9)
HISTORY_BASES = ("percent_of_prior_period", "percent_of_average", "percent_of_largest",
                 "wto_article5")


@dataclass(frozen=True)
class CountSpec:
    """What one series counts.  ``key`` names it: (measure id, condition id, variant)."""

    measure_id: str
    condition_id: str
    # "counted": the legal count within the measure's validity; "base": the same scope in
    # any year, for triggers set from history; "reference": the same partners and lines
    # under any regime, for the forecast's seasonal pattern; "pooled": the same lines from
    # every partner under any regime, the forecast's prior for a series with no history.
    variant: str
    lines: tuple[str, ...]
    partners: s.PartnerScope
    regimes: tuple[str, ...] | None  # None: every regime, and unknown ones
    window: Interval  # [start, end): when imports count at all
    start_month: int
    ignore_membership_dates: bool = False


def specs_for(rules: RuleSet, measure_id: str) -> list[CountSpec]:
    """Every series a measure's conditions need: counted, base (if history sets the
    trigger), reference (for the forecast) and pooled (the forecast's prior)."""
    measure = rules.safeguards[measure_id]
    end = END if measure.valid_to is None else measure.valid_to + DAY
    out = []
    for cond in measure.conditions:
        lines = tuple(cond.counting.lines or measure.lines)
        regimes = None if cond.counting.regimes == "all" else tuple(cond.counting.regimes)
        start = max(measure.valid_from, cond.valid_from or measure.valid_from)
        stop = min(end, END if cond.valid_to is None else cond.valid_to + DAY)
        out.append(CountSpec(measure_id, cond.id, "counted", lines, cond.counting.partners,
                             regimes, (start, stop), measure.year_start_month))
        if cond.trigger.basis in HISTORY_BASES or cond.trigger.adjustments:
            out.append(CountSpec(measure_id, cond.id, "base", lines, cond.counting.partners,
                                 regimes, (BEGINNING, END), measure.year_start_month))
        # The forecast learns the season from the same partners' imports of the same lines
        # under any regime and before the measure existed (e.g. Australian beef under the
        # Japan-Australia EPA before CPTPP).
        out.append(CountSpec(measure_id, cond.id, "reference", lines, cond.counting.partners,
                             None, (BEGINNING, END), measure.year_start_month,
                             ignore_membership_dates=True))
        out.append(CountSpec(measure_id, cond.id, "pooled", lines, s.PartnerScope(include="all"),
                             None, (BEGINNING, END), measure.year_start_month))
    return out


def _lookup_tables(specs: Sequence[CountSpec], rules: RuleSet, lines: list[str],
                   partners: list[str], regimes: list[str]) -> tuple[pa.Table, ...]:
    """The series' names and three small maps keyed by the series' number (its index in
    ``specs``): lines, partners with their covered dates, and regimes found in the data.

    A number, not the three names, is what the joins and the grouping hash per row."""
    names = pa.table({"series": pa.array(range(len(specs)), pa.int32()),
                      "measure_id": [sp.measure_id for sp in specs],
                      "condition_id": [sp.condition_id for sp in specs],
                      "variant": [sp.variant for sp in specs]})
    line_rows, partner_rows, regime_rows = [], [], []
    for number, spec in enumerate(specs):
        line_rows += [(number, ln) for ln in lines if covers(spec.lines, ln)]
        for partner in partners:
            spans = coverage(spec.partners, partner, rules.groups)
            if spec.ignore_membership_dates and spans:
                spans = [(BEGINNING, END)]
            partner_rows += [(number, partner, start, stop, spec.start_month)
                             for start, stop in intersect(spans, [spec.window])]
        allowed = regimes if spec.regimes is None else [r for r in regimes if r in spec.regimes]
        regime_rows += [(number, r) for r in allowed]
    return (names,
            _columns(line_rows, [("series", pa.int32()), ("tariff_line", pa.string())]),
            _columns(partner_rows, [("series", pa.int32()), ("partner", pa.string()),
                                    ("cov_start", pa.date32()), ("cov_end", pa.date32()),
                                    ("start_month", pa.int64())]),
            _columns(regime_rows, [("series", pa.int32()), ("regime_key", pa.string())]))


def _columns(rows: list[tuple], fields: list[tuple[str, pa.DataType]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(fields)
    return pa.table([pa.array(c, t) for c, (_, t) in zip(columns, fields, strict=True)],
                    schema=pa.schema(fields))


def cumulative(imports: ibis.Table, specs: Sequence[CountSpec], rules: RuleSet,
               as_of: dt.date) -> ibis.Table:
    """Counted imports per series, fiscal year and reporting period, with the running total.

    Only records whose period ended by ``as_of`` count (what was known then).  Columns:
    measure_id, condition_id, variant, fy, period_end, quantity_t, cumulative_t.
    """
    known = imports.filter((_.period_end <= as_of) & (_.quantity_unit == "kg"))
    # Sum the records first, per line, partner, regime and period: each record counts in
    # several series, so joining the few sums instead of every record saves the fan-out.
    # The sums are cached in the backend (DuckDB or Spark) and the keys are read from them.
    # Exact from the first sum: a float sum's last bits follow the order the backend's
    # threads add in, so two runs on the same records, or a fresh run and the prepared
    # monitor's cut, could differ (found on 10 M records, 2026-11-30; test_prepared).
    rows = (known.mutate(regime_key=_.regime.fill_null(""))
            .group_by(["tariff_line", "partner", "regime_key", "period_start", "period_end"])
            .aggregate(quantity=_.quantity.cast(EXACT_KG).sum())).cache()
    lines = rows.select("tariff_line").distinct().to_pyarrow().column(0).to_pylist()
    partners = rows.select("partner").distinct().to_pyarrow().column(0).to_pylist()
    regimes = rows.select("regime_key").distinct().to_pyarrow().column(0).to_pylist()
    names, line_map, partner_map, regime_map = (
        ibis.memtable(t) for t in _lookup_tables(specs, rules, lines, partners, regimes))
    joined = (
        rows.join(line_map, "tariff_line")
        .join(partner_map, [_.series == partner_map.series, _.partner == partner_map.partner,
                            # A monthly record counts if its month overlaps the coverage:
                            # January 2015's Japan-Australia EPA rows are all from after
                            # entry into force on the 15th, so they must not be dropped.
                            _.period_end >= partner_map.cov_start,
                            _.period_start < partner_map.cov_end])
        .join(regime_map, ["series", "regime_key"])
    )
    fy = fiscal_year_expr(joined.period_start, joined.start_month)
    # The per-period and running sums are exact (decimals to 1e-9 kg), so their order does
    # not matter: a join's row order depends on every record, and the counts known on an
    # earlier as_of must equal the same running totals cut at it (monitor.prepared).
    per_period = (joined.mutate(fy=fy).group_by(["series", "fy", "period_end"])
                  .aggregate(kg=_.quantity.cast(EXACT_KG).sum()))
    # cumsum, not sum().over(window): Ibis frames an ordered window over the whole partition.
    running = per_period.mutate(running_kg=_.kg.cumsum(group_by=["series", "fy"],
                                                       order_by="period_end"))
    return running.join(names, "series").select(
        "measure_id", "condition_id", "variant", "fy", "period_end",
        quantity_t=_.kg.cast("float64") / KG_PER_TONNE,
        cumulative_t=_.running_kg.cast("float64") / KG_PER_TONNE)
