"""Property-based fuzzing of the OpenAPI document with schemathesis (bounded examples).

Every operation except the upload (tested directly in test_api.py) gets generated requests,
valid and invalid; the checks: no 5xx, responses match their documented schema, status code
and content type (problem+json for errors).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tradeguard.api.app import create_app  # noqa: E402

MAX_EXAMPLES = 25


def _schema():
    import datetime as dt
    import tempfile
    from pathlib import Path

    from tradeguard.data.bundled import bundled_extract_path
    from tradeguard.data.store import ingest

    folder = Path(tempfile.mkdtemp(prefix="tradeguard-fuzz-"))
    store = folder / "store.duckdb"
    ingest(bundled_extract_path(), store,
           ingested_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC))
    app = create_app(store, token="fuzz-token", cors_origins=())
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# The upload, the design comparison, trade-off and between (Monte Carlo runs per request)
# and the surge scan (a full scan per request) are tested directly (test_api.py,
# test_design_pages.py, test_design_negotiate_api.py, tests/surge) instead of fuzzed, to keep
# the suite fast.
schema = (_schema().exclude(path="/api/ingest").exclude(path="/api/designs/compare")
          .exclude(path="/api/designs/trade-off").exclude(path="/api/designs/between")
          .exclude(path_regex="^/api/surges"))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_fuzz(case):
    from schemathesis.checks import not_a_server_error

    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance,
                                   status_code_conformance, content_type_conformance])
