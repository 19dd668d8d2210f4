"""OGC API – Features (Part 1 Core, Part 2 CRS, Part 3 queryables) over Lägesbild's layers.

PostGIS builds each page of features as one JSON text (as tipg's slow path does in Python, feature
by feature, here it is `json_agg` in the database), and paging is by key (`after` = last id), so a page
costs the same at the start and at the end of a million rows. `numberMatched` is counted once per
filter and data version and then cached.
"""

from __future__ import annotations

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
from app.db import data_version, tenant
from app.errors import InvalidInput, NotFound
from app.incidents.models import LOCATION_PRECISIONS
from app.incidents.service import (
    STORED_FEATURE,
    IncidentFilter,
    check_visible,
    feature_text_sql,
    fetch_page,
    table_state,
)
from geo.crs import lonlat_to_crs, north_first

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


def _t(kind: str, title: str, *, nullable: bool = False, **extra: Any) -> dict[str, Any]:
    """One property's JSON Schema; a property that may be null says so (type [kind, "null"])."""
    return {"title": title, "type": [kind, "null"] if nullable else kind, **extra}


DATE_TIME: dict[str, Any] = {"format": "date-time"}


@dataclass(frozen=True)
class Collection:
    id: str
    title: str
    description: str
    permission: str | None          # None: public
    kind: str                       # "table" or "analysis"
    geometry: str                   # the JSON Schema geometry type (OGC Part 5)
    properties: dict[str, dict[str, Any]]   # each feature property's JSON Schema: GDAL and QGIS read the types
    queryables: tuple[str, ...] = ()        # properties that filter items as query parameters (/rec/core/fc-filters)


COLLECTIONS = {
    c.id: c for c in (
        Collection("incidents", "Händelser", "Incidents (staff only): category, time, source, precision.",
                   "incidents:read", "table", "Point", {
                       "category": _t("string", "Kategori"),
                       "occurred_at": _t("string", "Inträffade", **DATE_TIME),
                       "reported_at": _t("string", "Rapporterad", nullable=True, **DATE_TIME),
                       "source": _t("string", "Källa"),
                       "external_id": _t("string", "Källans id", nullable=True),
                       "location_precision": _t("string", "Lägesnoggrannhet",
                                                enum=list(LOCATION_PRECISIONS)),
                       "precision_m": _t("number", "Noggrannhet (m)", nullable=True),
                       "description": _t("string", "Beskrivning", nullable=True),
                       "place_id": _t("integer", "Plats-id", nullable=True),
                   }, ("category",)),
        Collection("places", "Platser", "Perceived-unsafe places with source, confidence and survey score.",
                   None, "table", "Geometry", {
                       "slug": _t("string", "Kortnamn"),
                       "name": _t("string", "Namn"),
                       "kind": _t("string", "Typ"),
                       "locality": _t("string", "Ort"),
                       "source": _t("string", "Källa"),
                       "confidence": _t("string", "Säkerhet"),
                       "unsafe_share": _t("number", "Andel otrygga", nullable=True, minimum=0, maximum=1),
                       "survey_year": _t("integer", "Enkätår", nullable=True),
                   }, ("kind", "locality")),
        Collection("hotspots", "Hotspots", "DBSCAN hotspots of the last 365 days (default parameters).",
                   "analysis:read", "analysis", "Polygon", {
                       "rank": _t("integer", "Rang"),
                       "name": _t("string", "Område"),
                       "count": _t("integer", "Antal händelser"),
                       "share": _t("number", "Andel"),
                       "area_ha": _t("number", "Yta (ha)"),
                       "top_category": _t("string", "Vanligaste kategori", nullable=True),
                       "active_hours": _t("string", "Aktiva timmar"),
                       "trend": _t("string", "Trend"),
                   }),
    )
}
# Query parameters every items request may carry; any other is refused with 400 (the unknown-parameter
# policy, /rec/core/query-param-unknown), so a typo never silently returns unfiltered data.
ITEMS_PARAMETERS = ("bbox", "bbox-crs", "datetime", "limit", "after", "crs", "f")


