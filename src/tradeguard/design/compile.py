"""Compile a design against a month grid and flows: the arrays the engine's month loop reads.

A *flow* is a partner's imports of a line under a regime.  Compiling gives, per condition,
the counting masks and the trigger (a fixed volume or a percentage of history) per fiscal
year; per month, the activation window and safeguard rate a crossing at the month's end
would give (from ``tradeguard.monitor.activation``, so windows are the monitor's); and per
flow and month, the scheduled tariff and whether the safeguard duty hits the flow.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache

import numpy as np

from tradeguard.design.grid import Grid, month_average
from tradeguard.design.rates import ave_percent, mfn_ave
from tradeguard.design.spec import Design, mfn_percent, regime_tariff
from tradeguard.errors import PeriodError
from tradeguard.monitor import activation as act
from tradeguard.periods import fiscal_year, fiscal_year_end
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, value_on
from tradeguard.rules.scope import END, coverage, intersect

#: A day before any record: scopes "at any time" run from here.
_EVER = dt.date(1900, 1, 1)


class CountingMode(IntEnum):
    """How a design counts imports within a fiscal year."""

    ANNUAL = 0                  # cumulative from the year's start, decisive every month
    CUMULATIVE_QUARTERS = 1     # cumulative from the year's start, decisive at quarter ends
    QUARTERLY = 2               # each quarter on its own, decisive at quarter ends

    @classmethod
    def of(cls, period_mode: str) -> CountingMode:
        return cls[period_mode.upper()]


class TriggerBasis(IntEnum):
    """How a condition's trigger level is found."""

    FIXED = 0           # a volume from the rule (also `same_as`, which resolves to one)
    PERCENT_MEAN = 1    # a percentage of the mean of earlier years at the same point
    PERCENT_MAX = 2     # a percentage of the largest of earlier years at the same point
    ART5 = 3            # WTO AoA Art. 5.4: a multiple of the three-year average

    @classmethod
    def of(cls, basis: str) -> TriggerBasis:
        return _BASES.get(basis, cls.FIXED)


_BASES = {"percent_of_prior_period": TriggerBasis.PERCENT_MEAN,
          "percent_of_average": TriggerBasis.PERCENT_MEAN,
          "percent_of_largest": TriggerBasis.PERCENT_MAX,
          "wto_article5": TriggerBasis.ART5}


class WindowKind(IntEnum):
    """What a crossing at a month's end leads to."""

    NONE = 0        # no duty (the window would start after the year, or no rate is in force)
    WINDOW = 1      # an activation window
    CARRY_OVER = 2  # no duty; the excess is counted into the next year


@dataclass(frozen=True)
class Flow:
    """A partner's imports of a line under a regime (the unit the engine counts)."""

    partner: str
    regime: str | None
    line: str
    unit_value: float = 600.0  # JPY per kg, customs (CIF) value


@dataclass
class Compiled:
    """One design, compiled against a grid and flows."""

    design_id: str
    mode: CountingMode
    count_mask: np.ndarray      # (C, F, T) counted
    base_mask: np.ndarray       # (C, F, T) base (history) scope
    active: np.ndarray          # (C, Y) condition in force in the year
    basis: np.ndarray           # (C,) TriggerBasis
    fixed: np.ndarray           # (C, Y) fixed trigger (NaN: none)
    percent: np.ndarray         # (C, Y)
    nyears: np.ndarray          # (C,) earlier years a percentage trigger looks at
    art5: list                  # per condition: (avg_decimals, trig_decimals) or None
    adjust: np.ndarray          # (C, Y) prior-year-imports-if-higher applies
    in_period: np.ndarray       # (T,) month inside a counting period of the measure
    win_start: np.ndarray       # (T,) activation window for a crossing at month t's end
    win_end: np.ndarray
    win_kind: np.ndarray        # (T,) WindowKind
    sg_rate: np.ndarray         # (T,) safeguard percent for a crossing in month t
    remedy_add: bool
    hit: np.ndarray             # (F, T) the flow pays the safeguard duty when in force
    sched: np.ndarray           # (F, T) scheduled percent
    en_route_days: int
    notes: list[str] = field(default_factory=list)


