"""OGC API – Features (Part 1 Core, Part 2 CRS) over Lägesbild's layers.

PostGIS builds each page of features as one JSON text (as tipg's slow path does in Python, feature
by feature, here it is `json_agg` in the database), and paging is by key (`after` = last id), so a page
costs the same at the start and at the end of a million rows. `numberMatched` is counted once per
filter and data version and then cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis import cache
from app.analysis import service as analysis
from app.analysis.schemas import ClusterParams, Scope
from app.auth.roles import allowed
from app.auth.service import Principal
from app.errors import InvalidInput, NotFound
from app.incidents.service import STORED_FEATURE, IncidentFilter, check_visible, feature_text_sql, fetch_page

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG3006 = "http://www.opengis.net/def/crs/EPSG/0/3006"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
CRS_SRID = {CRS84: 4326, EPSG4326: 4326, EPSG3006: 3006}
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    permission: str | None          # None: public
    kind: str                       # "table" or "analysis"


COLLECTIONS = {
    c.id: c for c in (
        Collection("incidents", "Händelser", "Incidents (staff only): category, time, source, precision.",
                   "incidents:read", "table"),
        Collection("places", "Platser", "Perceived-unsafe places with source, confidence and survey score.",
                   None, "table"),
        Collection("hotspots", "Hotspots", "DBSCAN hotspots of the last 365 days (default parameters).",
                   "analysis:read", "analysis"),
    )
}


def visible_collections(principal: Principal | None) -> list[Collection]:
    role = principal.role if principal else None
    return [c for c in COLLECTIONS.values() if c.permission is None or allowed(role, c.permission)]


def collection_for(collection_id: str, principal: Principal | None) -> Collection:
    collection = COLLECTIONS.get(collection_id)
    if collection is None:
        raise NotFound(f"no collection {collection_id!r}; collections: {', '.join(COLLECTIONS)}",
                       loc=("path", "collection_id"))
    if collection.permission and not allowed(principal.role if principal else None, collection.permission):
        from fastapi import HTTPException

        raise HTTPException(401 if principal is None else 403,
                            f"collection {collection_id!r} needs a token with {collection.permission}",
                            headers={"WWW-Authenticate": 'Bearer realm="Lagesbild", Basic realm="Lagesbild"'})
    return collection


def parse_datetime(value: str | None) -> tuple[datetime | None, datetime | None]:
    """RFC 3339 instant or interval ('a/b', '../b', 'a/..'); times need an offset or Z. A full date
    ('2025-01-01') means that whole day in UTC: as a start its first moment, as an end its last."""
    if not value:
        return None, None

    def one(part: str, end: bool = False) -> datetime | None:
        if part in ("", ".."):
            return None
        if len(part) == 10 and part[4] == "-" and part[7] == "-":
            try:
                day = datetime.fromisoformat(part).replace(tzinfo=UTC)
            except ValueError:
                raise InvalidInput(f"datetime {part!r} is not RFC 3339", loc=("query", "datetime")) from None
            return day + timedelta(days=1) - timedelta(microseconds=1) if end else day
        try:
            moment = datetime.fromisoformat(part.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"datetime {part!r} is not RFC 3339", loc=("query", "datetime")) from None
        if moment.tzinfo is None:
            raise InvalidInput(f"datetime {part!r} needs a time zone (Z or +01:00)", loc=("query", "datetime"))
        return moment

    if "/" in value:
        first, _, second = value.partition("/")
        start, end = one(first), one(second, end=True)
        if start and end and end < start:
            raise InvalidInput("datetime interval ends before it starts", loc=("query", "datetime"))
        return start, end
    instant = one(value)
    if len(value) == 10:  # a date: the whole day
        return instant, one(value, end=True)
    return instant, instant


def crs_srid(crs: str | None, field: str = "crs") -> int:
    if crs is None:
        return 4326
    srid = CRS_SRID.get(crs)
    if srid is None:
        raise InvalidInput(f"{field} {crs!r} is not supported; use {', '.join(CRS_SRID)}", loc=("query", field))
    return srid


@dataclass(frozen=True)
class ItemsPage:
    features_json: str
    returned: int
    matched: int | None
    last_id: int | None
    has_more: bool


def incident_items(session: Session, flt: IncidentFilter, *, limit: int, after: int | None, srid: int,
                   instant: datetime | None = None) -> ItemsPage:
    where, params = flt.where()
    if instant is not None:
        where += " AND i.occurred_at = :instant"
        params["instant"] = instant
    count_where, count_params = where, dict(params)
    if after is not None:
        where += " AND i.id > :after"
        params["after"] = after
    page = fetch_page(session, where, params, limit=limit, feature=_feature_sql(srid))
    matched = cache.results.get_or_compute(
        ("ogc-count", count_where, tuple(sorted((k, str(v)) for k, v in count_params.items())),
         page.data_version),
        lambda: int(session.execute(text(f"SELECT count(*) FROM incidents i WHERE {count_where}"),
                                    count_params).scalar_one()))
    return ItemsPage(page.features_json, page.returned, matched, page.last_id, page.has_more)


def _feature_sql(srid: int) -> str:
    """The stored WGS 84 text, or SWEREF 99 TM coordinates (to the millimetre) built on the fly."""
    return STORED_FEATURE if srid == 4326 else feature_text_sql("ST_AsGeoJSON(ST_Transform(i.geom, 3006), 3)")


def incident_item(session: Session, feature_id: int, srid: int, viewer: Principal | None) -> dict[str, Any]:
    check_visible(session, feature_id, viewer)
    row = session.execute(text(f"SELECT ({_feature_sql(srid)})::json FROM incidents i WHERE i.id = :id"),
                          {"id": feature_id}).first()
    if row is None:
        raise NotFound(f"incident {feature_id} does not exist", loc=("path", "feature_id"))
    return dict(row[0])


def place_items(session: Session, *, bbox: tuple[float, float, float, float] | None, srid: int,
                limit: int, after: int | None) -> ItemsPage:
    geometry = "ST_AsGeoJSON(p.geom, 7)" if srid == 4326 else "ST_AsGeoJSON(ST_Transform(p.geom, 3006), 3)"
    where, params = "TRUE", dict[str, Any]()
    if bbox:
        where += " AND p.geom && ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)"
        params.update(bx0=bbox[0], by0=bbox[1], bx1=bbox[2], by1=bbox[3])
    matched = int(session.execute(text(f"SELECT count(*) FROM places p WHERE {where}"), params).scalar_one())
    if after is not None:
        where += " AND p.id > :after"
        params["after"] = after
    rows = session.execute(text(f"""
        SELECT p.id, json_build_object('type', 'Feature', 'id', p.id, 'geometry', {geometry}::json,
               'properties', json_build_object('slug', p.slug, 'name', p.name, 'kind', p.kind,
               'locality', p.locality, 'source', p.source, 'confidence', p.confidence,
               'unsafe_share', p.unsafe_share, 'survey_year', p.survey_year))::text
        FROM places p WHERE {where} ORDER BY p.id LIMIT :limit"""), {**params, "limit": limit + 1}).all()
    page = rows[:limit]
    return ItemsPage("[" + ",".join(r[1] for r in page) + "]", len(page), matched,
                     page[-1][0] if page else None, len(rows) > limit)


def hotspot_items(session: Session, *, bbox: tuple[float, float, float, float] | None,
                  start: datetime | None, end: datetime | None, limit: int, after: int | None,
                  to_srid: Callable[[dict[str, Any]], dict[str, Any]]) -> ItemsPage:
    scope = Scope(start=start, end=end)
    collection = analysis.clusters(session, scope, ClusterParams())
    features: list[dict[str, Any]] = []
    for feature in collection.features:
        props = feature.properties
        flat = {"rank": props.rank, "name": props.name, "count": props.count, "share": props.share,
                "area_ha": props.area_ha,
                "top_category": props.categories[0].code if props.categories else None,
                "active_hours": ",".join(str(h) for h in props.active_hours), "trend": props.trend.direction}
        features.append({"type": "Feature", "id": props.rank, "geometry": feature.geometry, "properties": flat})
    if bbox:
        import shapely

        box = shapely.box(*bbox)
        features = [f for f in features if shapely.geometry.shape(f["geometry"]).intersects(box)]
    matched = len(features)
    if after is not None:
        features = [f for f in features if f["id"] > after]
    page = [to_srid(f) for f in features[:limit]]
    return ItemsPage(orjson.dumps(page).decode(), len(page), matched, page[-1]["id"] if page else None,
                     len(features) > limit)
