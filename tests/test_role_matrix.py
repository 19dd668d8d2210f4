"""Every API endpoint × every role and the public: allowed calls pass the gate, others get 401/403.

A new endpoint without a row here fails `test_matrix_covers_every_endpoint`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.auth.roles import PERMISSIONS, Role
from app.main import create_app
from tests.conftest import auth

PUBLIC = None
Body = Callable[[TestClient, dict[str, str]], Any]


def _incident_id(client: TestClient, tokens: dict[str, str]) -> int:
    r = client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={  # the reporter's unit: visible to it
        "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z", "source": "polisen"})
    return int(r.json()["id"])


INCIDENT = {"lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"}
PLACE = {"name": "Testplats", "geometry": {"type": "Point", "coordinates": [15.13, 58.32]}, "source": "test"}

# (method, path template) -> permission needed (None: open to the public)
MATRIX: dict[tuple[str, str], str | None] = {
    ("GET", "/api/v1/places"): PUBLIC,
    ("GET", "/api/v1/places/{place_id}"): PUBLIC,
    ("POST", "/api/v1/places"): "places:write",
    ("PATCH", "/api/v1/places/{place_id}"): "places:write",
    ("GET", "/api/v1/incidents"): "incidents:read",
    ("POST", "/api/v1/incidents"): "incidents:create",
    ("GET", "/api/v1/incidents/{incident_id}"): "incidents:read",
    ("PATCH", "/api/v1/incidents/{incident_id}"): "incidents:edit",
    ("DELETE", "/api/v1/incidents/{incident_id}"): "incidents:edit",
    ("GET", "/api/v1/categories"): PUBLIC,
    ("GET", "/api/v1/organisations"): PUBLIC,
    ("POST", "/api/v1/imports"): "imports:write",
    **{("GET", f"/api/v1/analysis/{name}"): "analysis:read" for name in (
        "clusters", "gistar", "density", "time-profile", "compare", "emerging", "near-repeat", "evaluate",
        "risk-terrain")},
    ("GET", "/api/v1/exports/incidents.{fmt}"): "incidents:read",
    ("GET", "/api/v1/exports/analysis/{layer}.{fmt}"): "analysis:read",
    ("GET", "/api/v1/tiles/{layer}/{z}/{x}/{y}.mvt"): "incidents:read",
    ("GET", "/api/v1/patrol-plan"): "analysis:read",
    ("POST", "/api/v1/lighting/lamps/import"): "lighting:write",
    ("POST", "/api/v1/lighting/streets/import"): "lighting:write",
    ("POST", "/api/v1/lighting/reports"): "lighting:report",
    ("GET", "/api/v1/lighting/reports/{report_id}"): "lighting:read",
    ("POST", "/api/v1/lighting/reports/{report_id}/status"): "lighting:write",
    ("GET", "/api/v1/lighting/worklist"): "lighting:read",
    ("GET", "/api/v1/lighting/worklist.csv"): "lighting:read",
    ("GET", "/api/v1/audit"): "audit:read",
    ("GET", "/api/v1/public/cells"): PUBLIC,
    ("GET", "/api/v1/police-feed"): "incidents:read",
    ("POST", "/api/v1/police-feed/sync"): "policefeed:sync",
    ("GET", "/api/v1/statistics/rates"): "analysis:read",
    ("GET", "/api/v1/municipalities"): "incidents:read",
    ("GET", "/api/v1/municipalities/comparison"): "analysis:read",
    ("POST", "/api/v1/statistics/bra"): "statistics:write",
    ("POST", "/api/v1/statistics/population"): "statistics:write",
    ("POST", "/api/v1/statistics/survey"): "statistics:write",
    ("GET", "/api/v1/public/groups"): PUBLIC,
    ("POST", "/api/v1/interventions"): "interventions:write",
    ("GET", "/api/v1/interventions"): "interventions:read",
    ("GET", "/api/v1/interventions/{intervention_id}"): "interventions:read",
    ("POST", "/api/v1/interventions/{intervention_id}/status"): "interventions:write",
    ("GET", "/api/v1/interventions/{intervention_id}/follow-up"): "interventions:read",
    ("POST", "/api/v1/reports"): "reports:write",
    ("GET", "/api/v1/reports"): "reports:read",
    ("GET", "/api/v1/reports/status"): "reports:read",
    ("GET", "/api/v1/reports/{report_id}"): "reports:read",
    ("PUT", "/api/v1/reports/{report_id}"): "reports:write",
    ("DELETE", "/api/v1/reports/{report_id}"): "reports:write",
    ("POST", "/api/v1/walks"): "walks:write",
    ("GET", "/api/v1/walks"): "walks:read",
    ("GET", "/api/v1/walks/{walk_id}"): "walks:read",
    ("POST", "/api/v1/walks/{walk_id}/findings"): "walks:write",
    ("POST", "/api/v1/walks/{walk_id}/findings/{finding_id}/status"): "walks:write",
    ("POST", "/api/v1/walks/{walk_id}/findings/{finding_id}/convert"): "walks:write",
    ("PUT", "/api/v1/walks/{walk_id}/findings/{finding_id}/photo"): "walks:write",
    ("GET", "/api/v1/walks/{walk_id}/findings/{finding_id}/photo"): "walks:read",
    ("POST", "/api/v1/promises"): "promises:write",
    ("GET", "/api/v1/promises"): "promises:read",
    ("GET", "/api/v1/promises/{promise_id}"): "promises:read",
    ("PUT", "/api/v1/promises/{promise_id}"): "promises:write",
    ("GET", "/api/v1/promises/{promise_id}/follow-up"): "promises:read",
}
FINDING = {"kind": "dark_place", "lon": 15.1318, "lat": 58.3262, "description": "Mörk gångtunnel"}
WALK = {"walked_on": "2025-09-18", "area": "Centrum", "findings": [FINDING]}
PROMISE = {"title": "Tryggare kvällar", "period_start": "2025-01-01", "period_end": "2025-12-31", "place_ids": [1]}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
       b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")
UNIT_REPORT = {"organisation": "polisen", "observations": [{"text": "Lugnt vid stationen"}]}

UPLOADS = {
    ("POST", "/api/v1/lighting/lamps/import"): ("l.csv", b"id;status;lat;lon\nL9;hel;58,324;15,13\n"),
    ("POST", "/api/v1/lighting/streets/import"): ("s.geojson", b'{"type":"FeatureCollection","features":[{"type":'
        b'"Feature","properties":{"name":"G"},"geometry":{"type":"LineString","coordinates":[[15.13,58.32],'
        b'[15.131,58.32]]}}]}'),
    ("POST", "/api/v1/statistics/bra"): ("b.csv", "Brott 2024\nKommun;Antal;Per 100 000 inv.\nMjölby;3 012;10 577\n"
                                                .encode()),
    ("POST", "/api/v1/statistics/survey"): ("s.csv", "Trygghetsmätning 2025\nOmråde;Problem;Index\n"
                                                 "Resecentrum;Nedskräpning;2,4\n".encode()),
    ("POST", "/api/v1/statistics/population"): ("p.csv", b'"region","2024"\n"0586 Mj\xc3\xb6lby","28 480"\n'),
}

BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/places"): PLACE,
    ("PATCH", "/api/v1/places/{place_id}"): {"unsafe_share": 0.4},
    ("POST", "/api/v1/incidents"): INCIDENT,
    ("PATCH", "/api/v1/incidents/{incident_id}"): {"description": "ändrad"},
    ("POST", "/api/v1/lighting/reports"): {"kind": "dark_spot", "lon": 15.13, "lat": 58.323},
    ("POST", "/api/v1/lighting/reports/{report_id}/status"): {"status": "confirmed"},
    ("POST", "/api/v1/interventions"): {"title": "t", "kind": "other", "organisation": "kommunen", "place_id": 1,
                                        "start_date": "2025-01-01"},
    ("POST", "/api/v1/interventions/{intervention_id}/status"): {"status": "active"},
    ("POST", "/api/v1/reports"): UNIT_REPORT,
    ("PUT", "/api/v1/reports/{report_id}"): UNIT_REPORT,
    ("POST", "/api/v1/walks"): WALK,
    ("POST", "/api/v1/walks/{walk_id}/findings"): FINDING,
    ("POST", "/api/v1/walks/{walk_id}/findings/{finding_id}/status"): {"status": "in_progress"},
    ("POST", "/api/v1/walks/{walk_id}/findings/{finding_id}/convert"): {"to": "lighting_fault"},
    ("POST", "/api/v1/promises"): PROMISE,
    ("PUT", "/api/v1/promises/{promise_id}"): PROMISE,
}


def test_matrix_covers_every_endpoint() -> None:
    paths = create_app().openapi()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() if path.startswith("/api/") for method in ops}
    assert routes == set(MATRIX)


@pytest.mark.parametrize("role", [None, *[r.value for r in Role]])
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_matrix(client: TestClient, tokens: dict[str, str], endpoint: tuple[str, str], role: str | None) -> None:
    method, template = endpoint
    if template == "/api/v1/public/cells":
        template += "?period=2025"
    path = (template.replace("{place_id}", "1").replace("{fmt}", "geojson").replace("{layer}.", "clusters.")
            .replace("{layer}/{z}/{x}/{y}", "incidents/14/8880/4800"))
    if "{incident_id}" in template:
        path = template.replace("{incident_id}", str(_incident_id(client, tokens)))
    if "{intervention_id}" in template:
        made = client.post("/api/v1/interventions", headers=auth(tokens["admin"]), json={
            "title": "t", "kind": "other", "organisation": "kommunen", "place_id": 1, "start_date": "2025-01-01"})
        path = template.replace("{intervention_id}", str(made.json()["id"]))
    if "{walk_id}" in template:
        walk = client.post("/api/v1/walks", headers=auth(tokens["admin"]), json=WALK).json()
        path = template.replace("{walk_id}", str(walk["id"])).replace("{finding_id}", str(walk["findings"][0]["id"]))
        if template.endswith("/photo") and method == "GET":
            client.put(path, headers=auth(tokens["admin"]), files={"file": ("p.png", PNG)})
    if "{promise_id}" in template:
        made = client.post("/api/v1/promises", headers=auth(tokens["admin"]), json=PROMISE).json()
        path = template.replace("{promise_id}", str(made["id"]))
    if template.startswith("/api/v1/reports/{report_id}"):  # a unit report of the reporter's own unit
        made = client.post("/api/v1/reports", headers=auth(tokens["admin"]), json=UNIT_REPORT).json()
        path = template.replace("{report_id}", str(made["id"]))
    elif "{report_id}" in template:
        report = client.post("/api/v1/lighting/reports", headers=auth(tokens["admin"]),
                             json={"kind": "fault", "lon": 15.13, "lat": 58.323}).json()
        path = template.replace("{report_id}", str(report["id"]))
    headers = auth(tokens[role]) if role else {}
    body = BODIES.get(endpoint)
    if body is not None and endpoint == ("POST", "/api/v1/places"):
        body = {**body, "name": f"Testplats {role}"}
    if template.endswith("/photo") and method == "PUT":
        r = client.put(path, headers=headers, files={"file": ("p.png", PNG)})
    elif endpoint in UPLOADS:
        r = client.post(path, headers=headers, files={"file": UPLOADS[endpoint]})
    elif endpoint == ("POST", "/api/v1/imports"):
        csv_text = f"tidpunkt;kategori;lat;lon\n2025-03-0{len(role or '') % 9 + 1} 21:00;vald;58,32;15,13\n"
        r = client.post(path, headers=headers, files={"file": ("a.csv", csv_text.encode())})
    else:
        r = client.request(method, path, headers=headers, json=body)
    permission = MATRIX[endpoint]
    if permission is None or (role is not None and Role(role) in PERMISSIONS[permission]):
        if endpoint == ("GET", "/api/v1/analysis/evaluate"):  # no data to score here: past the gate, 422
            assert r.status_code == 422 and "both periods" in r.text, (endpoint, role, r.status_code, r.text)
        else:
            assert r.status_code < 400, (endpoint, role, r.status_code, r.text)
    elif role is None:
        assert r.status_code == 401, (endpoint, role, r.status_code)
    else:
        assert r.status_code == 403, (endpoint, role, r.status_code)


def test_bad_token_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/incidents", headers=auth("lgb_not-a-token"))
    assert r.status_code == 401


@pytest.mark.parametrize("role", [None, *[r.value for r in Role]])
def test_hotspot_tiles_need_the_analysis_right(client: TestClient, tokens: dict[str, str], role: str | None) -> None:
    """The tile route serves two layers: incidents (each role sees what it may see) and hotspots, built from
    every unit's incidents like /analysis/clusters, so only roles that may read analyses get them."""
    headers = auth(tokens[role]) if role else {}
    r = client.get("/api/v1/tiles/hotspots/14/8880/4800.mvt", headers=headers)
    if role is None:
        assert r.status_code == 401
    elif Role(role) in PERMISSIONS["analysis:read"]:
        assert r.status_code == 200, (role, r.text)
    else:
        assert r.status_code == 403, role


def test_a_reporter_sees_only_its_own_units_incidents_everywhere(client: TestClient, tokens: dict[str, str]) -> None:
    """Visibility is decided once, where the incident filter is built: list, item, export, OGC and tiles agree."""
    for source in ("polisen", "kommunen"):
        client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
            "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z", "source": source})
    reporter = auth(tokens["reporter"])  # the reporter's unit is polisen (conftest)
    listed = client.get("/api/v1/incidents", headers=reporter).json()["features"]
    assert [f["properties"]["source"] for f in listed] == ["polisen"]
    ogc = client.get("/ogc/collections/incidents/items", headers=reporter).json()["features"]
    assert [f["properties"]["source"] for f in ogc] == ["polisen"]
    exported = client.get("/api/v1/exports/incidents.geojson", headers=reporter).json()["features"]
    assert len(exported) == 1
    everyone = client.get("/api/v1/incidents", headers=auth(tokens["analyst"])).json()["features"]
    other = next(f["id"] for f in everyone if f["properties"]["source"] == "kommunen")
    assert client.get(f"/api/v1/incidents/{other}", headers=reporter).status_code == 404
    assert client.get(f"/ogc/collections/incidents/items/{other}", headers=reporter).status_code == 404
