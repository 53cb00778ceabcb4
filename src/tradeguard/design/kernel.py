"""The design engine's month loop: every design and path at once, in numpy (float64).

The loop follows the monitor on monthly data: cumulative counted imports from the period
start (plus any excess carried in), trigger levels at each checkpoint (fixed volumes with
proration; a percentage of the same cumulative point of earlier years), a crossing at the
end of the first decisive month in which every active condition is exceeded, the window the
start and late-crossing rules give, and the excess carried into the next year after a
carry-over crossing.  Days under the safeguard are the union of windows, counted in the
fiscal year they fall in.

Layout and speed.  Arrays put the path axis last and contiguous: (designs, flows, paths).
A path's safeguard state is two small integers, the month of last year's crossing (whose
window may run on as a tail) and of this year's.  Within a month every path with the same
pair sees the same tariffs, so the import response -- the costly part, with its powers -- is
computed once per design and *window pair* (a handful a month), not once per path, and then
gathered onto the paths; the window outputs are summed per pair, weighted by the paths'
baseline imports.  Outputs are not accumulated in warm-up years (``record_from``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tradeguard.design.compile import Compiled, CountingMode, Flow, TriggerBasis, WindowKind
from tradeguard.design.grid import Grid
from tradeguard.design.law import ARTICLE5_BASE_TRIGGER_MULTIPLE, ARTICLE5_BASE_YEARS
from tradeguard.design.response import PE, response

#: Tariff changes smaller than this (percentage points) do not move imports between months.
FRONT_LOADING_MIN_CHANGE = 0.05
_NONE = -1  # no crossing (slot value)


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
    hist: np.ndarray | None     # (NY, 12, D, C, P) base-scope cumulative by year and month
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

    @classmethod
    def start(cls, batch: Batch, P: int, F: int) -> State:
        D, C = len(batch.ids), batch.C
        hist = (np.full((batch.history_years, 12, D, C, P), np.nan)
                if batch.uses_history else None)
        return cls(np.zeros((D, C, P)), np.zeros((D, C, P)), hist,
                   np.full((D, C, P), np.nan), np.zeros((D, C, P)), np.zeros((D, P), bool),
                   np.zeros((D, P), bool), np.zeros((D, P), bool),
                   np.full((D, P), _NONE, np.int64), np.full((D, P), _NONE, np.int64), None,
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


@dataclass(frozen=True)
class Month:
    t: int
    y: int
    mo: int
    start: float    # first day (ordinal)
    end: float      # last day (ordinal)
    next_start: float
    next_end: float
    record: bool    # accumulate outputs this month

    @property
    def days(self) -> float:
        return self.end - self.start + 1


# --- one month's windows: every (tail, own) crossing pair in use ------------------------


@dataclass
class Pairs:
    """The window pairs in use this month and, per design and pair, their effect.

    ``code`` (D, P) gives each path's pair; pair 0 is "no window".
    """

    code: np.ndarray            # (D, P) int
    K: int
    live: np.ndarray            # (D, K) a window of the pair ends on or after the month start
    days: np.ndarray            # (D, K) days under the safeguard this month
    duty_share: np.ndarray      # (D, K) share of the month with the duty (fa + fb, en route off)
    tau: np.ndarray             # (D, K, F) tariff with the safeguard
    R: np.ndarray               # (D, K, F) import response
    now: np.ndarray             # (D, K) safeguard in force this month / next month, and
    nxt: np.ndarray             # (D, K) the rate that applies (for front-loading)
    rate_now: np.ndarray
    rate_next: np.ndarray
    _index: np.ndarray | None = None

    def gather(self, table: np.ndarray) -> np.ndarray:
        """table (D, K, F) → (D, F, P): each path's row of its pair.  The flat index is
        worked out once a month and shared by every table gathered."""
        D, K, F = table.shape
        if self._index is None:
            base = (np.arange(D)[:, None] * F + np.arange(F)[None, :]) * K     # (D, F)
            self._index = base[:, :, None] + self.code[:, None, :]
        return np.take(np.ascontiguousarray(table.transpose(0, 2, 1)).reshape(-1), self._index)


def _slot_params(batch: Batch, slots: np.ndarray, year_first_t: int) -> np.ndarray:
    """(3, D, S) window start, end and rate for crossing months ``slots`` of a year
    (slot -1: no window, start 0, end -1, rate 0)."""
    D = len(batch.ids)
    out = np.zeros((3, D, len(slots)))
    out[1] = -1.0
    real = slots >= 0
    if real.any():
        t = year_first_t + slots[real]
        # A design whose crossing in that month opens no window has no path in the slot.
        opens = (batch.win_kind[:, t] == WindowKind.WINDOW)[None]
        out[:, :, real] = np.where(opens, batch.win[:, :, t], out[:, :, real])
    return out


def _overlap(lo, hi, month: Month):
    return np.clip(np.minimum(hi, month.end) - np.maximum(lo, month.start) + 1, 0, None)


def _pairs(batch: Batch, state: State, market: Market, month: Month) -> Pairs | None:
    """The window pairs of this month, or None when no path has a window running."""
    tail_ids = _slots_in_use(batch, state.tail_used, 12 * (month.y - 1), month)
    own_ids = _slots_in_use(batch, state.own_used, 12 * month.y, month)
    if len(tail_ids) == 1 and len(own_ids) == 1:
        return None
    a = _slot_params(batch, tail_ids, 12 * (month.y - 1))[:, :, :, None]
    b = _slot_params(batch, own_ids, 12 * month.y)[:, :, None, :]
    a0, a1, ar = (np.broadcast_to(x, (x.shape[0], len(tail_ids), len(own_ids))) for x in a)
    b0, b1, br = (np.broadcast_to(x, a0.shape) for x in b)
    shape = (len(batch.ids), -1)
    a0, a1, ar, b0, b1, br = (x.reshape(shape) for x in (a0, a1, ar, b0, b1, br))
    e = batch.en_route[:, None]
    live = np.maximum(a1, b1) >= month.start
    days = (_overlap(a0, a1, month) + _overlap(b0, b1, month)
            - _overlap(np.maximum(a0, b0), np.minimum(a1, b1), month))
    fa = _overlap(a0 + e, a1, month) / month.days
    fb = (_overlap(b0 + e, b1, month)
          - _overlap(np.maximum(a0 + e, b0 + e), np.minimum(a1, b1), month)) / month.days
    fb = np.clip(fb, 0, None)
    tau, R = _pair_tariffs(batch, market, month, fa, ar, fb, br, live)
    nxt_month = Month(month.t, month.y, month.mo, month.next_start, month.next_end, 0, 0, False)
    a_now, b_now = _in_force(a0, a1, month), _in_force(b0, b1, month)
    a_next, b_next = _in_force(a0, a1, nxt_month), _in_force(b0, b1, nxt_month)
    code = _codes(state, tail_ids, own_ids)
    return Pairs(code, a0.shape[1], live, np.where(live, days, 0.0),
                 np.where(live, fa + fb, 0.0), tau, R,
                 (a_now | b_now).astype(float), (a_next | b_next).astype(float),
                 np.where(a_now, ar, br), np.where(a_next, ar, br))


def _in_force(lo, hi, month: Month):
    return (lo <= month.end) & (hi >= month.start)


def _slots_in_use(batch: Batch, used: np.ndarray, year_first_t: int, month: Month
                  ) -> np.ndarray:
    """-1 and the crossing months whose window (in some design) has not ended yet."""
    if year_first_t < 0 or not used.any():
        return np.array([_NONE])
    used = np.flatnonzero(used)
    ends = batch.win[1][:, year_first_t + used]  # (D, S)
    return np.concatenate([[_NONE], used[(ends >= month.start).any(0)]]).astype(np.int64)


def _codes(state: State, tail_ids: np.ndarray, own_ids: np.ndarray) -> np.ndarray:
    """Each path's pair index; a slot whose window has ended counts as no window."""
    tail_map = np.zeros(13, np.int64)
    tail_map[tail_ids + 1] = np.arange(len(tail_ids))
    own_map = np.zeros(13, np.int64)
    own_map[own_ids + 1] = np.arange(len(own_ids))
    return tail_map[state.tail_slot + 1] * len(own_ids) + own_map[state.own_slot + 1]


