"""OGC API – Features: the documents, paging and filters, and GDAL's OAPIF driver as the compliance check."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.crs import to_sweref
from tests.conftest import auth

OGRINFO = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"
OGR2OGR = shutil.which("ogr2ogr") or "/usr/bin/ogr2ogr"


@pytest.fixture
def incidents(session: Session) -> int:
    rng = np.random.default_rng(4)
    n = 537
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'kommunen', 'exact')"""), [
        {"lon": float(15.10 + rng.random() * 0.06), "lat": float(58.31 + rng.random() * 0.03),
         "cat": ["vald", "klotter"][i % 2], "t": f"2025-0{1 + i % 9}-15T20:00:00+01:00"} for i in range(n)])
    session.commit()
    return n


def test_landing_conformance_and_collections(client: TestClient, tokens: dict[str, str]) -> None:
    landing = client.get("/ogc").json()
    assert {link["rel"] for link in landing["links"]} >= {"self", "service-desc", "conformance", "data"}
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in client.get(
        "/ogc/conformance").json()["conformsTo"]
    public = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert public == ["places"]
    staff = [c["id"] for c in client.get("/ogc/collections", headers=auth(tokens["analyst"])).json()["collections"]]
    assert staff == ["incidents", "places", "hotspots"]
    assert client.get("/ogc/collections/incidents/items").status_code == 401
    assert client.get("/ogc/collections/nope").status_code == 404
    assert client.get("/ogc?f=html").headers["content-type"].startswith("text/html")


