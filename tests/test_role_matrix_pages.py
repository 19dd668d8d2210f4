"""The role × endpoint matrix outside /api/v1: OGC API Features (by token), Open311, and the web pages
(by a signed-in session), for every role and the public. A new route without a row here fails."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app import health
from app.auth.roles import PERMISSIONS, Role
from app.ogc.router import router as ogc
from app.ogc.service import COLLECTIONS
from app.open311.router import router as open311
from app.web.account import router as account_web
from app.web.admin import router as admin_web
from app.web.esm import router as esm
from app.web.imports import router as import_web
from app.web.lighting import router as lighting_web
from app.web.router import router as web
from app.web.signin import router as signin
from app.web.walks import router as walks_web
from tests.conftest import PASSWORD, auth, sign_in

PUBLIC = None
SIGNED_IN = "signed-in"  # any role
SPECIAL = "special"  # tested on its own elsewhere (sign-in flow, OIDC)

# (method, path) -> (concrete path, permission)
ROUTES: dict[tuple[str, str], tuple[str, str | None]] = {
    ("GET", "/ogc"): ("/ogc", PUBLIC),
    ("GET", "/ogc/conformance"): ("/ogc/conformance", PUBLIC),
    ("GET", "/ogc/api"): ("/ogc/api", PUBLIC),
    ("GET", "/ogc/collections/{collection_id}/queryables"): ("/ogc/collections/{c}/queryables", "*"),
    ("GET", "/ogc/collections/{collection_id}/schema"): ("/ogc/collections/{c}/schema", "*"),
    ("GET", "/ogc/collections/{collection_id}/feature-schema"): ("/ogc/collections/{c}/feature-schema", "*"),
    ("GET", "/ogc/collections"): ("/ogc/collections", PUBLIC),
    ("GET", "/ogc/collections/{collection_id}"): ("/ogc/collections/{c}", "*"),
    ("GET", "/ogc/collections/{collection_id}/items"): ("/ogc/collections/{c}/items", "*"),
    ("GET", "/ogc/collections/{collection_id}/items/{feature_id}"): ("/ogc/collections/incidents/items/{i}",
                                                                    "incidents:read"),
    ("GET", "/open311/v2/discovery.{fmt}"): ("/open311/v2/discovery.json", PUBLIC),
    ("GET", "/open311/v2/services.{fmt}"): ("/open311/v2/services.json", PUBLIC),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"): ("/open311/v2/services/streetlight.xml", PUBLIC),
    ("POST", "/open311/v2/requests.{fmt}"): ("/open311/v2/requests.json", "lighting:report"),
    ("GET", "/open311/v2/requests.{fmt}"): ("/open311/v2/requests.json", PUBLIC),
    ("GET", "/open311/v2/requests/{request_id}.{fmt}"): ("/open311/v2/requests/{r}.json", PUBLIC),
    ("GET", "/"): ("/", PUBLIC),
    ("GET", "/karta/{view}"): ("/karta/analys", "analysis:read"),
    # the map document itself falls back to the public (aggregated) map for those who may not analyse
    ("GET", "/karta/{view}/karta.html"): ("/karta/analys/karta.html", PUBLIC),
    ("GET", "/karta/data/incidents"): ("/karta/data/incidents", "incidents:read"),
    ("GET", "/karta/gatunat"): ("/karta/gatunat?bbox=15.12,58.32,15.14,58.33", PUBLIC),  # map data, not incidents
    ("GET", "/patrull/plan"): ("/patrull/plan", "analysis:read"),
    ("GET", "/belysning/arbetslista"): ("/belysning/arbetslista", "lighting:read"),
    ("GET", "/belysning/arenden"): ("/belysning/arenden", "lighting:read"),
    ("POST", "/belysning/arenden/{report_id}"): ("/belysning/arenden/{r}", "lighting:write"),
    ("GET", "/felanmalan"): ("/felanmalan", PUBLIC),
    ("GET", "/hur-sakra"): ("/hur-sakra", PUBLIC),
    ("POST", "/felanmalan"): ("/felanmalan", PUBLIC),
    ("GET", "/lagesbild"): ("/lagesbild", "analysis:read"),
    ("POST", "/lagesbild/beslut"): ("/lagesbild/beslut", "interventions:write"),
    ("POST", "/lagesbild/beslut/{intervention_id}/status"): ("/lagesbild/beslut/{d}/status", "interventions:write"),
    ("POST", "/lagesbild/medborgarlofte"): ("/lagesbild/medborgarlofte", "promises:write"),
    ("POST", "/lagesbild/orsak"): ("/lagesbild/orsak", "interventions:write"),
    ("GET", "/rapportera"): ("/rapportera", SIGNED_IN),
    ("GET", "/rapporter"): ("/rapporter", "reports:read"),
    ("POST", "/rapporter"): ("/rapporter", "reports:write"),
    ("GET", "/trygghetsvandringar"): ("/trygghetsvandringar", "walks:read"),
    ("POST", "/trygghetsvandringar"): ("/trygghetsvandringar", "walks:write"),
    ("GET", "/konto"): ("/konto", SIGNED_IN),
    ("POST", "/konto"): ("/konto", SIGNED_IN),
    ("GET", "/importera"): ("/importera", "imports:write"),
    ("POST", "/importera"): ("/importera", "imports:write"),
    ("GET", "/admin/anvandare"): ("/admin/anvandare", "users:admin"),
    ("POST", "/admin/anvandare"): ("/admin/anvandare", "users:admin"),
    ("GET", "/medborgarloften/{promise_id}"): ("/medborgarloften/{p}?half=2025H1", "promises:read"),
    ("GET", "/logga-in"): ("/logga-in", PUBLIC),
    ("POST", "/logga-in"): ("/logga-in", SPECIAL),
    ("POST", "/logga-ut"): ("/logga-ut", SPECIAL),
    ("GET", "/logga-in/oidc"): ("/logga-in/oidc", SPECIAL),
    ("GET", "/logga-in/oidc/callback"): ("/logga-in/oidc/callback", SPECIAL),
    ("POST", "/polisflode/kvittera"): ("/polisflode/kvittera", "users:admin"),
    ("GET", "/health"): ("/health", PUBLIC),
    ("GET", "/ready"): ("/ready", PUBLIC),
}
CASES = [(key, collection) for key, (_, permission) in ROUTES.items() if permission != SPECIAL
         for collection in (COLLECTIONS if permission == "*" else [None])]


def test_every_route_outside_the_api_has_a_row() -> None:
    routers = (ogc, open311, web, signin, esm, walks_web, admin_web, account_web, import_web, lighting_web,
               health.router)
    routes = {(method, r.path) for router in routers for r in router.routes
              for method in r.methods}  # type: ignore[attr-defined]
    assert routes == set(ROUTES)


def _may(role: str | None, permission: str | None) -> bool:
    if permission is None:
        return True
    if role is None:
        return False
    return permission == SIGNED_IN or Role(role) in PERMISSIONS[permission]


@pytest.mark.parametrize("role", [None, *[r.value for r in Role]])
@pytest.mark.parametrize(("endpoint", "collection"), CASES, ids=lambda v: str(v))
def test_role_matrix_outside_the_api(client: TestClient, tokens: dict[str, str], people: dict[str, str],
                                     endpoint: tuple[str, str], collection: str | None, role: str | None) -> None:
    method, _ = endpoint
    path, permission = ROUTES[endpoint]
    if collection is not None:
        permission = COLLECTIONS[collection].permission
        path = path.replace("{c}", collection)
    admin = auth(tokens["admin"])
    if "{i}" in path:
        made = client.post("/api/v1/incidents", headers=admin, json={
            "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z",
            "source": "polisen"}).json()
        path = path.replace("{i}", str(made["id"]))
    if "{r}" in path:
        made = client.post("/api/v1/lighting/reports", headers=admin, json={"kind": "fault", "lon": 15.13,
                                                                            "lat": 58.323}).json()
        path = path.replace("{r}", str(made["id"]))
    if "{d}" in path:
        made = client.post("/api/v1/interventions", headers=admin, json={
            "title": "Beslut", "kind": "patrol", "organisation": "polisen", "place_id": 1,
            "start_date": "2025-01-01", "decided_on": "2024-12-20"}).json()
        path = path.replace("{d}", str(made["id"]))
    if "{p}" in path:
        made = client.post("/api/v1/promises", headers=admin, json={
            "title": "Löfte", "period_start": "2025-01-01", "period_end": "2025-12-31", "place_ids": [1]}).json()
        path = path.replace("{p}", str(made["id"]))
    is_page = not path.startswith(("/ogc", "/open311", "/health", "/ready"))
    headers: dict[str, str] = {}
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    if role is not None:
        headers = sign_in(client, people[role]) if is_page else auth(tokens[role])
    if path.startswith("/open311") and method == "POST":
        data = {"service_code": "streetlight", "lat": "58.323", "long": "15.13"}
        if role is not None:
            data["api_key"] = tokens[role]
    elif path == "/konto" and method == "POST":  # the same password again: a change that changes nothing
        data = {"csrf": headers.get("X-CSRF-Token", ""), "current_password": PASSWORD, "new_password": PASSWORD,
                "repeat_password": PASSWORD}
    elif path == "/admin/anvandare" and method == "POST":
        data = {"csrf": headers.get("X-CSRF-Token", ""), "action": "create", "username": f"matris-{role}@mjolby.test",
                "role": "planner"}
    elif path == "/trygghetsvandringar" and method == "POST":
        data = {"csrf": headers.get("X-CSRF-Token", ""), "action": "walk", "walked_on": "2025-09-18", "area": "Centrum"}
    elif path == "/importera" and method == "POST":  # a check: validates, stores nothing
        data = {"csrf": headers.get("X-CSRF-Token", ""), "action": "check"}
        files = {"file": ("matris.csv", b"tidpunkt;kategori;lat;lon\n2025-01-02 12:00;vald;58,32;15,13\n")}
    elif path.endswith("/status") and path.startswith("/lagesbild/beslut/"):
        data = {"csrf": headers.get("X-CSRF-Token", ""), "status": "completed"}
    elif path == "/lagesbild/beslut" and method == "POST":
        data = {"csrf": headers.get("X-CSRF-Token", ""), "title": f"Beslut {role}", "kind": "patrol",
                "target": "place:1", "organisation": "polisen"}
    elif path.startswith("/belysning/arenden/"):
        data = {"csrf": headers.get("X-CSRF-Token", ""), "status": "confirmed"}
    elif path == "/felanmalan" and method == "POST":
        data = {"kind": "dark_spot", "lon": "15.13", "lat": "58.323"}
    elif path == "/polisflode/kvittera":
        data = {"csrf": headers.get("X-CSRF-Token", "")}
    elif path == "/lagesbild/orsak":  # no hotspot in an empty database: refused in Swedish, still allowed
        data = {"csrf": headers.get("X-CSRF-Token", ""), "hotspot": "1", "cause": "Mörkt"}
    elif path == "/lagesbild/medborgarlofte":
        data = {"csrf": headers.get("X-CSRF-Token", ""), "title": f"Löfte {role}", "promise_start": "2025-01-01",
                "promise_end": "2025-12-31", "place_ids": "1"}
    elif path == "/rapporter" and method == "POST":
        data = {"csrf": headers.get("X-CSRF-Token", ""), "observation_text_0": "Lugnt"}
        if role in ("admin", "analyst"):
            data["organisation"] = "polisen"
    r = client.request(method, path, headers={"Cookie": headers["Cookie"]} if is_page and role else headers,
                       data=data, files=files, follow_redirects=False)
    client.cookies.clear()
    if _may(role, permission):
        if r.status_code == 303:  # a form that saved and sends the browser back to its page
            back = r.headers["location"].split("?")[0].split("#")[0]  # its page, or the page it belongs to
            assert method == "POST" and (back.startswith(path) or path.startswith(back)), (endpoint, role, r.headers)
        elif path == "/lagesbild/orsak":  # let in, and told in Swedish that the database has no hotspot 1
            assert r.status_code == 422 and "Hotspot 1 finns inte" in r.text, (role, r.status_code)
        else:
            assert r.status_code == 200, (endpoint, collection, role, r.status_code, r.text[:300])
    elif is_page:
        assert r.status_code in (303, 401, 403), (endpoint, role, r.status_code)
        if r.status_code == 303:
            assert r.headers["location"].startswith("/logga-in")
    else:
        assert r.status_code == (401 if role is None and not path.startswith("/open311") else 403), \
            (endpoint, collection, role, r.status_code)


def test_the_map_document_falls_back_to_the_public_map(client: TestClient, people: dict[str, str]) -> None:
    public = client.get("/karta/analys/karta.html").text
    staff = client.get("/karta/analys/karta.html", headers={"Cookie": sign_in(client, people["analyst"])["Cookie"]})
    client.cookies.clear()
    assert "/karta/data/incidents" in staff.text and "/api/v1/analysis/" in staff.text
    assert "/karta/data/incidents" not in public and "/api/v1/analysis/" not in public


def test_signed_in_without_the_right_gets_a_clear_page_not_the_sign_in_form(client: TestClient,
                                                                           people: dict[str, str]) -> None:
    cookie = {"Cookie": sign_in(client, people["reporter"])["Cookie"]}
    r = client.get("/lagesbild", headers=cookie, follow_redirects=False)
    client.cookies.clear()
    assert r.status_code == 403 and "Din roll (rapportör) har inte tillgång" in r.text  # the word, not the code
    start = client.get("/", headers=cookie).text
    client.cookies.clear()
    assert 'href="/lagesbild"' not in start and 'href="/karta/analys"' not in start  # not offered either
    assert 'href="/rapporter"' in start
