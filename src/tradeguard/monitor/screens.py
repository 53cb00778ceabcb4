"""How the monitor reads its own answers for a desk: the watch state and the projected
crossing.

Neither is law: they are tradeguard's screens over a period's count and its forecast, written
here once as data (``SCREENS``) so that every face shows the same state.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tradeguard.periods import month_end


@dataclass(frozen=True)
class Screens:
    """``watch_share``: a period whose count reaches this share of its trigger is on watch
    (the first of the monitor's default alert thresholds).  ``crossing_probability``: the
    forecast projects a crossing in the first month by which the chance of crossing, summed
    month by month, reaches this."""

    watch_share: float = 0.8
    crossing_probability: float = 0.5


SCREENS = Screens()


def period_state(row: dict[str, Any], screens: Screens = SCREENS) -> str:
    """A status row's state: ``no data`` where the count cannot be computed (never open),
    ``triggered``, ``watch`` or ``open``."""
    if row["cumulative_t"] is None:
        return "no data"
    if row["triggered"]:
        return "triggered"
    return "watch" if (row["share"] or 0) >= screens.watch_share else "open"


def projected_crossing(crossing_months: dict[str, float],
                       screens: Screens = SCREENS) -> dt.date | None:
    """The end of the first month by which the forecast's crossing probability reaches
    ``crossing_probability``; None when it never does."""
    total = 0.0
    for month, p in sorted(crossing_months.items()):
        total += p
        if total >= screens.crossing_probability:
            year, mon = (int(x) for x in month.split("-"))
            return month_end(dt.date(year, mon, 1))
    return None
