"""Dates the safeguard rules count in: fiscal years, quarters, 10-day periods, working days."""

from __future__ import annotations

import calendar as _cal
import datetime as dt
from functools import lru_cache

DAY = dt.timedelta(days=1)


def fiscal_year(day: dt.date, start_month: int = 4) -> int:
    """The fiscal year a day belongs to, named by the calendar year it starts in."""
    return day.year - (1 if day.month < start_month else 0)


def fiscal_year_start(fy: int, start_month: int = 4) -> dt.date:
    return dt.date(fy, start_month, 1)


def fiscal_year_end(fy: int, start_month: int = 4) -> dt.date:
    return fiscal_year_start(fy + 1, start_month) - DAY


def month_end(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, _cal.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-of-month ``months`` later, clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _cal.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def quarter_ends(fy: int, start_month: int = 4) -> list[dt.date]:
    """The last day of each quarter of a fiscal year (the cumulative checkpoints)."""
    start = fiscal_year_start(fy, start_month)
    return [add_months(start, 3 * q) - DAY for q in (1, 2, 3, 4)]


def ten_day_period_end(day: dt.date) -> dt.date:
    """Japan's customs statistics come in 10-day periods: 1-10, 11-20, 21-month end."""
    if day.day <= 10:
        return day.replace(day=10)
    if day.day <= 20:
        return day.replace(day=20)
    return month_end(day)


@lru_cache(maxsize=64)
def _japan_holidays(year: int) -> frozenset[dt.date]:
    import holidays  # imported here: only activation windows need it

    return frozenset(holidays.Japan(years=year))


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday, not a Japanese public holiday (the `holidays` package's table).

    The year-end closure of government offices (29 Dec - 3 Jan) also counts as non-working,
    as it does for administrative deadlines in Japan.
    """
    if day.weekday() >= 5 or day in _japan_holidays(day.year):
        return False
    return not ((day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3))


def add_working_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``day``."""
    while count > 0:
        day += DAY
        if is_working_day(day):
            count -= 1
    return day
