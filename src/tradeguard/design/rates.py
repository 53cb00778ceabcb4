"""Duties as the design engine reads them: one ad valorem equivalent per flow and date.

The engine steps rates in percent.  An ad valorem duty is its percent.  A specific, compound
or capped duty and Japan's pork gate price depend on the goods' customs value per kg, so they
enter as their *ad valorem equivalent* (AVE) at the flow's unit value: the duty on one kg
worth ``unit_value`` yen, as a percent of ``unit_value``.  The flow's unit value is one number
(its average in the data, or a cited assumption); the spread of real shipments' values around
it, and importers who combine cuts to declare near the gate price's branch point, are not
modelled (``design/limitations.py`` says so).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from tradeguard.engine import expressions as ex
from tradeguard.monitor.activation import mfn_duty
from tradeguard.rules.loader import RuleSet


def ave_percent(duty: ex.DutyExpression | None, unit_value: float | None) -> float | None:
    """The ad valorem equivalent (percent) of ``duty`` on goods worth ``unit_value`` JPY/kg.

    A plain ad valorem duty gives its percent exactly (whatever the unit value); any other
    duty needs a positive unit value (None without one), as does a duty of None.
    """
    if duty is None:
        return None
    if ex.needs(duty) == {"customs_value"}:
        plain = ex.ad_valorem_percent(duty)
        if plain is not None and len(duty.components) == 1:  # type: ignore[union-attr]
            return plain
    if unit_value is None or not unit_value > 0:
        return None
    paid = ex.evaluate(duty, customs_value=float(unit_value), quantity=1.0)
    return 100.0 * paid / float(unit_value)


def duty_per_kg(duty: ex.DutyExpression, values_jpy: np.ndarray, kg: np.ndarray) -> np.ndarray:
    """The duty (JPY) on each record of ``kg`` kilograms worth ``values_jpy``, evaluated at
    the record's own customs value per kg (one evaluation per distinct unit value)."""
    values_jpy, kg = np.asarray(values_jpy, float), np.asarray(kg, float)
    unit = np.divide(values_jpy, kg, out=np.zeros_like(values_jpy), where=kg > 0)
    distinct, where = np.unique(unit, return_inverse=True)
    per_kg = np.array([ex.evaluate(duty, customs_value=float(u), quantity=1.0) if u > 0
                       else 0.0 for u in distinct])
    return per_kg[where] * kg


def mfn_ave(rules: RuleSet, line: str, day: dt.date, unit_value: float | None) -> float | None:
    """The MFN rate on a line and day as an ad valorem equivalent at ``unit_value``."""
    return ave_percent(mfn_duty(rules, line, day, day), unit_value)  # as known that day
