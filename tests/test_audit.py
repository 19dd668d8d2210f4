"""Audit trail: writes and reads of incident detail are logged with who, what, when and from where;
the log cannot be changed; only admins read it; every response carries the security headers."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.middleware import reads
from tests.conftest import auth


def _last(session: Session, n: int = 5) -> list[dict[str, object]]:
    assert reads.flush(timeout=5)  # rows of reads are inserted in batches
    rows = session.execute(text("SELECT actor, role, action, method, path, status, client FROM audit_log "
                                "ORDER BY id DESC LIMIT :n"), {"n": n}).mappings().all()
    return [dict(r) for r in rows]


def test_writes_and_detail_reads_are_logged(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    created = client.post("/api/v1/incidents", headers={**auth(tokens["reporter"]), "user-agent": "enhet-app/1.0"},
                          json={"lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"})
    incident_id = created.json()["id"]
    [row] = _last(session, 1)
    assert row == {"actor": "test-reporter", "role": "reporter", "action": "create", "method": "POST",
                   "path": "/api/v1/incidents", "status": 201, "client": "testclient"}
    client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["planner"]))
    assert _last(session, 1)[0]["action"] == "read" and _last(session, 1)[0]["actor"] == "test-planner"
    client.patch(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["analyst"]), json={"category": "klotter"})
    client.delete(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["admin"]))
    assert [r["action"] for r in _last(session, 2)] == ["delete", "update"]
    client.get("/api/v1/incidents", headers=auth(tokens["reporter"]), params={"bbox": "15.1,58.3,15.2,58.4"})
    refused = client.get("/api/v1/incidents")  # a refused read is logged too, without an actor
    assert refused.status_code == 401
    last = _last(session, 2)
    assert last[0]["status"] == 401 and last[0]["actor"] is None and last[1]["actor"] == "test-reporter"
    client.get("/api/v1/reports", headers=auth(tokens["analyst"]))  # units' events and observations
    assert reads.flush(timeout=5) and _last(session, 1)[0]["path"] == "/api/v1/reports"
    before = session.execute(text("SELECT count(*) FROM audit_log")).scalar()
    client.get("/api/v1/places")  # public reference data is not incident detail
    assert reads.flush(timeout=5) and session.execute(text("SELECT count(*) FROM audit_log")).scalar() == before


def test_the_log_is_append_only_and_admin_only(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    client.get("/api/v1/incidents", headers=auth(tokens["analyst"]))
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        session.rollback()
    assert client.get("/api/v1/audit", headers=auth(tokens["analyst"])).status_code == 403
    rows = client.get("/api/v1/audit", headers=auth(tokens["admin"]), params={"actor": "test-analyst"}).json()
    assert rows[0]["path"] == "/api/v1/audit" and rows[0]["status"] == 403  # the refused look is logged too
    assert any(r["path"] == "/api/v1/incidents" and r["action"] == "read" for r in rows)


def test_security_headers(client: TestClient) -> None:
    r = client.get("/")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["referrer-policy"] == "same-origin"


def test_data_is_gzipped_for_clients_that_ask_and_pages_never(client: TestClient, tokens: dict[str, str],
                                                                session: Session) -> None:
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        SELECT ST_SetSRID(ST_MakePoint(15.12 + n * 1e-5, 58.32), 4326), 'vald', '2025-01-01T20:00:00Z', 'demo', 'exact'
        FROM generate_series(1, 200) n"""))
    session.commit()
    gzip_please = {**auth(tokens["analyst"]), "accept-encoding": "gzip"}
    data = client.get("/api/v1/incidents", headers=gzip_please, params={"limit": 200})
    assert data.headers["content-encoding"] == "gzip" and len(data.json()["features"]) == 200  # httpx unzips
    assert int(data.headers["content-length"]) < len(data.content) / 4
    plain = client.get("/api/v1/incidents", headers={**gzip_please, "accept-encoding": "identity"}, params={"limit": 5})
    assert "content-encoding" not in plain.headers
    page = client.get("/logga-in", headers={"accept-encoding": "gzip"})  # a form with a CSRF token: BREACH
    assert page.status_code == 200 and "content-encoding" not in page.headers
