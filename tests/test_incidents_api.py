"""Incident CRUD, filters (checked against shapely), pagination and bad input, through the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point, box
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth

RESECENTRUM = (15.13199, 58.32298)


def _body(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "lon": RESECENTRUM[0], "lat": RESECENTRUM[1], "category": "narkotika",
        "occurred_at": "2025-06-07T21:30:00+02:00", "description": "Langning vid perrongen",
    }
    body.update(overrides)
    return body


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM incidents")).scalar_one())


def test_create_get_update_delete(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["analyst"])
    created = client.post("/api/v1/incidents", json=_body(), headers=headers)
    assert created.status_code == 201, created.text
    feature = created.json()
    incident_id = feature["id"]
    assert feature["geometry"] == {"type": "Point", "coordinates": list(RESECENTRUM)}
    assert feature["properties"]["occurred_at"] == "2025-06-07T19:30:00+00:00"
    assert created.headers["location"] == f"/api/v1/incidents/{incident_id}"
    place = client.get(f"/api/v1/places/{feature['properties']['place_id']}").json()
    assert place["properties"]["name"] == "Resecentrum"  # linked to the place it lies in

    got = client.get(f"/api/v1/incidents/{incident_id}", headers=headers)
    assert got.json() == feature

    patched = client.patch(f"/api/v1/incidents/{incident_id}", headers=headers,
                           json={"category": "Våld", "lon": 15.12716, "lat": 58.32503})
    assert patched.status_code == 200, patched.text
    assert patched.json()["properties"]["category"] == "vald"
    assert patched.json()["geometry"]["coordinates"] == [15.12716, 58.32503]
    assert patched.json()["properties"]["description"] == "Langning vid perrongen"

    assert client.delete(f"/api/v1/incidents/{incident_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/incidents/{incident_id}", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/incidents/{incident_id}", headers=headers).status_code == 404


def test_create_from_geojson_feature(client: TestClient, tokens: dict[str, str]) -> None:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [15.29073, 58.34862]},
        "properties": {"category": "Hänsynslös körning/hög musik", "occurred_at": "2025-07-12T23:10:00Z",
                       "external_id": "ext-1", "source": "polisen"},
    }
    r = client.post("/api/v1/incidents", json=feature, headers=auth(tokens["analyst"]))
    assert r.status_code == 201, r.text
    assert r.json()["properties"]["category"] == "hansynslos_korning"
    again = client.post("/api/v1/incidents", json=feature, headers=auth(tokens["analyst"]))
    assert again.status_code == 409
    assert again.json()["detail"][0]["loc"] == ["body", "external_id"]


def test_reporter_source_defaults_to_their_organisation(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/api/v1/incidents", json=_body(), headers=auth(tokens["reporter"]))
    assert r.status_code == 201
    assert r.json()["properties"]["source"] == "polisen"


def test_a_reporter_writes_only_as_their_own_unit(client: TestClient, tokens: dict[str, str],
                                                  session: Session) -> None:
    """A reporter naming another unit was stored as that unit; a 409 then told whether a police case
    number existed."""
    reporter = auth(tokens["reporter"])  # polisen
    posing = client.post("/api/v1/incidents", headers=reporter, json=_body(source="socialtjanst"))
    assert posing.status_code == 403 and posing.json()["detail"][0]["loc"] == ["body", "source"]
    theirs = client.post("/api/v1/incidents", headers=auth(tokens["analyst"]),
                         json=_body(source="bostadsbolaget", external_id="BB-2025-17"))
    assert theirs.status_code == 201, theirs.text
    mine = client.post("/api/v1/incidents", headers=reporter, json=_body(external_id="BB-2025-17"))
    assert mine.status_code == 201 and "bostadsbolaget" not in mine.text
    sources = dict(session.execute(text("SELECT id, source FROM incidents")).all())
    assert sorted(sources.values()) == ["bostadsbolaget", "polisen"]
    walk = client.post("/api/v1/walks", headers=reporter, json={
        "walked_on": "2025-09-18", "area": "Centrum", "organisation": "kommunen", "findings": []})
    assert walk.status_code == 403


@pytest.mark.parametrize(
    ("raw_or_body", "field", "words"),
    [
        ('{"lon": NaN, "lat": 58.32, "category": "vald", "occurred_at": "2025-01-01T10:00:00Z"}', "lon", "finite"),
        (_body(lon=58.32298, lat=15.13199), "", "swapped"),
        (_body(lon=18.07, lat=59.33), "lon", "lies in Stockholm kommun"),  # decided by the boundaries (#34)
        (_body(lon=2.35, lat=48.85), "", "outside the configured extent"),
        (_body(lon=200, lat=58.3), "", "not a valid"),
        (_body(category="tjuvjakt"), "category", "allowed: belysning"),
        (_body(occurred_at="2025-06-07T21:30:00"), "occurred_at", "timezone"),
        (_body(occurred_at="igår"), "occurred_at", "datetime"),
        ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[15.1, 58.3], [15.2, 58.3]]},
          "properties": {"category": "vald", "occurred_at": "2025-01-01T10:00:00Z"}}, "", "Point"),
        ({"type": "Feature", "geometry": {"type": "Point"},
          "properties": {"category": "vald", "occurred_at": "2025-01-01T10:00:00Z"}}, "", "coordinates"),
        (_body(source="okänd_enhet"), "source", "unknown source"),
        (_body(place_id=99999), "place_id", "does not exist"),
        (_body(colour="red"), "colour", "Extra inputs"),
        ("{not json", "", "JSON"),
    ],
)
def test_bad_input_is_rejected_with_the_field_named_and_nothing_written(
    client: TestClient, tokens: dict[str, str], session: Session,
    raw_or_body: object, field: str, words: str,
) -> None:
    before = _count(session)
    headers = {**auth(tokens["analyst"]), "content-type": "application/json"}
    if isinstance(raw_or_body, str):
        r = client.post("/api/v1/incidents", content=raw_or_body, headers=headers)
    else:
        r = client.post("/api/v1/incidents", json=raw_or_body, headers=headers)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    text_of = " ".join(f"{d['loc']} {d['msg']}" for d in detail)
    assert words.lower() in text_of.lower()
    if field:
        assert any(field in map(str, d["loc"]) for d in detail), detail
    assert _count(session) == before


def test_oversized_body_gets_413_and_nothing_written(
    client: TestClient, tokens: dict[str, str], session: Session
) -> None:
    huge = _body(description="x" * 3_000_000)
    r = client.post("/api/v1/incidents", json=huge, headers=auth(tokens["analyst"]))
    assert r.status_code == 413
    assert "larger than" in r.json()["detail"][0]["msg"]
    assert _count(session) == 0


def _insert_random(session: Session, n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, list[datetime]]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(15.08, 15.18, n)
    lat = rng.uniform(58.30, 58.35, n)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    times = [t0 + timedelta(hours=float(h)) for h in rng.uniform(0, 24 * 365, n)]
    cats = rng.choice(["vald", "narkotika", "klotter"], n)
    session.execute(
        text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
                VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'kommunen', 'exact')"""),
        [
            {"lon": float(a), "lat": float(b), "cat": str(c), "t": t}
            for a, b, c, t in zip(lon, lat, cats, times, strict=True)
        ],
    )
    session.commit()
    return lon, lat, times


