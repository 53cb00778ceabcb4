"""Every GET endpoint's answers match the published OpenAPI document (schemathesis, with the
response conformance checks on: schema, status code, content type, and no 5xx).

A few generated cases per operation keep it quick; CI's deeper schemathesis run uses the same
checks.  The surge scan is left out here: each new ``as_of`` is a fresh multi-second scan (its
responses are checked by tests/surge).
"""

from __future__ import annotations

import warnings

import pytest

schemathesis = pytest.importorskip("schemathesis")


def test_get_answers_match_the_published_schema(app):
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, response_schema_conformance, status_code_conformance,
              content_type_conformance]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    mismatches: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.method.upper() != "GET" or op.path.startswith("/api/surges"):
            continue

        _check_operation(op, checks, mismatches)
        checked += 1
    assert checked >= 12  # every GET operation of the API but the surges
    assert mismatches == []


def _check_operation(op, checks, mismatches: list[str]) -> None:
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=3, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def run(case):
        response = case.call(timeout=600)
        try:
            case.validate_response(response, checks=checks)
        except Exception as exc:  # collected: the test's assertion lists them all
            mismatches.append(f"{op.label}: {str(exc).splitlines()[0][:200]}")

    run()
