"""Patrol ranking on a planted history, the relighting priority, the lighting status flow and Open311."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import to_sweref, to_wgs84
from tests.conftest import auth

TZ = ZoneInfo("Europe/Stockholm")
EVENING_SPOT = (15.13199, 58.32298)   # Resecentrum: planted evening hotspot
MORNING_SPOT = (15.11900, 58.33000)   # a planted morning hotspot elsewhere


def _plant(session: Session, centre: tuple[float, float], hours: list[int], n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cx, cy = to_sweref([centre[0]], [centre[1]])
    lon, lat = to_wgs84(rng.normal(cx[0], 30, n), rng.normal(cy[0], 30, n))
    now = datetime.now(TZ).replace(minute=0, second=0, microsecond=0)
    rows = []
    for i in range(n):
        day = now - timedelta(days=int(rng.integers(1, 170)))
        when = day.replace(hour=int(rng.choice(hours)), minute=int(rng.integers(60)))
        rows.append({"lon": float(lon[i]), "lat": float(lat[i]), "t": when})
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'narkotika', :t, 'demo', 'exact')"""), rows)


@pytest.fixture
def history(session: Session) -> None:
    rng = np.random.default_rng(1)
    now = datetime.now(UTC)
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'skadegorelse', :t, 'demo', 'exact')"""), [
        {"lon": float(rng.uniform(15.10, 15.16)), "lat": float(rng.uniform(58.31, 58.34)),
         "t": now - timedelta(hours=float(rng.uniform(1, 170 * 24)))} for _ in range(800)])
    _plant(session, EVENING_SPOT, [19, 20, 21, 22], 300, 2)
    _plant(session, MORNING_SPOT, [8, 9, 10, 11], 150, 3)
    session.commit()


def test_patrol_plan_puts_the_evening_hotspot_first_in_the_evening(client: TestClient, tokens: dict[str, str],
                                                                   history: None) -> None:
    import shapely

    r = client.get("/api/v1/patrol-plan", params={"shifts": "morgon:06-12,kväll:18-24", "days": 14},
                   headers=auth(tokens["planner"]))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [s["name"] for s in body["parameters"]["shifts"]] == ["morgon", "kväll"]
    evening = [row for row in body["plan"] if row["shift"] == "kväll"]
    morning = [row for row in body["plan"] if row["shift"] == "morgon"]
    evening_spot, morning_spot = shapely.Point(*EVENING_SPOT), shapely.Point(*MORNING_SPOT)
    assert shapely.geometry.shape(evening[0]["geometry"]).contains(evening_spot)
    assert shapely.geometry.shape(morning[0]["geometry"]).contains(morning_spot)
    assert not shapely.geometry.shape(morning[0]["geometry"]).contains(evening_spot)
    top = evening[0]
    assert top["expected"] > 10 and top["dosage"]["minutes_per_visit"] == "10–15" and "händelser" in top["why"]
    assert body["plan"][0]["rank"] == 1
    bad = client.get("/api/v1/patrol-plan", params={"shifts": "kväll:25-3"}, headers=auth(tokens["planner"]))
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "shifts"]


def test_relighting_priority_ranks_dark_incidents_and_faults_first(client: TestClient, tokens: dict[str, str],
                                                                   session: Session) -> None:
    streets = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Mörkgatan"},
         "geometry": {"type": "LineString", "coordinates": [[15.1500, 58.3100], [15.1510, 58.3100]]}},
        {"type": "Feature", "properties": {"name": "Dagsgatan"},
         "geometry": {"type": "LineString", "coordinates": [[15.1500, 58.3150], [15.1510, 58.3150]]}}]}
    tech = auth(tokens["technician"])
    r = client.post("/api/v1/lighting/streets/import", headers=tech,
                    files={"file": ("streets.geojson", json.dumps(streets).encode())})
    assert r.status_code == 200 and r.json()["segments"] == 2
    dark = datetime(2025, 12, 15, 21, 0, tzinfo=TZ)    # sun far below −6°
    light = datetime(2025, 6, 15, 13, 0, tzinfo=TZ)    # midday in June
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'vald', :t, 'demo', 'exact')"""),
        [{"lon": 15.1505, "lat": 58.31001, "t": dark} for _ in range(3)]
        + [{"lon": 15.1505, "lat": 58.31501, "t": light} for _ in range(3)])
    session.commit()
    fault = client.post("/api/v1/lighting/reports", headers=auth(tokens["reporter"]),
                        json={"kind": "fault", "lon": 15.1504, "lat": 58.31002, "description": "Lampan är släckt"})
    assert fault.status_code == 201 and fault.json()["properties"]["street"] == "Mörkgatan"
    rows = client.get("/api/v1/lighting/worklist", params={"days": 3650}, headers=tech).json()
    assert [r["street"] for r in rows] == ["Mörkgatan", "Dagsgatan"]
    assert rows[0]["components"] == {"dark_incidents": 3, "daylight_incidents": 0, "open_faults": 1,
                                     "dark_spots": 0, "unsafety": 0.0}
    assert rows[1]["components"]["daylight_incidents"] == 3 and rows[1]["components"]["dark_incidents"] == 0
    csv_text = client.get("/api/v1/lighting/worklist.csv", params={"days": 3650}, headers=tech).content
    assert csv_text.decode("utf-8-sig").splitlines()[0].startswith("rang;gata;segment")


