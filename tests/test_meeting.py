"""The lägesbild as a meeting document: a street base from real map files, named hotspots, decisions
that come back in the next lägesbild."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.basemap.service import import_file
from app.maps.service import sheet_minimap
from tests.conftest import auth, sign_in

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="58.3230" lon="15.1280"/><node id="2" lat="58.3236" lon="15.1310"/>
  <node id="3" lat="58.3242" lon="15.1340"/>
  <node id="10" lat="58.3233" lon="15.1290"/><node id="11" lat="58.3233" lon="15.1294"/>
  <node id="12" lat="58.3235" lon="15.1294"/><node id="13" lat="58.3235" lon="15.1290"/>
  <node id="20" lat="58.3260" lon="15.1250"/><node id="21" lat="58.3262" lon="15.1290"/>
  <node id="22" lat="58.3266" lon="15.1290"/><node id="23" lat="58.3264" lon="15.1250"/>
  <node id="30" lat="58.3200" lon="15.1200"/><node id="31" lat="58.3202" lon="15.1220"/>
  <way id="100"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
    <tag k="name" v="Testgatan"/></way>
  <way id="101"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
    <tag k="building" v="yes"/></way>
  <way id="102"><nd ref="20"/><nd ref="21"/><nd ref="22"/><nd ref="23"/><nd ref="20"/>
    <tag k="natural" v="water"/><tag k="name" v="Testån"/></way>
  <way id="103"><nd ref="30"/><nd ref="31"/><tag k="power" v="line"/></way>
</osm>
"""


def test_basemap_import_reads_osm_and_geopackage_and_minimaps_name_the_streets(tmp_path: Path,
                                                                              session: Session) -> None:
    osm = tmp_path / "mjolby.osm"
    osm.write_text(OSM, encoding="utf-8")
    report = import_file(session, osm)
    assert report.counts == {"street": 1, "building": 1, "water": 1} and report.skipped >= 1
    street = {"type": "LineString", "coordinates": [[15.1280, 58.3230], [15.1340, 58.3242]]}
    drawn = sheet_minimap(session, street, margin_m=150)
    assert drawn.streets == ["Testgatan"] and drawn.png.startswith("data:image/png;base64,")

    # A GeoPackage in SWEREF 99 TM with the Swedish column name "namn": reprojected, classified as streets.
    lines = gpd.GeoDataFrame({"namn": ["Storgatan", "Kyrkogatan"]}, geometry=[
        shapely.LineString([(15.1250, 58.3220), (15.1320, 58.3228)]),
        shapely.LineString([(15.1290, 58.3210), (15.1300, 58.3245)])], crs=4326).to_crs(3006)
    gpkg = tmp_path / "gator.gpkg"
    lines.to_file(gpkg, layer="gator", driver="GPKG")
    assert import_file(session, gpkg, source="kommunens gatunät").counts == {"street": 2}
    assert session.execute(text("SELECT count(*) FROM basemap_features")).scalar() == 2  # replaced, not added
    drawn = sheet_minimap(session, street, margin_m=300)
    assert set(drawn.streets) == {"Storgatan", "Kyrkogatan"}
    assert "gator: " in drawn.alt


def test_a_file_gdal_cannot_read_is_refused_in_swedish(tmp_path: Path, session: Session) -> None:
    bad = tmp_path / "inte-en-karta.gpkg"
    bad.write_bytes(b"not a geopackage")
    try:
        import_file(session, bad)
    except Exception as exc:
        assert "kan inte läsas" in exc.text("sv")  # type: ignore[attr-defined]
    else:
        raise AssertionError("an unreadable file was accepted")


def _cluster(client: TestClient, token: str, lon: float, lat: float, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    today = date.today()
    for k in range(n):
        day = today - timedelta(days=int(rng.integers(1, 150)))
        client.post("/api/v1/incidents", headers=auth(token), json={
            "lon": lon + rng.normal(0, 0.0004), "lat": lat + rng.normal(0, 0.0002), "category": "narkotika",
            "occurred_at": f"{day.isoformat()}T21:{k % 60:02d}:00+01:00"})


def test_hotspots_carry_the_name_of_the_place_they_cover(client: TestClient, tokens: dict[str, str],
                                                          session: Session) -> None:
    lon, lat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                    "FROM places WHERE slug = 'resecentrum-mjolby'")).one()
    _cluster(client, tokens["admin"], lon, lat, 60, seed=1)
    rng = np.random.default_rng(2)  # a thin scatter over the town, so the study area is not one square
    for k in range(60):
        client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
            "lon": 15.10 + rng.uniform(0, 0.06), "lat": 58.31 + rng.uniform(0, 0.03), "category": "klotter",
            "occurred_at": f"{(date.today() - timedelta(days=k + 1)).isoformat()}T12:00:00+01:00"})
    found = client.get("/api/v1/analysis/clusters", headers=auth(tokens["analyst"])).json()["features"]
    assert found and found[0]["properties"]["name"] == "Resecentrum"
    assert found[0]["properties"]["rank"] == 1