class RateMemo:
    """Tariff paths already looked up for one rule set, shared by the designs of a batch.

    The MFN and regime paths do not depend on the design, so a sweep looks each up once.
    """

    def __init__(self, rules: RuleSet):
        self.tariffs = rules.tariffs
        self._rules = rules
        self._paths: dict[tuple, object] = {}

    def check(self, rules: RuleSet) -> None:
        if rules.tariffs is not self.tariffs:
            raise ValueError("a RateMemo serves the rule set it was made for")

    def regime_path(self, regime: str, line: str, unit_value: float | None = None
                    ) -> list[tuple[dt.date, float]]:
        """A regime's path on a line; non-ad-valorem duties as their ad valorem equivalent
        at ``unit_value`` (JPY/kg)."""
        key = ("regime", regime, line, unit_value)
        if key not in self._paths:
            self._paths[key] = regime_tariff(self._rules, regime, line, unit_value)
        return self._paths[key]  # type: ignore[return-value]

    def cached(self, key: tuple, compute):
        """``compute()`` once per key (keys are values: rule JSON, dates, grids)."""
        if key not in self._paths:
            self._paths[key] = compute()
        return self._paths[key]

    def rates(self, path: tuple[tuple[dt.date, float], ...], line: str, grid: Grid,
              unit_value: float | None = None) -> np.ndarray:
        """Month averages of a rate path, the MFN rate where the path has none (read-only)."""
        key = ("rates", path, line, grid, unit_value)
        if key not in self._paths:
            rates = month_average(list(path), grid) if path else np.full(grid.months, np.nan)
            if np.isnan(rates).any():
                rates = np.where(np.isnan(rates), self.mfn_path(line, grid, unit_value=unit_value),
                                 rates)
            rates = np.nan_to_num(rates, nan=0.0)
            rates.flags.writeable = False
            self._paths[key] = rates
        return self._paths[key]  # type: ignore[return-value]

    def mfn_path(self, line: str, grid: Grid, at_end: bool = False,
                 unit_value: float | None = None) -> np.ndarray:
        """The MFN rate on a line at each month's start (or end); NaN where not ad valorem
        (with ``unit_value``: where not encoded; other duties as their ad valorem equivalent)."""
        key = ("mfn", line, grid, at_end, unit_value)
        if key not in self._paths:
            day = grid.month_end if at_end else grid.month_start
            if unit_value is None:
                found = [mfn_percent(self._rules, line, day(t)) or None  # as before: 0 → NaN
                         for t in range(grid.months)]
            else:
                found = [mfn_ave(self._rules, line, day(t), unit_value)
                         for t in range(grid.months)]
            self._paths[key] = np.array([np.nan if p is None else p for p in found], float)
        return self._paths[key]  # type: ignore[return-value]


def _scope_mask(scope: s.PartnerScope, partner: str, rules: RuleSet, window: tuple,
                grid: Grid) -> np.ndarray:
    spans = intersect(coverage(scope, partner, rules.groups), [window])
    mask = np.zeros(grid.months, bool)
    for a, b in spans:  # a record counts when its month overlaps the coverage
        mask |= (grid.ends >= a.toordinal()) & (grid.starts < b.toordinal())
    return mask


