"""Response and request models of the REST API, each with an example for the OpenAPI document.

The fields mirror what the library returns (``PeriodStatus.row()``, ``.timeline()``,
``Alert.row()``, ``QuotaState``, ``IngestReport.as_dict()``); the duty endpoints return the
library's own :class:`tradeguard.engine.duty.DutyResult`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, Literal, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from tradeguard.monitor.quotas import QuotaState

EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


def _examples(*examples: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": list(examples)})


class Health(BaseModel):
    model_config = _examples({"status": "ok"})
    status: Literal["ok"]


class RuleSummary(BaseModel):
    model_config = _examples({"id": "usjta.beef_safeguard", "kind": "volume_safeguard",
                              "title": "USJTA safeguard on US beef"})
    id: str
    kind: str
    title: str


class DatedValue(BaseModel):
    key: str
    valid_from: str
    valid_to: str | None
    value: float | str | None
    status: str
    cite: str
    citation: str
    note: str | None


_VALUE = {"key": "safeguard_duty[0]", "valid_from": "2020-01-01", "valid_to": None,
          "value": "38.5%", "status": "secondary", "cite": "ssnp-2019",
          "citation": "Japan's safeguard notification 2019", "note": None}


class RuleDetail(BaseModel):
    model_config = _examples({"id": "usjta.beef_safeguard", "kind": "volume_safeguard",
                              "title": "USJTA safeguard on US beef",
                              "document": {"kind": "volume_safeguard", "lines": ["0201", "0202"]},
                              "values": [_VALUE]})
    id: str
    kind: str
    title: str
    document: dict[str, Any] = Field(description="The rule file as validated data.")
    values: list[DatedValue] = Field(description="Every dated value, with status and citation.")


class Condition(BaseModel):
    condition_id: str
    cumulative_t: float
    trigger_t: float | None = Field(description="Null where the data cannot set the trigger "
                                                "(see trigger_reason).")
    share: float | None
    exceeded: bool
    trigger_status: str | None
    notes: list[str]
    trigger_reason: str | None = None


_ROW = {"measure_id": "cptpp.beef_safeguard", "period": "FY2019",
        "period_start": "2019-04-01", "period_end": "2020-03-31", "data_through": "2019-12-31",
        "as_of": "2019-12-31", "coverage": "complete",
        "coverage_reason": "the data covers 2019-04-01 to 2019-12-31", "trigger_reason": None,
        "cumulative_t": 290148.676, "trigger_t": 601800.0, "trigger_status": "secondary",
        "share": 0.482135, "triggered": False, "crossing_date": None, "activation_start": None,
        "activation_end": None, "activation_announced_on": None, "safeguard_rate": "38.5%",
        "safeguard_rate_status": "secondary", "safeguard_in_force": False,
        "safeguard_rate_in_force": None,
        "forecast_probability": 0.0, "forecast_projected_t": 367652.8,
        "conditions": [{"condition_id": "aggregate", "cumulative_t": 290148.676,
                        "trigger_t": 601800.0, "share": 0.482135, "exceeded": False,
                        "trigger_status": "secondary", "notes": [], "trigger_reason": None}],
        "notes": [], "title": "CPTPP beef safeguard", "lines": ["0201", "0202"],
        "products": ["beef"], "forecast_low_t": 360000.0, "forecast_high_t": 375000.0,
        "projected_crossing": None, "days_to_projected_crossing": None, "state": "open"}


class StatusRow(BaseModel):
    model_config = _examples(_ROW)
    measure_id: str
    period: str
    period_start: str
    period_end: str
    data_through: str | None = Field(description="The last day the data covers, from the "
                                                 "period's first day.")
    as_of: str = Field(description="The knowledge date of this row (by default, per measure, "
                                   "the last day the data covers what it counts).")
    coverage: Literal["complete", "partial", "none"] = Field(
        description="How far the data holds what the measure counts in this period: none means "
                    "not computable from this data (no count, never triggered).")
    coverage_reason: str
    cumulative_t: float | None = Field(description="Null where not computable, never 0.")
    trigger_t: float | None
    trigger_status: str | None
    trigger_reason: str | None = Field(description="Why the trigger is unknown, if it is.")
    share: float | None
    triggered: bool
    crossing_date: str | None
    activation_start: str | None
    activation_end: str | None
    activation_announced_on: str | None
    safeguard_rate: str | None
    safeguard_rate_status: str | None
    safeguard_in_force: bool = Field(description="A safeguard of this measure (official or "
                                                 "computed, known by as_of) runs on as_of.")
    safeguard_rate_in_force: str | None
    forecast_probability: float | None
    forecast_projected_t: float | None
    forecast_prior: str | None = None
    conditions: list[Condition]
    notes: list[str]
    title: str
    lines: list[str]
    products: list[str]
    forecast_low_t: float | None
    forecast_high_t: float | None
    projected_crossing: str | None = Field(
        description="End of the first month by which the crossing probability reaches 50%.")
    days_to_projected_crossing: int | None
    state: Literal["open", "watch", "triggered", "no data"] = Field(
        description="no data where not computable; triggered; watch at 80% of the trigger or "
                    "more; else open.")


class StatusFilters(BaseModel):
    measure: str | None
    partner: str | None
    product: str | None
    sort: str


class Status(BaseModel):
    model_config = _examples({"as_of": "2019-12-31", "filters": {
        "measure": None, "partner": None, "product": "beef", "sort": "measure"},
        "rows": [_ROW]})
    as_of: str
    filters: StatusFilters
    rows: list[StatusRow]


class Point(BaseModel):
    date: str
    cumulative_t: float
    trigger_t: float | None
    decisive: bool


class TimelineCondition(BaseModel):
    condition_id: str
    points: list[Point]


class TimelineActivation(BaseModel):
    start: str
    end: str
    announced_on: str | None = None
    duty: str


class TimelineForecast(BaseModel):
    projected_t: float
    low_t: float
    high_t: float
    probability: float
    crossing_months: dict[str, float]
    prior: str | None = None
    prior_description: str | None = None


_TIMELINE = {"measure_id": "cptpp.beef_safeguard", "period": "FY2019",
             "period_start": "2019-04-01", "period_end": "2020-03-31", "coverage": "complete",
             "coverage_reason": "the data covers 2019-04-01 to 2019-12-31", "crossing_date": None,
             "activation": None, "conditions": [{"condition_id": "aggregate", "points": [
                 {"date": "2019-04-30", "cumulative_t": 33210.5, "trigger_t": 601800.0,
                  "decisive": True}]}],
             "forecast": {"projected_t": 367652.8, "low_t": 360000.0, "high_t": 375000.0,
                          "probability": 0.0, "crossing_months": {}}}


class Timeline(BaseModel):
    model_config = _examples({"as_of": "2019-12-31", **_TIMELINE})
    as_of: str | None = None
    measure_id: str
    period: str
    period_start: str
    period_end: str
    coverage: Literal["complete", "partial", "none"]
    coverage_reason: str
    crossing_date: str | None
    activation: TimelineActivation | None
    conditions: list[TimelineCondition]
    forecast: TimelineForecast | None


class AlertOut(BaseModel):
    model_config = _examples({"measure_id": "jaepa.beef_chilled_safeguard", "period": "FY2014",
                              "threshold": 0.8, "date": "2015-02-28", "share": 0.86})
    measure_id: str
    period: str
    threshold: float
    date: str
    share: float | None


class ForecastOut(BaseModel):
    model_config = _examples({"measure_id": "cptpp.beef_safeguard", "period": "FY2019",
                              "data_through": "2019-12-31", "projected_t": 367652.8,
                              "low_t": 360000.0, "high_t": 375000.0, "probability": 0.0,
                              "crossing_months": {}, "years_used": [2015, 2016, 2017, 2018],
                              "prior": "partner_other_regimes",
                              "prior_description": "the same partners' imports of the same "
                              "lines under other regimes, in years before the counted series "
                              "was complete",
                              "projected_crossing": None})
    measure_id: str
    period: str
    data_through: str | None
    projected_t: float
    low_t: float
    high_t: float
    probability: float
    crossing_months: dict[str, float]
    years_used: list[int]
    prior: str
    prior_description: str
    projected_crossing: str | None


class QuotaOut(BaseModel):
    model_config = _examples({
        "rule_id": "cptpp.butter_quota", "order_id": "cptpp-tpp-butter",
        "title": "CPTPP butter quota", "agreement": "cptpp", "agreement_status": "in_force",
        "lines": ["0405"],
        "products": ["dairy"], "allocation": "tender", "as_of": "2019-12-31",
        "period": "FY2019", "period_start": "2019-04-01", "period_end": "2020-03-31",
        "volume_t": 3294.0, "volume_status": "derived", "allocated_t": 0, "returned_t": 0,
        "balance_t": 3294.0, "used_share": 0.0, "status": "open",
        "exhaustion_forecast": None, "exhausted_on": None, "note": None,
        "data_through": "2019-12-31"})
    rule_id: str
    order_id: str
    title: str
    agreement: str
    agreement_status: Literal["in_force", "signed", "terminated"] = Field(
        description="Quotas of agreements never in force are listed only with include_signed.")
    lines: list[str]
    products: list[str]
    allocation: str
    as_of: str
    period: str | None
    period_start: str | None
    period_end: str | None
    volume_t: float | None
    volume_status: str | None
    allocated_t: float | None
    returned_t: float | None
    balance_t: float | None
    used_share: float | None
    status: Literal["not_open", "open", "critical", "exhausted", "no_data", "not_defined",
                    "not_in_force"] = Field(description="no_data: the store holds no declaration "
                                            "records for the quota's lines in the period, so "
                                            "the balance is unknown (null), never zero.")
    exhaustion_forecast: str | None
    exhausted_on: str | None
    note: str | None
    data_through: str | None = Field(None, description="The last declaration day in the store "
                                                       "on the quota's lines, known by as_of.")


def _as_sent(kind: Any) -> Any:
    """A core field's type as the API sends it: dates as ISO text, a literal status as text."""
    return str if kind is dt.date or get_origin(kind) is Literal else kind


