"""Safety walks (findings → interventions or lighting faults in one step) and citizen promises with their
half-year follow-up, through the API."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth

WALK = {
    "walked_on": "2025-09-18", "area": "Centrum", "place_id": 1, "participants": "Kommunen, polisen, 12 boende",
    "organisation": "polisen",
    "findings": [
        {"kind": "vegetation", "lon": 15.1290, "lat": 58.3240, "description": "Buskage skymmer gångvägen",
         "owner": "service_teknik", "priority": "medium", "deadline": "2025-10-01"},
        {"kind": "dark_place", "lon": 15.1318, "lat": 58.3262, "description": "Mörk gångtunnel, två lampor trasiga",
         "owner": "service_teknik", "priority": "high", "deadline": "2099-01-01"},
    ],
}


def _walk(client: TestClient, token: str) -> dict:  # type: ignore[type-arg]
    r = client.post("/api/v1/walks", headers=auth(token), json=WALK)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_walk_is_stored_with_its_findings_high_priority_first(client: TestClient, tokens: dict[str, str]) -> None:
    walk = _walk(client, tokens["reporter"])
    kinds = [f["properties"]["kind"] for f in walk["findings"]]
    assert kinds == ["dark_place", "vegetation"]
    overdue = {f["properties"]["kind"]: f["properties"]["overdue"] for f in walk["findings"]}
    assert overdue == {"dark_place": False, "vegetation": True}
    assert walk["findings"][0]["geometry"]["coordinates"] == [15.1318, 58.3262]


def test_a_finding_becomes_a_lighting_fault_in_one_step(client: TestClient, tokens: dict[str, str],
                                                       session: Session) -> None:
    walk = _walk(client, tokens["reporter"])
    dark = walk["findings"][0]["id"]
    r = client.post(f"/api/v1/walks/{walk['id']}/findings/{dark}/convert", headers=auth(tokens["reporter"]),
                    json={"to": "lighting_fault"})
    assert r.status_code == 200, r.text
    report = client.get(f"/api/v1/lighting/reports/{r.json()['id']}", headers=auth(tokens["technician"])).json()
    assert report["geometry"]["coordinates"] == [15.1318, 58.3262] and report["properties"]["status"] == "reported"
    assert "gångtunnel" in report["properties"]["description"]
    finding = client.get(f"/api/v1/walks/{walk['id']}", headers=auth(tokens["analyst"])).json()["findings"][0]
    assert finding["properties"]["status"] == "converted"
    assert finding["properties"]["lighting_report_id"] == r.json()["id"]
    again = client.post(f"/api/v1/walks/{walk['id']}/findings/{dark}/convert", headers=auth(tokens["analyst"]),
                        json={"to": "intervention"})
    assert again.status_code == 409
    assert session.execute(text("SELECT count(*) FROM interventions")).scalar() == 0


def test_a_finding_becomes_an_intervention_around_it(client: TestClient, tokens: dict[str, str],
                                                    session: Session) -> None:
    walk = _walk(client, tokens["planner"])
    green = walk["findings"][1]["id"]
    path = f"/api/v1/walks/{walk['id']}/findings/{green}/convert"
    refused = client.post(path, headers=auth(tokens["reporter"]), json={"to": "intervention"})
    assert refused.status_code == 403
    broken = client.post(path, headers=auth(tokens["analyst"]), json={"to": "intervention", "organisation": "nope"})
    assert broken.status_code == 422  # and nothing half-done:
    assert session.execute(text("SELECT status FROM walk_findings WHERE id = :id"), {"id": green}).scalar() == "open"
    assert session.execute(text("SELECT count(*) FROM interventions")).scalar() == 0
    r = client.post(path, headers=auth(tokens["analyst"]), json={"to": "intervention", "radius_m": 40})
    assert r.status_code == 200, r.text
    made = client.get(f"/api/v1/interventions/{r.json()['id']}", headers=auth(tokens["analyst"])).json()
    assert made["properties"]["kind"] == "vegetation" and made["properties"]["organisation"] == "service_teknik"
    inside = session.execute(text("""SELECT ST_Contains(target, ST_SetSRID(ST_MakePoint(15.1290, 58.3240), 4326)),
        round(sqrt(ST_Area(target::geography) / pi())) FROM interventions""")).one()
    assert inside[0] and 38 <= inside[1] <= 40


def test_photos_are_checked_by_content(client: TestClient, tokens: dict[str, str]) -> None:
    walk = _walk(client, tokens["reporter"])
    path = f"/api/v1/walks/{walk['id']}/findings/{walk['findings'][0]['id']}/photo"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, format="PNG")
    r = client.put(path, headers=auth(tokens["reporter"]), files={"file": ("bild.jpg", buffer.getvalue())})
    assert r.status_code == 204, r.text
    back = client.get(path, headers=auth(tokens["analyst"]))
    assert back.content == buffer.getvalue() and back.headers["content-type"] == "image/png"
    fake = client.put(path, headers=auth(tokens["reporter"]), files={"file": ("bild.jpg", b"<html>nope</html>")})
    assert fake.status_code == 422 and "JPEG or PNG" in fake.text


def test_a_bad_finding_stores_no_walk(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    body = {**WALK, "findings": [WALK["findings"][0], {"kind": "dark_place", "description": "utan plats"}]}  # type: ignore[index]
    r = client.post("/api/v1/walks", headers=auth(tokens["reporter"]), json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "findings", 1, "lon"]
    assert session.execute(text("SELECT count(*) FROM safety_walks")).scalar() == 0


def _incidents(session: Session, rows: list[tuple[str, float, float, str, int]]) -> None:
    for when, lon, lat, category, n in rows:
        session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
            SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :c, CAST(:t AS timestamptz) + g * interval '1 hour',
                   'polisen', 'exact' FROM generate_series(1, :n) g"""),
                        {"lon": lon, "lat": lat, "c": category, "t": when, "n": n})
    session.commit()


