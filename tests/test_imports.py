"""Imports of every format, all-or-nothing, skip-invalid, idempotence, and a killed import."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.imports.service import ImportOptions, ImportRejected, run_import
from geo.crs import to_sweref
from tests.conftest import auth

DATA = Path(__file__).parent / "data"


def _import(session: Session, content: bytes | str, filename: str = "f.csv", **kw: object):  # type: ignore[no-untyped-def]
    data = content.encode() if isinstance(content, str) else content
    return run_import(session, io.BytesIO(data), ImportOptions(filename=filename, **kw))  # type: ignore[arg-type]


def _stored(session: Session) -> list[tuple]:  # type: ignore[type-arg]
    return [tuple(r) for r in session.execute(text(
        "SELECT external_id, ST_X(geom), ST_Y(geom), category, occurred_at, location_precision, precision_m, "
        "description, place_id FROM incidents ORDER BY occurred_at, id"))]


def test_semicolon_decimal_comma_file_with_separate_date_and_clock(session: Session) -> None:
    content = ("Datum;Tid;Kategori;Latitud;Longitud;Beskrivning;Ärendenummer\n"
               "2025-06-07;21.30;Narkotika;58,322981;15,131992;Langning;K-1\n"
               "2025-06-08;22:10;skadegörelse;58,3250312;15,1271645;Krossad ruta;K-2\n")
    report = _import(session, "\ufeff" + content)
    assert (report.rows_read, report.inserted, report.rejected) == (2, 2, 0)
    rows = _stored(session)
    assert rows[0][0] == "K-1" and rows[0][3] == "narkotika" and rows[1][3] == "skadegorelse"
    assert rows[0][1] == pytest.approx(15.131992, abs=1e-7) and rows[0][2] == pytest.approx(58.322981, abs=1e-7)
    assert rows[1][1] == pytest.approx(15.1271645, abs=1e-7) and rows[1][2] == pytest.approx(58.3250312, abs=1e-7)
    assert rows[0][4] == datetime(2025, 6, 7, 19, 30, tzinfo=UTC)  # 21.30 local summer time
    assert rows[0][8] is not None  # linked to Resecentrum by position


def test_sweref99tm_coordinates_to_centimetres(session: Session) -> None:
    # Both header conventions: GIS (x = easting) and Swedish geodesy (X = northing).
    content = ("tidpunkt,kategori,x,y,id\n"
               "2025-06-07 21:30,Våld,512345.67,6465432.10,A1\n"
               "2025-06-07 23:30,Klotter,6466001.23,513002.45,A2\n")
    report = _import(session, content)
    assert report.inserted == 2
    rows = _stored(session)
    east, north = to_sweref([r[1] for r in rows], [r[2] for r in rows])
    np.testing.assert_allclose(east, [512345.67, 513002.45], atol=0.01)
    np.testing.assert_allclose(north, [6465432.10, 6466001.23], atol=0.01)


def test_cp1252_excel_export(session: Session) -> None:
    content = "tidpunkt;kategori;lat;lon;beskrivning\n2025-02-01 18:00;Stöld/inbrott;58,33;15,12;Cykel från förråd\n"
    report = _import(session, content.encode("cp1252"))
    assert report.inserted == 1
    assert _stored(session)[0][3] == "stold_inbrott"
    assert _stored(session)[0][7] == "Cykel från förråd"


def test_geojson_points(session: Session) -> None:
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "g1", "geometry": {"type": "Point", "coordinates": [15.2907312, 58.3486201]},
         "properties": {"kategori": "Hänsynslös körning/hög musik", "tidpunkt": "2025-07-12T23:10:00+02:00"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [15.0868, 58.3955]},
         "properties": {"category": "ordningsstorning", "datetime": "2025-07-13 01:00"}},
    ]}
    report = _import(session, json.dumps(doc), filename="x.geojson")
    assert report.format == "geojson" and report.inserted == 2
    rows = _stored(session)
    assert rows[0][0] == "g1" and rows[0][1] == pytest.approx(15.2907312, abs=1e-7)
    assert rows[1][0].startswith("sha1:")  # no id: a stable content hash


def test_police_feed(session: Session) -> None:
    report = _import(session, (DATA / "police_feed_sample.json").read_bytes(), filename="events.json")
    assert report.format == "police" and report.source == "polisen"
    assert report.inserted == 3  # Misshandel, Narkotikabrott, Rån, försök
    assert report.skipped == 3
    reasons = " | ".join(report.skipped_reasons)
    assert "summary" in reasons and "Kungsör" in reasons and "traffic accident" in reasons
    rows = {r[0]: r for r in _stored(session)}
    assert rows["560001"][4] == datetime(2025, 6, 7, 5, 30, tzinfo=UTC)  # the title's "07.30", not publication
    assert rows["560006"][3] == "vald"  # type with a comma
    assert {r[5] for r in rows.values()} == {"municipality"} and rows["560001"][6] == 10_000
    assert rows["560004"][8] is None  # a municipality centre is not linked to a place


def test_one_bad_row_leaves_the_database_unchanged(session: Session) -> None:
    _import(session, "tidpunkt;kategori;lat;lon\n2025-01-01 12:00;vald;58,32;15,13\n")
    before = _stored(session)
    content = ("tidpunkt;kategori;lat;lon\n2025-01-02 12:00;vald;58,32;15,13\n"
               "2025-01-03 12:00;tjuvjakt;58,32;15,13\n2025-01-04 12:00;klotter;58,32;15,13\n")
    with pytest.raises(ImportRejected) as exc:
        _import(session, content)
    assert exc.value.report.rejected == 1
    assert exc.value.report.errors[0].row == 3 and exc.value.report.errors[0].field == "category"
    assert _stored(session) == before
    assert session.execute(text("SELECT count(*) FROM import_batches")).scalar() == 1


def test_skip_invalid_imports_the_rest_and_reports_the_row(session: Session, tmp_path: Path) -> None:
    content = ("tidpunkt;kategori;lat;lon\n2025-01-02 12:00;vald;58,32;15,13\n"
               "2025-01-03 12:00;vald;91;15,13\n2025-01-04 12:00;klotter;58,32;15,13\n")
    rejects = tmp_path / "rejects.csv"
    report = _import(session, content, skip_invalid=True, rejects_path=rejects)
    assert (report.inserted, report.rejected) == (2, 1)
    assert report.errors[0].row == 3 and report.errors[0].field == "position"
    assert rejects.read_text(encoding="utf-8-sig").splitlines()[1].startswith("3;position;")


def test_reimport_adds_nothing_and_dry_run_stores_nothing(session: Session) -> None:
    content = "tidpunkt;kategori;lat;lon\n2025-01-02 12:00;vald;58,32;15,13\n2025-01-03 12:00;klotter;58,321;15,131\n"
    dry = _import(session, content, dry_run=True)
    assert dry.valid == 2 and dry.inserted == 0 and _stored(session) == []
    assert _import(session, content).inserted == 2
    again = _import(session, content)
    assert (again.inserted, again.duplicates) == (0, 2)
    assert len(_stored(session)) == 2


def test_missing_columns_and_bad_mapping_are_named(session: Session) -> None:
    with pytest.raises(InvalidInput, match="category"):
        _import(session, "tidpunkt;lat;lon\n2025-01-02 12:00;58,32;15,13\n")
    with pytest.raises(InvalidInput, match="not in the header"):
        _import(session, "a;b;c;d\n1;2;3;4\n", mapping={"time": "Händelsedatum"})
    report = _import(session, "När;Vad;N;E\n2025-01-02 12:00;vald;6465432;512345\n",
                     mapping={"time": "När", "category": "Vad", "y": "N", "x": "E"})
    assert report.inserted == 1


def test_upload_endpoint_reports_bad_rows(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    bad = "tidpunkt;kategori;lat;lon\n2025-01-02 12:00;vald;58,32;15,13\n2025-01-02 12:00;vald;58,32;\n"
    r = client.post("/api/v1/imports", headers=auth(tokens["analyst"]), files={"file": ("u.csv", bad.encode())})
    assert r.status_code == 422
    report = r.json()["detail"][0]["report"]
    assert report["errors"][0]["row"] == 3 and report["errors"][0]["field"] == "position"
    assert _stored(session) == []
    ok = client.post("/api/v1/imports", headers=auth(tokens["reporter"]),
                     files={"file": ("u.csv", bad.encode())}, data={"skip_invalid": "true", "source": "kommunen"})
    assert ok.status_code == 200 and ok.json()["inserted"] == 1
    assert ok.json()["source"] == "polisen"  # a reporter imports as their own unit


def test_killed_import_leaves_no_partial_rows(session: Session, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    rng = np.random.default_rng(3)
    with big.open("w") as fh:
        fh.write("tidpunkt;kategori;lat;lon;id\n")
        for i in range(400_000):
            fh.write(f"2025-0{1 + i % 9}-1{i % 10} {i % 24}:{i % 60:02d};vald;"
                     f"{58.31 + rng.random() * 0.03:.6f};{15.10 + rng.random() * 0.05:.6f};k{i}\n")
    env = {**os.environ}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "import", str(big)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    # Wait until the import is under way (its staging COPY is running), then kill it hard.
    while time.monotonic() < deadline:
        active = session.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY incidents%'")).scalar()
        session.rollback()
        if active:
            break
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the import never started")
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    time.sleep(0.5)
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM import_batches")).scalar() == 0


def test_messy_real_world_csv(session: Session) -> None:
    # UTF-16 "Unicode text" from Excel, tab separated, trailing empty fields dropped, epoch-ms times,
    # and category words from police and unit vocabularies.
    content = ("Händelsetid\tTyp\tLatitud\tLongitud\tKommentar\n"
               "1749324600000\tMisshandel\t58,3229\t15,1319\tvid perrongen\n"
               "2025-06-08 22.15\tGraffiti\t58,3250\t15,1271\n"
               "2025-06-09 01:10\tBUSKÖRNING\t58,3486\t15,2907\t\n")
    report = _import(session, content.encode("utf-16"))
    assert (report.inserted, report.rejected) == (3, 0), report.errors
    rows = _stored(session)
    assert [r[3] for r in rows] == ["vald", "klotter", "hansynslos_korning"]
    assert rows[0][4] == datetime(2025, 6, 7, 19, 30, tzinfo=UTC)


def test_title_lines_above_the_header_are_passed_over(session: Session) -> None:
    content = ("Händelser i Mjölby kommun;;;\nUttag 2025-07-01;;;\n;;;\n"
               "tidpunkt;kategori;lat;lon\n2025-06-07 21:30;klotter;58,32;15,13\n2025-06-07 21:40;vald;58,32;bad\n")
    with pytest.raises(ImportRejected) as caught:
        _import(session, content)
    assert [(e.row, e.field) for e in caught.value.report.errors] == [(6, "position")]  # the file's own line
    with pytest.raises(InvalidInput, match="category"):  # no header anywhere: what the first line lacks
        _import(session, "Rapport\ntidpunkt;lat;lon\n2025-06-07 21:30;58,32;15,13\n")


def test_headers_with_units_and_coordinate_systems_in_brackets(session: Session) -> None:
    content = ("Händelsedatum;Kl.;Typ av händelse;Nordkoordinat (SWEREF 99 TM);Östkoordinat (SWEREF 99 TM)\n"
               "2025-06-07;21:30;Klotter;6465432,10;512345,67\n")
    assert _import(session, content).inserted == 1
    wgs = "Tidpunkt:;Kategori;Latitud [°];Longitud [°]\n2025-06-07 21:30;Klotter;58,32;15,13\n"
    assert _import(session, wgs).inserted == 1


def test_rt90_and_local_sweref_zones_are_recognised_and_reported(session: Session) -> None:
    """Older GIS files are in RT90 2.5 gon V, the municipality's own maps in a SWEREF 99 local zone; the
    file rarely says which. The grid that puts the point in Mjölby wins, and the report says which."""
    from pyproj import Transformer

    lon, lat = 15.1312, 58.3228
    rows = ["tidpunkt;kategori;X;Y;id"]
    for n, epsg in enumerate((3006, 3021, 3009, 3013)):
        east, north = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
        rows.append(f"2025-06-0{n + 1} 21:00;klotter;{north:.2f};{east:.2f};G{n}")  # Swedish X = northing
    report = _import(session, "\n".join(rows) + "\n")
    assert report.inserted == 4
    assert report.grids == {"SWEREF 99 TM": 1, "RT90 2.5 gon V": 1, "SWEREF 99 15 00": 1, "SWEREF 99 15 45": 1}
    for _, x, y, *_ in _stored(session):
        assert x == pytest.approx(lon, abs=2e-7) and y == pytest.approx(lat, abs=2e-7)  # the round trip, to ~2 cm
    with pytest.raises(ImportRejected) as caught:  # a point no grid puts in the municipality stays an error
        _import(session, "tidpunkt;kategori;X;Y\n2025-06-05 21:00;klotter;6580000;674000\n")
    assert caught.value.report.errors[0].field == "position"


def test_geojson_in_a_local_sweref_zone(session: Session) -> None:
    """QGIS writes a legacy `crs` member for projected exports; a local zone is metres too."""
    from pyproj import Transformer

    east, north = Transformer.from_crs(4326, 3009, always_xy=True).transform(15.1312, 58.3228)
    doc = {"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3009"}},
           "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [east, north]},
                         "properties": {"kategori": "klotter", "tidpunkt": "2025-07-12T23:10:00+02:00"}}]}
    report = _import(session, json.dumps(doc), filename="zon.geojson")
    assert report.inserted == 1 and report.grids == {"SWEREF 99 15 00": 1}
    assert _stored(session)[0][1] == pytest.approx(15.1312, abs=2e-7)


def test_rows_that_only_name_a_known_place(session: Session) -> None:
    """The housing company's and the guards' lists often say where by place name alone: the place's
    centre is used, marked as place precision with the place's radius; short and bracketed names match
    when only one place has them, and an ambiguous or unknown name is a row error."""
    content = ("Tidpunkt;Kategori;Plats;Beskrivning\n"
               "2025-06-07 21:30;Klotter;Resecentrum;Tag på väggen\n"
               "2025-06-08 22:00;Ordningsstörning;Galleria Kvarnen;Bråk vid entrén\n"
               "2025-06-09 20:00;Skadegörelse;lagmansskolan;Krossad ruta\n")
    report = _import(session, content)
    assert report.inserted == 3
    rows = session.execute(text("""SELECT p.slug, i.location_precision, i.precision_m, ST_Intersects(i.geom, p.geom)
                                   FROM incidents i JOIN places p ON p.id = i.place_id
                                   ORDER BY i.occurred_at""")).all()
    assert [(r[0], r[1], r[3]) for r in rows] == [("resecentrum-mjolby", "place", True), ("gallerian", "place", True),
                                                  ("lagmansskolan", "place", True)]
    assert all(10 <= r[2] <= 500 for r in rows)
    with pytest.raises(ImportRejected) as caught:  # 'Stora torget' is in Mjölby and in Skänninge
        _import(session, "Tidpunkt;Kategori;Plats\n2025-06-10 21:00;Klotter;Stora torget\n")
    [error] = caught.value.report.errors
    assert error.field == "place" and error.reason == ("'Stora torget' names several places: "
                                                       "Stora torget, Mjölby; Stora torget, Skänninge")
    exact = _import(session, "tidpunkt;kategori;lat;lon;plats\n2025-06-11 21:00;klotter;58,3229;15,1312;Resecentrum\n")
    assert exact.inserted == 1  # coordinates, when given, win over the place's centre
    assert session.execute(text("SELECT location_precision FROM incidents WHERE occurred_at = '2025-06-11 19:00Z'")
                           ).scalar_one() == "exact"