def test_items_paging_bbox_datetime_and_crs(client: TestClient, tokens: dict[str, str], incidents: int) -> None:
    headers = auth(tokens["analyst"])
    first = client.get("/ogc/collections/incidents/items", params={"limit": 200}, headers=headers)
    body = first.json()
    assert first.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert body["numberMatched"] == incidents and body["numberReturned"] == 200
    seen = [f["id"] for f in body["features"]]
    url = next(link["href"] for link in body["links"] if link["rel"] == "next")
    while url:
        page = client.get(url, headers=headers).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == incidents
    within = client.get("/ogc/collections/incidents/items", headers=headers, params={
        "bbox": "15.10,58.31,15.13,58.325", "datetime": "2025-03-01T00:00:00Z/2025-06-30T23:59:59Z", "limit": 1000})
    for feature in within.json()["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert 15.10 <= lon <= 15.13 and 58.31 <= lat <= 58.325
        assert "2025-03" <= feature["properties"]["occurred_at"][:7] <= "2025-06"
    sweref = client.get("/ogc/collections/incidents/items", headers=headers,
                        params={"crs": "http://www.opengis.net/def/crs/EPSG/0/3006", "limit": 1}).json()
    wgs = client.get(f"/ogc/collections/incidents/items/{sweref['features'][0]['id']}", headers=headers).json()
    x, y = to_sweref([wgs["geometry"]["coordinates"][0]], [wgs["geometry"]["coordinates"][1]])
    # Part 2: EPSG:3006's own axis order is northing, easting
    assert sweref["features"][0]["geometry"]["coordinates"] == pytest.approx([y[0], x[0]], abs=0.01)
    bad = client.get("/ogc/collections/incidents/items", headers=headers, params={"datetime": "2025-01-01T12:00"})
    assert bad.status_code == 400 and "time zone" in bad.json()["detail"][0]["msg"]  # OGC: 400, not 422
    unknown_crs = client.get("/ogc/collections/incidents/items", headers=headers, params={"crs": "EPSG:9999"})
    assert unknown_crs.status_code == 400


def test_gdal_lists_collections_and_copies_incidents_to_geopackage(
        live_server: str, tokens: dict[str, str], incidents: int, tmp_path: Path, client: TestClient) -> None:
    header_file = tmp_path / "headers.txt"
    header_file.write_text(f"Authorization: Bearer {tokens['analyst']}\n")
    env = {"GDAL_HTTP_HEADER_FILE": str(header_file), "PATH": "/usr/bin:/bin", "CPL_DEBUG": "OFF"}
    listing = subprocess.run([OGRINFO, "-ro", "-q", f"OAPIF:{live_server}/ogc"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert listing.returncode == 0, listing.stderr
    assert "incidents" in listing.stdout and "places" in listing.stdout and "hotspots" in listing.stdout
    for layer, expected in (("incidents", incidents), ("places", 12)):
        summary = subprocess.run([OGRINFO, "-ro", "-so", f"OAPIF:{live_server}/ogc", layer], env=env,
                                 capture_output=True, text=True, timeout=120)
        assert f"Feature Count: {expected}" in summary.stdout, summary.stdout + summary.stderr
    out = tmp_path / "incidents.gpkg"
    copy = subprocess.run([OGR2OGR, "-f", "GPKG", str(out), f"OAPIF:{live_server}/ogc", "incidents"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert copy.returncode == 0, copy.stderr
    with sqlite3.connect(out) as gpkg:
        table = gpkg.execute("SELECT table_name FROM gpkg_contents").fetchone()[0]
        assert gpkg.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == incidents
    # coordinates: compare through GDAL's own GeoJSON export of the copied file
    dump = subprocess.run([OGR2OGR, "-f", "GeoJSON", "/vsistdout/", str(out)], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin"})
    copied = sorted(tuple(f["geometry"]["coordinates"]) for f in json.loads(dump.stdout)["features"])
    api = client.get("/api/v1/incidents", params={"limit": 10_000}, headers=auth(tokens["analyst"])).json()
    served = sorted(tuple(f["geometry"]["coordinates"]) for f in api["features"])
    assert len(copied) == len(served) == incidents
    np.testing.assert_allclose(np.array(copied), np.array(served), atol=1e-7)


def test_qgis_322_and_older_clients_sign_in_with_http_basic(client: TestClient, tokens: dict[str, str]) -> None:
    """QGIS 3.22 offers Basic, not a custom header: the token as the password (any user name) or as the user
    name works wherever Bearer does; a wrong one is refused with a Basic challenge."""
    import base64

    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    for header in (basic("qgis", tokens["analyst"]), basic(tokens["analyst"], ""), basic("", tokens["analyst"])):
        r = client.get("/ogc/collections/incidents/items?limit=1", headers=header)
        assert r.status_code == 200, r.text
    assert client.get("/api/v1/incidents?limit=1", headers=basic("x", tokens["analyst"])).status_code == 200
    bad = client.get("/ogc/collections/incidents/items", headers=basic("qgis", "fel"))
    assert bad.status_code == 401
    anonymous = client.get("/ogc/collections/incidents/items")
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["www-authenticate"]
    # one header per scheme: a browser reads only the first scheme of a list and would never ask
    assert anonymous.headers.get_list("www-authenticate") == ['Basic realm="Lagesbild"', 'Bearer realm="Lagesbild"']
    assert "HTTP Basic" in client.get("/ogc?f=json").json()["description"]


def test_a_limit_above_the_maximum_is_clamped_and_a_bad_parameter_is_a_400(client: TestClient,
                                                                            tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['analyst']}"}
    r = client.get("/ogc/collections/places/items?limit=50000", headers=headers)
    assert r.status_code == 200 and r.json()["numberReturned"] <= 10_000
    for bad in ("limit=0", "limit=many", "bbox=1,2,3", "datetime=igår", "crs=EPSG:9999"):
        answer = client.get(f"/ogc/collections/places/items?{bad}", headers=headers)
        assert answer.status_code == 400, (bad, answer.status_code, answer.text)


def test_head_dates_and_six_number_bboxes_as_the_standard_allows(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['analyst']}"}
    for when in ("2025-01-01T12:00:00Z", "2025-01-02T23:59:00+00:00", "2025-01-03T00:00:00Z"):
        client.post("/api/v1/incidents", headers=headers, json={
            "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": when, "source": "polisen"})
    items = "/ogc/collections/incidents/items"

    def matched(query: str) -> int:
        r = client.get(f"{items}?{query}", headers=headers)
        assert r.status_code == 200, (query, r.text)
        return int(r.json()["numberMatched"])

    assert matched("datetime=2025-01-02") == 1                    # a date: that whole day (UTC)
    assert matched("datetime=../2025-01-02") == 2                 # an open start up to and including the day
    assert matched("datetime=2025-01-02/..") == 2
    assert matched("datetime=2025-01-01/2025-01-02") == 2
    assert matched("bbox=15.0,58.2,0,15.3,58.4,100") == 3        # 6 numbers: heights ignored
    head = client.head(items, headers=headers)
    assert head.status_code == 200 and head.content == b"" and head.headers["content-type"].startswith(
        "application/geo+json")
    assert client.head("/ogc/conformance").status_code == 200