def test_bbox_time_and_category_filters_match_shapely(
    client: TestClient, tokens: dict[str, str], session: Session
) -> None:
    lon, lat, times = _insert_random(session, 1500)
    cats = [r[0] for r in session.execute(text("SELECT category FROM incidents ORDER BY id"))]
    area = box(15.11, 58.315, 15.14, 58.33)
    start, end = datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC)
    expected = {
        i + 1 for i in range(len(lon))
        if area.intersects(Point(lon[i], lat[i])) and start <= times[i] < end and cats[i] in {"vald", "klotter"}
    }
    r = client.get(
        "/api/v1/incidents",
        params={"bbox": "15.11,58.315,15.14,58.33", "start": start.isoformat(), "end": end.isoformat(),
                "category": ["vald", "Klotter"], "limit": 5000},
        headers=auth(tokens["planner"]),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    got = {f["id"] for f in r.json()["features"]}
    assert got == expected and len(expected) > 20


def test_pagination_is_complete_and_stable_while_rows_are_added(
    client: TestClient, tokens: dict[str, str], session: Session
) -> None:
    _insert_random(session, 250)
    seen: list[int] = []
    url: str | None = "/api/v1/incidents?limit=100"
    pages = 0
    while url:
        body = client.get(url, headers=auth(tokens["analyst"])).json()
        seen += [f["id"] for f in body["features"]]
        assert body["numberReturned"] == len(body["features"])
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0] if nxt else None
        pages += 1
        if pages == 1:
            _insert_random(session, 5, seed=99)  # new rows get higher ids: appear at the end, nothing shifts
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 255
    assert pages == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "15.1,58.3,15.2"}, "bbox"),
        ({"bbox": "58.3,15.1,58.4,15.2"}, "bbox"),
        ({"bbox": "15.2,58.3,15.1,58.4"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"start": "2025-01-01T00:00:00"}, "start"),
        ({"start": "2025-02-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}, "end"),
        ({"category": "okänd"}, "category"),
        ({"limit": "0"}, "limit"),
        ({"place": "4242"}, "place"),
    ],
)
def test_bad_list_parameters(client: TestClient, tokens: dict[str, str], params: dict[str, str], field: str) -> None:
    r = client.get("/api/v1/incidents", params=params, headers=auth(tokens["analyst"]))
    assert r.status_code in (404, 422), r.text
    assert field in r.json()["detail"][0]["loc"]