def _pair_tariffs(batch: Batch, market: Market, month: Month, fa, ar, fb, br, live):
    """Tariff and response per design, pair and flow; pairs with no window running keep the
    scheduled response exactly."""
    t = month.t
    ts = batch.sched[:, None, :, t]                              # (D, 1, F)
    h = batch.hit[:, None, :, t]
    fa, ar, fb, br = (x[:, :, None] for x in (fa, ar, fb, br))
    replace = ts + h * (fa * (ar - ts) + fb * (br - ts))
    add = ts + h * (fa * ar + fb * br)
    tau = np.where(batch.add[:, None, None], add, replace)
    R = np.where(live[:, :, None], response(tau, market.tau_ref, market.shares, market.pe),
                 market.Rs[:, None, t, :])
    return np.where(live[:, :, None], tau, ts), R


# --- the monthly steps ------------------------------------------------------------------


def _new_period(batch: Batch, state: State, month: Month) -> None:
    """A new fiscal year: this year's window becomes the tail, the carried excess starts the
    count.  A new quarter: separate-quarter designs count from zero."""
    if month.mo == 0:
        state.tail_slot, state.tail_used = state.own_slot, state.own_used
        state.own_slot = np.full_like(state.own_slot, _NONE)
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
    if moved.designs is None:
        q = q + moved.values
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
        # response or 0 to bring forward (x * 1.0 and x * 0.0 keep the sums exact).
        hold = q * pairs.gather(phi * down)
        fwd = (phi * market.q0t[t + 1])[None] * pairs.gather(market.Rs[:, None, t + 1, :] * up)
    state.pending = Moved(hold - fwd)
    return q - hold + fwd


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
        state.hist[month.y % state.hist.shape[0], month.mo] = state.basecum


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
    for k in range(1, state.hist.shape[0] + 1):
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
    years = [_earlier_years(state.hist, month.y, 11, k)
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
    """Trigger levels (D, C, P or 1) at this month's end."""
    level = batch.fixed_eff[:, :, month.y, None]
    if state.hist is None:
        return level
    if batch.uses_percent:
        level = _percent_levels(batch, state, month, level)
    if batch.uses_article5:
        level = _article5_levels(batch, state, month, level)
    if batch.adjust.any() and month.y >= 1:
        # The prior year's imports, where higher, replace the level (USJTA beef).
        prior = state.hist[(month.y - 1) % state.hist.shape[0], 11]
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
        pairs = _pairs(batch, state, market, month)
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
