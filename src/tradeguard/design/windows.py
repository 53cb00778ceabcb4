"""One month's safeguard windows in the design engine: every (tail, own) crossing pair in use.

A path's safeguard state is two small integers, the month of last year's crossing (whose
window may run on as a tail) and of this year's.  Within a month every path with the same
pair faces the same tariffs, so the tariff and the import response are worked out once per
design and pair (:class:`Pairs`), then gathered onto the paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tradeguard.design.compile import WindowKind
from tradeguard.design.response import response

if TYPE_CHECKING:
    from tradeguard.design.kernel import Batch, Market, State

NO_CROSSING = -1  # a slot with no crossing


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


def month_pairs(batch: Batch, state: State, market: Market, month: Month) -> Pairs | None:
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
        return np.array([NO_CROSSING])
    used = np.flatnonzero(used)
    ends = batch.win[1][:, year_first_t + used]  # (D, S)
    return np.concatenate([[NO_CROSSING], used[(ends >= month.start).any(0)]]).astype(np.int64)


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
