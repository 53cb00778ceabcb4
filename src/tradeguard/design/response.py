"""The partial-equilibrium import response: how imports move when tariffs move."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PE:
    """Elasticities of the import response (see docs/design-lab.md for their sources)."""

    armington: float = 1.5          # between partners (SMART default substitution elasticity)
    domestic: float = 0.5           # between the import composite and domestic beef
    demand: float = -0.6            # total beef demand, own price
    import_share: float = 0.64      # imports' share of consumption
    front_loading: float = 0.0      # share of a month's imports shifted around a rate change

    @property
    def zero(self) -> bool:
        return self.armington == 0 and self.domestic == 0 and self.demand == 0


def _ces_index(shares: np.ndarray, ratio: np.ndarray, sigma: float) -> np.ndarray:
    """CES price index of price ratios along the last axis (shares sum to 1)."""
    if abs(1 - sigma) < 1e-9:
        return np.exp((shares * np.log(ratio)).sum(-1))
    return ((shares * ratio ** (1 - sigma)).sum(-1)) ** (1 / (1 - sigma))


def response(tau: np.ndarray, tau_ref: np.ndarray, shares: np.ndarray, pe: PE) -> np.ndarray:
    """Quantity ratio q/q_ref per flow for tariffs ``tau`` (percent, last axis = flows).

    Nested Armington (the SMART family, with infinitely elastic export supply so world
    prices are fixed): partners substitute with elasticity ``armington`` inside the import
    composite; the composite substitutes with domestic beef (its price fixed) with
    ``domestic``; total demand responds to the consumer price index with ``demand``.
    """
    if pe.zero:
        return np.ones_like(tau)
    r = (1 + tau / 100) / (1 + tau_ref / 100)
    pm = _ces_index(shares, r, pe.armington)
    sm = pe.import_share
    if abs(1 - pe.domestic) < 1e-9:
        p = pm ** sm
    else:
        p = (sm * pm ** (1 - pe.domestic) + (1 - sm)) ** (1 / (1 - pe.domestic))
    m = p ** pe.demand * (pm / p) ** (-pe.domestic)
    return m[..., None] * (r / pm[..., None]) ** (-pe.armington)
