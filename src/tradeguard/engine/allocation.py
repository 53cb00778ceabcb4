"""First-come-first-served quota allocation, vectorised, with pro rata on a full day.

Declarations accepted on the same day are treated as simultaneous (as in the
EU and UK first-come-first-served practice): if one day's requests fit in the
balance, each gets all it asked for; if they exceed it, each gets the same
share of what is left, and the quota is exhausted.  So for quota q and day d:

    available(q, d) = max(volume(q) - requests of q before d, 0)
    allocated(i)    = request(i) × min(1, available(q, d) / requests of q on d)

which needs only a cumulative sum per quota, so it runs as one Ibis expression.
:func:`allocate_reference` is the slow, obviously-correct loop it is tested against.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import ibis
import pyarrow as pa
from ibis import _


def allocate(requests: Any, volumes: Any, *, backend: Any = None) -> pa.Table:
    """Allocate ``requests`` (columns quota_id, period, day, request_t, plus any others)
    against ``volumes`` (quota_id, period, volume_t).  Adds ``allocated_t``."""
    # A memtable registers Arrow data without copying it (an explicit backend still runs it).
    req = requests if isinstance(requests, ibis.Table) else ibis.memtable(requests)
    vol = volumes if isinstance(volumes, ibis.Table) else ibis.memtable(volumes)
    daily = req.group_by(["quota_id", "period", "day"]).aggregate(day_t=_.request_t.sum())
    daily = daily.mutate(before_t=_.day_t.cumsum(group_by=["quota_id", "period"],
                                                 order_by="day") - _.day_t)
    daily = daily.join(vol, ["quota_id", "period"])
    available = ibis.greatest(daily.volume_t - daily.before_t, 0.0)
    fill = ibis.ifelse(daily.day_t > 0, ibis.least(available / daily.day_t, 1.0), 1.0)
    daily = daily.select("quota_id", "period", "day", fill=fill.cast("float64"))
    out = req.join(daily, ["quota_id", "period", "day"])
    result = out.mutate(allocated_t=(_.request_t * _.fill).cast("float64")).drop("fill")
    return backend.to_pyarrow(result) if backend is not None else result.to_pyarrow()


def allocate_reference(rows: list[dict], volumes: dict[tuple[str, Any], float]) -> list[float]:
    """The same rule as a per-row loop: the scalar reference for tests and benchmarks."""
    by_day: dict[tuple[str, Any, dt.date], float] = defaultdict(float)
    for r in rows:
        by_day[(r["quota_id"], r["period"], r["day"])] += r["request_t"]
    used: dict[tuple[str, Any], float] = defaultdict(float)
    fill: dict[tuple[str, Any, dt.date], float] = {}
    for (quota, period, day), total in sorted(by_day.items(), key=lambda kv: kv[0][2]):
        left = max(volumes[(quota, period)] - used[(quota, period)], 0.0)
        fill[(quota, period, day)] = 1.0 if total <= 0 else min(left / total, 1.0)
        used[(quota, period)] += total
    return [r["request_t"] * fill[(r["quota_id"], r["period"], r["day"])] for r in rows]