def test_a_decision_recorded_at_one_meeting_comes_back_in_the_next_lagesbild(client: TestClient,
                                                                             people: dict[str, str],
                                                                             session: Session) -> None:
    headers = sign_in(client, people["analyst"])
    period_end = date.today() - timedelta(days=15)
    period_start = period_end - timedelta(days=13)
    page = client.get(f"/lagesbild?start={period_start}&end={period_end}", headers=headers).text
    client.cookies.clear()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, "the lägesbild offers no decision form to an analyst"
    place_id = session.execute(text("SELECT id FROM places WHERE slug = 'gastisparken'")).scalar_one()
    form = {"csrf": csrf.group(1), "period_start": str(period_start), "period_end": str(period_end),
            "title": "Kvällsvandring med fältassistenter", "kind": "youth_workers", "target": f"place:{place_id}",
            "organisation": "socialtjansten", "responsible": "Anna Andersson",
            "start_date": str(period_end + timedelta(days=1)), "due_date": str(period_end + timedelta(days=10))}
    saved = client.post("/lagesbild/beslut", data=form, headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert saved.status_code == 303, saved.text
    decided = session.execute(text("SELECT decided_on, responsible, status FROM interventions")).one()
    assert decided == (period_end, "Anna Andersson", "active")

    later = client.get(f"/lagesbild?start={period_end + timedelta(days=1)}&end={period_end + timedelta(days=14)}",
                       headers=headers).text
    client.cookies.clear()
    row = re.search(r'<tr data-decision="\d+">(.*?)</tr>', later, flags=re.S)
    assert row, "the next lägesbild does not report the decision back"
    assert "Kvällsvandring med fältassistenter" in row.group(1) and "Anna Andersson" in row.group(1)
    assert "pågår" in row.group(1) and "(försenad)" in row.group(1)  # its deadline has passed, not done
    assert "målområdet" in row.group(1)  # started: the follow-up is shown

    decision_id = re.search(r'<tr data-decision="(\d+)">', later).group(1)  # type: ignore[union-attr]
    closed = client.post(f"/lagesbild/beslut/{decision_id}/status", data={
        "csrf": csrf.group(1), "status": "completed", "period_start": form["period_start"],
        "period_end": form["period_end"]}, headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert closed.status_code == 303
    assert session.execute(text("SELECT status FROM interventions")).scalar_one() == "completed"
    moved = client.post(f"/lagesbild/beslut/{decision_id}/status", data={
        "csrf": csrf.group(1), "status": "active", "responsible": "Bo Berg",
        "due_date": str(period_end + timedelta(days=30)), "period_start": form["period_start"],
        "period_end": form["period_end"]}, headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert moved.status_code == 303
    assert session.execute(text("SELECT status, responsible, due_date FROM interventions")).one() == (
        "active", "Bo Berg", period_end + timedelta(days=30))
    backwards = client.post(f"/lagesbild/beslut/{decision_id}/status", data={
        "csrf": csrf.group(1), "status": "active", "responsible": "Bo Berg",
        "due_date": str(period_end - timedelta(days=30)), "period_start": form["period_start"],
        "period_end": form["period_end"]}, headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert backwards.status_code == 422 and "före insatsens start" in backwards.text
    assert session.execute(text("SELECT due_date FROM interventions")).scalar_one() == period_end + timedelta(days=30)

    bad = client.post("/lagesbild/beslut", data={**form, "title": "", "target": "hotspot:99"},
                      headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert bad.status_code == 422 and "Hotspot 99 finns inte" in bad.text
    assert session.execute(text("SELECT count(*) FROM interventions")).scalar() == 1  # nothing half-written


def test_the_lagesbild_map_of_change_names_a_real_rise_and_claims_nothing_on_steady_data(
        client: TestClient, tokens: dict[str, str], people: dict[str, str], session: Session) -> None:
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=13)
    rng = np.random.default_rng(5)
    for k in range(120):  # the same thin scatter over the town in both fortnights
        day = start - timedelta(days=14) + timedelta(days=int(k % 28))
        client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
            "lon": 15.10 + rng.uniform(0, 0.06), "lat": 58.31 + rng.uniform(0, 0.03), "category": "klotter",
            "occurred_at": f"{day.isoformat()}T12:{k % 60:02d}:00+01:00"})
    headers = sign_in(client, people["analyst"])
    steady = client.get(f"/lagesbild?start={start}&end={end}", headers=headers).text
    client.cookies.clear()
    assert "Ingen ruta har säkerställt ändrat sin andel av händelserna" in steady
    assert 'alt="Karta över förändringen per ruta' in steady

    lon, lat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                    "FROM places WHERE slug = 'resecentrum-mjolby'")).one()
    for k in range(22):  # a new problem at the station this fortnight
        client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
            "lon": lon + rng.normal(0, 0.0002), "lat": lat + rng.normal(0, 0.0001), "category": "narkotika",
            "occurred_at": f"{(start + timedelta(days=k % 14)).isoformat()}T22:{k:02d}:00+01:00"})
    risen = client.get(f"/lagesbild?start={start}&end={end}", headers=headers).text
    client.cookies.clear()
    claim = re.search(r'1 ruta med säkerställt större andel, 0 med säkerställt mindre andel[^<]*</b>([^<]*)', risen)
    assert claim, "the planted rise is not reported"
    assert "▲ Resecentrum (" in claim.group(1)


