"""What the monitor says about one measure in one counting year: rows of ``tradeguard status``."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from tradeguard.engine import expressions as ex
from tradeguard.monitor.forecast import Forecast
from tradeguard.periods import period_key
from tradeguard.rules import schema as s


@dataclass
class ConditionState:
    condition_id: str
    cumulative_t: float  # includes any excess carried in from the previous year
    trigger_t: float | None  # None: the trigger cannot be set from this data (see trigger_reason)
    share: float | None
    exceeded: bool
    trigger_status: str | None
    notes: list[str] = field(default_factory=list)
    trigger_reason: str | None = None


@dataclass
class Checkpoint:
    day: dt.date
    conditions: list[ConditionState]
    decisive: bool  # a day on which the rule tests the trigger (quarter ends for quarterly rules)

    @property
    def triggered(self) -> bool:
        return self.decisive and bool(self.conditions) and all(c.exceeded for c in self.conditions)

    @property
    def binding(self) -> ConditionState:
        """The condition furthest from being exceeded; one whose trigger is unknown first."""
        unknown = [c for c in self.conditions if c.share is None]
        return unknown[0] if unknown else min(self.conditions, key=lambda c: c.share or 0.0)


@dataclass
class PeriodStatus:
    """One measure in one counting year, as of a date."""

    measure_id: str
    fy: int
    period_start: dt.date
    period_end: dt.date
    open: bool
    data_through: dt.date | None
    checkpoints: list[Checkpoint]
    crossing_date: dt.date | None
    activation: s.Activation | None
    safeguard_rate: str | None
    safeguard_rate_status: str | None
    forecast: Forecast | None
    notes: list[str]
    coverage: str = "complete"  # complete | partial | none (tradeguard.data.coverage)
    coverage_reason: str = ""
    # A crossing's activation that, under the rule, is announced after ``as_of``: computed
    # from the data, but not yet known, so not in ``activation`` nor the ledger.
    pending_activation: s.Activation | None = None
    safeguard_in_force: bool = False  # any activation of the measure in force on ``as_of``
    safeguard_rate_in_force: str | None = None

    @property
    def latest(self) -> Checkpoint | None:
        return self.checkpoints[-1] if self.checkpoints else None

    @property
    def triggered(self) -> bool:
        return self.crossing_date is not None

    @property
    def computable(self) -> bool:
        return self.coverage != "none"

    def timeline(self) -> dict[str, Any]:
        """Cumulative imports and the trigger at every checkpoint, per condition, as data."""
        conditions: dict[str, dict[str, Any]] = {}
        for cp in self.checkpoints:
            for c in cp.conditions:
                entry = conditions.setdefault(c.condition_id, {
                    "condition_id": c.condition_id, "points": []})
                entry["points"].append({"date": cp.day.isoformat(),
                                        "cumulative_t": round(c.cumulative_t, 3),
                                        "trigger_t": _rounded(c.trigger_t, 3),
                                        "decisive": cp.decisive})
        return {
            "measure_id": self.measure_id, "period": period_key(self.fy),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "coverage": self.coverage, "coverage_reason": self.coverage_reason,
            "crossing_date": self.crossing_date.isoformat() if self.crossing_date else None,
            "activation": ({"start": self.activation.start.isoformat(),
                            "end": self.activation.end.isoformat(),
                            "announced_on": _iso(self.activation.announced_on),
                            "duty": ex.format_duty(self.activation.duty)}
                           if self.activation else None),
            "conditions": list(conditions.values()),
            "forecast": ({"projected_t": round(self.forecast.projected_t, 1),
                          "low_t": round(self.forecast.low_t, 1),
                          "high_t": round(self.forecast.high_t, 1),
                          "probability": round(self.forecast.probability, 4),
                          "crossing_months": self.forecast.crossing_months,
                          "prior": self.forecast.prior,
                          "prior_description": self.forecast.prior_description}
                         if self.forecast else None),
        }

    def row(self) -> dict[str, Any]:
        """The status row: the fields of ``tradeguard status --json``.

        Without coverage the count is null, never 0; an unknown trigger is null with its
        reason, next to the count.
        """
        latest = self.latest
        binding = latest.binding if latest else None
        counted = binding is not None and self.computable
        return {
            "measure_id": self.measure_id,
            "period": period_key(self.fy),
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "data_through": _iso(self.data_through),
            "coverage": self.coverage,
            "coverage_reason": self.coverage_reason,
            "cumulative_t": round(binding.cumulative_t, 3) if counted else None,
            "trigger_t": _rounded(binding.trigger_t, 3) if counted else None,
            "trigger_status": binding.trigger_status if counted else None,
            "trigger_reason": binding.trigger_reason if counted else None,
            "share": _finite(binding.share) if counted else None,
            "triggered": self.triggered,
            "crossing_date": _iso(self.crossing_date),
            "activation_start": _iso(self.activation.start) if self.activation else None,
            "activation_end": _iso(self.activation.end) if self.activation else None,
            "activation_announced_on": (_iso(self.activation.announced_on)
                                        if self.activation else None),
            "safeguard_rate": self.safeguard_rate,
            "safeguard_rate_status": self.safeguard_rate_status,
            "safeguard_in_force": self.safeguard_in_force,
            "safeguard_rate_in_force": self.safeguard_rate_in_force,
            "forecast_probability": (round(self.forecast.probability, 4)
                                     if self.forecast else None),
            "forecast_projected_t": (round(self.forecast.projected_t, 1)
                                     if self.forecast else None),
            # which history taught the forecast's season (forecast.PRIORS)
            "forecast_prior": self.forecast.prior if self.forecast else None,
            "conditions": ([asdict(c) for c in latest.conditions]
                           if latest and self.computable else []),
            "notes": self.notes,
        }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _finite(share: float | None) -> float | None:
    """JSON has no infinity: a share of a zero trigger (or of an unknown one) is null."""
    return round(share, 6) if share is not None and share != float("inf") else None


@dataclass
class Alert:
    measure_id: str
    period: str
    threshold: float
    day: dt.date
    share: float

    def row(self) -> dict[str, Any]:
        return {"measure_id": self.measure_id, "period": self.period,
                "threshold": self.threshold, "date": self.day.isoformat(),
                "share": _finite(self.share)}