def _json_twin(name: str, core: type, *, first: dict[str, Any], drop: set[str]) -> Any:
    """The response model of the core dataclass ``core``: the ``first`` fields, then the core's
    own fields but ``drop``, in their order, as sent (so its fields are declared once, in the
    core, and the service's ``asdict`` of a core value fits it)."""
    hints = get_type_hints(core)
    fields = {**{key: (kind, ...) for key, kind in first.items()},
              **{f.name: (_as_sent(hints[f.name]), ...) for f in dataclasses.fields(core)
                 if f.name not in drop}}
    return create_model(name, **fields)


# One state of ``monitor.quotas.QuotaState`` on a date, as the quota history sends it.
QuotaStateOut = _json_twin("QuotaStateOut", QuotaState, first={"date": str}, drop={"quota_id"})


class QuotaHistory(BaseModel):
    model_config = _examples({
        "quota_id": "cptpp-tpp-butter", "as_of": "2019-12-31", "history": [
            {"date": "2019-04-01", "period": "FY2019", "period_start": "2019-04-01",
             "period_end": "2020-03-31", "volume_t": 3294.0, "volume_status": "derived",
             "allocated_t": 0, "returned_t": 0, "balance_t": 3294.0, "used_share": 0.0,
             "status": "open"}],
        "exhaustion_forecast": None,
        "ledger": "allocated first come, first served from the declarations in the store "
                  "(through 2019-12-31)"})
    quota_id: str
    as_of: str
    history: list[QuotaStateOut]
    exhaustion_forecast: str | None
    ledger: str


