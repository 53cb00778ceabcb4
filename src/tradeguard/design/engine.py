"""The vectorised design engine: monthly import paths × designs, in numpy (float64).

One engine serves the back-test of designs the monitor cannot express (separate quarters)
and the forward simulation.  A design is *compiled* against a month grid and a list of
*flows* (a partner's imports of a line under a regime): counting masks per condition,
trigger levels or percentages per fiscal year, the activation window and safeguard rate
for a crossing in each month (from ``tradeguard.monitor.activation``, so windows are the
monitor's), and the scheduled tariff per flow and month.  :func:`run` then steps through
the months with every path and design at once, holding state arrays of shape
(designs, paths, ...).

The month loop follows the monitor on monthly data: cumulative counted imports from the
period start (plus any excess carried in), trigger levels at each checkpoint (fixed
volumes with proration; a percentage of the same cumulative point of earlier years), a
crossing at the end of the first decisive month in which every active condition is
exceeded, the window the start and late-crossing rules give, and the excess carried into
the next year after a carry-over crossing.  Days under the safeguard are the union of
windows, counted in the fiscal year they fall in.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from tradeguard.design.spec import Design, mfn_percent, regime_tariff
from tradeguard.engine import expressions as ex
from tradeguard.errors import TradeguardError
from tradeguard.monitor import activation as act
from tradeguard.monitor.calendar import fiscal_year, fiscal_year_end, fiscal_year_start
from tradeguard.rules import schema as s
from tradeguard.rules.loader import RuleSet
from tradeguard.rules.lookup import covers, value_on
from tradeguard.rules.scope import END, coverage, intersect

BASIS_FIXED, BASIS_PERCENT_MEAN, BASIS_PERCENT_MAX, BASIS_ART5 = 0, 1, 2, 3
MODE = {"annual": 0, "cumulative_quarters": 1, "quarterly": 2}


@dataclass(frozen=True)
class Grid:
    """Whole fiscal years of months from ``first_fy`` (April start)."""

    first_fy: int
    years: int
    start_month: int = 4

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def fys(self) -> list[int]:
        return list(range(self.first_fy, self.first_fy + self.years))

    def month_start(self, t: int) -> dt.date:
        idx = self.first_fy * 12 + (self.start_month - 1) + t
        return dt.date(idx // 12, idx % 12 + 1, 1)

    def month_end(self, t: int) -> dt.date:
        d = self.month_start(t)
        return d.replace(day=calendar.monthrange(d.year, d.month)[1])

    @property
    def starts(self) -> np.ndarray:
        return _ordinals(self)[0]

    @property
    def ends(self) -> np.ndarray:
        return _ordinals(self)[1]


@lru_cache(maxsize=64)
def _ordinals(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    starts = np.array([grid.month_start(t).toordinal() for t in range(grid.months)], float)
    ends = np.array([grid.month_end(t).toordinal() for t in range(grid.months)], float)
    starts.flags.writeable = ends.flags.writeable = False
    return starts, ends


@dataclass(frozen=True)
class Flow:
    """A partner's imports of a line under a regime (the unit the engine counts)."""

    partner: str
    regime: str | None
    line: str
    unit_value: float = 600.0  # JPY per kg, customs (CIF) value


def _month_average(path: list[tuple[dt.date, float]], grid: Grid) -> np.ndarray:
    """Day-weighted average of a start-dated rate path in each month (NaN before it)."""
    starts, ends = grid.starts, grid.ends + 1
    out = np.zeros(grid.months)
    covered = np.zeros(grid.months)
    for i, (day, value) in enumerate(path):
        a = day.toordinal()
        b = path[i + 1][0].toordinal() if i + 1 < len(path) else END.toordinal()
        days = np.clip(np.minimum(b, ends) - np.maximum(a, starts), 0, None)
        out += days * value
        covered += days
    with np.errstate(invalid="ignore"):
        res = out / np.where(covered > 0, covered, np.nan)
    return res


def _scope_mask(scope: s.PartnerScope, partner: str, rules: RuleSet, window: tuple,
                grid: Grid) -> np.ndarray:
    spans = intersect(coverage(scope, partner, rules.groups), [window])
    starts, ends = grid.starts, grid.ends
    mask = np.zeros(grid.months, bool)
    for a, b in spans:  # a record counts when its month overlaps the coverage
        mask |= (ends >= a.toordinal()) & (starts < b.toordinal())
    return mask


