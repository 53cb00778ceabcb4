"""What every service shapes its answers with: JSON-safe values and the no-data error."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from tradeguard.engine.money import tidy
from tradeguard.errors import TradeguardError


class NoDataError(TradeguardError):
    """The store holds no import data yet (the monitor has nothing to count)."""


def finite(value: Any) -> Any:
    """JSON has no infinity or NaN: replace them by None, recursively.  Exact amounts
    (decimals) are written as strings, so JSON never turns them into binary floats."""
    if isinstance(value, Decimal):
        return str(tidy(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def iso(value: Any) -> Any:
    """A date as ISO text; anything else as it is."""
    return value.isoformat() if isinstance(value, dt.date) else value