def test_status_flow_refuses_illegal_jumps_and_logs_each_change(client: TestClient, tokens: dict[str, str]) -> None:
    tech = auth(tokens["technician"])
    lamps = "id;gata;status;lat;lon\nL-1;Storgatan;hel;58,3240;15,1300\nL-2;Storgatan;trasig;58,3241;15,1302\n"
    imported = client.post("/api/v1/lighting/lamps/import", headers=tech, files={"file": ("l.csv", lamps.encode())})
    assert imported.status_code == 200 and imported.json()["lamps"] == 2
    report = client.post("/api/v1/lighting/reports", headers=tech,
                         json={"kind": "fault", "lon": 15.13001, "lat": 58.32401}).json()
    assert report["properties"]["lamp"] == "L-1"
    jump = client.post(f"/api/v1/lighting/reports/{report['id']}/status", headers=tech, json={"status": "fixed"})
    assert jump.status_code == 409 and "allowed next: confirmed, rejected" in jump.json()["detail"][0]["msg"]
    for step in ("confirmed", "scheduled", "fixed"):
        r = client.post(f"/api/v1/lighting/reports/{report['id']}/status", headers=tech, json={"status": step})
        assert r.status_code == 200, r.text
    history = r.json()["properties"]["history"]
    assert [h["to"] for h in history] == ["reported", "confirmed", "scheduled", "fixed"]
    assert all(h["by"] == "test-technician" for h in history)
    closed = client.post(f"/api/v1/lighting/reports/{report['id']}/status", headers=tech, json={"status": "confirmed"})
    assert closed.status_code == 409 and "none (closed)" in closed.json()["detail"][0]["msg"]
    planner = client.post(f"/api/v1/lighting/reports/{report['id']}/status", headers=auth(tokens["planner"]),
                          json={"status": "confirmed"})
    assert planner.status_code == 403


def test_open311_round_trip(client: TestClient, tokens: dict[str, str]) -> None:
    services = client.get("/open311/v2/services.json").json()
    assert {s["service_code"] for s in services} == {"streetlight", "dark_place"}
    created = client.post("/open311/v2/requests.json", data={
        "service_code": "streetlight", "lat": "58.3245", "long": "15.1290", "description": "Blinkar hela natten",
        "api_key": tokens["reporter"]})
    assert created.status_code == 200, created.text
    request_id = created.json()[0]["service_request_id"]
    one = client.get(f"/open311/v2/requests/{request_id}.json").json()[0]
    # the public sees the centre of the 250 m square and the day, not the doorstep and the second
    assert one["service_code"] == "streetlight" and one["status"] == "open" and abs(one["lat"] - 58.3245) < 0.003
    assert one["requested_datetime"].endswith("T00:00:00+01:00") or "T00:00:00" in one["requested_datetime"]
    # the reporter's free text is for staff only: the public listing never carries it
    assert one["description"] is None
    listed = client.get("/open311/v2/requests.json").json()
    assert request_id in [r["service_request_id"] for r in listed]
    assert all(r["description"] is None for r in listed)
    for role in ("analyst", "reporter"):  # every staff role may read lighting reports
        staff = client.get(f"/open311/v2/requests/{request_id}.json", headers=auth(tokens[role])).json()[0]
        assert staff["description"] == "Blinkar hela natten"
    refused = client.post("/open311/v2/requests.json", data={"service_code": "streetlight", "lat": "58.3",
                                                             "long": "15.1", "api_key": "wrong"})
    assert refused.status_code == 403
    unknown = client.post("/open311/v2/requests.json", data={"service_code": "potholes", "lat": "58.3245",
                                                             "long": "15.129", "api_key": tokens["reporter"]})
    assert unknown.status_code == 400 and "streetlight" in unknown.json()[0]["description"]  # GeoReport v2 errors