@dataclass
class Compiled:
    """One design, compiled against a grid and flows."""

    design_id: str
    mode: int
    count_mask: np.ndarray      # (C, F, T) counted
    base_mask: np.ndarray       # (C, F, T) base (history) scope
    active: np.ndarray          # (C, Y) condition in force in the year
    basis: np.ndarray           # (C,)
    fixed: np.ndarray           # (C, Y) fixed trigger (NaN: none)
    percent: np.ndarray         # (C, Y)
    nyears: np.ndarray          # (C,)
    art5: list                  # per condition: (avg_decimals, trig_decimals) or None
    adjust: np.ndarray          # (C, Y) prior-year-imports-if-higher applies
    in_period: np.ndarray       # (T,) month inside a counting period of the measure
    win_start: np.ndarray       # (T,) activation window for a crossing at month t's end
    win_end: np.ndarray
    win_kind: np.ndarray        # 0 none, 1 window, 2 carry over
    sg_rate: np.ndarray         # (T,) safeguard percent for a crossing in month t
    remedy_add: bool
    hit: np.ndarray             # (F, T) the flow pays the safeguard duty when in force
    sched: np.ndarray           # (F, T) scheduled percent
    en_route_days: int
    notes: list[str] = field(default_factory=list)


def _windows(start: s.Start, duration: s.Duration, year_start_month: int, first_fy: int,
             years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _windows_cached(start.model_dump_json(), duration.model_dump_json(),
                           year_start_month, first_fy, years)


@lru_cache(maxsize=256)
def _windows_cached(start_json: str, duration_json: str, year_start_month: int, first_fy: int,
                    years: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    start = s.Start.model_validate_json(start_json)
    duration = s.Duration.model_validate_json(duration_json)
    grid = Grid(first_fy, years, year_start_month)
    probe = s.VolumeSafeguard.model_construct(start=start, duration=duration,
                                              year_start_month=year_start_month,
                                              reporting="month")
    ws, we, kind = (np.zeros(grid.months), np.zeros(grid.months),
                    np.zeros(grid.months, np.int8))
    for t in range(grid.months):
        crossing = grid.month_end(t)
        late = act.late_rule(probe, crossing)
        if late is not None and late.carry_over:
            kind[t] = 2
            continue
        span = act.window(probe, crossing, "month")
        if span is not None:
            ws[t], we[t], kind[t] = span[0].toordinal(), span[1].toordinal(), 1
    return ws, we, kind


def compile_design(design: Design, rules: RuleSet, grid: Grid, flows: list[Flow],
                   as_of: dt.date | None = None) -> Compiled:
    """Compile a design for the engine (see module docstring)."""
    from tradeguard.monitor.triggers import Series, TriggerBook, period_start

    rules2 = design.rules(rules)
    m = design.measure
    mid = design.measure_id
    as_of = as_of or dt.date(9999, 12, 30)
    T, Y, F, C = grid.months, grid.years, len(flows), len(m.conditions)
    notes: list[str] = []
    vt_end = END if m.valid_to is None else m.valid_to + dt.timedelta(days=1)
    count_mask = np.zeros((C, F, T))
    base_mask = np.zeros((C, F, T))
    active = np.zeros((C, Y), bool)
    basis = np.zeros(C, np.int8)
    fixed = np.full((C, Y), np.nan)
    percent = np.full((C, Y), np.nan)
    nyears = np.ones(C, np.int64)
    art5: list = [None] * C
    adjust = np.zeros((C, Y), bool)
    empty = Series(_EMPTY_SERIES())
    book = TriggerBook(rules2, empty, as_of, None)
    for c, cond in enumerate(m.conditions):
        lines = cond.counting.lines or m.lines
        regimes = cond.counting.regimes
        start = max(m.valid_from, cond.valid_from or m.valid_from)
        stop = min(vt_end, END if cond.valid_to is None
                   else cond.valid_to + dt.timedelta(days=1))
        for f, flow in enumerate(flows):
            if not covers(lines, flow.line):
                continue
            if regimes != "all" and flow.regime not in regimes:
                continue
            count_mask[c, f] = _scope_mask(cond.counting.partners, flow.partner, rules2,
                                           (start, stop), grid)
            base_mask[c, f] = _scope_mask(cond.counting.partners, flow.partner, rules2,
                                          (dt.date(1900, 1, 1), END), grid)
        trig = cond.trigger
        if trig.basis in ("percent_of_prior_period", "percent_of_average"):
            basis[c] = BASIS_PERCENT_MEAN
        elif trig.basis == "percent_of_largest":
            basis[c] = BASIS_PERCENT_MAX
        elif trig.basis == "wto_article5":
            basis[c] = BASIS_ART5
            params = trig.article5
            art5[c] = (params.average_decimals, params.trigger_decimals)
            if params.consumption:
                notes.append("Art. 5 consumption data are ignored in the engine (125% rule)")
        if trig.basis == "percent_of_average" or trig.basis == "percent_of_largest":
            nyears[c] = int(trig.average_years or 3)
        if trig.floor is not None:
            notes.append(f"condition `{cond.id}`: the base floor is not applied in the engine")
        for y, fy in enumerate(grid.fys):
            pstart = period_start(m, fy)
            if pstart > fiscal_year_end(fy, m.year_start_month) or (
                    m.valid_to is not None and pstart > m.valid_to):
                continue
            if fiscal_year(m.valid_from, m.year_start_month) > fy:
                continue
            active[c, y] = ((cond.valid_from is None or cond.valid_from <= pstart)
                            and (cond.valid_to is None or pstart <= cond.valid_to))
            if basis[c] == BASIS_FIXED:
                try:
                    fixed[c, y] = book.level(mid, cond, fy, pstart).volume_t
                except (TradeguardError, StopIteration, KeyError, TypeError):
                    fixed[c, y] = np.nan
            elif basis[c] in (BASIS_PERCENT_MEAN, BASIS_PERCENT_MAX):
                found = value_on(trig.percent or [], pstart, as_of)
                percent[c, y] = np.nan if found is None else float(found[1].value)
            for adj in trig.adjustments:
                if adj.valid_from <= pstart <= adj.valid_to:
                    adjust[c, y] = True
    # Months inside a counting period of the measure.
    starts, ends = grid.starts, grid.ends
    in_period = ((ends >= m.valid_from.toordinal())
                 & (starts <= (m.valid_to or END).toordinal()))
    ws, we, kind = _windows(m.start, m.duration, m.year_start_month, grid.first_fy, grid.years)
    ws, we, kind = ws.copy(), we.copy(), kind.copy()
    sg = _sg_rates(rules2, m, grid)
    kind = np.where(np.isnan(sg) & (kind == 1), 0, kind).astype(np.int8)
    hit = np.zeros((F, T), bool)
    sched = np.zeros((F, T))
    for f, flow in enumerate(flows):
        if covers(m.lines, flow.line) and flow.regime in m.hits_regimes:
            hit[f] = _scope_mask(m.hits, flow.partner, rules2, (dt.date(1900, 1, 1), END), grid)
        sched[f] = flow_rates(design, rules2, flow, grid)
    return Compiled(design.id, MODE[design.period_mode], count_mask, base_mask, active, basis,
                    fixed, percent, nyears, art5, adjust, in_period, ws, we, kind, sg,
                    m.remedy == "add", hit, sched, design.exemptions.en_route_days, notes)


def flow_rates(design: Design | None, rules: RuleSet, flow: Flow, grid: Grid) -> np.ndarray:
    """The scheduled ad valorem rate (percent) of a flow in each month."""
    path: list[tuple[dt.date, float]] = []
    if design is not None and flow.regime in design.measure.hits_regimes:
        for prefix, p in design.tariff.items():
            if covers([prefix], flow.line) or covers([flow.line], prefix):
                path = p
                break
    if not path and flow.regime and flow.regime != "mfn":
        key = ("regime", id(rules.tariffs), flow.regime, flow.line)
        if key not in _CACHE:
            _CACHE[key] = regime_tariff(rules, flow.regime, flow.line)
        path = _CACHE[key]
    rates = _month_average(path, grid) if path else np.full(grid.months, np.nan)
    if np.isnan(rates).any():
        mfn = _mfn_path(rules, flow.line, grid)
        rates = np.where(np.isnan(rates), mfn, rates)
    return np.nan_to_num(rates, nan=0.0)


_CACHE: dict = {}


def _mfn_path(rules: RuleSet, line: str, grid: Grid, at_end: bool = False) -> np.ndarray:
    key = ("mfn", id(rules.tariffs), line, grid, at_end)
    if key not in _CACHE:
        day = grid.month_end if at_end else grid.month_start
        _CACHE[key] = np.array([mfn_percent(rules, line, day(t)) or np.nan
                                for t in range(0, grid.months)], float)
    return _CACHE[key]


def _sg_rates(rules: RuleSet, m: s.VolumeSafeguard, grid: Grid) -> np.ndarray:
    """The safeguard percent for a crossing at each month's end, capped at MFN if the rule
    says so (``tradeguard.monitor.activation.safeguard_duty``, vectorised over months)."""
    ends = grid.ends
    out = np.full(grid.months, np.nan)
    entries = m.safeguard_duty
    for i, e in enumerate(entries):
        a = e.valid_from.toordinal()
        b = entries[i + 1].valid_from.toordinal() if i + 1 < len(entries) else END.toordinal()
        if e.valid_to is not None:
            b = min(b, e.valid_to.toordinal() + 1)
        pct = None if e.duty is None else ex.ad_valorem_percent(e.duty)
        sel = (ends >= a) & (ends < b)
        out[sel] = np.nan if pct is None else pct
    if m.cap_at_mfn:
        mfn = _mfn_path(rules, m.lines[0], grid, at_end=True)
        out = np.where(~np.isnan(mfn) & (mfn < out), mfn, out)
    return out


def _EMPTY_SERIES():
    import pyarrow as pa

    return pa.table({"measure_id": pa.array([], pa.string()),
                     "condition_id": pa.array([], pa.string()),
                     "variant": pa.array([], pa.string()), "fy": pa.array([], pa.int64()),
                     "period_end": pa.array([], pa.date32()),
                     "cumulative_t": pa.array([], pa.float64())})


# --- the partial-equilibrium response ---------------------------------------------------


@dataclass(frozen=True)
class PE:
    """Elasticities of the import response (see docs/design-lab.md for their sources)."""

    armington: float = 1.5          # between partners (SMART default substitution elasticity)
    domestic: float = 0.5           # between the import composite and domestic beef
    demand: float = -0.6            # total beef demand, own price
    import_share: float = 0.64      # imports' share of consumption
    front_loading: float = 0.0      # share of a month's imports shifted around a rate change

    @property
    def zero(self) -> bool:
        return self.armington == 0 and self.domestic == 0 and self.demand == 0


def _ces_index(shares: np.ndarray, ratio: np.ndarray, sigma: float) -> np.ndarray:
    """CES price index of price ratios along the last axis (shares sum to 1)."""
    if abs(1 - sigma) < 1e-9:
        return np.exp((shares * np.log(ratio)).sum(-1))
    return ((shares * ratio ** (1 - sigma)).sum(-1)) ** (1 / (1 - sigma))


def response(tau: np.ndarray, tau_ref: np.ndarray, shares: np.ndarray, pe: PE) -> np.ndarray:
    """Quantity ratio q/q_ref per flow for tariffs ``tau`` (percent, last axis = flows).

    Nested Armington (the SMART family, with infinitely elastic export supply so world
    prices are fixed): partners substitute with elasticity ``armington`` inside the import
    composite; the composite substitutes with domestic beef (its price fixed) with
    ``domestic``; total demand responds to the consumer price index with ``demand``.
    """
    if pe.zero:
        return np.ones_like(tau)
    r = (1 + tau / 100) / (1 + tau_ref / 100)
    pm = _ces_index(shares, r, pe.armington)
    sm = pe.import_share
    if abs(1 - pe.domestic) < 1e-9:
        p = pm ** sm
    else:
        p = (sm * pm ** (1 - pe.domestic) + (1 - sm)) ** (1 / (1 - pe.domestic))
    m = p ** pe.demand * (pm / p) ** (-pe.domestic)
    return m[..., None] * (r / pm[..., None]) ** (-pe.armington)


# --- the month loop ---------------------------------------------------------------------


@dataclass
class RunResult:
    """Sums over paths per design and fiscal year, and optional per-month detail."""

    design_ids: list[str]
    fys: list[int]
    paths: int
    crossed: np.ndarray         # (D, Y) paths that crossed in the year
    ever: np.ndarray            # (D,) paths that crossed at least once
    days: np.ndarray            # (D, Y) days under the safeguard, summed over paths
    imports: np.ndarray         # (D, Y, F) tonnes
    imports_sched: np.ndarray   # (D, Y, F) tonnes at scheduled rates (no safeguard)
    revenue: np.ndarray         # (D, Y) JPY
    protection_num: np.ndarray  # (D, Y) Σ value0 × rate
    protection_den: np.ndarray  # (Y,) Σ value0
    sched_num: np.ndarray       # (D, Y)
    extra_duty: np.ndarray      # (D, Y) JPY
    volumes_hit: np.ndarray     # (D, Y) tonnes
    consumer_cost: np.ndarray   # (D, Y) JPY
    loss: np.ndarray            # (D, Y) tonnes of hit flows lost in safeguard months
    loss_value: np.ndarray      # (D, Y) JPY
    detail: dict | None = None


def run(compiled: list[Compiled], q0: np.ndarray, grid: Grid, flows: list[Flow], pe: PE,
        tau_ref: np.ndarray | None = None, detail: bool = False) -> RunResult:
    """Step every design and path through the grid's months.

    ``q0``: (paths, flows, months) tonnes, the imports at the reference tariffs ``tau_ref``
    (per flow; default each flow's first scheduled rate).
    """
    D, (P, F, T), Y = len(compiled), q0.shape, grid.years
    C = max(len(c.basis) for c in compiled)
    uv = np.array([f.unit_value for f in flows]) * 1000.0  # JPY per tonne
    sched = np.stack([c.sched for c in compiled])                      # (D, F, T)
    if tau_ref is None:
        tau_ref = sched[0, :, 0]
    base_value = (q0.mean(0) * uv[:, None])                            # (F, T) per path
    shares = base_value[:, :12].sum(1)
    shares = shares / shares.sum() if shares.sum() > 0 else np.full(F, 1 / F)
    Rs = response(np.moveaxis(sched, 1, 2), tau_ref, shares, pe)       # (D, T, F)
    Rs = np.moveaxis(Rs, 2, 1)                                         # (D, F, T)

    def pad(name, fill, dtype=float):
        arrs = []
        for c in compiled:
            a = getattr(c, name)
            shape = (C, *a.shape[1:])
            out = np.full(shape, fill, dtype)
            out[:a.shape[0]] = a
            arrs.append(out)
        return np.stack(arrs)

    cmask = pad("count_mask", 0.0)          # (D, C, F, T)
    bmask = pad("base_mask", 0.0)
    active = pad("active", False, bool)     # (D, C, Y)
    basis = pad("basis", 0, np.int8)        # (D, C)
    fixed = pad("fixed", np.nan)            # (D, C, Y)
    percent = pad("percent", np.nan)
    nyears = pad("nyears", 1, np.int64)
    adjust = pad("adjust", False, bool)
    mode = np.array([c.mode for c in compiled])
    in_period = np.stack([c.in_period for c in compiled])              # (D, T)
    ws = np.stack([c.win_start for c in compiled])
    we = np.stack([c.win_end for c in compiled])
    wk = np.stack([c.win_kind for c in compiled])
    sgr = np.stack([c.sg_rate for c in compiled])
    add = np.array([c.remedy_add for c in compiled])
    hit = np.stack([c.hit for c in compiled]).astype(float)            # (D, F, T)
    enr = np.array([c.en_route_days for c in compiled], float)
    art5_dec = [[(c.art5[i] if i < len(c.art5) else None) for i in range(C)] for c in compiled]
    uses_history = bool((basis != BASIS_FIXED).any() or adjust.any())
    uses_percent = bool(((basis == BASIS_PERCENT_MEAN) | (basis == BASIS_PERCENT_MAX)).any())
    adjust_any = bool(adjust.any())
    NY = int(max(3, nyears.max()))
    M = np.concatenate([cmask, bmask], axis=1)                         # (D, 2C, F, T)
    Mt = np.ascontiguousarray(M.transpose(3, 0, 2, 1))                 # (T, D, F, 2C)
    quarter_fixed = np.where(mode == 2, 0.25, 1.0)[:, None, None]
    fixed_eff = fixed * quarter_fixed

    cum = np.zeros((D, P, C))
    basecum = np.zeros((D, P, C))
    hist = np.full((D, P, C, NY, 12), np.nan) if uses_history else None
    level_last = np.full((D, P, C), np.nan)
    carry = np.zeros((D, P, C))
    carry_flag = np.zeros((D, P), bool)
    crossed_year = np.zeros((D, P), bool)
    ever = np.zeros((D, P), bool)
    A = [np.zeros((D, P)), np.full((D, P), -1.0), np.zeros((D, P))]   # start, end, rate
    B = [np.zeros((D, P)), np.full((D, P), -1.0), np.zeros((D, P))]
    pending = np.zeros((D, P, F))
    any_pending = False
    starts, ends = grid.starts, grid.ends

    out_crossed = np.zeros((D, Y))
    out_days = np.zeros((D, Y))
    out_imp = np.zeros((D, Y, F))
    out_imp_s = np.zeros((D, Y, F))
    out_rev = np.zeros((D, Y))
    out_pnum = np.zeros((D, Y))
    out_pden = np.zeros(Y)
    out_snum = np.zeros((D, Y))
    out_extra = np.zeros((D, Y))
    out_hitv = np.zeros((D, Y))
    out_cc = np.zeros((D, Y))
    out_loss = np.zeros((D, Y))
    out_loss_v = np.zeros((D, Y))
    det = None
    if detail:
        det = {"cross": np.zeros((D, P, T), bool), "exceeded": np.zeros((D, P, T), bool),
               "decisive": np.zeros((D, T), bool), "days": np.zeros((D, P, T)),
               "cum": np.zeros((D, P, C, T)), "level": np.full((D, P, C, T), np.nan),
               "imports": np.zeros((D, P, F, T)), "hit_t": np.zeros((D, P, T)),
               "extra": np.zeros((D, P, T)), "win": []}
    phi = pe.front_loading

    for t in range(T):
        y, mo = divmod(t, 12)
        ms, me = starts[t], ends[t]
        nd = me - ms + 1
        if mo == 0:  # a new fiscal year: the last year's window becomes the tail slot
            A = [B[0].copy(), B[1].copy(), B[2].copy()]
            B = [np.zeros((D, P)), np.full((D, P), -1.0), np.zeros((D, P))]
            cum = carry.copy()
            carry = np.zeros((D, P, C))
            carry_flag[:] = False
            crossed_year[:] = False
            basecum[:] = 0.0
        elif (mo % 3 == 0) and (mode == 2).any():
            q_reset = (mode == 2)[:, None, None]
            cum = np.where(q_reset, 0.0, cum)
            basecum = np.where(q_reset, 0.0, basecum)

        # Imports this month at the scheduled rates, then exact rates where a window runs.
        q = q0[None, :, :, t] * Rs[:, None, :, t]                      # (D, P, F)
        q_s = q if not any_pending else q.copy()
        tau_s = sched[:, :, t]                                         # (D, F)
        win_days = None
        live = (np.maximum(A[1], B[1]) >= ms)
        if live.any():
            di, pi = np.nonzero(live)
            a0, a1, ar = A[0][di, pi], A[1][di, pi], A[2][di, pi]
            b0, b1, br = B[0][di, pi], B[1][di, pi], B[2][di, pi]

            def ov(lo, hi, ms=ms, me=me):
                return np.clip(np.minimum(hi, me) - np.maximum(lo, ms) + 1, 0, None)

            oa, ob = ov(a0, a1), ov(b0, b1)
            oab = ov(np.maximum(a0, b0), np.minimum(a1, b1))
            win_days = np.zeros((D, P))
            win_days[di, pi] = oa + ob - oab
            e = enr[di]
            fa = ov(a0 + e, a1) / nd
            fb = (ov(b0 + e, b1) - ov(np.maximum(a0 + e, b0 + e), np.minimum(a1, b1))) / nd
            fb = np.clip(fb, 0, None)
            ts = tau_s[di]                                             # (n, F)
            h = hit[di, :, t]
            if add.any():
                isadd = add[di][:, None]
                sg_part = fa[:, None] * ar[:, None] + fb[:, None] * br[:, None]
                tau_x = np.where(isadd, ts + h * sg_part,
                                 ts + h * (fa[:, None] * (ar[:, None] - ts)
                                           + fb[:, None] * (br[:, None] - ts)))
            else:
                tau_x = ts + h * (fa[:, None] * (ar[:, None] - ts)
                                  + fb[:, None] * (br[:, None] - ts))
            Rx = response(tau_x, tau_ref, shares, pe)
            q = q.copy() if q is q_s else q
            q[di, pi] = q0[pi, :, t] * Rx
            q_live = q[di, pi]
            qs_live = q0[pi, :, t] * Rs[di, :, t]
            dtau = tau_x - ts
            np.add.at(out_rev, (di, y), (uv * q_live * dtau / 100).sum(-1))
            np.add.at(out_pnum, (di, y), (uv * q0[pi, :, t] * dtau / 100).sum(-1))
            extra = (uv * q_live * dtau / 100 * h).sum(-1)
            np.add.at(out_extra, (di, y), extra)
            frac_any = (fa + fb)[:, None]
            vh = (q_live * h * np.clip(frac_any, 0, 1)).sum(-1)
            np.add.at(out_hitv, (di, y), vh)
            np.add.at(out_cc, (di, y), (uv * dtau / 100 * (q_live + qs_live) / 2).sum(-1))
            np.add.at(out_loss, (di, y), ((qs_live - q_live) * h).sum(-1))
            np.add.at(out_loss_v, (di, y), ((qs_live - q_live) * h * uv).sum(-1))
            if det is not None:
                np.add.at(det["hit_t"], (di, pi, t), vh)
                np.add.at(det["extra"], (di, pi, t), extra)
        if any_pending:
            q = q + pending
            np.clip(q, 0.0, None, out=q)
            pending = np.zeros((D, P, F))
            any_pending = False
        if phi > 0 and t + 1 < T:
            # Front-loading: hold imports back before a rate falls, bring them forward before
            # it rises (announced cuts on 1 April; a safeguard's start and end).  Only designs
            # with a scheduled change, and paths with a window, are touched.
            change = sched[:, :, t + 1] - tau_s                          # (D, F)
            total = np.broadcast_to(change[:, None, :], (D, P, F))
            nxt_ms, nxt_me = starts[t + 1], ends[t + 1]
            soon = (np.maximum(A[1], B[1]) >= ms)
            if soon.any():
                di, pi = np.nonzero(soon)
                a = [x[di, pi] for x in A]
                b = [x[di, pi] for x in B]
                b_next = (b[0] <= nxt_me) & (b[1] >= nxt_ms)
                a_next = (a[0] <= nxt_me) & (a[1] >= nxt_ms)
                b_now = (b[0] <= me) & (b[1] >= ms)
                a_now = (a[0] <= me) & (a[1] >= ms)
                sg_next = (a_next | b_next).astype(float)
                sg_now = (a_now | b_now).astype(float)
                r_now = np.where(a_now, a[2], b[2])
                r_next = np.where(a_next, a[2], b[2])
                h = hit[di, :, t]
                ts = tau_s[di]
                dsg = (sg_next * r_next - sg_now * r_now)[:, None] * h \
                    - (sg_next - sg_now)[:, None] * h * ts * (~add[di])[:, None]
                total = total.copy()
                total[di, pi] += dsg
            if (np.abs(change) > 0.05).any() or soon.any():
                down = total < -0.05
                up = total > 0.05
                if down.any() or up.any():
                    hold = np.where(down, phi * q, 0.0)
                    fwd = np.where(up, phi * q0[None, :, :, t + 1] * Rs[:, None, :, t + 1], 0.0)
                    q = q - hold + fwd
                    pending = hold - fwd
                    any_pending = True

        # Count: counted and base scopes for every condition at once.
        inc = np.matmul(q, Mt[t])
        cum += inc[:, :, :C]
        basecum += inc[:, :, C:]
        if hist is not None and (uses_percent or mo == 11):
            hist[:, :, :, y % NY, mo] = basecum

        decisive = np.where(mode == 0, True, mo % 3 == 2)
        act_y = active[:, :, y]                                        # (D, C)
        level = np.broadcast_to(fixed_eff[:, :, y][:, None, :], (D, P, C))
        if hist is not None and uses_percent:
            level = level.copy()
            pct = percent[:, :, y][:, None, :] / 100
            vals = []
            for k in range(1, NY + 1):
                yy = y - k
                v = hist[:, :, :, yy % NY, mo] if yy >= 0 else np.full((D, P, C), np.nan)
                vals.append(np.where((nyears >= k)[:, None, :], v, np.nan))
            stack = np.stack(vals, -1)
            with np.errstate(invalid="ignore"):
                n_ok = (~np.isnan(stack)).sum(-1)
                need = nyears[:, None, :]
                mean = np.where(n_ok >= need, np.nansum(stack, -1) / np.maximum(need, 1), np.nan)
                mx = np.where(n_ok >= need, np.nanmax(np.where(np.isnan(stack), -np.inf, stack),
                                                      -1), np.nan)
            level = np.where((basis == BASIS_PERCENT_MEAN)[:, None, :], pct * mean, level)
            level = np.where((basis == BASIS_PERCENT_MAX)[:, None, :], pct * mx, level)
        if hist is not None:
            if (basis == BASIS_ART5).any():
                level = level.copy()
                annual = [hist[:, :, :, (y - k) % NY, 11] if y - k >= 0
                          else np.full((D, P, C), np.nan) for k in (1, 2, 3)]
                avg = sum(annual) / 3
                for d in range(D):
                    for c in range(C):
                        if basis[d, c] == BASIS_ART5:
                            dec = art5_dec[d][c] or (None, None)
                            a = np.round(avg[d, :, c], dec[0]) if dec[0] is not None \
                                else avg[d, :, c]
                            lv = 1.25 * a
                            if dec[1] is not None:
                                lv = np.round(lv, dec[1])
                            level[d, :, c] = lv
            if adjust_any and y >= 1:
                prior = hist[:, :, :, (y - 1) % NY, 11]
                level = np.where(adjust[:, :, y][:, None, :] & (prior > level), prior, level)
        with np.errstate(invalid="ignore"):
            ok = np.ones((D, P), bool)
            for c in range(C):
                ok &= (cum[:, :, c] > level[:, :, c]) | ~act_y[:, c][:, None]
        ok &= act_y.any(-1)[:, None]
        ok &= decisive[:, None] & in_period[:, t][:, None]
        cross = ok & ~crossed_year
        if mo == 11:
            level_last = np.where(act_y[:, None, :], level, level_last)
        if cross.any():
            crossed_year |= cross
            ever |= cross
            kind = wk[:, t][:, None]
            new = cross & (kind == 1)
            B[0] = np.where(new, ws[:, t][:, None], B[0])
            B[1] = np.where(new, we[:, t][:, None], B[1])
            B[2] = np.where(new, sgr[:, t][:, None], B[2])
            carry_flag |= cross & (kind == 2)
            out_crossed[:, y] += cross.sum(1)
        if mo == 11 and carry_flag.any():
            carry = np.where(carry_flag[:, :, None], np.clip(cum - level_last, 0, None), 0.0)

        # Outputs.
        out_imp[:, y] += q.sum(1)
        out_imp_s[:, y] += (q0[:, :, t].sum(0)[None, :] * Rs[:, :, t])
        base_v = uv * q0[:, :, t].sum(0)                                 # (F,)
        out_rev[:, y] += (uv[None, :] * q.sum(1) * tau_s / 100).sum(-1)
        out_pnum[:, y] += (base_v[None, :] * tau_s / 100).sum(-1)
        out_snum[:, y] += (base_v[None, :] * tau_s / 100).sum(-1)
        out_pden[y] += base_v.sum()
        if win_days is not None:
            out_days[:, y] += win_days.sum(1)
        if det is not None:
            det["cross"][:, :, t] = cross
            det["exceeded"][:, :, t] = ok
            det["decisive"][:, t] = decisive & in_period[:, t]
            det["cum"][:, :, :, t] = cum
            det["level"][:, :, :, t] = np.where(act_y[:, None, :], level, np.nan)
            det["imports"][:, :, :, t] = q
            if win_days is not None:
                det["days"][:, :, t] = win_days
    if det is not None:
        det["windows"] = {"ws": ws, "we": we, "kind": wk, "rate": sgr}
    return RunResult([c.design_id for c in compiled], grid.fys, P, out_crossed, ever.sum(1),
                     out_days, out_imp, out_imp_s, out_rev, out_pnum, out_pden, out_snum,
                     out_extra, out_hitv, out_cc, out_loss, out_loss_v, det)


def fy_of(day: dt.date) -> int:
    return fiscal_year(day)


def fy_bounds(fy: int) -> tuple[dt.date, dt.date]:
    return fiscal_year_start(fy), fiscal_year_end(fy)
