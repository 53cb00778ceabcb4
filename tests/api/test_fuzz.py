"""Property-based fuzzing of the OpenAPI document with schemathesis (bounded examples).

Every operation except the upload (tested directly in test_api.py) gets generated requests,
valid and invalid; the checks: no 5xx, responses match their documented schema, status code
and content type (problem+json for errors).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tradeguard.api.app import create_app  # noqa: E402

MAX_EXAMPLES = 12  # per operation: enough to reach every documented status; 25 doubled its cost


# The app is built at import (schemathesis reads its OpenAPI document while collecting), over
# a store path that stays empty until the first fuzzed test copies the bundled store there:
# collection then costs no ingest in every test worker.
STORE = Path(tempfile.mkdtemp(prefix="tradeguard-fuzz-")) / "store.duckdb"


@pytest.fixture(scope="module", autouse=True)
def _bundled_data_in_the_fuzzed_store(bundled_store):
    shutil.copyfile(bundled_store, STORE)


# The upload, the design comparison, trade-off and between (Monte Carlo runs per request)
# and the surge scan (a full scan per request) are tested directly (test_api.py,
# test_design_pages.py, test_design_negotiate_api.py, tests/surge) instead of fuzzed, to keep
# the suite fast.
schema = (schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(STORE, token="fuzz-token", cors_origins=()))
    .exclude(path="/api/ingest").exclude(path="/api/designs/compare")
    .exclude(path="/api/designs/trade-off").exclude(path="/api/designs/between")
    .exclude(path_regex="^/api/surges"))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_fuzz(case):
    from schemathesis.checks import not_a_server_error

    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance,
                                   status_code_conformance, content_type_conformance])
