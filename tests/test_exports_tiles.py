"""Exports (GeoPackage, Excel .xlsx and CSV, GeoJSON) and vector tiles decoded back to the stored features."""

from __future__ import annotations

import math
import sqlite3
import subprocess
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth

POINTS = [(15.1320, 58.3230, "vald"), (15.1271, 58.3250, "klotter"), (15.1300, 58.3241, "vald"),
          (15.2907, 58.3486, "hansynslos_korning")]


@pytest.fixture
def stored(session: Session) -> None:
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision, description)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, '2025-06-07T21:30:00+02:00', 'kommunen', 'exact',
                'Beskrivning; med semikolon')"""),
                    [{"lon": lon, "lat": lat, "cat": cat} for lon, lat, cat in POINTS])
    session.commit()


def test_csv_is_excel_friendly(client: TestClient, tokens: dict[str, str], stored: None) -> None:
    r = client.get("/api/v1/exports/incidents.csv", params={"category": "vald"}, headers=auth(tokens["analyst"]))
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('handelser.csv"')
    assert r.content.startswith("\ufeff".encode())
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:4] == ["id", "kategori", "kategori_namn", "tidpunkt"]
    assert len(lines) == 3 and "2025-06-07 21:30" in lines[1]  # local time
    assert "58,323" in lines[1] and '"Beskrivning; med semikolon"' in lines[1]


def test_csv_cells_never_start_a_formula(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    import csv
    import io

    payloads = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x","klicka")', "+1+1", "-2+3", "@SUM(A1)", "\t=1",
                "\r=1"]
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision,
        description, external_id) VALUES (ST_SetSRID(ST_MakePoint(15.13, 58.32), 4326), 'vald',
        '2025-06-07T21:30:00+02:00', 'kommunen', 'exact', :d, :e)"""),
                    [{"d": p, "e": p + str(k)} for k, p in enumerate(payloads)])
    session.commit()
    r = client.get("/api/v1/exports/incidents.csv", headers=auth(tokens["analyst"]))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(body) == len(payloads)
    for row in body:
        for name, cell in zip(header, row, strict=True):
            if name not in ("lat", "lon", "id"):
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    assert any(row[header.index("beskrivning")] == "'=cmd|' /C calc'!A0" for row in body)


