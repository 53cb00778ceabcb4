"""The month grid the design engine steps through: whole fiscal years of months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tradeguard.periods import JAPAN_FY_START_MONTH, add_months, fiscal_year_start, month_end
from tradeguard.rules.scope import END


@dataclass(frozen=True)
class Grid:
    """Whole fiscal years of months from ``first_fy`` (April start in Japan)."""

    first_fy: int
    years: int
    start_month: int = JAPAN_FY_START_MONTH

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def fys(self) -> list[int]:
        return list(range(self.first_fy, self.first_fy + self.years))

    def month_start(self, t: int) -> dt.date:
        return add_months(fiscal_year_start(self.first_fy, self.start_month), t)

    def month_end(self, t: int) -> dt.date:
        return month_end(self.month_start(t))

    @cached_property
    def starts(self) -> np.ndarray:
        """Each month's first day as a date ordinal (float, read-only)."""
        return _read_only([self.month_start(t).toordinal() for t in range(self.months)])

    @cached_property
    def ends(self) -> np.ndarray:
        """Each month's last day as a date ordinal (float, read-only)."""
        return _read_only([self.month_end(t).toordinal() for t in range(self.months)])


def _read_only(values: list[int]) -> np.ndarray:
    out = np.array(values, float)
    out.flags.writeable = False
    return out


def month_average(path: list[tuple[dt.date, float]], grid: Grid) -> np.ndarray:
    """Day-weighted average of a start-dated rate path in each month (NaN before it)."""
    starts, ends = grid.starts, grid.ends + 1
    total = np.zeros(grid.months)
    covered = np.zeros(grid.months)
    for i, (day, value) in enumerate(path):
        a = day.toordinal()
        b = path[i + 1][0].toordinal() if i + 1 < len(path) else END.toordinal()
        days = np.clip(np.minimum(b, ends) - np.maximum(a, starts), 0, None)
        total += days * value
        covered += days
    with np.errstate(invalid="ignore"):
        return total / np.where(covered > 0, covered, np.nan)
