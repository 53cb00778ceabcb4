"""How likely a price-triggered safeguard (WTO AoA Art. 5.5) is to apply, on seeded price paths.

The volume simulation holds world prices fixed, so it cannot say how often an import price
falls below a trigger price.  Here each flow's import price (its customs value per kg) moves
on its own seeded paths: an AR(1) annual factor in logs (persistence 0.7, the simulation's
assumption) and a monthly shock, both with the spread of the flow's unit values in the data.
A year's price safeguard *applies* when some month's price is below the trigger price; its
additional duty is Art. 5.5's banded duty on each month's shortfall.  A month's average price
stands for every shipment of the month, which understates how often a cheap shipment would
be caught.  The same seed gives the same paths, so a higher trigger price can only add
months below it: the probability never falls (an invariant the tests hold).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tradeguard.engine.price_trigger import _banded_duty  # Art. 5.5's bands, vectorised
from tradeguard.periods import fiscal_year

#: Fallback spreads (log) when the data hold too few months: an assumption.
DEFAULT_MONTHLY_SPREAD = 0.10
DEFAULT_ANNUAL_SPREAD = 0.10
PERSISTENCE = 0.7


@dataclass(frozen=True)
class PriceModel:
    """One flow's import price: mean level (JPY/kg) and log spreads."""

    unit_value: float
    monthly_spread: float = DEFAULT_MONTHLY_SPREAD
    annual_spread: float = DEFAULT_ANNUAL_SPREAD


def fit_price_model(table: pa.Table, partner: str, line: str,
                    unit_value: float | None = None) -> PriceModel:
    """The spread of a flow's monthly unit values in the data (kg records only): monthly log
    deviations from each fiscal year's mean, and annual log changes."""
    rows = table.filter(pc.and_(
        pc.and_(pc.equal(table["partner"], partner), pc.starts_with(table["tariff_line"], line)),
        pc.and_(pc.equal(table["quantity_unit"], "kg"), pc.greater(table["quantity"], 0))))
    if rows.num_rows == 0:
        if unit_value is None:
            raise ValueError(f"no kg records for {partner} {line} and no unit value given")
        return PriceModel(float(unit_value))
    # Sum value and quantity per month; the fiscal year of each distinct month only.
    months, where = np.unique(rows["period_start"].to_numpy(zero_copy_only=False),
                              return_inverse=True)
    qty = np.bincount(where, rows["quantity"].to_numpy(zero_copy_only=False))
    value = np.bincount(where, rows["value"].to_numpy(zero_copy_only=False))
    fys, year_of = np.unique([fiscal_year(m.astype("datetime64[D]").item()) for m in months],
                             return_inverse=True)
    log_price = np.log(value / qty)
    year_mean = np.bincount(year_of, log_price) / np.bincount(year_of)
    monthly = log_price - year_mean[year_of]
    annual = np.log(np.bincount(year_of, value) / np.bincount(year_of, qty))
    level = unit_value or float(value.sum() / qty.sum())
    return PriceModel(float(level),
                      float(np.std(monthly)) if len(monthly) >= 12 else DEFAULT_MONTHLY_SPREAD,
                      float(np.std(np.diff(annual))) if len(fys) >= 4 else DEFAULT_ANNUAL_SPREAD)


def price_paths(model: PriceModel, years: int, paths: int, seed: int) -> np.ndarray:
    """Monthly import prices (paths, years, 12), JPY/kg, with mean ``model.unit_value``."""
    rng = np.random.default_rng(seed)
    sig_a, sig_m = model.annual_spread, model.monthly_spread
    z = sig_a * rng.standard_normal(paths)
    annual = np.empty((paths, years))
    for y in range(years):
        if y:
            z = PERSISTENCE * z + sig_a * math.sqrt(1 - PERSISTENCE ** 2) * rng.standard_normal(paths)
        annual[:, y] = z
    monthly = sig_m * rng.standard_normal((paths, years, 12))
    logs = annual[:, :, None] + monthly - (sig_a ** 2 + sig_m ** 2) / 2
    return model.unit_value * np.exp(logs)


def applies(prices: np.ndarray, trigger_price: float) -> np.ndarray:
    """(paths, years): some month's import price is below the trigger price."""
    return (prices < trigger_price).any(-1)


def additional_duty(prices: np.ndarray, trigger_price: float) -> np.ndarray:
    """Art. 5.5's additional duty (JPY/kg) on each month's price."""
    return _banded_duty(trigger_price, prices, np.minimum, np.maximum)


def summary(model: PriceModel, trigger_price: float, *, first_fy: int, years: int,
            paths: int, seed: int) -> list[dict[str, float]]:
    """Per year: the probability the price safeguard applies, the share of months it
    applies in, and the mean additional duty per kg (over paths and months)."""
    prices = price_paths(model, years, paths, seed)
    hit = applies(prices, trigger_price)
    duty = additional_duty(prices, trigger_price)
    return [{"year": first_fy + y,
             "probability": float(hit[:, y].mean()),
             "share_of_months": float((prices[:, y] < trigger_price).mean()),
             "additional_duty_jpy_per_kg": float(duty[:, y].mean())}
            for y in range(years)]
