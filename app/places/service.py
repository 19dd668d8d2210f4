"""Places: list with incident counts, create, correct."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
import shapely
from sqlalchemy import func, text
from sqlalchemy.orm import Session

from app.db import commit_unique
from app.errors import Conflict, InvalidInput, NotFound
from app.places.models import Place
from app.places.schemas import PlaceCreate, PlaceUpdate
from app.places.zones import PLACE_ZONE_SQL

_PROPS = """'id', p.id, 'slug', p.slug, 'name', p.name, 'kind', p.kind, 'locality', p.locality,
    'source', p.source, 'confidence', p.confidence, 'unsafe_share', p.unsafe_share,
    'survey_year', p.survey_year, 'description', p.description, 'geometry_note', p.geometry_note,
    'updated_at', p.updated_at, 'police_survey', (
        SELECT json_agg(json_build_object('year', s.year, 'problem', s.problem, 'value', s.value)
                        ORDER BY s.value DESC, s.problem)
        FROM survey_indices s
        WHERE s.place_id = p.id AND s.year = (SELECT max(year) FROM survey_indices WHERE place_id = p.id))"""


def list_features(
    session: Session, *, with_counts: bool, start: datetime | None = None, end: datetime | None = None
) -> str:
    """All places as a JSON array of features; with incident counts in each place's catchment."""
    if with_counts:
        time_sql = ""
        params: dict[str, Any] = {}
        if start:
            time_sql += " AND i.occurred_at >= :start"
            params["start"] = start
        if end:
            time_sql += " AND i.occurred_at < :end"
            params["end"] = end
        sql = f"""
            SELECT COALESCE(json_agg(json_build_object(
                'type', 'Feature', 'id', p.id, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,
                'properties', json_build_object({_PROPS}, 'incident_count', c.n)) ORDER BY p.id), '[]')::text
            FROM places p
            CROSS JOIN LATERAL (
                SELECT count(*) AS n FROM incidents i
                WHERE (i.place_id = p.id OR ST_Intersects(i.geom, {PLACE_ZONE_SQL})){time_sql}
            ) c"""
        return str(session.execute(text(sql), params).scalar_one())
    sql = f"""
        SELECT COALESCE(json_agg(json_build_object(
            'type', 'Feature', 'id', p.id, 'geometry', ST_AsGeoJSON(p.geom, 7)::json,
            'properties', json_build_object({_PROPS})) ORDER BY p.id), '[]')::text
        FROM places p"""
    return str(session.execute(text(sql)).scalar_one())


def get_feature(session: Session, place_id: int) -> dict[str, Any]:
    row = session.execute(
        text(f"""SELECT json_build_object('type', 'Feature', 'id', p.id,
                 'geometry', ST_AsGeoJSON(p.geom, 7)::json, 'properties', json_build_object({_PROPS}))
                 FROM places p WHERE p.id = :id"""),
        {"id": place_id},
    ).first()
    if row is None:
        raise NotFound(f"place {place_id} does not exist", loc=("path", "place_id"))
    return dict(row[0])


def _geom(geometry: dict[str, Any]) -> Any:
    return func.ST_SetSRID(func.ST_GeomFromGeoJSON(orjson.dumps(geometry).decode()), 4326)


def create(session: Session, data: PlaceCreate) -> int:
    from app.municipalities.reference import nearest_locality
    from app.municipalities.service import municipality_at

    values = data.model_dump(exclude={"geometry"})
    centre = shapely.geometry.shape(data.geometry).representative_point()
    # the municipality whose boundary holds it, of those the caller sees (refused, named, if none)
    values["municipality_code"] = municipality_at(session, centre.x, centre.y, ("body", "geometry"))
    if not values.get("locality"):
        values["locality"] = nearest_locality(centre.x, centre.y) or ""
    place = Place(**values, geom=_geom(data.geometry))
    session.add(place)
    _commit(session, data.slug)
    return place.id


def update(session: Session, place_id: int, data: PlaceUpdate) -> None:
    place = session.get(Place, place_id)
    if place is None:
        raise NotFound(f"place {place_id} does not exist", loc=("path", "place_id"))
    changes = data.model_dump(exclude_unset=True)
    geometry = changes.pop("geometry", None)
    if geometry is not None:
        from app.municipalities.service import municipality_at

        centre = shapely.geometry.shape(geometry).representative_point()
        if municipality_at(session, centre.x, centre.y, ("body", "geometry")) != place.municipality_code:
            raise InvalidInput("a place cannot move to another municipality; add it there instead",
                               loc=("body", "geometry"),
                               sv="En plats kan inte flyttas till en annan kommun; lägg till den där i stället.")
        place.geom = _geom(geometry)
    for key, value in changes.items():
        if value is None and key in {"name", "kind", "locality", "source", "confidence"}:
            continue
        setattr(place, key, value)
    _commit(session, place.slug)


def _commit(session: Session, slug: str | None) -> None:
    commit_unique(session, "places_municipality_slug", Conflict(f"a place with slug {slug!r} exists already",
                                                       loc=("body", "slug")))
