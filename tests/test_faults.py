"""When the database goes away: a clear 503 within a second, recovery by itself, no acknowledged write lost.

Runs on a server of its own in a temporary folder, so stopping it disturbs nothing else.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from app.auth.service import create_token
from app.config import get_settings
from app.db import get_engine, session_factory
from app.localdb import LocalServer
from app.main import create_app
from app.migrate import upgrade
from app.seed import seed
from tests.conftest import _free_port


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[tuple[LocalServer, str]]:
    tmp_path.chmod(0o755)
    server = LocalServer(home=tmp_path / "home", port=_free_port())
    server.start(("faults",))
    url = server.url("faults")
    upgrade(url=url)
    engine = create_engine(url)
    with Session(engine) as s:
        seed(s)
    engine.dispose()
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    for cached in (get_settings, get_engine, session_factory):
        cached.cache_clear()
    try:
        yield server, url
    finally:
        get_engine().dispose()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        for cached in (get_settings, get_engine, session_factory):
            cached.cache_clear()
        server.stop()


def test_database_restart_gives_503_then_recovers_without_losing_writes(own_server: tuple[LocalServer, str]) -> None:
    server, _ = own_server
    with session_factory()() as s:
        token = create_token(s, role="analyst", name="faults")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app()) as client:
        acknowledged = []
        for k in range(20):
            r = client.post("/api/v1/incidents", headers=headers, json={
                "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": f"2025-01-01T20:{k:02d}:00Z"})
            assert r.status_code == 201
            acknowledged.append(r.json()["id"])
        server.stop()
        start = time.monotonic()
        down = client.get("/api/v1/incidents", headers=headers)
        elapsed = time.monotonic() - start
        assert down.status_code == 503 and elapsed < 1.0
        assert "database is unavailable" in down.json()["detail"][0]["msg"]
        assert down.headers["retry-after"] == "5"
        assert client.get("/ready").status_code == 503
        assert client.get("/health").status_code == 200
        server.start(("faults",))
        back = client.get("/api/v1/incidents", headers=headers, params={"limit": 100})
        assert back.status_code == 200
        assert sorted(f["id"] for f in back.json()["features"]) == acknowledged
        assert client.get("/ready").status_code == 200