def test_geopackage_and_geojson(client: TestClient, tokens: dict[str, str], stored: None, tmp_path: Path) -> None:
    r = client.get("/api/v1/exports/incidents.gpkg", headers=auth(tokens["analyst"]))
    assert r.status_code == 200
    path = tmp_path / "h.gpkg"
    path.write_bytes(r.content)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT table_name, data_type FROM gpkg_contents").fetchone() == ("handelser", "features")
        assert db.execute('SELECT count(*) FROM "handelser"').fetchone()[0] == len(POINTS)
    geojson = client.get("/api/v1/exports/incidents.geojson", headers=auth(tokens["analyst"])).json()
    assert sorted(tuple(f["geometry"]["coordinates"]) for f in geojson["features"]) == sorted(
        (lon, lat) for lon, lat, _ in POINTS)
    layer = client.get("/api/v1/exports/analysis/clusters.gpkg", headers=auth(tokens["analyst"]))
    assert layer.status_code == 200 and layer.content[:16] == b"SQLite format 3\x00"
    assert client.get("/api/v1/exports/incidents.csv").status_code == 401


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_vector_tile_holds_the_incidents_of_that_tile(client: TestClient, tokens: dict[str, str],
                                                       stored: None) -> None:
    z = 14
    x, y = _tile_of(15.1300, 58.3241, z)
    r = client.get(f"/api/v1/tiles/incidents/{z}/{x}/{y}.mvt", headers=auth(tokens["planner"]))
    assert r.status_code == 200 and r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    tile = mapbox_vector_tile.decode(r.content)
    features = tile["incidents"]["features"]
    expected = sorted(cat for lon, lat, cat in POINTS if _tile_of(lon, lat, z) == (x, y))
    assert sorted(f["properties"]["category"] for f in features) == expected and len(expected) == 3
    empty = client.get(f"/api/v1/tiles/incidents/{z}/{x + 50}/{y}.mvt", headers=auth(tokens["planner"]))
    assert empty.status_code == 200 and mapbox_vector_tile.decode(empty.content) == {}
    assert client.get(f"/api/v1/tiles/incidents/3/{x}/{y}.mvt", headers=auth(tokens["planner"])).status_code == 404
    assert client.get("/api/v1/tiles/incidents/23/0/0.mvt", headers=auth(tokens["planner"])).status_code == 404
    # cached by the client: an ETag and Cache-Control, and 304 for the tile it already has
    assert r.headers["cache-control"] == "private, max-age=60" and r.headers["etag"]
    again = client.get(f"/api/v1/tiles/incidents/{z}/{x}/{y}.mvt",
                       headers=auth(tokens["planner"]) | {"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert empty.headers["etag"] != r.headers["etag"]
    hotspots = client.get(f"/api/v1/tiles/hotspots/{z}/{x}/{y}.mvt", headers=auth(tokens["planner"]))
    assert hotspots.status_code == 200 and hotspots.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    # a reporter sees only their own unit's incidents; hotspots are built from everyone's
    refused = client.get(f"/api/v1/tiles/hotspots/{z}/{x}/{y}.mvt", headers=auth(tokens["reporter"]))
    assert refused.status_code == 403 and refused.json()["detail"][0]["loc"] == ["path", "layer"]


def _ogrinfo(path: Path) -> subprocess.CompletedProcess[str]:
    """GDAL 3.6 (Debian's, what QGIS 3.22 runs on): warnings go to stderr."""
    return subprocess.run(["/usr/bin/ogrinfo", "-ro", "-al", "-so", str(path)], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/bin:/bin"})


def test_every_export_opens_in_gdal_without_a_warning(client: TestClient, tokens: dict[str, str], session: Session,
                                                      tmp_path: Path) -> None:
    """GeoPackage 1.2 with a real DateTime field, GeoJSON with top-level numeric ids and right-hand
    polygons (RFC 7946), for incidents and for the hotspot layer."""
    rng = np.random.default_rng(7)
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'vald', :t, 'kommunen', 'exact')"""), [
        {"lon": 15.130 + float(rng.normal(0, 0.0008)), "lat": 58.324 + float(rng.normal(0, 0.0005)),
         "t": f"2026-0{1 + k % 9}-1{k % 9}T21:30:00+02:00"} for k in range(120)])
    session.commit()
    headers = auth(tokens["analyst"])
    for name in ("incidents.gpkg", "incidents.geojson", "incidents.xlsx", "analysis/clusters.gpkg",
                 "analysis/clusters.geojson", "analysis/clusters.xlsx"):
        r = client.get(f"/api/v1/exports/{name}", headers=headers,
                       params={"start": "2025-12-01T00:00:00Z", "end": "2026-11-30T00:00:00Z"} if "analysis" in name
                       else None)
        assert r.status_code == 200, (name, r.text[:300])
        path = tmp_path / name.replace("/", "_")
        path.write_bytes(r.content)
        info = _ogrinfo(path)
        assert info.returncode == 0 and "Warning" not in info.stderr and "ERROR" not in info.stderr, (name, info.stderr)
        if name == "incidents.gpkg":
            assert "occurred_at: DateTime" in info.stdout
            with sqlite3.connect(path) as db:
                assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
        if name.endswith(".geojson"):
            features = r.json()["features"]
            assert features and all(isinstance(f["id"], int) for f in features)
            assert len({f["id"] for f in features}) == len(features)
        if name == "analysis/clusters.geojson":
            for feature in r.json()["features"]:
                assert shapely.geometry.shape(feature["geometry"]).exterior.is_ccw  # right-hand rule


def test_the_xlsx_opens_in_libreoffice_with_numbers_as_numbers(client: TestClient, tokens: dict[str, str],
                                                              stored: None, session: Session,
                                                              tmp_path: Path) -> None:
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision,
        description) VALUES (ST_SetSRID(ST_MakePoint(15.13, 58.32), 4326), 'vald', '2025-06-08T09:05:00+02:00',
        'kommunen', 'exact', '=1+1')"""))
    session.commit()
    r = client.get("/api/v1/exports/incidents.xlsx", headers=auth(tokens["analyst"]))
    assert r.status_code == 200 and r.headers["content-disposition"].endswith('handelser.xlsx"')
    book = tmp_path / "handelser.xlsx"
    book.write_bytes(r.content)
    profile = tmp_path / "lo-profile"
    run = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                          "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033", "--outdir", str(tmp_path), str(book)],
                         capture_output=True, text=True, timeout=180, env={"PATH": "/usr/bin:/bin",
                                                                           "HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    import csv

    rows = list(csv.DictReader((tmp_path / "handelser.csv").read_text(encoding="utf-8").splitlines()))
    assert len(rows) == len(POINTS) + 1
    # an English (1033) reading: numbers come out with a decimal point, so they were numbers, not text
    assert {row["lat"] for row in rows} >= {"58.323", "58.32"} and all("," not in row["lon"] for row in rows)
    assert {row["tidpunkt"] for row in rows} >= {"2025-06-07 21:30", "2025-06-08 09:05"}  # local time
    assert any(row["beskrivning"] == "=1+1" for row in rows)  # text, not a formula (it would read 2)
    from openpyxl import load_workbook

    sheet = load_workbook(book, read_only=True)["Händelser"]
    first = next(sheet.iter_rows(min_row=2, max_row=2))
    kinds = {cell.value: cell.data_type for cell in first}
    assert list(kinds.values()).count("n") >= 3  # id, lat, lon