def test_place_filter_and_place_counts(client: TestClient, tokens: dict[str, str]) -> None:
    headers = auth(tokens["analyst"])
    for when in ("2025-05-01T22:00:00+02:00", "2025-05-02T22:00:00+02:00", "2024-05-02T22:00:00+02:00"):
        assert client.post("/api/v1/incidents", json=_body(occurred_at=when), headers=headers).status_code == 201
    client.post("/api/v1/incidents", json=_body(lon=15.29073, lat=58.34862), headers=headers)
    places = client.get("/api/v1/places", params={"start": "2025-01-01T00:00:00Z"}, headers=headers).json()
    by_slug = {f["properties"]["slug"]: f for f in places["features"]}
    assert by_slug["resecentrum-mjolby"]["properties"]["incident_count"] == 2
    assert by_slug["mantorp-station"]["properties"]["incident_count"] == 1
    assert by_slug["gastisparken"]["properties"]["incident_count"] == 0
    public = client.get("/api/v1/places").json()
    assert "incident_count" not in public["features"][0]["properties"]
    rid = by_slug["resecentrum-mjolby"]["id"]
    listed = client.get("/api/v1/incidents", params={"place": rid}, headers=headers).json()
    assert len(listed["features"]) == 3


def test_an_incident_moved_to_another_place_counts_there_only(client: TestClient, tokens: dict[str, str]) -> None:
    """PATCH kept the old place_id: an incident moved from Resecentrum to Mantorp station counted at both."""
    headers = auth(tokens["analyst"])
    created = client.post("/api/v1/incidents", headers=headers, json=_body(lon=15.13199, lat=58.32298))
    assert created.status_code == 201, created.text
    incident_id = created.json()["id"]
    at_first = created.json()["properties"]["place_id"]
    assert at_first is not None
    moved = client.patch(f"/api/v1/incidents/{incident_id}", headers=headers, json={"lon": 15.29073, "lat": 58.34862})
    assert moved.status_code == 200, moved.text
    now = moved.json()["properties"]["place_id"]
    assert now is not None and now != at_first
    counts = {f["id"]: f["properties"]["incident_count"] for f in client.get(
        "/api/v1/places", headers=headers, params={"start": "2025-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
    ).json()["features"]}
    assert counts[now] == 1 and counts[at_first] == 0


def test_every_error_has_the_same_shape(client: TestClient, tokens: dict[str, str]) -> None:
    """401 and 403 answered {"detail": "…"} while every other error was a list naming the field."""
    for response, status in ((client.get("/api/v1/incidents"), 401),
                             (client.post("/api/v1/incidents", headers=auth(tokens["planner"]), json=_body()), 403),
                             (client.get("/api/v1/nothing-here", headers=auth(tokens["admin"])), 404)):
        assert response.status_code == status
        detail = response.json()["detail"]
        assert isinstance(detail, list) and {"loc", "msg", "type"} <= set(detail[0]), detail
    assert client.get("/api/v1/incidents").headers["www-authenticate"] == "Bearer"