def test_promise_follow_up_matches_direct_counts(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    centre = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                  "FROM places WHERE id = 1")).one()
    _incidents(session, [("2025-03-10 20:00+01", *centre, "narkotika", 30),   # this half, in zone
                         ("2024-03-10 20:00+01", *centre, "narkotika", 10),   # same half a year earlier
                         ("2025-03-10 20:00+01", *centre, "klotter", 50),     # other category: not promised
                         ("2025-03-10 20:00+01", 15.20, 58.40, "narkotika", 40),  # outside the places
                         ("2025-09-10 20:00+02", *centre, "narkotika", 7)])   # other half
    measure = client.post("/api/v1/interventions", headers=auth(tokens["analyst"]), json={
        "title": "Kvällsvandringar", "kind": "youth_workers", "organisation": "kultur_fritid", "place_id": 1,
        "start_date": "2025-01-15"}).json()
    r = client.post("/api/v1/promises", headers=auth(tokens["analyst"]), json={
        "title": "Tryggare kvällar vid Resecentrum", "period_start": "2025-01-01", "period_end": "2025-12-31",
        "categories": ["Narkotika"], "place_ids": [1], "intervention_ids": [measure["id"]]})
    assert r.status_code == 201, r.text
    promise = r.json()
    assert promise["categories"] == ["narkotika"] and promise["places"][0]["id"] == 1
    assert client.post("/api/v1/promises", headers=auth(tokens["planner"]), json={}).status_code == 403
    follow = client.get(f"/api/v1/promises/{promise['id']}/follow-up", params={"half": "2025H1"},
                        headers=auth(tokens["planner"])).json()
    assert follow["total"] == {"current": 30, "year_before": 10}
    assert follow["months"]["current"][2] == 30 and sum(follow["months"]["year_before"]) == 10
    [row] = follow["categories"]
    assert row["code"] == "narkotika" and row["notable"] and row["ratio"] == 3.0
    assert follow["interventions"][0]["title"] == "Kvällsvandringar" and follow["progress"]["interventions"] == 1
    bad = client.get(f"/api/v1/promises/{promise['id']}/follow-up", params={"half": "2025H3"},
                     headers=auth(tokens["planner"]))
    assert bad.status_code == 422
    wrong = client.post("/api/v1/promises", headers=auth(tokens["analyst"]), json={
        "title": "x", "period_start": "2025-01-01", "period_end": "2025-12-31", "place_ids": [999]})
    assert wrong.status_code == 422 and "999" in wrong.text


def test_wrongly_typed_fields_are_named_not_500(client: TestClient, tokens: dict[str, str]) -> None:
    analyst = auth(tokens["analyst"])
    walk = _walk(client, tokens["analyst"])
    path = f"/api/v1/walks/{walk['id']}/findings/{walk['findings'][0]['id']}/convert"
    r = client.post(path, headers=analyst, json={"to": "intervention", "radius_m": "stor"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "radius_m"]
    r = client.post("/api/v1/interventions", headers=analyst, json={
        "title": "t", "kind": "other", "organisation": "kommunen", "place_id": "ett", "start_date": "2025-01-01"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "place_id"]
    r = client.post("/api/v1/promises", headers=analyst, json={
        "title": "t", "period_start": "2025-01-01", "period_end": "2025-12-31", "categories": "narkotika"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "categories"]
