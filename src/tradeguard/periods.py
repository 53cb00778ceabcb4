"""Time, in one place: fiscal years, quarters, months, 10-day periods, working days, proration.

The safeguard rules count in periods that the law defines: Japan's fiscal year (1 April –
31 March, named by the year it starts in: FY2020 = 1 Apr 2020 – 31 Mar 2021) or a rule's own
year (``start_month``), cumulative quarters, the 10-day periods of Japan's customs statistics,
and working days for the start of a safeguard.  Each idea has a scalar form (for one date) and,
where tables need it, an Ibis form that computes the same thing on a column, so the batch
paths and the scalar paths cannot drift apart (a test holds them equal).

This module sits at the base of the package and imports nothing of the project.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import ibis.expr.types as ir

DAY = dt.timedelta(days=1)
#: Japan's fiscal year starts in April.
JAPAN_FY_START_MONTH = 4
_PERIOD_KEY = re.compile(r"^\s*(?:FY)?\s*(\d{4})\s*$", re.IGNORECASE)


# -- fiscal years ---------------------------------------------------------------------------

def fiscal_year(day: dt.date, start_month: int = JAPAN_FY_START_MONTH) -> int:
    """The fiscal year a day belongs to, named by the calendar year it starts in."""
    return day.year - (1 if day.month < start_month else 0)


def fiscal_year_start(fy: int, start_month: int = JAPAN_FY_START_MONTH) -> dt.date:
    return dt.date(fy, start_month, 1)


def fiscal_year_end(fy: int, start_month: int = JAPAN_FY_START_MONTH) -> dt.date:
    return fiscal_year_start(fy + 1, start_month) - DAY


def fiscal_year_days(fy: int, start_month: int = JAPAN_FY_START_MONTH) -> int:
    return (fiscal_year_end(fy, start_month) - fiscal_year_start(fy, start_month)).days + 1


def fiscal_month_index(day: dt.date, start_month: int = JAPAN_FY_START_MONTH) -> int:
    """0 for the fiscal year's first month (April in Japan) to 11 for its last."""
    return (day.month - start_month) % 12


def period_key(fy: int) -> str:
    """The name of a fiscal year in answers and URLs: ``FY2019``."""
    return f"FY{fy}"


def parse_period_key(text: str) -> int:
    """``FY2019``, ``fy2019`` or ``2019`` → 2019.  Raises ValueError on anything else."""
    match = _PERIOD_KEY.match(str(text))
    if match is None:
        raise ValueError(f"`{text}` is not a fiscal year; write it like FY2019")
    return int(match.group(1))


# -- months and quarters --------------------------------------------------------------------

def month_end(day: dt.date) -> dt.date:
    return dt.date(day.year, day.month, _calendar.monthrange(day.year, day.month)[1])


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day-of-month ``months`` later, clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def quarter_ends(fy: int, start_month: int = JAPAN_FY_START_MONTH) -> list[dt.date]:
    """The last day of each quarter of a fiscal year (the cumulative checkpoints)."""
    start = fiscal_year_start(fy, start_month)
    return [add_months(start, 3 * q) - DAY for q in (1, 2, 3, 4)]


def fiscal_quarter(day: dt.date, start_month: int = JAPAN_FY_START_MONTH) -> int:
    """1 to 4: the quarter of its fiscal year that ``day`` falls in."""
    return fiscal_month_index(day, start_month) // 3 + 1


# -- 10-day periods -------------------------------------------------------------------------

def ten_day_period_end(day: dt.date) -> dt.date:
    """Japan's customs statistics come in 10-day periods: 1-10, 11-20, 21-month end."""
    if day.day <= 10:
        return day.replace(day=10)
    if day.day <= 20:
        return day.replace(day=20)
    return month_end(day)


def ten_day_period_start(day: dt.date) -> dt.date:
    return day.replace(day=1 if day.day <= 10 else (11 if day.day <= 20 else 21))


# -- working days ---------------------------------------------------------------------------

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


# -- proration ------------------------------------------------------------------------------

def partial_year_fraction(start: dt.date, fy: int, method: Literal["fixed_fraction", "day_count"],
                          fraction: float | None = None,
                          start_month: int = JAPAN_FY_START_MONTH) -> float:
    """The share of a year's figure that a partial first year from ``start`` gets.

    ``fixed_fraction`` is the rule's own fraction (CPTPP Year 1 = 1/4, JAEPA 2/12);
    ``day_count`` is the days from ``start`` to the year's end over the year's days
    (USJTA FY2019: 91/366).
    """
    if method == "fixed_fraction":
        if fraction is None:
            raise ValueError("a fixed-fraction proration needs its fraction")
        return float(fraction)
    end = fiscal_year_end(fy, start_month)
    return ((end - start).days + 1) / fiscal_year_days(fy, start_month)


# -- the same ideas as Ibis expressions -----------------------------------------------------

def fiscal_year_expr(day: ir.DateValue, start_month: int | ir.IntegerValue = JAPAN_FY_START_MONTH
                     ) -> ir.IntegerValue:
    """:func:`fiscal_year` on a date column (``start_month`` may be a column too)."""
    import ibis

    return (day.year() - ibis.ifelse(day.month() < start_month, 1, 0)).cast("int32")


def fiscal_month_index_expr(day: ir.DateValue,
                            start_month: int | ir.IntegerValue = JAPAN_FY_START_MONTH
                            ) -> ir.IntegerValue:
    """:func:`fiscal_month_index` on a date column: 0 for the fiscal year's first month."""
    return ((day.month() - start_month + 12) % 12).cast("int32")


def ten_day_period_end_expr(day: ir.DateValue) -> ir.DateValue:
    """:func:`ten_day_period_end` on a date column."""
    import ibis

    first = day.truncate("M")
    last = (first + ibis.interval(months=1)) - ibis.interval(days=1)
    return ibis.cases((day.day() <= 10, first + ibis.interval(days=9)),
                      (day.day() <= 20, first + ibis.interval(days=19)),
                      else_=last).cast("date")
