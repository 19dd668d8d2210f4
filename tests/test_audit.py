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


# GET routes that return no personal detail and no units' free text: reference data, aggregates and
# analyses (counts over every unit, never one incident), the public view, and pages built from those.
NO_DETAIL = {
    "/", "/admin/anvandare", "/api/v1/categories", "/api/v1/organisations", "/api/v1/places", "/api/v1/municipalities",
    "/api/v1/municipalities/comparison",
    "/api/v1/places/{place_id}", "/api/v1/public/cells", "/api/v1/public/groups", "/api/v1/patrol-plan",
    "/api/v1/interventions", "/api/v1/interventions/{intervention_id}",
    "/api/v1/interventions/{intervention_id}/follow-up",
    "/api/v1/promises", "/api/v1/promises/{promise_id}", "/api/v1/promises/{promise_id}/follow-up",
    "/api/v1/police-feed", "/api/v1/statistics/rates",  # fetch log and area counts: nobody's detail
    "/api/v1/lighting/worklist", "/api/v1/lighting/worklist.csv", "/api/v1/exports/analysis/{layer}.{fmt}",
    "/belysning/arbetslista", "/felanmalan", "/health", "/hur-sakra",
    "/ready", "/importera", "/karta/gatunat", "/karta/{view}",
    "/karta/{view}/karta.html",
    "/konto", "/logga-in", "/logga-in/oidc", "/logga-in/oidc/callback", "/medborgarloften/{promise_id}",
    "/ogc", "/ogc/collections", "/ogc/collections/{collection_id}", "/ogc/conformance", "/ogc/api",
    "/ogc/collections/{collection_id}/queryables", "/ogc/collections/{collection_id}/schema",
    "/ogc/collections/{collection_id}/feature-schema",
    "/open311/v2/services.{fmt}", "/open311/v2/discovery.{fmt}", "/open311/v2/services/{service_code}.{fmt}",
    "/patrull/plan", "/rapportera",
    *{f"/api/v1/analysis/{name}" for name in ("clusters", "compare", "density", "emerging", "evaluate", "gistar",
                                               "near-repeat", "risk-terrain", "time-profile")},
}


def _get_routes() -> dict[str, object]:
    from fastapi.routing import APIRoute

    from app.main import create_app

    def walk(routes: list[object], prefix: str = "") -> dict[str, object]:
        found: dict[str, object] = {}
        for route in routes:
            if type(route).__name__ == "_IncludedRouter":
                found.update(walk(route.original_router.routes, prefix + route.include_context.prefix))  # type: ignore[attr-defined]
            elif isinstance(route, APIRoute) and "GET" in route.methods:
                found[prefix + route.path] = route
        return found

    return walk(create_app().routes)


def test_every_get_route_declares_whether_it_reads_personal_detail() -> None:
    """The audit follows what each route declares (app.deps.audit_read), not a list of URL prefixes: a new
    GET route must either declare its read or be added to NO_DETAIL here, on purpose."""
    routes = _get_routes()
    declared = {path for path, route in routes.items()
                if any(hasattr(d.dependency, "audit_what") for d in route.dependencies)}  # type: ignore[attr-defined]
    assert declared.isdisjoint(NO_DETAIL)
    assert set(routes) - declared == NO_DETAIL
    assert {"/api/v1/incidents", "/api/v1/incidents/{incident_id}", "/api/v1/reports", "/api/v1/reports/{report_id}",
            "/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt", "/ogc/collections/{collection_id}/items/{feature_id}",
            "/karta/data/incidents", "/lagesbild", "/rapporter", "/trygghetsvandringar"} <= declared


@pytest.mark.parametrize("path", [
    "/api/v1/incidents/{id}", "/api/v1/exports/incidents.csv", "/ogc/collections/incidents/items",
    "/ogc/collections/incidents/items/{id}", "/api/v1/tiles/incidents/14/8880/4800.mvt", "/api/v1/reports",
    "/api/v1/reports/status",
])
def test_each_read_of_incident_detail_leaves_a_row(client: TestClient, tokens: dict[str, str], session: Session,
                                                   path: str) -> None:
    made = client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
        "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"}).json()
    path = path.replace("{id}", str(made["id"]))
    assert reads.flush(timeout=5)
    before = session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read'")).scalar()
    assert client.get(path, headers=auth(tokens["analyst"])).status_code == 200
    assert reads.flush(timeout=5)
    row = session.execute(text("SELECT actor, path, detail->>'reads' FROM audit_log WHERE action = 'read' "
                               "ORDER BY id DESC LIMIT 1")).one()
    assert session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read'")).scalar() == before + 1
    assert (row[0], row[1]) == ("test-analyst", path.split("?")[0]) and row[2] in ("incidents", "unit_reports")


def test_hotspot_tiles_and_places_leave_no_read_row(client: TestClient, tokens: dict[str, str],
                                                   session: Session) -> None:
    assert reads.flush(timeout=5)
    before = session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read'")).scalar()
    client.get("/api/v1/tiles/hotspots/14/8880/4800.mvt", headers=auth(tokens["analyst"]))
    client.get("/ogc/collections/places/items", headers=auth(tokens["analyst"]))
    assert reads.flush(timeout=5)
    assert session.execute(text("SELECT count(*) FROM audit_log WHERE action = 'read'")).scalar() == before
