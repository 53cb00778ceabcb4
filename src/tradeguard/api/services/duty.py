"""The duty service: one shipment's duty (memoised: a pure function of its arguments and the
immutable rules) and a batch of declarations, as JSON-ready data."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from tradeguard.api.services.common import finite, iso
from tradeguard.api.services.rules import RuleService
from tradeguard.errors import InputError, problem

DUTY_CACHE_SIZE = 4096
MAX_TRACE_ROWS = 1000


class DutyService:
    """``tradeguard.duty`` and ``duty_batch`` on the service's rules."""

    def __init__(self, rules: RuleService):
        self._rules = rules
        # A repeated question costs a dict lookup: the serialised answer is memoised.
        self.duty_json = functools.lru_cache(maxsize=DUTY_CACHE_SIZE)(self._duty_json)

    def duty(self, line: str, origin: str, date: dt.date, value: float | None,
             quantity: float | None, as_of: dt.date | None) -> Any:
        from tradeguard.engine.duty import duty

        return duty(line, origin, date, customs_value=value, quantity=quantity,
                    as_of=as_of or date, rules=self._rules.rules)

    def _duty_json(self, line: str, origin: str, date: dt.date, value: float | None,
                   quantity: float | None, as_of: dt.date | None) -> bytes:
        return self.duty(line, origin, date, value, quantity, as_of).model_dump_json().encode()

    def batch(self, rows: list[dict[str, Any]], as_of: dt.date,
              trace: bool) -> list[dict[str, Any]]:
        """``duty_batch`` on the rows; with ``trace``, each row's chosen option's trace too."""
        from tradeguard.engine.batch import duty_batch

        if not rows:
            return []
        if trace and len(rows) > MAX_TRACE_ROWS:
            raise InputError(problem(f"trace asked for {len(rows):,} rows",
                                     why=f"a traced batch holds at most {MAX_TRACE_ROWS:,} rows",
                                     fix="drop trace=true, or split the batch"))
        out = duty_batch(_declarations(rows), as_of=as_of, rules=self._rules.rules)
        result = []
        for row in out.sort_by("row").to_pylist():
            item = _answer_row(row)
            if trace:
                item["trace"] = self._trace(row, as_of)
            result.append(finite(item))
        return result

    def _trace(self, row: dict[str, Any], as_of: dt.date) -> list[dict[str, Any]]:
        scalar = self.duty(row["tariff_line"], row["origin"], row["date"],
                           row["customs_value"], row["quantity"], as_of)
        return ([] if scalar.chosen is None else
                [e.model_dump(mode="json") for e in scalar.chosen.trace])


def _declarations(rows: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    return pa.table({
        "row": pa.array(range(1, len(rows) + 1), pa.int64()),
        "tariff_line": pa.array([r["tariff_line"] for r in rows], pa.string()),
        "origin": pa.array([str(r["origin"]).strip().upper() for r in rows], pa.string()),
        "date": pa.array([r["date"] for r in rows], pa.date32()),
        "customs_value": pa.array([r["customs_value"] for r in rows], pa.float64()),
        "quantity": pa.array([r["quantity"] for r in rows], pa.float64()),
    })


def _answer_row(row: dict[str, Any]) -> dict[str, Any]:
    regimes = {k.removeprefix("duty_"): v for k, v in row.items()
               if k.startswith("duty_") and k != "duty_amount"}
    return {"row": row["row"], "tariff_line": row["tariff_line"], "origin": row["origin"],
            "date": iso(row["date"]), "customs_value": row["customs_value"],
            "quantity": row["quantity"], "chosen_regime": row["chosen_regime"],
            "duty_amount": row["duty_amount"], "safeguard": row["safeguard"],
            "duty_by_regime": regimes}