class BatchOut(BaseModel):
    model_config = _examples({
        "batch_id": "00ac96e11e90...", "source_path": "/path/jp_epa_imports.csv.gz",
        "format": "jp-epa-tidy", "row_count": 6061, "quantity_kg": 7037120205.0,
        "value_jpy": 2071921647000.0, "value_usd": 0.0,
        "totals": {"quantity": {"kg": 7037120205.0}, "value": {"JPY": 2071921647000.0}},
        "period_min": "2012-01-01", "period_max": "2019-12-31", "notes": {},
        "ingested_at": "2026-11-27T09:00:00", "reader_version": "tradeguard.data.readers/1"})
    batch_id: str
    source_path: str
    format: str
    row_count: int
    quantity_kg: float
    value_jpy: float
    value_usd: float
    totals: dict[str, Any]
    period_min: str | None
    period_max: str | None
    notes: dict[str, Any]
    ingested_at: str
    reader_version: str
    source_name: str | None = Field(None, description="File name given by the user.")
    source_bytes: int | None = Field(None, description="Size of the file in bytes.")
    uploaded_by: str | None = Field(None, description="Who uploaded it (the token's label).")
    batch_no: int | None = Field(None, description="The batch's number (never reused).")
    known_on: str | None = Field(None, description="Day its figures became known.")
    revision: bool | None = Field(None, description="True: it supersedes earlier records "
                                  "with the same keys; null: stored before revisions existed.")


