"""The stored Feature text (migration 0012): valid GeoJSON equal to the row, whoever wrote it and however
the row changed since, in UTC whatever the writer's time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth

AWKWARD = 'Sa "hej" \\ till\nkassan; åäö ✓ \t slut'


def _stored(session: Session, incident_id: int) -> dict[str, object]:
    session.expire_all()
    return json.loads(session.execute(text("SELECT feature FROM incidents WHERE id = :id"),
                                      {"id": incident_id}).scalar_one())


def test_stored_text_matches_the_row_in_any_writer_time_zone(session: Session) -> None:
    session.execute(text("SET timezone = 'Europe/Stockholm'"))
    incident_id = session.execute(text("""
        INSERT INTO incidents (geom, category, occurred_at, source, external_id, location_precision,
                               precision_m, description)
        VALUES (ST_SetSRID(ST_MakePoint(15.12345678, 58.32109876), 4326), 'vald', '2025-07-01 23:30:00.25+02',
                'polisen', 'K-1', 'street', 250, :d) RETURNING id"""), {"d": AWKWARD}).scalar_one()
    session.commit()
    feature = _stored(session, incident_id)
    assert feature["type"] == "Feature" and feature["id"] == incident_id
    assert feature["geometry"] == {"type": "Point", "coordinates": [15.1234568, 58.3210988]}
    props = feature["properties"]
    assert props["occurred_at"] == "2025-07-01T21:30:00.25+00:00"  # the same instant, written in UTC
    assert datetime.fromisoformat(str(props["occurred_at"])) == datetime(2025, 7, 1, 21, 30, 0, 250000, UTC)
    assert {k: props[k] for k in ("category", "source", "external_id", "location_precision", "precision_m",
                                  "description", "place_id")} == {
        "category": "vald", "source": "polisen", "external_id": "K-1", "location_precision": "street",
        "precision_m": 250, "description": AWKWARD, "place_id": None}


def test_stored_text_follows_every_change(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    created = client.post("/api/v1/incidents", headers=auth(tokens["analyst"]),
                          json={"lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"})
    incident_id = created.json()["id"]
    client.patch(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["analyst"]),
                 json={"category": "klotter", "description": "ny text", "lon": 15.14, "lat": 58.324})
    feature = _stored(session, incident_id)
    assert feature["properties"]["category"] == "klotter" and feature["properties"]["description"] == "ny text"
    assert feature["geometry"]["coordinates"] == [15.14, 58.324]
    # a renamed category code reaches the stored text through the follow trigger (migration 0011)
    session.execute(text("UPDATE categories SET code = 'klotter_x' WHERE code = 'klotter'"))
    assert _stored(session, incident_id)["properties"]["category"] == "klotter_x"
    session.rollback()
    # the API answers with exactly the stored text, parsed
    got = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["analyst"])).json()
    assert got == _stored(session, incident_id)
