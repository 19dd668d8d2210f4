"""Rate limits: repeated failed sign-ins lock an address out; a flood of writes gets 429 with Retry-After."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.main import create_app
from tests.conftest import auth


@pytest.fixture
def limited() -> Iterator[TestClient]:
    settings = get_settings()
    saved = (settings.rate_limit, settings.writes_per_minute, settings.failed_logins_per_15_minutes)
    settings.rate_limit, settings.writes_per_minute, settings.failed_logins_per_15_minutes = True, 5, 3
    try:
        with TestClient(create_app()) as client:
            yield client
    finally:
        settings.rate_limit, settings.writes_per_minute, settings.failed_logins_per_15_minutes = saved


def test_failed_sign_ins_lock_out_the_address(limited: TestClient, tokens: dict[str, str]) -> None:
    for _ in range(3):
        assert limited.post("/logga-in", data={"token": "fel"}, follow_redirects=False).status_code == 401
    locked = limited.post("/logga-in", data={"token": tokens["analyst"]}, follow_redirects=False)
    assert locked.status_code == 429 and "15 minutes" in locked.json()["detail"][0]["msg"]


def test_write_flood_gets_429(limited: TestClient, tokens: dict[str, str]) -> None:
    body = {"lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"}
    codes = [limited.post("/api/v1/incidents", headers=auth(tokens["reporter"]), json=body).status_code
             for _ in range(7)]
    assert codes[:5] == [201] * 5 and codes[5] == 429
    assert limited.get("/api/v1/incidents", headers=auth(tokens["reporter"])).status_code == 200  # reads go on
    other = limited.post("/api/v1/incidents", headers=auth(tokens["analyst"]), json=body)
    assert other.status_code == 201  # the limit is per caller