def test_a_minimap_at_town_or_municipality_scale_names_the_localities_in_it() -> None:
    from app.maps.minimap import minimap

    town = {"type": "Polygon", "coordinates": [[[15.10, 58.31], [15.16, 58.31], [15.16, 58.34], [15.10, 58.34],
                                                [15.10, 58.31]]]}
    from app.municipalities import reference

    localities = list(reference.get("0586").localities)  # type: ignore[union-attr]  # as the sheets pass them
    assert minimap(town, size_px=300, localities=localities).places == ["Mjölby"]
    county = {"type": "Polygon", "coordinates": [[[15.05, 58.30], [15.30, 58.30], [15.30, 58.40], [15.05, 58.40],
                                                  [15.05, 58.30]]]}
    assert sorted(minimap(county, size_px=300, localities=localities).places) == ["Mantorp", "Mjölby", "Skänninge"]


def test_a_citizen_promise_is_made_on_the_lagesbild_and_followed_up(client: TestClient, people: dict[str, str],
                                                                     session: Session) -> None:
    headers = sign_in(client, people["analyst"])
    page = client.get("/lagesbild", headers=headers).text
    client.cookies.clear()
    assert 'action="/lagesbild/medborgarlofte"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    place_id = session.execute(text("SELECT id FROM places WHERE slug = 'resecentrum-mjolby'")).scalar_one()
    today = date.today()
    form = {"csrf": csrf, "title": "Tryggare kvällar vid Resecentrum", "description": "Polis och fältare varje fredag",
            "promise_start": str(today.replace(month=1, day=1)), "promise_end": str(today.replace(month=12, day=31)),
            "place_ids": str(place_id), "categories": ["narkotika", "vald"]}
    backwards = {**form, "promise_end": str(today.replace(year=today.year - 1))}
    bad = client.post("/lagesbild/medborgarlofte", data=backwards,
                      headers={"Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert bad.status_code == 422 and "sista dag ligger före" in bad.text
    assert session.execute(text("SELECT count(*) FROM citizen_promises")).scalar() == 0
    saved = client.post("/lagesbild/medborgarlofte", data=form, headers={"Cookie": headers["Cookie"]},
                        follow_redirects=False)
    client.cookies.clear()
    assert saved.status_code == 303 and saved.headers["location"].endswith("#medborgarloften")
    promise_id, categories = session.execute(text("SELECT id, categories FROM citizen_promises")).one()
    assert categories == ["narkotika", "vald"]
    later = client.get("/lagesbild", headers=headers).text
    client.cookies.clear()
    assert f'<li data-promise="{promise_id}"><b>Tryggare kvällar vid Resecentrum</b>' in later
    follow = client.get(f"/medborgarloften/{promise_id}", headers=headers)
    client.cookies.clear()
    assert follow.status_code == 200 and "Tryggare kvällar vid Resecentrum" in follow.text


def test_a_hotspot_on_the_lagesbild_opens_the_decision_form_on_itself(client: TestClient, tokens: dict[str, str],
                                                                      people: dict[str, str], session: Session) -> None:
    lon, lat = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                                    "FROM places WHERE slug = 'resecentrum-mjolby'")).one()
    _cluster(client, tokens["admin"], lon, lat, 60, seed=1)
    headers = sign_in(client, people["analyst"])
    page = client.get("/lagesbild", headers=headers).text
    client.cookies.clear()
    link = re.search(r'<a class="noprint decide" href="([^"]+)">Besluta insats här</a>', page)
    assert link, "no one-click decision from the hotspot list"
    chosen = client.get(link.group(1).replace("&amp;", "&"), headers=headers).text
    client.cookies.clear()
    assert re.search(r'<option value="hotspot:1" selected>Hotspot 1: Resecentrum</option>', chosen)


