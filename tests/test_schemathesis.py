"""Property-based requests generated from the OpenAPI schema: no input may cause a server error.

Bounded and derandomised (the same examples every run, so CI is stable): a few examples per operation,
with an admin token so the handlers run, not just the gate.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from app.main import create_app
from tests.conftest import auth

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app()).include(path_regex="^/api/")


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, tokens):  # type: ignore[no-untyped-def]
    response = case.call(headers=auth(tokens["admin"]))
    assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:300])
