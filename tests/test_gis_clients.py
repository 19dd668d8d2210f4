"""The OGC API – Features service driven by the real clients a municipal GIS technician has (#21):
GDAL 3.12's OAPIF driver (the one pyogrio ships) in SWEREF 99 TM, QGIS 3.22's OAPIF provider headless
(Debian's python3-qgis) signed in with a Basic authentication configuration, and OWSLib's Features
client. Positions are compared with PostGIS's own ST_Transform, counts with PostGIS's own answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from owslib.ogcapi.features import Features
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.ogc.service import CRS84, EPSG3006, EPSG4326

CLIENTS = Path(__file__).parent / "clients"
QGIS_SCRIPT = CLIENTS / "qgis_load.py"
# a box over central Mjölby, in SWEREF 99 TM (easting, northing as GIS software holds it)
BOX_3006 = (506_000.0, 6_463_000.0, 508_500.0, 6_465_500.0)


@pytest.fixture
def incidents(session: Session) -> int:
    rng = np.random.default_rng(21)
    n = 800
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision,
                                                   precision_m)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'kommunen', 'exact', :p)"""), [
        {"lon": float(15.08 + rng.random() * 0.10), "lat": float(58.30 + rng.random() * 0.05),
         "cat": ["vald", "klotter"][i % 2], "t": f"2025-0{1 + i % 9}-{10 + i % 18}T20:00:00+01:00",
         "p": None if i < 40 else float(5 + i % 50)} for i in range(n)])
    session.commit()
    return n


def _sweref_truth(session: Session) -> dict[int, tuple[float, float]]:
    rows = session.execute(text("SELECT id, ST_X(ST_Transform(geom, 3006)), ST_Y(ST_Transform(geom, 3006)) "
                                "FROM incidents")).all()
    return {int(i): (float(x), float(y)) for i, x, y in rows}


def _inside_box_3006(session: Session) -> int:
    return int(session.execute(text(
        "SELECT count(*) FROM incidents WHERE ST_Intersects(ST_Transform(geom, 3006), "
        "ST_MakeEnvelope(:x0, :y0, :x1, :y1, 3006))"),
        dict(zip(("x0", "y0", "x1", "y1"), BOX_3006, strict=True))).scalar_one())


def _gdal(live_server: str, token: str, crs: str, bbox: tuple[float, ...] | None = None) -> dict[str, Any]:
    args = [sys.executable, str(CLIENTS / "gdal_read.py"), f"{live_server}/ogc", "incidents", f"qgis:{token}", crs]
    if bbox:
        args.append(",".join(map(str, bbox)))
    run = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def test_gdal_312_reads_sweref_99_tm_to_the_millimetre_and_filters_by_a_sweref_box(
        live_server: str, tokens: dict[str, str], incidents: int, session: Session) -> None:
    """USERPWD is HTTP Basic with the token as the password, as GDAL, FME and older ArcGIS send it."""
    seen = _gdal(live_server, tokens["analyst"], "EPSG:3006")
    assert seen["gdal"] >= "3.12" and seen["epsg"] == 3006 and len(seen["points"]) == incidents
    truth = _sweref_truth(session)
    got = np.array([seen["points"][str(i)] for i in sorted(truth)])
    want = np.array([truth[i] for i in sorted(truth)])
    np.testing.assert_allclose(got, want, atol=0.001, rtol=0)  # easting, northing: not swapped, to the mm
    # the feature schema gives GDAL real types, even though the first page starts with 40 nulls
    assert seen["types"]["precision_m"] == "float64" and seen["types"]["occurred_at"].startswith("datetime64")
    # EPSG:4326: GDAL asks for CRS84 (the same datum, lon/lat order) and must place every point where PostGIS does
    wgs = _gdal(live_server, tokens["analyst"], "EPSG:4326")
    lonlat = {int(i): (float(x), float(y)) for i, x, y in session.execute(
        text("SELECT id, ST_X(geom), ST_Y(geom) FROM incidents")).all()}
    np.testing.assert_allclose(np.array([wgs["points"][str(i)] for i in sorted(lonlat)]),
                               np.array([lonlat[i] for i in sorted(lonlat)]), atol=1e-7, rtol=0)
    # a spatial filter in SWEREF 99 TM: GDAL sends bbox + bbox-crs, the count is PostGIS's own
    boxed = _gdal(live_server, tokens["analyst"], "EPSG:3006", BOX_3006)
    assert len(boxed["points"]) == _inside_box_3006(session) > 50


