"""The vectorised design engine: monthly import paths × designs, in numpy (float64).

One engine serves the back-test of designs the monitor cannot express (separate quarters)
and the forward simulation.  A design is *compiled* against a month grid and a list of
flows (:mod:`tradeguard.design.compile`), then :func:`run` steps through the months with
every path and design at once (:mod:`tradeguard.design.kernel`); imports respond to tariffs
through :func:`response` (:mod:`tradeguard.design.response`).  This module is the engine's
public face.
"""

from __future__ import annotations

from tradeguard.design.compile import (
    Compiled,
    CountingMode,
    Flow,
    RateMemo,
    TriggerBasis,
    WindowKind,
    compile_design,
    flow_rates,
    prepare,
)
from tradeguard.design.grid import Grid, month_average
from tradeguard.design.kernel import RunResult, run
from tradeguard.design.response import PE, response

__all__ = ["PE", "Compiled", "CountingMode", "Flow", "Grid", "RateMemo", "RunResult",
           "TriggerBasis", "WindowKind", "compile_design", "flow_rates", "month_average",
           "prepare", "response", "run"]
