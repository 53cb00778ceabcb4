"""Trigger levels: fixed paths, % of the prior period, % of an average, Art. 5, same-as.

The counted cumulative series are small once aggregated (one row per series,
fiscal year and reporting period), so trigger arithmetic works on them in
plain Python, with every rule value it used recorded for the output.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import pyarrow as pa

from tradeguard.data.coverage import Coverage, SeriesScope
from tradeguard.errors import PeriodError, problem
from tradeguard.periods import (
    add_months,
    fiscal_year_end,
    fiscal_year_start,
    month_end,
    period_key,
)
from tradeguard.rules import schema as s
from tradeguard.rules.law import Article5, article5
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import value_on
from tradeguard.rules.schema import weakest
from tradeguard.rules.scope import coverage as partner_days


class Series:
    """Cumulative counted imports, looked up by (measure, condition, variant, fy) and date."""

    def __init__(self, table: pa.Table | None = None):
        points: dict[tuple, list[tuple[dt.date, float]]] = defaultdict(list)
        for row in table.to_pylist() if table is not None else []:
            key = (row["measure_id"], row["condition_id"], row["variant"], row["fy"])
            points[key].append((row["period_end"], row["cumulative_t"]))
        self._ends: dict[tuple, list[dt.date]] = {}
        self._cums: dict[tuple, list[float]] = {}
        for key, pts in points.items():
            pts.sort()
            self._ends[key] = [p[0] for p in pts]
            self._cums[key] = [p[1] for p in pts]

    def until(self, day: dt.date) -> Series:
        """The series as counted from the records whose period ended by ``day``.

        A running total at a period end sums only the periods up to it, so the series of a
        later knowledge date, cut at ``day``, is the series ``day`` would count (the
        prepared monitor's lookup, ``monitor.prepared``): no record is read again.
        """
        out = Series()
        for key, ends in self._ends.items():
            i = bisect.bisect_right(ends, day)
            if i:
                out._ends[key], out._cums[key] = ends[:i], self._cums[key][:i]
        return out

    def has(self, measure_id: str, condition_id: str, variant: str, fy: int) -> bool:
        return (measure_id, condition_id, variant, fy) in self._ends

    def at(self, measure_id: str, condition_id: str, variant: str, fy: int,
           day: dt.date) -> float:
        """Cumulative imports of the fiscal year up to and including ``day``."""
        key = (measure_id, condition_id, variant, fy)
        ends = self._ends.get(key)
        if not ends:
            return 0.0
        i = bisect.bisect_right(ends, day)
        return self._cums[key][i - 1] if i else 0.0

    def period_ends(self, measure_id: str, condition_id: str, variant: str,
                    fy: int) -> list[dt.date]:
        return list(self._ends.get((measure_id, condition_id, variant, fy), []))

    def last_day(self, measure_id: str, condition_id: str, variant: str) -> dt.date | None:
        days = [ends[-1] for (m, c, v, _), ends in self._ends.items()
                if (m, c, v) == (measure_id, condition_id, variant)]
        return max(days, default=None)

    def fiscal_years(self, measure_id: str, condition_id: str, variant: str) -> list[int]:
        return sorted(fy for (m, c, v, fy) in self._ends
                      if (m, c, v) == (measure_id, condition_id, variant))


@dataclass
class TriggerLevel:
    """A condition's trigger for one fiscal year at one checkpoint, and what it rests on."""

    volume_t: float
    statuses: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return weakest(self.statuses)

    def copy(self) -> TriggerLevel:
        return TriggerLevel(self.volume_t, list(self.statuses), list(self.notes))


# Trigger bases whose level is the same at every checkpoint of a counting year.
YEARLY_BASES = ("fixed", "wto_article5")


def counted_scope(rules: RuleSet, measure: s.VolumeSafeguard,
                  condition: s.Condition) -> SeriesScope:
    """The lines, regimes and partners a condition counts, for judging coverage."""
    regimes = condition.counting.regimes
    partners = condition.counting.partners

    def in_scope(partner: str) -> bool:
        return bool(partner_days(partners, partner, rules.groups))

    return SeriesScope(tuple(condition.counting.lines or measure.lines),
                       None if regimes == "all" else tuple(regimes), in_scope)


def period_start(measure: s.VolumeSafeguard, fy: int) -> dt.date:
    """First day of a counting year: 1 April, or the measure's start in a partial Year 1."""
    return max(fiscal_year_start(fy, measure.year_start_month), measure.valid_from)


def same_point_last_year(day: dt.date, years: int = 1) -> dt.date:
    """The same day ``years`` earlier; a month's last day maps to that month's last day, so
    a cumulative to 28 February 2021 compares with one to 29 February 2020."""
    earlier = add_months(day, -12 * years)
    return month_end(earlier) if day == month_end(day) else earlier


def article5_trigger(imports_t: list[float], params: s.Article5, law: Article5,
                     consumption_t: list[float] | None = None,
                     consumption_change_t: float | None = None) -> tuple[float, list[str]]:
    """WTO AoA Art. 5.4 volume trigger from the preceding years of imports.

    Base level by market-access opportunity (MAO = average imports / average
    consumption), from ``law`` (the rule library's Art. 5.4 levels: 125% at MAO ≤ 10%,
    110% at ≤ 30%, else 105%); plus the absolute change in consumption; never below the
    floor (105%) of the average.  Without consumption data the level without consumption
    (125%).  Rounding follows ``params``.
    """
    notes = []
    average = sum(imports_t) / len(imports_t)
    if params.average_decimals is not None:
        average = round(average, params.average_decimals)
    if consumption_t:
        mao = average / (sum(consumption_t) / len(consumption_t))
        base = law.base_level(mao)
        level = max(base * average + (consumption_change_t or 0.0), law.floor * average)
        notes.append(f"MAO {mao:.1%} → base {base:.0%}; 3-year average {average:,.1f} t")
    else:
        level = law.without_consumption * average
        notes.append(f"consumption not taken into account → {law.without_consumption:.0%} "
                     f"of {average:,.1f} t")
    if params.trigger_decimals is not None:
        level = round(level, params.trigger_decimals)
    return level, notes


class TriggerBook:
    """Computes trigger levels for every condition, using the counted history."""

    def __init__(self, rules: RuleSet, series: Series, as_of: dt.date,
                 coverage: Coverage | None):
        self.rules, self.series, self.as_of = rules, series, as_of
        self.coverage = coverage
        self._covered: dict[tuple[int, int], bool] = {}  # (id of the condition, fy)
        self._yearly: dict[tuple[str, str, int], TriggerLevel] = {}

    def covered(self, measure: s.VolumeSafeguard, condition: s.Condition, fy: int) -> bool:
        """Does data that holds the condition's counted imports cover all of fiscal year ``fy``?

        A series with no rows in a year it covers is a real zero; a year the data does not
        cover (or covers only for other regimes) is unknown, and no trigger may rest on it.
        """
        if self.coverage is None:
            return False
        key = (id(condition), fy)  # asked at every checkpoint: answer once per year
        if key not in self._covered:
            self._covered[key] = self.coverage.covers_whole(
                counted_scope(self.rules, measure, condition),
                fiscal_year_start(fy, measure.year_start_month),
                fiscal_year_end(fy, measure.year_start_month))
        return self._covered[key]

    def level(self, measure_id: str, condition: s.Condition, fy: int,
              checkpoint: dt.date) -> TriggerLevel:
        """The condition's trigger for ``fy`` at ``checkpoint`` (a copy: callers add notes).

        A fixed or Art. 5 level is the same at every checkpoint of the year, and asked at
        each (every day of day-level data): it is computed once per year."""
        if condition.trigger.basis not in YEARLY_BASES:
            return self._level(measure_id, condition, fy, checkpoint)
        key = (measure_id, condition.id, fy)
        if key not in self._yearly:
            self._yearly[key] = self._level(measure_id, condition, fy, checkpoint)
        return self._yearly[key].copy()

    def _level(self, measure_id: str, condition: s.Condition, fy: int,
               checkpoint: dt.date) -> TriggerLevel:
        measure = self.rules.safeguards[measure_id]
        trig = condition.trigger
        start = period_start(measure, fy)
        where = f"{measure_id}, condition `{condition.id}`, FY{fy}"
        if trig.basis == "fixed":
            level = self._fixed_level(measure, trig, fy, start, where)
        elif trig.basis == "same_as":
            target_id, _, cond_id = (trig.same_as or "").partition("#")
            target = self.rules.safeguards[target_id]
            other = next(c for c in target.conditions if c.id == cond_id)
            level = self.level(target_id, other, fy, checkpoint)
            level.notes.append(f"the trigger of {trig.same_as}")
        elif trig.basis in ("percent_of_prior_period", "percent_of_average",
                            "percent_of_largest"):
            level = self._percent_level(measure_id, condition, fy, checkpoint, where)
        else:
            level = self._article5_level(measure_id, condition, fy, where)
        return self._adjust(measure_id, condition, fy, level)

    def _fixed_level(self, measure: s.VolumeSafeguard, trig: s.Trigger, fy: int,
                     start: dt.date, where: str) -> TriggerLevel:
        volumes = trig.volumes or []
        found = value_on(volumes, start, self.as_of)
        partial = start > fiscal_year_start(fy, measure.year_start_month)
        explicit = found is not None and found[1].valid_from >= start
        rule = measure.proration
        if (partial and rule and rule.method != "none"
                and (not explicit or rule.listed_values_are_annual)):
            # A partial first year without its own figure: prorate the year's annual figure
            # (or, before the first value, the first full year's) by the rule's method.
            annual = found or next(((i, v) for i, v in enumerate(volumes)
                                    if v.valid_from > start and v.value is not None), None)
            if annual is not None:
                return self._prorated(measure, annual[1], fy, start)
        if found is None:
            raise PeriodError(problem(f"no trigger volume in force on {start}", where=where,
                                      fix="add the year's volume to the rule file"))
        return TriggerLevel(float(found[1].value), [found[1].status])

    def _prorated(self, measure: s.VolumeSafeguard, annual: s.Dated, fy: int,
                  start: dt.date) -> TriggerLevel:
        rule = measure.proration
        assert rule is not None
        year_start = fiscal_year_start(fy, measure.year_start_month)
        year_end = fiscal_year_end(fy, measure.year_start_month)
        if rule.method == "fixed_fraction":
            fraction, how = float(rule.fraction or 1.0), f"× {rule.fraction:.6g}"
        else:
            days, total = (year_end - start).days + 1, (year_end - year_start).days + 1
            fraction, how = days / total, f"× {days}/{total} days"
        return TriggerLevel(float(annual.value) * fraction, [annual.status, rule.status],
                            [f"partial year: {float(annual.value):,.0f} t {how}"])

    def _percent_level(self, measure_id: str, condition: s.Condition, fy: int,
                       checkpoint: dt.date, where: str) -> TriggerLevel:
        measure = self.rules.safeguards[measure_id]
        trig = condition.trigger
        found = value_on(trig.percent or [], period_start(measure, fy), self.as_of)
        if found is None:
            raise PeriodError(problem("no trigger percentage in force", where=where,
                                      fix="add the percentage to the rule file"))
        percent = float(found[1].value)
        years = 1 if trig.basis == "percent_of_prior_period" else int(trig.average_years or 3)
        bases = []
        for back in range(1, years + 1):
            if not self.covered(measure, condition, fy - back):
                raise PeriodError(problem(
                    f"the data does not cover FY{fy - back}, the reference year, "
                    "for these imports",
                    where=where,
                    fix="ingest the earlier years' import data"))
            bases.append(self.series.at(measure_id, condition.id, "base", fy - back,
                                        same_point_last_year(checkpoint, back)))
        # The USJTA pork rule compares with the largest of the preceding years, not the mean.
        base = max(bases) if trig.basis == "percent_of_largest" else sum(bases) / len(bases)
        level = TriggerLevel(percent / 100 * base, [found[1].status])
        floor = trig.floor
        if floor is not None and period_start(measure, fy) >= floor.valid_from:
            have = [y for y in floor.fiscal_years if self.covered(measure, condition, y)]
            if len(have) == len(floor.fiscal_years):
                half = sum(self.series.at(measure_id, condition.id, "base", y,
                                          same_point_last_year(checkpoint, fy - y))
                           for y in floor.fiscal_years) / 2
                if half > base:
                    level = TriggerLevel(percent / 100 * half, [found[1].status, floor.status])
                    level.notes.append(f"floor binds: half of FY{'+FY'.join(map(str, floor.fiscal_years))}")
            else:
                level.notes.append("floor not checked: no data for FY"
                                   + "/".join(map(str, floor.fiscal_years)))
        return level

    def _article5_level(self, measure_id: str, condition: s.Condition, fy: int,
                        where: str) -> TriggerLevel:
        measure = self.rules.safeguards[measure_id]
        params = condition.trigger.article5
        assert params is not None  # the schema requires it for this basis
        law = article5(self.rules, fiscal_year_start(fy, measure.year_start_month), self.as_of)
        years = law.average_years
        history = [y for y in range(fy - years, fy) if self.covered(measure, condition, y)]
        if len(history) < years:
            raise PeriodError(problem(f"fewer than {years} preceding years of imports",
                                      where=where, fix=f"ingest {years} earlier years"))
        annual = [self.series.at(measure_id, condition.id, "base", y,
                                 fiscal_year_end(y, measure.year_start_month)) for y in history]
        consumption = []
        for y in history:
            found = value_on(params.consumption, fiscal_year_start(y, measure.year_start_month),
                             self.as_of)
            if found is not None:
                consumption.append(float(found[1].value))
        usable = consumption if len(consumption) == years else None
        change = consumption[-1] - consumption[-2] if usable else None
        volume, notes = article5_trigger(annual, params, law, usable, change)
        level = TriggerLevel(volume, [params.status, law.status])
        level.notes += notes
        return level

    def _adjust(self, measure_id: str, condition: s.Condition, fy: int,
                level: TriggerLevel) -> TriggerLevel:
        measure = self.rules.safeguards[measure_id]
        start = period_start(measure, fy)
        for adj in condition.trigger.adjustments:
            if adj.valid_from <= start <= adj.valid_to:
                prior_end = fiscal_year_end(fy - 1, measure.year_start_month)
                if not self.covered(measure, condition, fy - 1):
                    level.notes.append(f"prior-year clause not checked: no FY{fy - 1} data")
                    continue
                prior = self.series.at(measure_id, condition.id, "base", fy - 1, prior_end)
                if prior > level.volume_t:
                    level = TriggerLevel(prior, [*level.statuses, adj.status],
                                         [*level.notes, f"{period_key(fy - 1)} imports {prior:,.0f} t "
                                          "exceed the year's trigger and replace it"])
        return level
