"""The design engine's month loop: every design and path at once, in numpy (float64).

The loop follows the monitor on monthly data: cumulative counted imports from the period
start (plus any excess carried in), trigger levels at each checkpoint (fixed volumes with
proration; a percentage of the same cumulative point of earlier years), a crossing at the
end of the first decisive month in which every active condition is exceeded, the window the
start and late-crossing rules give, and the excess carried into the next year after a
carry-over crossing.  Days under the safeguard are the union of windows, counted in the
fiscal year they fall in.

Layout and speed.  Arrays put the path axis last and contiguous: (designs, flows, paths).
The import response -- the costly part, with its powers -- is computed once per design and
*window pair* (a handful a month; :mod:`tradeguard.design.windows`), not once per path, and
then gathered onto the paths; the window outputs are summed per pair, weighted by the paths'
baseline imports.  Outputs are not accumulated in warm-up years (``record_from``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeguard.design.compile import Compiled, CountingMode, Flow, TriggerBasis, WindowKind
from tradeguard.design.grid import Grid
from tradeguard.design.law import ARTICLE5_BASE_TRIGGER_MULTIPLE, ARTICLE5_BASE_YEARS
from tradeguard.design.response import PE, response
from tradeguard.design.windows import NO_CROSSING, Month, Pairs, month_pairs

#: Tariff changes smaller than this (percentage points) do not move imports between months.
FRONT_LOADING_MIN_CHANGE = 0.05


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


# --- the designs, stacked ---------------------------------------------------------------


@dataclass
class Batch:
    """The compiled designs stacked on a leading design axis; conditions padded to C."""

    ids: list[str]
    mode: np.ndarray            # (D,) CountingMode
    masks: np.ndarray           # (T, D, 2C, F) counted conditions, then base scopes
    active: np.ndarray          # (D, C, Y)
    basis: np.ndarray           # (D, C) TriggerBasis
    fixed_eff: np.ndarray       # (D, C, Y) fixed level per counting period
    percent: np.ndarray         # (D, C, Y)
    nyears: np.ndarray          # (D, C)
    art5: list                  # [d][c]: (avg_decimals, trig_decimals) or None
    adjust: np.ndarray          # (D, C, Y)
    in_period: np.ndarray       # (D, T)
    win: np.ndarray             # (3, D, T) window start, end and rate of a crossing in t
    win_kind: np.ndarray        # (D, T) WindowKind
    add: np.ndarray             # (D,) the safeguard duty adds to the scheduled rate
    hit: np.ndarray             # (D, F, T) 0/1
    sched: np.ndarray           # (D, F, T) scheduled percent
    en_route: np.ndarray        # (D,) days exempt at a window's start

    def __post_init__(self) -> None:
        # Read every month: worked out once.
        self.C = self.basis.shape[1]
        self.history_years = int(max(ARTICLE5_BASE_YEARS, self.nyears.max()))
        self.uses_history = bool((self.basis != TriggerBasis.FIXED).any() or self.adjust.any())
        self.uses_percent = bool(np.isin(self.basis, (TriggerBasis.PERCENT_MEAN,
                                                      TriggerBasis.PERCENT_MAX)).any())
        self.uses_article5 = bool((self.basis == TriggerBasis.ART5).any())
        self.any_quarterly = bool((self.mode == CountingMode.QUARTERLY).any())
        self.hit_flows = np.flatnonzero(self.hit.any((0, 2)))   # flows any design hits

    @classmethod
    def stack(cls, compiled: list[Compiled]) -> Batch:
        C = max(len(c.basis) for c in compiled)

        def pad(name: str, fill, dtype=float) -> np.ndarray:
            out = []
            for c in compiled:
                a = getattr(c, name)
                full = np.full((C, *a.shape[1:]), fill, dtype)
                full[:a.shape[0]] = a
                out.append(full)
            return np.stack(out)

        mode = np.array([c.mode for c in compiled])
        masks = np.concatenate([pad("count_mask", 0.0), pad("base_mask", 0.0)], axis=1)
        quarter_share = np.where(mode == CountingMode.QUARTERLY, 0.25, 1.0)[:, None, None]
        return cls(
            [c.design_id for c in compiled], mode,
            np.ascontiguousarray(masks.transpose(3, 0, 1, 2)),
            pad("active", False, bool), pad("basis", 0, np.int8),
            pad("fixed", np.nan) * quarter_share, pad("percent", np.nan),
            pad("nyears", 1, np.int64),
            [[(c.art5[i] if i < len(c.art5) else None) for i in range(C)] for c in compiled],
            pad("adjust", False, bool), np.stack([c.in_period for c in compiled]),
            np.stack([np.stack([c.win_start, c.win_end, c.sg_rate]) for c in compiled], 1),
            np.stack([c.win_kind for c in compiled]),
            np.array([c.remedy_add for c in compiled]),
            np.stack([c.hit for c in compiled]).astype(float),
            np.stack([c.sched for c in compiled]),
            np.array([c.en_route_days for c in compiled], float))


# --- the paths' state and the totals ----------------------------------------------------


@dataclass
class State:
    """What each (design, path) carries from month to month; path axis last."""

    cum: np.ndarray             # (D, C, P) counted imports in the current period
    basecum: np.ndarray         # (D, C, P) base-scope imports in the current period
    hist: np.ndarray | None     # (NY, 12 or 1, D, C, P) base-scope cumulative by year and
                                # month; only the year-end (index -1) without percent bases
    level_last: np.ndarray      # (D, C, P) the level at the last year-end
    carry: np.ndarray           # (D, C, P) excess carried into the next year
    carry_flag: np.ndarray      # (D, P) crossed late this year: carry the excess over
    crossed_year: np.ndarray    # (D, P)
    ever: np.ndarray            # (D, P)
    tail_slot: np.ndarray       # (D, P) month (0-11) of last year's crossing with a window
    own_slot: np.ndarray        # (D, P) month (0-11) of this year's crossing with a window
    pending: Moved | None       # imports moved into the next month
    tail_used: np.ndarray       # (12,) some path holds this month of last year as its tail
    own_used: np.ndarray        # (12,) some path crossed (with a window) in this month
    year_levels: tuple[int, np.ndarray] | None = None  # (year, levels) when they are fixed

    @classmethod
    def start(cls, batch: Batch, P: int, F: int) -> State:
        D, C = len(batch.ids), batch.C
        # One slot per earlier year read, plus the current year's (written before the levels
        # are read): with only as many slots as years read, the oldest year's slot would
        # already hold this year's count.
        # Percentage bases read every month of earlier years; Art. 5 and the adjustment to
        # last year's imports read only year-ends, so only those are kept (1/12 the memory).
        months = 12 if batch.uses_percent else 1
        hist = (np.full((batch.history_years + 1, months, D, C, P), np.nan)
                if batch.uses_history else None)
        return cls(np.zeros((D, C, P)), np.zeros((D, C, P)), hist,
                   np.full((D, C, P), np.nan), np.zeros((D, C, P)), np.zeros((D, P), bool),
                   np.zeros((D, P), bool), np.zeros((D, P), bool),
                   np.full((D, P), NO_CROSSING, np.int64), np.full((D, P), NO_CROSSING, np.int64), None,
                   np.zeros(12, bool), np.zeros(12, bool))


@dataclass
class Totals:
    """Sums over paths per design and year (the RunResult's arrays)."""

    crossed: np.ndarray
    days: np.ndarray
    imports: np.ndarray
    imports_sched: np.ndarray
    revenue: np.ndarray
    protection_num: np.ndarray
    protection_den: np.ndarray
    sched_num: np.ndarray
    extra_duty: np.ndarray
    volumes_hit: np.ndarray
    consumer_cost: np.ndarray
    loss: np.ndarray
    loss_value: np.ndarray

    @classmethod
    def zeros(cls, D: int, Y: int, F: int) -> Totals:
        z = [np.zeros((D, Y)) for _ in range(11)]
        return cls(z[0], z[1], np.zeros((D, Y, F)), np.zeros((D, Y, F)), z[2], z[3],
                   np.zeros(Y), z[4], z[5], z[6], z[7], z[8], z[9])


@dataclass
class Market:
    """The paths' baseline imports and how they respond to tariffs."""

    q0t: np.ndarray             # (T, F, P) tonnes at the reference tariffs
    q0_total: np.ndarray        # (T, F) summed over paths
    Rs: np.ndarray              # (D, T, F) response at the scheduled rates
    uv: np.ndarray              # (F,) JPY per tonne
    tau_ref: np.ndarray         # (F,)
    shares: np.ndarray          # (F,) value shares for the CES index
    pe: PE

    @classmethod
    def of(cls, q0: np.ndarray, batch: Batch, flows: list[Flow], pe: PE,
           tau_ref: np.ndarray | None) -> Market:
        F = q0.shape[1]
        uv = np.array([f.unit_value for f in flows]) * 1000.0  # JPY per tonne
        if tau_ref is None:
            tau_ref = batch.sched[0, :, 0]
        shares = (q0.mean(0) * uv[:, None])[:, :12].sum(1)
        shares = shares / shares.sum() if shares.sum() > 0 else np.full(F, 1 / F)
        Rs = np.ascontiguousarray(response(np.moveaxis(batch.sched, 1, 2), tau_ref, shares, pe))
        q0t = np.ascontiguousarray(q0.transpose(2, 1, 0))
        return cls(q0t, q0t.sum(-1), Rs, uv, tau_ref, shares, pe)


# --- the monthly steps ------------------------------------------------------------------


def _new_period(batch: Batch, state: State, month: Month) -> None:
    """A new fiscal year: this year's window becomes the tail, the carried excess starts the
    count.  A new quarter: separate-quarter designs count from zero."""
    if month.mo == 0:
        state.tail_slot, state.tail_used = state.own_slot, state.own_used
        state.own_slot = np.full_like(state.own_slot, NO_CROSSING)
        state.own_used = np.zeros(12, bool)
        state.cum = state.carry
        state.carry = np.zeros_like(state.carry)
        state.carry_flag[:] = False
        state.crossed_year[:] = False
        state.basecum = np.zeros_like(state.basecum)
    elif month.mo % 3 == 0 and batch.any_quarterly:
        quarterly = (batch.mode == CountingMode.QUARTERLY)[:, None, None]
        state.cum = np.where(quarterly, 0.0, state.cum)
        state.basecum = np.where(quarterly, 0.0, state.basecum)


def _imports(market: Market, pairs: Pairs | None, month: Month) -> np.ndarray:
    """(D, F, P) imports this month at the tariffs each path faces."""
    q0 = market.q0t[month.t][None]
    if pairs is None:
        return q0 * market.Rs[:, month.t, :, None]
    q = pairs.gather(pairs.R)
    return np.multiply(q0, q, out=q)


def _pair_weights(pairs: Pairs, q0: np.ndarray) -> np.ndarray:
    """Baseline imports ``q0`` (F', P) summed over each (design, pair)'s paths: (D, K, F')."""
    D, P = pairs.code.shape
    flat = (np.arange(D)[:, None] * pairs.K + pairs.code).reshape(-1)
    by_flow = [np.bincount(flat, weights=np.broadcast_to(row, (D, P)).reshape(-1),
                           minlength=D * pairs.K) for row in q0]
    return np.stack(by_flow, -1).reshape(D, pairs.K, len(q0))


def _window_outputs(batch: Batch, pairs: Pairs, market: Market, month: Month,
                    totals: Totals) -> None:
    """Revenue, extra duty, volumes hit, consumer cost and loss of access in windows.

    Only flows the safeguard hits pay a different rate in a window (elsewhere the rate
    difference is exactly zero), so only they are summed."""
    t, y, f = month.t, month.y, batch.hit_flows
    q0 = _pair_weights(pairs, market.q0t[t][f])                 # (D, K, F')
    uv = market.uv[f]
    ts = batch.sched[:, None, f, t]
    h = batch.hit[:, None, f, t]
    q = q0 * pairs.R[:, :, f]
    q_sched = q0 * market.Rs[:, None, t, f]
    duty = uv * (pairs.tau[:, :, f] - ts) / 100                 # JPY per tonne
    totals.revenue[:, y] += (q * duty).sum((1, 2))
    totals.protection_num[:, y] += (q0 * duty).sum((1, 2))
    totals.extra_duty[:, y] += (q * duty * h).sum((1, 2))
    share = np.clip(pairs.duty_share, 0, 1)[:, :, None]
    totals.volumes_hit[:, y] += (q * h * share).sum((1, 2))
    totals.consumer_cost[:, y] += (duty * (q + q_sched) / 2).sum((1, 2))
    totals.loss[:, y] += ((q_sched - q) * h).sum((1, 2))
    totals.loss_value[:, y] += ((q_sched - q) * h * uv).sum((1, 2))
    count = np.bincount((np.arange(len(batch.ids))[:, None] * pairs.K + pairs.code).reshape(-1),
                        minlength=pairs.code.shape[0] * pairs.K).reshape(-1, pairs.K)
    totals.days[:, y] += (count * pairs.days).sum(1)


@dataclass
class Moved:
    """Imports moved into the next month by front-loading (negative: brought forward).

    Either for every path (``values`` (D, F, P)) or for a few (``values`` (n, F) at
    ``[designs[i], :, paths[i]]``)."""

    values: np.ndarray
    designs: np.ndarray | None = None
    paths: np.ndarray | None = None


#: Above this share of (design, path) pairs touched, front-loading works on whole arrays.
_DENSE_SHARE = 0.25


def _release_pending(state: State, q: np.ndarray) -> np.ndarray:
    moved, state.pending = state.pending, None
    if moved is None:
        return q
    if moved.designs is None:  # q is this month's own array: add in place
        q += moved.values
        np.clip(q, 0.0, None, out=q)
        return q
    di, pi = moved.designs, moved.paths
    q[di, :, pi] = np.clip(q[di, :, pi] + moved.values, 0.0, None)
    return q


def _rate_changes(batch: Batch, pairs: Pairs | None, t: int) -> np.ndarray:
    """(D, K, F) change of the rate each pair's paths pay, this month to the next."""
    change = batch.sched[:, :, t + 1] - batch.sched[:, :, t]    # (D, F)
    if pairs is None:
        return change[:, None, :]
    h, ts = batch.hit[:, None, :, t], batch.sched[:, None, :, t]
    now, nxt = pairs.now[:, :, None], pairs.nxt[:, :, None]
    dsg = ((nxt * pairs.rate_next[:, :, None] - now * pairs.rate_now[:, :, None]) * h
           - (nxt - now) * h * ts * (~batch.add)[:, None, None])
    return np.where(pairs.live[:, :, None], change[:, None, :] + dsg, change[:, None, :])


def _front_load(batch: Batch, state: State, market: Market, pairs: Pairs | None,
                month: Month, q: np.ndarray) -> np.ndarray:
    """Hold imports back before a rate falls and bring them forward before it rises
    (announced cuts on 1 April; a safeguard's start and end)."""
    phi, t = market.pe.front_loading, month.t
    if phi <= 0 or t + 1 >= batch.sched.shape[2]:
        return q
    total = _rate_changes(batch, pairs, t)
    down = total < -FRONT_LOADING_MIN_CHANGE
    up = total > FRONT_LOADING_MIN_CHANGE
    if not (down.any() or up.any()):
        return q
    if pairs is None:  # the same for every path of a design: scale whole rows
        hold = q * (phi * down.transpose(0, 2, 1))
        fwd = (phi * market.q0t[t + 1])[None] * (market.Rs[:, t + 1, :] * up[:, 0])[:, :, None]
    else:
        touched = np.take_along_axis((down | up).any(-1), pairs.code, 1)   # (D, P)
        if touched.sum() <= _DENSE_SHARE * touched.size:
            return _front_load_some(market, pairs, t, q, down, up, touched, state)
        # Factors per pair, gathered onto the paths: phi or 0 to hold back, the next month's
        # response or 0 to bring forward (x * 1.0 and x * 0.0 keep the sums exact).  The
        # gathered arrays are fresh: multiplied in place, no further temporaries.
        hold = pairs.gather(phi * down)
        hold *= q
        fwd = pairs.gather(market.Rs[:, None, t + 1, :] * up)
        fwd *= (phi * market.q0t[t + 1])[None]
    state.pending = Moved(hold - fwd)
    q -= hold  # q is this month's own array (see _imports and _release_pending)
    q += fwd
    return q


def _front_load_some(market: Market, pairs: Pairs, t: int, q: np.ndarray, down: np.ndarray,
                     up: np.ndarray, touched: np.ndarray, state: State) -> np.ndarray:
    """Front-loading on the few paths whose rate changes (a window starting or ending)."""
    phi = market.pe.front_loading
    di, pi = np.nonzero(touched)
    k = pairs.code[di, pi]
    rows = q[di, :, pi]                                          # (n, F)
    hold = np.where(down[di, k], phi * rows, 0.0)
    fwd = np.where(up[di, k], phi * market.q0t[t + 1][:, pi].T * market.Rs[di, t + 1, :], 0.0)
    q[di, :, pi] = rows - hold + fwd
    state.pending = Moved(hold - fwd, di, pi)
    return q


def _count(batch: Batch, state: State, q: np.ndarray, month: Month) -> None:
    """Add the month's imports to every condition's counted and base-scope totals."""
    inc = np.matmul(batch.masks[month.t], q)                    # (D, 2C, P)
    C = batch.C
    state.cum += inc[:, :C]
    state.basecum += inc[:, C:]
    if state.hist is not None and (batch.uses_percent or month.mo == 11):
        slot = month.mo if batch.uses_percent else -1  # -1: the year-end
        state.hist[month.y % state.hist.shape[0], slot] = state.basecum


def _earlier_years(hist: np.ndarray, y: int, mo: int, k: int) -> np.ndarray:
    """The base-scope cumulative of ``k`` years before year ``y`` at month ``mo`` (NaN if
    the grid does not reach back so far)."""
    if y - k < 0:
        return np.full(hist.shape[2:], np.nan)
    return hist[(y - k) % hist.shape[0], mo]


def _percent_levels(batch: Batch, state: State, month: Month, level: np.ndarray
                    ) -> np.ndarray:
    """A percentage of the mean (or the largest) of earlier years at the same point."""
    y, mo = month.y, month.mo
    need = batch.nyears[:, :, None]                              # (D, C, 1)
    total = found = largest = None
    for k in range(1, batch.history_years + 1):
        v = np.where(need >= k, _earlier_years(state.hist, y, mo, k), np.nan)
        ok = ~np.isnan(v)
        total = np.where(ok, v, 0.0) if total is None else total + np.where(ok, v, 0.0)
        found = ok.astype(np.int64) if found is None else found + ok
        largest = (np.where(ok, v, -np.inf) if largest is None
                   else np.maximum(largest, np.where(ok, v, -np.inf)))
    enough = found >= need
    with np.errstate(invalid="ignore"):
        mean = np.where(enough, total / np.maximum(need, 1), np.nan)
    largest = np.where(enough, largest, np.nan)
    pct = batch.percent[:, :, y, None] / 100
    basis = batch.basis[:, :, None]
    level = np.where(basis == TriggerBasis.PERCENT_MEAN, pct * mean, level)
    return np.where(basis == TriggerBasis.PERCENT_MAX, pct * largest, level)


def _article5_levels(batch: Batch, state: State, month: Month, level: np.ndarray
                     ) -> np.ndarray:
    """WTO AoA Art. 5.4: a multiple of the average of the three preceding years' imports."""
    years = [_earlier_years(state.hist, month.y, -1, k)  # year-ends
             for k in range(1, ARTICLE5_BASE_YEARS + 1)]
    average = sum(years) / ARTICLE5_BASE_YEARS
    level = np.array(np.broadcast_to(level, average.shape))
    for d, c in zip(*np.nonzero(batch.basis == TriggerBasis.ART5), strict=True):
        avg_dec, trig_dec = batch.art5[d][c] or (None, None)
        a = average[d, c] if avg_dec is None else np.round(average[d, c], avg_dec)
        lv = ARTICLE5_BASE_TRIGGER_MULTIPLE * a
        level[d, c] = lv if trig_dec is None else np.round(lv, trig_dec)
    return level


def _levels(batch: Batch, state: State, month: Month) -> np.ndarray:
    """Trigger levels (D, C, P or 1) at this month's end.

    Without percentage bases a level depends on the year alone (its fixed volume, the
    three preceding years for Art. 5, last year's imports for the adjustment, all read at
    year-ends): worked out in the year's first month and kept, not redone every month."""
    if batch.uses_percent:
        return _month_levels(batch, state, month)
    if state.year_levels is None or state.year_levels[0] != month.y:
        state.year_levels = (month.y, _month_levels(batch, state, month))
    return state.year_levels[1]


def _month_levels(batch: Batch, state: State, month: Month) -> np.ndarray:
    level = batch.fixed_eff[:, :, month.y, None]
    if state.hist is None:
        return level
    if batch.uses_percent:
        level = _percent_levels(batch, state, month, level)
    if batch.uses_article5:
        level = _article5_levels(batch, state, month, level)
    if batch.adjust.any() and month.y >= 1:
        # The prior year's imports, where higher, replace the level (USJTA beef).
        prior = state.hist[(month.y - 1) % state.hist.shape[0], -1]  # last year's end
        level = np.where(batch.adjust[:, :, month.y, None] & (prior > level), prior, level)
    return level


def _cross(batch: Batch, state: State, month: Month, level: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Test every active condition; record first crossings, their windows and carry-overs.
    Returns (exceeded, crossed) for the month, each (D, P)."""
    t, mo = month.t, month.mo
    active = batch.active[:, :, month.y]                         # (D, C)
    with np.errstate(invalid="ignore"):
        exceeded = ((state.cum > level) | ~active[:, :, None]).all(1)
    decisive = np.where(batch.mode == CountingMode.ANNUAL, True, mo % 3 == 2)
    exceeded &= (active.any(1) & decisive & batch.in_period[:, t])[:, None]
    cross = exceeded & ~state.crossed_year
    if mo == 11:
        state.level_last = np.where(active[:, :, None], level, state.level_last)
    if cross.any():
        state.crossed_year |= cross
        state.ever |= cross
        kind = batch.win_kind[:, t][:, None]
        opens = cross & (kind == WindowKind.WINDOW)
        state.own_slot = np.where(opens, mo, state.own_slot)
        state.own_used[mo] = opens.any()
        state.carry_flag |= cross & (kind == WindowKind.CARRY_OVER)
    if mo == 11 and state.carry_flag.any():
        excess = np.clip(state.cum - state.level_last, 0, None)
        state.carry = np.where(state.carry_flag[:, None, :], excess, 0.0)
    return exceeded, cross


def _month_outputs(batch: Batch, market: Market, month: Month, q: np.ndarray,
                   totals: Totals) -> None:
    t, y, uv = month.t, month.y, market.uv
    tau = batch.sched[:, :, t]
    q_total = q.sum(-1)                                          # (D, F)
    base_value = uv * market.q0_total[t]                         # (F,)
    totals.imports[:, y] += q_total
    totals.imports_sched[:, y] += market.q0_total[t][None, :] * market.Rs[:, t, :]
    totals.revenue[:, y] += (uv[None, :] * q_total * tau / 100).sum(-1)
    totals.protection_num[:, y] += (base_value[None, :] * tau / 100).sum(-1)
    totals.sched_num[:, y] += (base_value[None, :] * tau / 100).sum(-1)
    totals.protection_den[y] += base_value.sum()


# --- per-month detail (back-tests and checks) -------------------------------------------


def _new_detail(D: int, P: int, C: int, F: int, T: int) -> dict:
    return {"cross": np.zeros((D, P, T), bool), "exceeded": np.zeros((D, P, T), bool),
            "decisive": np.zeros((D, T), bool), "days": np.zeros((D, P, T)),
            "cum": np.zeros((D, P, C, T)), "level": np.full((D, P, C, T), np.nan),
            "imports": np.zeros((D, P, F, T)), "hit_t": np.zeros((D, P, T)),
            "extra": np.zeros((D, P, T)), "win": []}


def _window_detail(det: dict, batch: Batch, pairs: Pairs, q_window: np.ndarray,
                   market: Market, month: Month) -> None:
    """Per-path days, volumes hit and extra duty in windows (``q_window``: the month's
    imports before any front-loading moves)."""
    t = month.t
    h = batch.hit[:, :, t, None]
    share = np.take_along_axis(np.clip(pairs.duty_share, 0, 1), pairs.code, 1)
    dtau = pairs.gather(pairs.tau - batch.sched[:, None, :, t])
    uv = market.uv[None, :, None]
    det["days"][:, :, t] = np.take_along_axis(pairs.days, pairs.code, 1)
    det["hit_t"][:, :, t] += (q_window * h * share[:, None, :]).sum(1)
    det["extra"][:, :, t] += (uv * q_window * dtau / 100 * h).sum(1)


def _month_detail(det: dict, batch: Batch, state: State, month: Month, q: np.ndarray,
                  level: np.ndarray, exceeded: np.ndarray, cross: np.ndarray) -> None:
    t = month.t
    active = batch.active[:, :, month.y, None]
    decisive = np.where(batch.mode == CountingMode.ANNUAL, True, month.mo % 3 == 2)
    det["cross"][:, :, t] = cross
    det["exceeded"][:, :, t] = exceeded
    det["decisive"][:, t] = decisive & batch.in_period[:, t]
    det["cum"][:, :, :, t] = state.cum.transpose(0, 2, 1)
    det["level"][:, :, :, t] = np.where(active, level, np.nan).transpose(0, 2, 1)
    det["imports"][:, :, :, t] = q.transpose(0, 2, 1)


# --- the loop ---------------------------------------------------------------------------


def _months(grid: Grid, record_from: int):
    starts, ends = grid.starts, grid.ends
    for t in range(grid.months):
        y, mo = divmod(t, 12)
        nxt = min(t + 1, grid.months - 1)
        yield Month(t, y, mo, starts[t], ends[t], starts[nxt], ends[nxt], y >= record_from)


def run(compiled: list[Compiled], q0: np.ndarray, grid: Grid, flows: list[Flow], pe: PE,
        tau_ref: np.ndarray | None = None, detail: bool = False,
        record_from: int = 0) -> RunResult:
    """Step every design and path through the grid's months.

    ``q0``: (paths, flows, months) tonnes, the imports at the reference tariffs ``tau_ref``
    (per flow; default each flow's first scheduled rate).  Outputs are summed from year
    index ``record_from`` on (earlier years, the warm-up, stay zero); crossings count in
    every year.
    """
    batch = Batch.stack(compiled)
    market = Market.of(q0, batch, flows, pe, tau_ref)
    (P, F, T), D = q0.shape, len(compiled)
    state = State.start(batch, P, F)
    totals = Totals.zeros(D, grid.years, F)
    det = _new_detail(D, P, batch.C, F, T) if detail else None
    for month in _months(grid, record_from):
        _new_period(batch, state, month)
        pairs = month_pairs(batch, state, market, month)
        q = _imports(market, pairs, month)
        if pairs is not None and month.record:
            _window_outputs(batch, pairs, market, month, totals)
        if pairs is not None and det is not None:
            _window_detail(det, batch, pairs, q, market, month)
        q = _release_pending(state, q)
        q = _front_load(batch, state, market, pairs, month, q)
        _count(batch, state, q, month)
        level = _levels(batch, state, month)
        exceeded, cross = _cross(batch, state, month, level)
        totals.crossed[:, month.y] += cross.sum(1)
        if month.record:
            _month_outputs(batch, market, month, q, totals)
        if det is not None:
            _month_detail(det, batch, state, month, q, level, exceeded, cross)
    if det is not None:
        det["windows"] = {"ws": batch.win[0], "we": batch.win[1], "kind": batch.win_kind,
                          "rate": batch.win[2]}
    return RunResult(batch.ids, grid.fys, P, totals.crossed, state.ever.sum(1), totals.days,
                     totals.imports, totals.imports_sched, totals.revenue,
                     totals.protection_num, totals.protection_den, totals.sched_num,
                     totals.extra_duty, totals.volumes_hit, totals.consumer_cost, totals.loss,
                     totals.loss_value, det)