def test_the_live_street_base_answers_a_view_and_nothing_far_out(client: TestClient, tmp_path: Path,
                                                                  session: Session) -> None:
    osm = tmp_path / "mjolby.osm"
    osm.write_text(OSM, encoding="utf-8")
    import_file(session, osm)
    near = client.get("/karta/gatunat?bbox=15.12,58.32,15.14,58.33&zoom=15")
    assert near.status_code == 200 and near.headers["content-type"] == "application/geo+json"
    kinds = sorted((f["properties"]["kind"], f["properties"]["name"]) for f in near.json()["features"])
    assert kinds == [("building", None), ("street", "Testgatan"), ("water", "Testån")]
    assert [f["properties"]["kind"] for f in client.get(
        "/karta/gatunat?bbox=15.12,58.32,15.14,58.33&zoom=14").json()["features"]].count("building") == 0
    assert client.get("/karta/gatunat?bbox=15.12,58.32,15.14,58.33&zoom=10").json()["features"] == []
    assert client.get("/karta/gatunat?bbox=15.12,58.32&zoom=15").status_code in (400, 422)


POI_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="58.3230" lon="15.1280"/><node id="2" lat="58.3236" lon="15.1310"/>
  <node id="5" lat="58.3233" lon="15.1300"><tag k="amenity" v="pub"/><tag k="name" v="Testpuben"/></node>
  <node id="6" lat="58.3240" lon="15.1320"><tag k="railway" v="station"/><tag k="name" v="Teststation"/></node>
  <node id="7" lat="58.3241" lon="15.1321"><tag k="shop" v="kiosk"/></node>
  <node id="10" lat="58.3250" lon="15.1290"/><node id="11" lat="58.3250" lon="15.1300"/>
  <node id="12" lat="58.3256" lon="15.1300"/><node id="13" lat="58.3256" lon="15.1290"/>
  <way id="100"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="name" v="Testgatan"/></way>
  <way id="101"><nd ref="10"/><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="10"/>
    <tag k="amenity" v="school"/><tag k="name" v="Testskolan"/></way>
</osm>
"""


def test_points_of_interest_are_imported_and_become_risk_factors(tmp_path: Path, session: Session) -> None:
    from datetime import UTC, datetime

    from app.causes.factors import factor_layers

    osm = tmp_path / "poi.osm"
    osm.write_text(POI_OSM, encoding="utf-8")
    report = import_file(session, osm)
    assert report.counts.get("poi:bar") == 1 and report.counts.get("poi:station") == 1
    assert report.counts.get("poi:shop") == 1 and report.counts.get("poi:school") == 1
    stored = session.execute(text("SELECT subkind, name FROM basemap_features WHERE kind = 'poi' ORDER BY 1")).all()
    assert [tuple(r) for r in stored] == [("bar", "Testpuben"), ("school", "Testskolan"), ("shop", None),
                                          ("station", "Teststation")]
    # a GeoPackage with OSM's own columns
    points = gpd.GeoDataFrame({"name": ["Pizzerian"], "amenity": ["fast_food"]},
                              geometry=[shapely.Point(15.13, 58.324)], crs=4326)
    gpkg = tmp_path / "poi.gpkg"
    points.to_file(gpkg, layer="poi", driver="GPKG")
    assert import_file(session, gpkg).counts == {"poi:food": 1}
    now = datetime.now(UTC)
    codes = {f.layer.code for f in factor_layers(session, now, now)}
    assert "restauranger" in codes and "barer" not in codes  # the second import replaced the first
    live = session.execute(text("SELECT count(*) FROM basemap_features WHERE kind = 'poi'")).scalar()
    assert live == 1


def test_streets_without_a_lamp_near_them_are_a_risk_factor_only_where_lamps_are_known(session: Session) -> None:
    from datetime import UTC, datetime

    from app.causes.factors import factor_layers

    session.execute(text("""INSERT INTO street_segments (street, geom, source) VALUES
        ('Ljusgatan', ST_GeomFromText('LINESTRING(15.1280 58.3230, 15.1290 58.3232)', 4326), 'test'),
        ('Mörkgatan', ST_GeomFromText('LINESTRING(15.1400 58.3300, 15.1410 58.3302)', 4326), 'test')"""))
    session.commit()
    now = datetime.now(UTC)
    assert "obelysta_gator" not in {f.layer.code for f in factor_layers(session, now, now)}  # no lamps known
    session.execute(text("""INSERT INTO lamps (external_id, geom, source)
        VALUES ('L1', ST_SetSRID(ST_MakePoint(15.1285, 58.3231), 4326), 'test')"""))
    session.commit()
    unlit = next(f.layer for f in factor_layers(session, now, now) if f.layer.code == "obelysta_gator")
    from geo.crs import to_sweref

    x, _ = to_sweref([15.1405], [58.3301])
    assert unlit.x.size > 0 and abs(float(unlit.x.mean()) - float(x[0])) < 100  # Mörkgatan only
