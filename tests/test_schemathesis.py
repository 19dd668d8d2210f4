"""Property-based requests generated from the OpenAPI schema: no input may cause a server error.

Bounded and derandomised (the same examples every run, so CI is stable): a few examples per operation
for every role, so the handlers run for each (a reporter's paths differ: own unit, 404s), not just the
gate. Rate limits are off in tests.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.main import create_app
from tests.conftest import auth

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app()).include(path_regex="^/api/")


@pytest.mark.parametrize("role", ["admin", "analyst", "planner", "technician", "reporter"])
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, tokens, role):  # type: ignore[no-untyped-def]
    response = case.call(headers=auth(tokens[role]))
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:300])
