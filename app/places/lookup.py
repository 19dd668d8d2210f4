"""Where a person says something happened: a place or street name typed into a form, looked up among the
places, the imported street base and the lighting work's street network."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

WHERE_NAMES = 3000  # suggestions offered: the places and the street names


def where_names(session: Session) -> list[str]:
    rows = session.scalars(text("""
        SELECT name FROM (SELECT name FROM places UNION SELECT name FROM basemap_features
                          WHERE kind = 'street' AND name IS NOT NULL UNION SELECT street FROM street_segments
                          WHERE street IS NOT NULL AND street <> '') n ORDER BY name LIMIT :n"""),
                          {"n": WHERE_NAMES}).all()
    return [str(r) for r in rows]


def resolve_where(session: Session, name: str) -> dict[str, Any] | None:
    """A typed place or street name → the place, or the middle of the street's longest stretch."""
    wanted = {"t": name.strip().casefold()}
    place = session.scalar(text("""SELECT id FROM places WHERE lower(name) = :t OR lower(name) LIKE :t || ' (%'
                                   ORDER BY lower(name) = :t DESC, id LIMIT 1"""), wanted)
    if place is not None:
        return {"place_id": int(place)}
    street = session.execute(text("""
        WITH lines AS (
            SELECT geom FROM basemap_features
            WHERE kind = 'street' AND (lower(name) = :t OR lower(name) LIKE :t || ' (%')
            UNION ALL SELECT geom FROM street_segments WHERE lower(street) = :t),
        parts AS (SELECT (ST_Dump(ST_LineMerge(ST_Collect(geom)))).geom AS g FROM lines)
        SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint(g, 0.5) AS p, ST_Length(g::geography) AS len
                                      FROM parts WHERE GeometryType(g) = 'LINESTRING') m
        ORDER BY len DESC LIMIT 1"""), wanted).first()
    if street is not None:
        return {"lon": float(street[0]), "lat": float(street[1]), "location_precision": "street"}
    return None
