"""The API's response models that are twins of core dataclasses keep to the core's fields."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tradeguard.api.models import QuotaStateOut
from tradeguard.monitor.quotas import QuotaState


def test_the_quota_state_model_is_the_core_state_with_its_date_and_without_the_quota_id():
    core = [f.name for f in dataclasses.fields(QuotaState)]
    assert list(QuotaStateOut.model_fields) == ["date", *core[1:]]
    assert core[0] == "quota_id"
    schema = QuotaStateOut.model_json_schema()
    assert schema["properties"]["period_start"] == {"type": "string", "title": "Period Start"}
    assert schema["properties"]["status"] == {"type": "string", "title": "Status"}
    assert schema["properties"]["balance_t"] == {"type": "number", "title": "Balance T"}


def test_a_core_state_as_the_service_sends_it_fits_the_model():
    state = QuotaState("q", "FY2019", dt.date(2019, 4, 1), dt.date(2020, 3, 31), 3294.0,
                       "derived", 0.0, 0.0, 3294.0, 0.0, "open")
    sent = {"date": "2019-04-01"} | {k: v.isoformat() if isinstance(v, dt.date) else v
                                     for k, v in dataclasses.asdict(state).items()
                                     if k != "quota_id"}
    out = QuotaStateOut.model_validate(sent)
    assert out.period_end == "2020-03-31" and out.balance_t == 3294.0 and out.status == "open"