@lru_cache(maxsize=256)
def _window_table(start_json: str, duration_json: str, year_start_month: int, grid: Grid
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window start, end (ordinals) and kind for a crossing at each month's end.

    Keyed by the rules' JSON (values, not object identities), so designs that share a start
    and duration rule share the table.
    """
    probe = s.VolumeSafeguard.model_construct(
        start=s.Start.model_validate_json(start_json),
        duration=s.Duration.model_validate_json(duration_json),
        year_start_month=year_start_month, reporting="month")
    ws, we = np.zeros(grid.months), np.zeros(grid.months)
    kind = np.zeros(grid.months, np.int8)
    for t in range(grid.months):
        crossing = grid.month_end(t)
        late = act.late_rule(probe, crossing)
        if late is not None and late.carry_over:
            kind[t] = WindowKind.CARRY_OVER
            continue
        span = act.window(probe, crossing, "month")
        if span is not None:
            ws[t], we[t], kind[t] = span[0].toordinal(), span[1].toordinal(), WindowKind.WINDOW
    for a in (ws, we, kind):
        a.flags.writeable = False
    return ws, we, kind


def _sg_rates(memo: RateMemo, m: s.VolumeSafeguard, grid: Grid,
              unit_value: float | None = None) -> np.ndarray:
    """The safeguard percent for a crossing at each month's end, capped at MFN if the rule
    says so (``tradeguard.monitor.activation.safeguard_duty``, vectorised over months).

    A duty that is not ad valorem (a gate price, an out-of-quota compound rate) counts as its
    ad valorem equivalent at ``unit_value``: the hit flows' mean customs value per kg.
    """
    ends = grid.ends
    out = np.full(grid.months, np.nan)
    entries = m.safeguard_duty
    for i, e in enumerate(entries):
        a = e.valid_from.toordinal()
        b = entries[i + 1].valid_from.toordinal() if i + 1 < len(entries) else END.toordinal()
        if e.valid_to is not None:
            b = min(b, e.valid_to.toordinal() + 1)
        pct = ave_percent(e.duty, unit_value)
        out[(ends >= a) & (ends < b)] = np.nan if pct is None else pct
    if m.cap_at_mfn:
        mfn = memo.mfn_path(m.lines[0], grid, at_end=True, unit_value=unit_value)
        out = np.where(~np.isnan(mfn) & (mfn < out), mfn, out)
    return out


def _hit_unit_value(m: s.VolumeSafeguard, rules: RuleSet, flows: list[Flow]) -> float | None:
    """The mean customs value per kg of the flows the measure can hit (None: none)."""
    values = [f.unit_value for f in flows
              if covers(m.lines, f.line) and coverage(m.hits, f.partner, rules.groups)]
    return float(np.mean(values)) if values else None


def flow_rates(design: Design | None, rules: RuleSet, flow: Flow, grid: Grid,
               memo: RateMemo | None = None) -> np.ndarray:
    """The scheduled ad valorem rate (percent) of a flow in each month."""
    memo = memo or RateMemo(rules)
    path: list[tuple[dt.date, float]] = []
    if design is not None and flow.regime in design.measure.hits_regimes:
        path = next((p for prefix, p in design.tariff.items()
                     if covers([prefix], flow.line) or covers([flow.line], prefix)), [])
    if not path and flow.regime and flow.regime != "mfn":
        path = memo.regime_path(flow.regime, flow.line, flow.unit_value)
    return memo.rates(tuple(path), flow.line, grid, flow.unit_value)


@dataclass
class _Conditions:
    """The per-condition arrays of a design, filled condition by condition."""

    count_mask: np.ndarray
    base_mask: np.ndarray
    active: np.ndarray
    basis: np.ndarray
    fixed: np.ndarray
    percent: np.ndarray
    nyears: np.ndarray
    art5: list
    adjust: np.ndarray

    @classmethod
    def empty(cls, C: int, F: int, grid: Grid) -> _Conditions:
        T, Y = grid.months, grid.years
        return cls(np.zeros((C, F, T)), np.zeros((C, F, T)), np.zeros((C, Y), bool),
                   np.zeros(C, np.int8), np.full((C, Y), np.nan), np.full((C, Y), np.nan),
                   np.ones(C, np.int64), [None] * C, np.zeros((C, Y), bool))


def _condition_masks(out: _Conditions, c: int, cond: s.Condition, m: s.VolumeSafeguard,
                     rules: RuleSet, grid: Grid, flows: list[Flow]) -> None:
    lines = cond.counting.lines or m.lines
    regimes = cond.counting.regimes
    measure_end = END if m.valid_to is None else m.valid_to + dt.timedelta(days=1)
    start = max(m.valid_from, cond.valid_from or m.valid_from)
    stop = min(measure_end, END if cond.valid_to is None
               else cond.valid_to + dt.timedelta(days=1))
    for f, flow in enumerate(flows):
        if not covers(lines, flow.line) or (regimes != "all" and flow.regime not in regimes):
            continue
        scope = cond.counting.partners
        out.count_mask[c, f] = _scope_mask(scope, flow.partner, rules, (start, stop), grid)
        out.base_mask[c, f] = _scope_mask(scope, flow.partner, rules, (_EVER, END), grid)


def _condition_basis(out: _Conditions, c: int, cond: s.Condition, notes: list[str]) -> None:
    trig = cond.trigger
    out.basis[c] = TriggerBasis.of(trig.basis)
    if out.basis[c] == TriggerBasis.ART5:
        params = trig.article5
        out.art5[c] = (params.average_decimals, params.trigger_decimals)
        if params.consumption:
            notes.append("Art. 5 consumption data are ignored in the engine (125% rule)")
    if trig.basis in ("percent_of_average", "percent_of_largest"):
        out.nyears[c] = int(trig.average_years or 3)
    if trig.floor is not None:
        notes.append(f"condition `{cond.id}`: the base floor is not applied in the engine")


def _counting_years(m: s.VolumeSafeguard, grid: Grid):
    """(year index, fiscal year, period start) of each year the measure counts in."""
    from tradeguard.monitor.triggers import period_start

    for y, fy in enumerate(grid.fys):
        pstart = period_start(m, fy)
        if pstart > fiscal_year_end(fy, m.year_start_month) or (
                m.valid_to is not None and pstart > m.valid_to):
            continue
        if fiscal_year(m.valid_from, m.year_start_month) > fy:
            continue
        yield y, fy, pstart


def _condition_levels(out: _Conditions, c: int, cond: s.Condition, design: Design, book,
                      grid: Grid, as_of: dt.date, memo: RateMemo) -> None:
    """Whether the condition is in force, its fixed volume or percentage, and whether the
    prior-year adjustment applies, per counting year (shared by designs with the same
    trigger and measure dates: a sweep looks each up once)."""
    m = design.measure
    key = ("levels", cond.model_dump_json(), m.valid_from, m.valid_to, m.year_start_month,
           None if m.proration is None else m.proration.model_dump_json(), as_of, grid)
    out.active[c], out.fixed[c], out.percent[c], out.adjust[c] = memo.cached(
        key, lambda: _levels_by_year(cond, design, book, grid, as_of, TriggerBasis(out.basis[c])))


def _levels_by_year(cond: s.Condition, design: Design, book, grid: Grid, as_of: dt.date,
                    basis: TriggerBasis) -> tuple[np.ndarray, ...]:
    trig = cond.trigger
    Y = grid.years
    active, adjust = np.zeros(Y, bool), np.zeros(Y, bool)
    fixed, percent = np.full(Y, np.nan), np.full(Y, np.nan)
    for y, fy, pstart in _counting_years(design.measure, grid):
        active[y] = ((cond.valid_from is None or cond.valid_from <= pstart)
                     and (cond.valid_to is None or pstart <= cond.valid_to))
        if basis is TriggerBasis.FIXED:
            try:
                fixed[y] = book.level(design.measure_id, cond, fy, pstart).volume_t
            except PeriodError:  # no volume in force that year: the condition cannot trigger
                fixed[y] = np.nan
        elif basis in (TriggerBasis.PERCENT_MEAN, TriggerBasis.PERCENT_MAX):
            found = value_on(trig.percent or [], pstart, as_of)
            percent[y] = np.nan if found is None else float(found[1].value)
        adjust[y] = any(a.valid_from <= pstart <= a.valid_to for a in trig.adjustments)
    return active, fixed, percent, adjust


@lru_cache(maxsize=1)
def _empty_series():
    import pyarrow as pa

    from tradeguard.monitor.triggers import Series

    return Series(pa.table({"measure_id": pa.array([], pa.string()),
                            "condition_id": pa.array([], pa.string()),
                            "variant": pa.array([], pa.string()),
                            "fy": pa.array([], pa.int64()),
                            "period_end": pa.array([], pa.date32()),
                            "cumulative_t": pa.array([], pa.float64())}))


def prepare(designs: list[Design], rules: RuleSet, grid: Grid, flows: list[Flow]) -> RateMemo:
    """Look up what the designs of a batch share -- the MFN and regime paths of the flows'
    lines and the window tables of their start and duration rules -- once, so that worker
    processes forked afterwards inherit them instead of each looking them up again."""
    memo = RateMemo(rules)
    for flow in flows:
        flow_rates(None, rules, flow, grid, memo)
        memo.mfn_path(flow.line, grid, at_end=True)
    rules_seen = {(d.measure.start.model_dump_json(), d.measure.duration.model_dump_json(),
                   d.measure.year_start_month) for d in designs}
    for start, duration, year_start_month in rules_seen:
        _window_table(start, duration, year_start_month, grid)
    return memo


def compile_design(design: Design, rules: RuleSet, grid: Grid, flows: list[Flow],
                   as_of: dt.date | None = None, memo: RateMemo | None = None) -> Compiled:
    """Compile a design for the engine (see the module docstring).

    ``memo`` shares tariff look-ups between the designs of a batch (same ``rules``).
    """
    from tradeguard.monitor.triggers import TriggerBook

    memo = memo or RateMemo(rules)
    memo.check(rules)
    rules2 = design.rules(rules)
    m = design.measure
    as_of = as_of or dt.date(9999, 12, 30)
    notes: list[str] = []
    conds = _Conditions.empty(len(m.conditions), len(flows), grid)
    book = TriggerBook(rules2, _empty_series(), as_of, None)
    for c, cond in enumerate(m.conditions):
        _condition_masks(conds, c, cond, m, rules2, grid, flows)
        _condition_basis(conds, c, cond, notes)
        _condition_levels(conds, c, cond, design, book, grid, as_of, memo)
    in_period = ((grid.ends >= m.valid_from.toordinal())
                 & (grid.starts <= (m.valid_to or END).toordinal()))
    ws, we, kind = _window_table(m.start.model_dump_json(), m.duration.model_dump_json(),
                                 m.year_start_month, grid)
    sg = _sg_rates(memo, m, grid, _hit_unit_value(m, rules2, flows))
    kind = np.where(np.isnan(sg) & (kind == WindowKind.WINDOW), WindowKind.NONE,
                    kind).astype(np.int8)
    hit = np.zeros((len(flows), grid.months), bool)
    sched = np.zeros((len(flows), grid.months))
    for f, flow in enumerate(flows):
        if covers(m.lines, flow.line) and flow.regime in m.hits_regimes:
            hit[f] = _scope_mask(m.hits, flow.partner, rules2, (_EVER, END), grid)
        sched[f] = flow_rates(design, rules2, flow, grid, memo)
    return Compiled(design.id, CountingMode.of(design.period_mode), conds.count_mask,
                    conds.base_mask, conds.active, conds.basis, conds.fixed, conds.percent,
                    conds.nyears, conds.art5, conds.adjust, in_period, ws, we, kind, sg,
                    m.remedy == "add", hit, sched, design.exemptions.en_route_days, notes)