def schema_document(collection: Collection, url: str, kind: str,
                    enums: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The collection's properties as JSON Schema, in one of three shapes:

    - "schema": the feature schema of OGC API – Features Part 5 (flat, with x-ogc-role);
    - "queryables": Part 3's queryables, the properties the items can be filtered by;
    - "feature": a GeoJSON Feature's schema (the `describedby` link), the shape GDAL's OAPIF driver
      reads field types from; a nullable type is written as the plain type with "nullable": true,
      since GDAL takes the type from a string only.
    """
    geometry = {"title": "Geometri", "format": f"geometry-{collection.geometry.lower()}",
                "x-ogc-role": "primary-geometry"}
    properties: dict[str, Any] = {}
    if kind == "queryables":
        properties["geometry"] = geometry
        if collection.id != "places":
            properties["datetime"] = {"title": "Tid", "type": "string", "format": "date-time",
                                      "x-ogc-role": "primary-instant"}
        for name in collection.queryables:
            properties[name] = collection.properties[name] | (
                {"enum": enums[name]} if enums and name in enums else {})
    elif kind == "schema":
        properties = {"id": {"title": "Id", "type": "integer", "x-ogc-role": "id"}, **collection.properties,
                      "geometry": geometry}
    else:
        def plain(prop: dict[str, Any]) -> dict[str, Any]:
            if isinstance(prop["type"], list):
                return prop | {"type": prop["type"][0], "nullable": True}
            return prop
        properties = {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "integer"},
            "geometry": {"type": "object", "title": collection.geometry},
            "properties": {"type": "object", "properties": {k: plain(v) for k, v in collection.properties.items()}},
        }
    return {"$schema": "https://json-schema.org/draft/2019-09/schema", "$id": url, "type": "object",
            "title": collection.title, "properties": properties, "additionalProperties": kind != "queryables"}


def extent(session: Session, collection: Collection) -> dict[str, Any]:
    """The collection's real extent: the data's bounding box and time span. The hotspots lie within the
    incidents and span the last 365 days."""
    table = "places" if collection.id == "places" else "incidents"
    box, first, last, computed = _table_extent(session, table)
    body: dict[str, Any] = {"spatial": {"bbox": [box], "crs": CRS84}}
    if collection.id == "hotspots":  # as of the extent's computation, so every document says the same
        first, last = _z(computed - timedelta(days=365)), _z(computed)
    if collection.id != "places":
        body["temporal"] = {"interval": [[first, last]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return body


def _table_extent(session: Session, table: str) -> tuple[list[float], str | None, str | None, datetime]:
    """A table's bounding box, (incidents) first and last time, and when this was computed: once per
    data version."""
    def compute() -> tuple[list[float], str | None, str | None, datetime]:
        row = session.execute(text(
            f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM {table}) x"
        )).one()
        box = [round(float(v), 6) for v in row] if row[0] is not None else [-180.0, -90.0, 180.0, 90.0]
        if table != "incidents":
            return box, None, None, datetime.now(UTC)
        first, last = session.execute(text("SELECT min(occurred_at), max(occurred_at) FROM incidents")).one()
        return box, _z(first), _z(last), datetime.now(UTC)

    result: tuple[list[float], str | None, str | None, datetime] = cache.results.get_or_compute(
        ("ogc-extent", table, tenant(session), data_version(session)), compute)
    return result


def _z(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def category_codes(session: Session) -> list[str]:
    return list(session.execute(text("SELECT code FROM categories ORDER BY code")).scalars())


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
                            headers={"WWW-Authenticate": 'Basic realm="Lagesbild";;Bearer realm="Lagesbild"'})
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


@dataclass(frozen=True)
class OutputCrs:
    """A CRS a client may ask for (Part 2): its URI, the SRID PostGIS knows it by, and whether its axis
    order is northing/latitude first, so coordinates are written (and a bbox-crs box read) that way."""
    uri: str
    srid: int
    flip: bool

    def geometry_sql(self, column: str) -> str:
        """GeoJSON geometry in this CRS and axis order: 7 decimals of a degree or 3 of a metre (~1 cm, 1 mm)."""
        geom = column if self.srid == 4326 else f"ST_Transform({column}, {self.srid})"
        if self.flip:
            geom = f"ST_FlipCoordinates({geom})"
        return f"ST_AsGeoJSON({geom}, {7 if self.srid == 4326 else 3})"


def output_crs(crs: str | None, field: str = "crs") -> OutputCrs:
    uri = crs or CRS84
    srid = CRS_SRID.get(uri)
    if srid is None:
        raise InvalidInput(f"{field} {crs!r} is not supported; use {', '.join(CRS_SRID)}", loc=("query", field))
    return OutputCrs(uri, srid, north_first(uri))


@dataclass(frozen=True)
class ItemsPage:
    features_json: str
    returned: int
    matched: int | None
    last_id: int | None
    has_more: bool


def incident_items(session: Session, flt: IncidentFilter, *, limit: int, after: int | None, out: OutputCrs,
                   instant: datetime | None = None, outline: str | None = None) -> ItemsPage:
    where, params = flt.where()
    if outline is not None:  # a bbox in a projected CRS: exactly inside its outline (the envelope is in flt)
        where += " AND ST_Intersects(i.geom, ST_GeomFromText(:outline, 4326))"
        params["outline"] = outline
    if instant is not None:
        where += " AND i.occurred_at = :instant"
        params["instant"] = instant
    count_where, count_params = where, dict(params)
    if after is not None:
        where += " AND i.id > :after"
        params["after"] = after
    # numberMatched first (cached per filter and data version): it also chooses the page's plan
    version, rows = table_state(session)
    matched = cache.results.get_or_compute(
        ("ogc-count", tenant(session), count_where, tuple(sorted((k, str(v)) for k, v in count_params.items())),
         version),
        lambda: int(session.execute(text(f"SELECT count(*) FROM incidents i WHERE {count_where}"),
                                    count_params).scalar_one()))
    page = fetch_page(session, where, params, limit=limit, feature=_feature_sql(out), matched=matched,
                      table_rows=rows)
    return ItemsPage(page.features_json, page.returned, matched, page.last_id, page.has_more)


def _feature_sql(out: OutputCrs) -> str:
    """The stored CRS84 text, or the coordinates in another CRS and its axis order (SWEREF 99 TM to the
    millimetre, northing first) built on the fly."""
    return STORED_FEATURE if out.uri == CRS84 else feature_text_sql(out.geometry_sql("i.geom"))


def incident_item(session: Session, feature_id: int, out: OutputCrs, viewer: Principal | None) -> dict[str, Any]:
    check_visible(session, feature_id, viewer)
    row = session.execute(text(f"SELECT ({_feature_sql(out)})::json FROM incidents i WHERE i.id = :id"),
                          {"id": feature_id}).first()
    if row is None:
        raise NotFound(f"incident {feature_id} does not exist", loc=("path", "feature_id"))
    return dict(row[0])


def place_items(session: Session, *, bbox: tuple[float, float, float, float] | None, out: OutputCrs,
                limit: int, after: int | None, kind: str | None = None, locality: str | None = None,
                outline: str | None = None) -> ItemsPage:
    geometry = out.geometry_sql("p.geom")
    where, params = "TRUE", dict[str, Any]()
    if kind is not None:
        where += " AND p.kind = :kind"
        params["kind"] = kind
    if locality is not None:
        where += " AND p.locality = :locality"
        params["locality"] = locality
    if bbox:
        where += " AND p.geom && ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)"
        params.update(bx0=bbox[0], by0=bbox[1], bx1=bbox[2], by1=bbox[3])
    if outline is not None:
        where += " AND ST_Intersects(p.geom, ST_GeomFromText(:outline, 4326))"
        params["outline"] = outline
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
                  out: OutputCrs, outline: str | None = None) -> ItemsPage:
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

        box = shapely.from_wkt(outline) if outline else shapely.box(*bbox)
        features = [f for f in features if shapely.geometry.shape(f["geometry"]).intersects(box)]
    matched = len(features)
    if after is not None:
        features = [f for f in features if f["id"] > after]
    page = features[:limit]
    if out.uri != CRS84:
        page = [f | {"geometry": {"type": f["geometry"]["type"],
                                  "coordinates": lonlat_to_crs(f["geometry"]["coordinates"], out.uri)}}
                for f in page]
    return ItemsPage(orjson.dumps(page).decode(), len(page), matched, page[-1]["id"] if page else None,
                     len(features) > limit)