def test_the_api_reads_and_writes_each_crs_in_its_own_axis_order(
        client: object, tokens: dict[str, str], incidents: int, session: Session) -> None:
    """EPSG:3006 is northing, easting and EPSG:4326 latitude, longitude, both for crs and bbox-crs;
    a SWEREF box counts exactly the features inside it (its curved lon/lat edges included)."""
    from fastapi.testclient import TestClient

    assert isinstance(client, TestClient)
    headers = {"Authorization": f"Bearer {tokens['analyst']}"}
    items = "/ogc/collections/incidents/items"
    truth = _sweref_truth(session)
    page = client.get(items, headers=headers, params={"crs": EPSG3006, "limit": 10_000}).json()
    for feature in page["features"]:
        north, east = feature["geometry"]["coordinates"]
        assert (east, north) == pytest.approx(truth[feature["id"]], abs=0.001)
    lonlat = {int(i): (float(x), float(y)) for i, x, y in session.execute(
        text("SELECT id, ST_X(geom), ST_Y(geom) FROM incidents")).all()}
    page = client.get(items, headers=headers, params={"crs": EPSG4326, "limit": 10_000})
    assert page.headers["content-crs"] == f"<{EPSG4326}>"
    for feature in page.json()["features"]:
        lat, lon = feature["geometry"]["coordinates"]
        assert (lon, lat) == pytest.approx(lonlat[feature["id"]], abs=1e-7)
    x0, y0, x1, y1 = BOX_3006
    boxed = client.get(items, headers=headers, params={"bbox": f"{y0},{x0},{y1},{x1}", "bbox-crs": EPSG3006})
    assert boxed.json()["numberMatched"] == _inside_box_3006(session)
    in_latlon = client.get(items, headers=headers, params={"bbox": "58.31,15.10,58.33,15.14", "bbox-crs": EPSG4326})
    in_crs84 = client.get(items, headers=headers, params={"bbox": "15.10,58.31,15.14,58.33", "bbox-crs": CRS84})
    assert in_latlon.json()["numberMatched"] == in_crs84.json()["numberMatched"] > 0
    swapped = client.get(items, headers=headers, params={"bbox": f"{x0},{y0},{x1},{y1}", "bbox-crs": EPSG3006})
    assert swapped.status_code == 200 and swapped.json()["numberMatched"] == 0  # E,N read as N,E: far away


def test_qgis_322_loads_every_incident_signed_in_with_a_basic_configuration(
        live_server: str, tokens: dict[str, str], incidents: int, tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime),
           "QGIS_AUTH_DB_DIR_PATH": str(tmp_path), "HOME": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(["/usr/bin/python3", str(QGIS_SCRIPT), f"{live_server}/ogc", "incidents",
                          tokens["analyst"]], capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["valid"] and seen["auth_stored"]
    assert seen["feature_count"] == seen["loaded"] == incidents
    assert seen["fields"]["occurred_at"] == "DateTime" and seen["crs"] == "EPSG:4326"
    wrong = subprocess.run(["/usr/bin/python3", str(QGIS_SCRIPT), f"{live_server}/ogc", "incidents", "fel"],
                           capture_output=True, text=True, timeout=300, env=env)
    refused = json.loads(wrong.stdout.strip().splitlines()[-1])
    assert not refused["valid"] or refused.get("loaded") == 0


def test_owslib_reads_queryables_and_filters_by_bbox_and_dates(
        live_server: str, tokens: dict[str, str], incidents: int, session: Session) -> None:
    api = Features(f"{live_server}/ogc", headers={"Authorization": f"Bearer {tokens['analyst']}"})
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert [c["id"] for c in api.collections()["collections"]] == ["incidents", "places", "hotspots"]
    queryables = api.collection_queryables("incidents")["properties"]
    assert {"geometry", "datetime", "category"} <= set(queryables) and "vald" in queryables["category"]["enum"]
    schema = api.collection_schema("incidents")["properties"]
    assert schema["precision_m"]["type"] == ["number", "null"] and schema["occurred_at"]["format"] == "date-time"
    got = api.collection_items("incidents", bbox=[15.10, 58.31, 15.14, 58.33], datetime_="2025-03-01/2025-05-31",
                               limit=10_000)
    want = session.execute(text(
        "SELECT count(*) FROM incidents WHERE geom && ST_MakeEnvelope(15.10, 58.31, 15.14, 58.33, 4326) "
        "AND occurred_at >= '2025-03-01T00:00:00Z' AND occurred_at < '2025-06-01T00:00:00Z'")).scalar_one()
    assert got["numberMatched"] == got["numberReturned"] == want > 0
    extent = api.collection("incidents")["extent"]
    lo = session.execute(text("SELECT ST_XMin(ST_Extent(geom)) FROM incidents")).scalar_one()
    assert extent["spatial"]["bbox"][0][0] == pytest.approx(lo, abs=1e-6)
