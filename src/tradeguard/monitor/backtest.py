"""Back-test of the forecast on history: does its 10-90% interval hold the truth 80% of the time?

Each complete past year is forecast month by month as if it were open, learning the season
from every *other* year (leave one out), and compared with what actually came in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from tradeguard.monitor.forecast import forecast, month_ends, seasonal_shares
from tradeguard.monitor.triggers import Series


@dataclass
class CalibrationRow:
    month: int              # months of data in (1 = April only)
    cases: int
    coverage: float         # share of years whose actual total fell in the 10-90% interval
    median_abs_error: float  # |median projection / actual - 1|, median over years
    brier: float            # for triggers at 95% and 105% of the actual total


def calibration(series: Series, measure_id: str, condition_id: str,
                data_span: tuple[dt.date, dt.date], start_month: int = 4,
                draws: int = 2000, seed: int = 1) -> list[CalibrationRow]:
    years = sorted(seasonal_shares(series, measure_id, condition_id, 10_000, data_span,
                                   start_month))
    rows = []
    for k in range(11):
        inside, errors, briers = [], [], []
        for y in years:
            others = [z for z in years if z != y]
            if len(others) < 2:
                continue
            ends = month_ends(y, start_month)
            actual = series.at(measure_id, condition_id, "reference", y, ends[-1])
            now = series.at(measure_id, condition_id, "reference", y, ends[k])
            for ratio in (0.95, 1.05):
                fc = forecast(series, measure_id, [(condition_id, now, actual * ratio)], y,
                              ends[k], data_span, start_month, draws, seed, train_years=others)
                if fc is None:
                    continue
                outcome = 1.0 if actual > actual * ratio else 0.0
                briers.append((fc.probability - outcome) ** 2)
            inside.append(fc.low_t <= actual <= fc.high_t)
            errors.append(abs(fc.projected_t / actual - 1))
        if inside:
            rows.append(CalibrationRow(k + 1, len(inside), float(np.mean(inside)),
                                       float(np.median(errors)), float(np.mean(briers))))
    return rows
