"""Names a local reads at once for an area on a map (a hotspot, a patrol row): the place it covers
("Resecentrum"), else the nearest named street ("Järnvägsgatan vid Resecentrum"), else the locality and a
direction from the nearest place ("Mantorp, 300 m N om Mantorp station").

The same area gets the same name on every page, map and printed sheet; two areas that would share a
name are told apart by their direction from it.
"""

from __future__ import annotations

import math

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.places.zones import PLACE_ZONE_SQL

STREET_WITHIN_M = 150
PLACE_NEAR_STREET_M = 400
PLACE_WITHIN_M = 5000
DIRECTIONS = ("N", "NO", "O", "SO", "S", "SV", "V", "NV")


def name_areas(session: Session, areas: list[shapely.Geometry]) -> list[str]:
    """A name for each area (WGS84 geometries), distinct within the list."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for area in areas:
        name = _name(session, area)
        if name in seen:
            seen[name] += 1
            name = f"{name} ({_relative(session, area, name) or seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names


def _name(session: Session, area: shapely.Geometry) -> str:
    wkb = shapely.to_wkb(area)
    row = session.execute(text(f"""
        WITH a AS (SELECT ST_SetSRID(ST_GeomFromWKB(:g), 4326) AS g)
        SELECT p.name FROM places p, a WHERE ST_Intersects({PLACE_ZONE_SQL}, a.g)
        ORDER BY ST_Area(ST_Intersection({PLACE_ZONE_SQL}, a.g)::geography) DESC, p.id LIMIT 1"""),
                          {"g": wkb}).scalar()
    if row:
        return str(row)
    street = session.execute(text("""
        WITH a AS (SELECT ST_SetSRID(ST_GeomFromWKB(:g), 4326) AS g)
        SELECT name FROM (
            SELECT b.name, ST_Distance(b.geom::geography, a.g::geography) AS d FROM basemap_features b, a
            WHERE b.kind = 'street' AND b.name IS NOT NULL AND ST_DWithin(b.geom::geography, a.g::geography, :r)
            UNION ALL
            SELECT s.street, ST_Distance(s.geom::geography, a.g::geography) FROM street_segments s, a
            WHERE ST_DWithin(s.geom::geography, a.g::geography, :r)) near
        ORDER BY d LIMIT 1"""), {"g": wkb, "r": STREET_WITHIN_M}).scalar()
    centre = area.representative_point()
    if street:
        place = _nearest_place(session, centre, PLACE_NEAR_STREET_M)
        return f"{street} vid {place[0]}" if place else str(street)
    place = _nearest_place(session, centre, PLACE_WITHIN_M)
    if place:
        name, locality, lon, lat = place
        return f"{locality}, {_offset(lon, lat, centre)} om {name}"
    locality, lon, lat = _nearest_locality(session, centre)
    return f"{locality}, {_offset(lon, lat, centre)} om centrum"


def _nearest_place(session: Session, point: shapely.Point, within_m: float) -> tuple[str, str, float, float] | None:
    row = session.execute(text("""
        SELECT p.name, p.locality, ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom)) FROM places p
        WHERE ST_DWithin(p.geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, :r)
        ORDER BY p.geom::geography <-> ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, p.id LIMIT 1"""),
                          {"x": point.x, "y": point.y, "r": within_m}).first()
    return None if row is None else (str(row[0]), str(row[1]), float(row[2]), float(row[3]))


def _nearest_locality(session: Session, point: shapely.Point) -> tuple[str, float, float]:
    """The nearest locality of the municipality whose boundary holds the point: its own list where the
    install stores one (municipalities.localities), else the shipped one (data/localities_se.csv); a point
    in no municipality is named after the nearest locality of any the install serves."""
    from app.municipalities import reference

    code = reference.locate_one(point.x, point.y)
    rows = session.execute(text("""
        SELECT l->>'name', (l->>'lon')::float8, (l->>'lat')::float8
        FROM municipalities m, jsonb_array_elements(m.localities) l
        WHERE m.code = :code OR CAST(:code AS text) IS NULL"""), {"code": code}).all()
    known = reference.get(code) if code else None
    candidates = [(str(n), float(lo), float(la)) for n, lo, la in rows] or (
        [(n, lo, la) for n, la, lo in known.localities] if known else [])
    if not candidates:
        return ("", point.x, point.y)
    return min(candidates, key=lambda loc: _metres(loc[1], loc[2], point.x, point.y))


def _relative(session: Session, area: shapely.Geometry, name: str) -> str | None:
    """"300 m N" of the named place's centre, to tell two areas with the same name apart."""
    row = session.execute(text("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM places "
                               "WHERE name = :n LIMIT 1"), {"n": name.split(" vid ")[-1].split(",")[0]}).first()
    if row is None:
        return None
    return _offset(float(row[0]), float(row[1]), area.representative_point())


def _metres(lon0: float, lat0: float, lon1: float, lat1: float) -> float:
    dx = (lon1 - lon0) * 111_320 * math.cos(math.radians((lat0 + lat1) / 2))
    dy = (lat1 - lat0) * 110_574
    return math.hypot(dx, dy)


def _offset(lon0: float, lat0: float, point: shapely.Point) -> str:
    """'300 m N' from (lon0, lat0) to the point; metres rounded to 50 (to 0.1 km past 1 km)."""
    dx = (point.x - lon0) * 111_320 * math.cos(math.radians(lat0))
    dy = (point.y - lat0) * 110_574
    distance = math.hypot(dx, dy)
    direction = DIRECTIONS[round(math.degrees(math.atan2(dx, dy)) % 360 / 45) % 8]
    if distance >= 1000:
        return f"{distance / 1000:.1f} km {direction}".replace(".", ",")
    return f"{max(50, round(distance / 50) * 50)} m {direction}"
