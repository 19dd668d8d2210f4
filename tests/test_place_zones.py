"""One rule for which place an incident belongs to: incident writes, moves and imports agree."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.imports.service import ImportOptions, run_import
from app.places.zones import place_for_point, zones
from tests.conftest import auth

# A park polygon (~350 m × 330 m, 116,000 m²) with a point place (a kiosk) inside it, west of Mjölby
# centre; the kiosk's zone is a 100 m disc (31,400 m²), so inside both the kiosk wins.
PARK = {"type": "Polygon", "coordinates": [[[15.1000, 58.3300], [15.1060, 58.3300], [15.1060, 58.3330],
                                            [15.1000, 58.3330], [15.1000, 58.3300]]]}
KIOSK = {"type": "Point", "coordinates": [15.1030, 58.3315]}


def _place(client: TestClient, token: str, name: str, geometry: dict[str, object]) -> int:
    r = client.post("/api/v1/places", headers=auth(token), json={"name": name, "geometry": geometry,
                                                                  "source": "test"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_api_import_and_bulk_lookup_choose_the_same_place(client: TestClient, tokens: dict[str, str],
                                                          session: Session) -> None:
    park = _place(client, tokens["admin"], "Testparken", PARK)
    kiosk = _place(client, tokens["admin"], "Testkiosken", KIOSK)
    inside_both, park_only = (15.1031, 58.3316), (15.1003, 58.3302)  # ~13 m from the kiosk; ~200 m away
    smaller = kiosk
    assert place_for_point(session, *inside_both) == smaller
    assert place_for_point(session, *park_only) == park
    assert zones(session).assign([inside_both[0], park_only[0]], [inside_both[1], park_only[1]]) == [smaller, park]

    made = client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
        "lon": inside_both[0], "lat": inside_both[1], "category": "vald", "occurred_at": "2025-01-01T20:00:00Z"})
    assert made.json()["properties"]["place_id"] == smaller
    csv = f"tidpunkt;kategori;lat;lon\n2025-03-01 21:00;vald;{inside_both[1]};{inside_both[0]}\n"
    run_import(session, io.BytesIO(csv.encode()), ImportOptions(filename="a.csv"))
    imported = session.execute(text("SELECT place_id FROM incidents WHERE import_batch_id IS NOT NULL")).scalar()
    assert imported == smaller

    # moved out of both zones: no place any more; moved into the park corner: the park only
    moved = client.patch(f"/api/v1/incidents/{made.json()['id']}", headers=auth(tokens["admin"]),
                         json={"lon": park_only[0], "lat": park_only[1]})
    assert moved.json()["properties"]["place_id"] == park
