"""Places: the municipality adds and corrects them; bad geometry is refused with the reason."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth

SQUARE = {"type": "Polygon", "coordinates": [[[15.120, 58.320], [15.122, 58.320], [15.122, 58.321],
                                              [15.120, 58.321], [15.120, 58.320]]]}


def test_create_correct_and_conflict(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["analyst"])
    created = client.post("/api/v1/places", headers=headers, json={
        "type": "Feature", "geometry": SQUARE,
        "properties": {"name": "Skolgården vid Östra skolan", "kind": "schoolyard", "source": "Kommunens karta",
                       "confidence": "high"}})
    assert created.status_code == 201, created.text
    place = created.json()
    assert place["properties"]["slug"] == "skolgarden-vid-ostra-skolan"
    moved = client.patch(f"/api/v1/places/{place['id']}", headers=headers,
                         json={"unsafe_share": 0.42, "survey_year": 2025,
                               "geometry": {"type": "Point", "coordinates": [15.121, 58.3205]}})
    assert moved.status_code == 200
    assert moved.json()["geometry"] == {"type": "Point", "coordinates": [15.121, 58.3205]}
    assert moved.json()["properties"]["unsafe_share"] == 0.42
    assert moved.json()["properties"]["name"] == "Skolgården vid Östra skolan"
    again = client.post("/api/v1/places", headers=headers, json={
        "name": "Skolgården vid Östra skolan", "geometry": SQUARE, "source": "x"})
    assert again.status_code == 409 and again.json()["detail"][0]["loc"] == ["body", "slug"]


@pytest.mark.parametrize(("geometry", "words"), [
    ({"type": "Polygon", "coordinates": [[[15.12, 58.32], [15.13, 58.33], [15.13, 58.32], [15.12, 58.33],
                                          [15.12, 58.32]]]}, "not valid"),
    ({"type": "Point", "coordinates": [58.32, 15.12]}, "swapped"),
    ({"type": "Point", "coordinates": [18.07, 59.33]}, "lies in Stockholm kommun"),  # the boundaries (#34)
    ({"type": "Point", "coordinates": [2.35, 48.85]}, "outside"),
    ({"type": "LineString", "coordinates": [[15.12, 58.32], [15.13, 58.33]]}, "not allowed"),
    ({"type": "Polygon", "coordinates": [[[15.12, 58.32]]]}, "malformed"),
    ({"type": "Polygon"}, "coordinates"),
    ({"type": "Polygon", "coordinates": [[[15.12 + i * 1e-6, 58.32 + (i % 2) * 1e-6] for i in range(10_001)]
                                          + [[15.12, 58.32]]]}, "vertices"),
])
def test_bad_geometry_is_refused(client: TestClient, tokens: dict[str, str], geometry: dict[str, object],
                                 words: str) -> None:
    r = client.post("/api/v1/places", headers=auth(tokens["admin"]),
                    json={"name": "Fel", "geometry": geometry, "source": "test"})
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"][0]["msg"] and "geometry" in r.json()["detail"][0]["loc"]
    assert client.get("/api/v1/places").json()["features"][-1]["properties"]["name"] != "Fel"


def test_unknown_place_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/places/9999").status_code == 404