class IngestOut(BaseModel):
    model_config = _examples({
        "status": "ingested", "batch_id": "3f2a...", "source_path": "upload.csv",
        "format": "declarations", "rows": 2, "store_path": "/data/store.duckdb",
        "quantity_totals": {"kg": 2000.0}, "value_totals": {"JPY": 3060000.0},
        "period_min": "2019-04-01", "period_max": "2019-04-01", "notes": {},
        "ingested_at": "2026-11-27T09:00:00", "filename": "april.csv"})
    status: Literal["ingested", "already ingested", "dry run"]
    batch_id: str
    source_path: str
    format: str
    rows: int
    store_path: str
    quantity_totals: dict[str, float]
    value_totals: dict[str, float]
    period_min: str | None
    period_max: str | None
    notes: dict[str, Any]
    ingested_at: str | None
    filename: str | None = Field(None, description="The uploaded file's name, as sent.")
    source_name: str | None = Field(None, description="File name recorded in the batch.")
    source_bytes: int | None = Field(None, description="Size of the file in bytes.")
    uploaded_by: str | None = Field(None, description="Who uploaded it (the token's label).")
    batch_no: int | None = Field(None, description="The batch's number (null: not stored).")
    known_on: str | None = Field(None, description="Day its figures became known.")
    revision: bool = Field(False, description="True: it supersedes earlier records with the "
                           "same keys.")


class DutyQuery(BaseModel):
    """The single-shipment question, as query parameters of ``GET /api/duty``."""

    model_config = ConfigDict(extra="forbid")
    line: str = Field(min_length=1, max_length=16, description="Tariff line, e.g. 0202.30",
                      examples=["0202.30"])
    origin: str = Field(min_length=1, max_length=8, description="Origin, ISO alpha-2",
                        examples=["US"])
    date: dt.date = Field(ge=EARLIEST, le=LATEST, description="Import date",
                          examples=["2021-03-20"])
    value: float | None = Field(None, ge=0, le=1e15, allow_inf_nan=False,
                                description="Customs value, JPY", examples=[1000000])
    quantity: float | None = Field(None, ge=0, le=1e12, allow_inf_nan=False,
                                   description="Quantity, kg", examples=[1000])
    as_of: dt.date | None = Field(None, ge=EARLIEST, le=LATEST,
                                  description="Knowledge date (default: the import date)",
                                  examples=["2026-11-27"])


class Declaration(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "tariff_line": "0202.30", "origin": "US", "date": "2021-03-20",
        "customs_value": 1000000, "quantity": 1000}]})
    tariff_line: str = Field(min_length=1, max_length=16)
    origin: str = Field(min_length=1, max_length=8)
    date: dt.date = Field(ge=EARLIEST, le=LATEST)
    customs_value: float = Field(ge=0, le=1e15, allow_inf_nan=False, description="JPY")
    quantity: float = Field(ge=0, le=1e12, allow_inf_nan=False, description="kg")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "as_of": "2026-11-27", "trace": False, "declarations": [
            {"tariff_line": "0202.30", "origin": "US", "date": "2021-03-20",
             "customs_value": 1000000, "quantity": 1000}]}]})
    as_of: dt.date = Field(ge=EARLIEST, le=LATEST, description="Knowledge date (explicit).")
    trace: bool = Field(False, description="Add each row's trace (at most 1,000 rows).")
    declarations: list[Declaration] = Field(max_length=100_000)


class BatchRow(BaseModel):
    row: int
    tariff_line: str
    origin: str
    date: str
    customs_value: float
    quantity: float
    chosen_regime: str | None
    duty_amount: str | None = Field(description="Exact decimal, in JPY, before the law's "
                                                 "rounding (a string, never a binary float).")
    safeguard: bool | None
    duty_by_regime: dict[str, str | None]
    trace: list[dict[str, Any]] | None = None


class BatchResponse(BaseModel):
    model_config = _examples({"as_of": "2026-11-27", "rows": [{
        "row": 1, "tariff_line": "0202.30", "origin": "US", "date": "2021-03-20",
        "customs_value": 1000000.0, "quantity": 1000.0, "chosen_regime": "usjta",
        "duty_amount": "385000", "safeguard": True,
        "duty_by_regime": {"usjta": "385000", "mfn": "385000"}}]})
    as_of: str
    rows: list[BatchRow]
