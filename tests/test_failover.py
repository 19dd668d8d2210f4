"""More than one machine (#22): multi-host URLs, reads routed to a standby, and the failover drill.

The drill (deploy/failover_drill.py) starts a real pg_auto_failover monitor, primary and standby, two app
instances behind a real nginx, kills the primary under load and checks what the clients saw.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import db
from app.config import get_settings
from app.main import create_app
from tests.conftest import auth
from tests.test_audit import _get_routes


def test_multi_host_urls_travel_between_libpq_and_sqlalchemy() -> None:
    printed = ("postgresql://lagesbild:p%40ss@10.0.0.1:5432,10.0.0.2:5433/lagesbild"
               "?target_session_attrs=read-write&sslmode=require")
    sqlalchemy = db.sqlalchemy_url(printed)
    assert sqlalchemy == ("postgresql+psycopg://lagesbild:p%40ss@/lagesbild?host=10.0.0.1:5432&host=10.0.0.2:5433"
                          "&target_session_attrs=read-write&sslmode=require")
    assert db.libpq_url(sqlalchemy) == ("postgresql://lagesbild:p%40ss@/lagesbild?host=10.0.0.1,10.0.0.2"
                                        "&port=5432,5433&target_session_attrs=read-write&sslmode=require")
    single = "postgresql://u:pw@db:5432/lagesbild"
    assert db.libpq_url(db.sqlalchemy_url(single)) == single


@pytest.fixture
def standby_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with its read URL on a read-only connection to the test database, named so it can be found."""
    options = quote("-c default_transaction_read_only=on")
    read_url = db.libpq_url(db.database_url()) + f"?application_name=standby-check&options={options}"
    monkeypatch.setattr(get_settings(), "database_read_url", read_url)
    db.get_read_engine.cache_clear()
    db.read_session_factory.cache_clear()
    try:
        with TestClient(create_app()) as client:
            yield client
    finally:
        db.get_read_engine().dispose()
        monkeypatch.undo()
        db.get_read_engine.cache_clear()
        db.read_session_factory.cache_clear()


def test_standby_routes_read_from_the_read_url_and_write_nothing(standby_client: TestClient,
                                                                  tokens: dict[str, str]) -> None:
    """Every route marked `standby_read` answers on a read-only connection (as a standby would give it), and
    its request really goes there; writes and unmarked routes still go to the primary."""
    analyst = auth(tokens["analyst"])
    when = datetime.now(UTC) - timedelta(days=3)
    for i in range(12):
        created = standby_client.post("/api/v1/incidents", headers=analyst, json={
            "lon": 15.130 + i * 1e-4, "lat": 58.325, "category": "skadegorelse", "occurred_at": when.isoformat()})
        assert created.status_code == 201, created.text
    routes = {path for path, route in _get_routes().items()
              if getattr(getattr(route, "endpoint", None), "standby_read", False)}
    assert "/api/v1/incidents" in routes and "/ogc/collections/{collection_id}/items" in routes
    assert "/api/v1/analysis/clusters" in routes and "/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt" in routes
    concrete = {"/ogc/collections/{collection_id}/items": "/ogc/collections/incidents/items",
                "/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt": "/api/v1/tiles/incidents/14/8880/4800.mvt"}
    params = {"/api/v1/analysis/compare": {"start": (when - timedelta(days=30)).isoformat(),
                                           "end": (when + timedelta(days=1)).isoformat(), "split": when.isoformat()}}
    for path in routes:
        answer = standby_client.get(concrete.get(path, path), headers=analyst, params=params.get(path, {}))
        # 422 only where the request itself lacks what the analysis needs; never a refused write (500/503)
        assert answer.status_code in (200, 422), (path, answer.status_code, answer.text[:300])
        assert "read-only transaction" not in answer.text
    with db.session_factory()() as session:
        standby = session.execute(text("SELECT count(*) FROM pg_stat_activity "
                                       "WHERE application_name = 'standby-check'")).scalar_one()
    assert standby >= 1
    # An unmarked read (one incident) and a write still work: they go to the primary.
    first = standby_client.get("/api/v1/incidents", headers=analyst, params={"limit": 1}).json()["features"][0]
    assert standby_client.get(f"/api/v1/incidents/{first['id']}", headers=analyst).status_code == 200


@pytest.mark.failover
def test_failover_drill_loses_no_acknowledged_write() -> None:
    """The drill on this machine: monitor, primary, standby, two instances behind nginx; the primary killed."""
    from deploy.failover_drill import run_drill

    result = run_drill(before=4.0, after=3.0, writers=3, readers=3)
    if result["reads_while_primary_down"] == 0:
        # No read fell inside the outage (a fresh clone's run, 1 of 4: the window between the kill and the
        # first write back held none of the readers' requests), so the standby path went untried: drill again.
        # Reads that fell inside and failed still fail below.
        result = run_drill(before=4.0, after=3.0, writers=3, readers=3)
    assert result["writes_acknowledged"] > 20, result
    assert result["writes_lost"] == 0, result
    assert result["writes_back_after_seconds"] is not None and result["writes_back_after_seconds"] <= 30, result
    assert result["reads_ok_while_primary_down"] > 0, result
    assert result["reads_ok_while_primary_down"] == result["reads_while_primary_down"], result
    assert result["errors"] == result["errors_clear_503"], result["unclear_errors"]
    assert result["states_after"][result["killed"]][1] != "primary", result
    assert result["instances_alike"], result  # the two instances, asked directly, give the same answers
