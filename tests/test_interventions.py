"""Interventions through the API and their follow-up against direct counts, with the WDQ."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import to_sweref, to_wgs84
from tests.conftest import auth

CENTRE = (15.1500, 58.3150)
START = date(2025, 6, 1)


def _square(half_m: float) -> dict[str, object]:
    x, y = to_sweref([CENTRE[0]], [CENTRE[1]])
    xs = [x[0] - half_m, x[0] + half_m, x[0] + half_m, x[0] - half_m, x[0] - half_m]
    ys = [y[0] - half_m, y[0] - half_m, y[0] + half_m, y[0] + half_m, y[0] - half_m]
    lon, lat = to_wgs84(xs, ys)
    return {"type": "Polygon", "coordinates": [np.column_stack([lon, lat]).round(7).tolist()]}


def _at(session: Session, offset_m: tuple[float, float], days: int, n: int) -> None:
    x, y = to_sweref([CENTRE[0]], [CENTRE[1]])
    lon, lat = to_wgs84([x[0] + offset_m[0]], [y[0] + offset_m[1]])
    when = f"{(START + timedelta(days=days)).isoformat()}T21:00:00+02:00"
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'narkotika', :t, 'demo', 'exact')"""),
        [{"lon": float(lon[0]), "lat": float(lat[0]), "t": when}] * n)


def test_follow_up_counts_and_displacement(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    # target (100 m square): 20 before, 10 after; buffer ring (within 200 m): 5 → 9; control: 40 → 40
    _at(session, (0, 0), -30, 20)
    _at(session, (0, 0), 30, 10)
    _at(session, (180, 0), -30, 5)
    _at(session, (180, 0), 30, 9)
    _at(session, (0, 1200), -30, 40)
    _at(session, (0, 1200), 30, 40)
    session.commit()
    body = {"title": "Patrull vid torget", "kind": "patrol", "organisation": "polisen", "target": _square(50),
            "start_date": START.isoformat(), "end_date": (START + timedelta(days=59)).isoformat(), "buffer_m": 200}
    created = client.post("/api/v1/interventions", headers=auth(tokens["planner"]), json=body)
    assert created.status_code == 201, created.text
    intervention_id = created.json()["id"]
    r = client.get(f"/api/v1/interventions/{intervention_id}/follow-up", headers=auth(tokens["analyst"]),
                   params={"days": 60})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["counts"] == {"target": {"before": 20, "after": 10}, "buffer": {"before": 5, "after": 9},
                                "control": {"before": 40, "after": 40}}
    # SM = 10/40 − 20/40 = −0.25; BD = 9/40 − 5/40 = 0.1; WDQ = −0.4
    assert abs(result["wdq"] + 0.4) < 1e-9
    assert result["interpretation"] == "displacement_less_than_direct_effect"
    assert "förflyttning" in result["interpretation_sv"]
    done = client.post(f"/api/v1/interventions/{intervention_id}/status", headers=auth(tokens["planner"]),
                       json={"status": "completed", "notes": "Utvärderad"})
    assert done.json()["properties"]["status"] == "completed"
    listed = client.get("/api/v1/interventions", headers=auth(tokens["reporter"])).json()
    assert [f["id"] for f in listed["features"]] == [intervention_id]


def test_bad_interventions(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["analyst"])
    base = {"title": "x", "kind": "lighting", "organisation": "service_teknik", "place_id": 1,
            "start_date": "2025-01-01"}
    for change, field in (({"kind": "magic"}, "kind"), ({"organisation": "nope"}, "organisation"),
                          ({"place_id": 999}, "place_id"), ({"start_date": "igår"}, "start_date"),
                          ({"end_date": "2024-01-01"}, "end_date"), ({"buffer_m": 5}, "buffer_m"),
                          ({"place_id": None, "target": {"type": "Point", "coordinates": [15.1, 58.3]}}, "target")):
        r = client.post("/api/v1/interventions", headers=headers, json={**base, **change})
        assert r.status_code == 422 and field in r.json()["detail"][0]["loc"], (change, r.text)
    assert client.post("/api/v1/interventions", headers=auth(tokens["reporter"]), json=base).status_code == 403
    ok = client.post("/api/v1/interventions", headers=headers, json=base)
    assert ok.status_code == 201 and ok.json()["geometry"]["type"] == "MultiPolygon"
