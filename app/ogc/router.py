"""OGC API – Features endpoints under /ogc (JSON, and HTML for people). QGIS: add an "OGC API - Features"
connection with URL http://host:8000/ogc and, for staff layers, an authentication configuration of type
Basic (any user name, the token as the password; QGIS 3.22 has no other that fits) or, from QGIS 3.26,
API Header with `Authorization: Bearer <token>`. Thin: the work is in service.py, the OpenAPI 3.0
description in openapi.py."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import shapely
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.bbox import parse_bbox
from app.db import standby_read
from app.deps import PrincipalDep, SessionDep, audit_read
from app.errors import InvalidInput
from app.incidents.service import build_filter
from app.ogc import openapi, service
from app.ogc.service import CONFORMANCE, CRS84, EPSG3006, EPSG4326, ItemsPage
from app.paths import FRONTEND
from geo.crs import box_outline_crs84

INCIDENT_READS = audit_read("incidents", only_if=("collection_id", "incidents"))
router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"
OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
CRS_LIST = [CRS84, EPSG4326, EPSG3006]


def _known_only(request: Request, allowed: tuple[str, ...]) -> None:
    """The unknown-parameter policy (OGC API – Features /rec/core/query-param-unknown): a parameter the
    API does not define is refused with 400 and the list of those it does, never silently ignored, so
    `offset=100` or a misspelt `datetime` cannot return the wrong features as if they were right."""
    allowed = (*allowed, "municipality")  # narrows a county account to one municipality (app.deps)
    unknown = sorted({k for k in request.query_params if k not in allowed})
    if unknown:
        raise InvalidInput(f"unknown query parameter {', '.join(map(repr, unknown))}; "
                           f"this resource takes {', '.join(allowed)}", loc=("query", unknown[0]))


def _wants_html(request: Request, f: str | None) -> bool:
    if f:
        if f not in ("json", "html"):
            raise InvalidInput("f must be json or html", loc=("query", "f"))
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _json(body: Any, media_type: str = JSON, headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content=content, media_type=media_type, headers=headers)


# nested tables, stacked key above value on a phone (they ran off a 390 px screen)
HTML_CSS = (" td,th{vertical-align:top} td{overflow-wrap:anywhere} main{overflow-x:auto}"
            " @media (max-width:600px){table,tbody,tr,th,td{display:block} th{padding:.3em 0 0}"
            " td{padding:0 0 0 .8em}}")


def _html(title: str, body: dict[str, Any]) -> HTMLResponse:
    """A plain, readable HTML view of any OGC document (people browsing the API)."""
    from html import escape

    def render(value: Any) -> str:
        if isinstance(value, dict):
            if "href" in value and "rel" in value:
                return f'<a href="{escape(str(value["href"]))}">{escape(str(value.get("title") or value["rel"]))}</a>'
            rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{render(v)}</td></tr>" for k, v in value.items())
            return f"<table>{rows}</table>"
        if isinstance(value, list):
            return "<ul>" + "".join(f"<li>{render(v)}</li>" for v in value[:500]) + "</ul>"
        return escape(str(value))

    css = (FRONTEND / "static" / "app.css").read_text() if (FRONTEND / "static" / "app.css").exists() else ""
    return HTMLResponse(f"<!doctype html><html lang='sv'><head><meta charset='utf-8'><title>{escape(title)}</title>"
                        f"<style>{css}{HTML_CSS}</style></head><body><main>"
                        f"<h1>{escape(title)}</h1>{render(body)}</main></body></html>")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


@router.get("", summary="Landing page")
def landing(request: Request, f: str | None = None) -> Response:
    _known_only(request, ("f",))
    base = _base(request)
    title = "Lägesbild – OGC API Features"
    body = {
        "title": title,
        "description": "Incidents, places and hotspots of the ESM work. Signed out, only the places are "
                       "listed: incidents, hotspots and the other staff collections need a token, sent as "
                       "'Authorization: Bearer <token>', or as HTTP Basic with the token as the password and "
                       "any user name (QGIS 3.22: Authentication → Basic). A query parameter the API does not "
                       "define is refused with 400 (never ignored); coordinates in crs and bbox-crs follow that "
                       "CRS's axis order (EPSG:3006: northing, easting; EPSG:4326: latitude, longitude).",
        "links": [
            {"rel": "self", "href": base, "type": JSON, "title": "this document"},
            {"rel": "alternate", "href": f"{base}?f=html", "type": HTML, "title": "this document as HTML"},
            {"rel": "service-desc", "href": f"{base}/api", "type": OPENAPI_30, "title": "the API definition"},
            {"rel": "service-doc", "href": str(request.base_url) + "docs", "type": HTML, "title": "API docs"},
            {"rel": "conformance", "href": f"{base}/conformance", "type": JSON, "title": "conformance classes"},
            {"rel": "data", "href": f"{base}/collections", "type": JSON, "title": "collections"},
        ],
    }
    return _html(title, body) if _wants_html(request, f) else _json(body)


@router.get("/api", summary="The OGC API's service description (OpenAPI 3.0)")
def api(request: Request) -> Response:
    _known_only(request, ("f",))
    return _json(openapi.document(_base(request), MAX_LIMIT), OPENAPI_30)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: str | None = None) -> Response:
    _known_only(request, ("f",))
    body = {"conformsTo": CONFORMANCE}
    return _html("Conformance", body) if _wants_html(request, f) else _json(body)


def _collection_doc(request: Request, session: Any, collection: service.Collection) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{collection.id}"
    return {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", "crs": CRS_LIST, "storageCrs": CRS84,
        "extent": service.extent(session, collection),
        "links": [
            {"rel": "self", "href": base, "type": JSON, "title": collection.title},
            {"rel": "items", "href": f"{base}/items", "type": GEOJSON, "title": f"{collection.title} (GeoJSON)"},
            {"rel": "items", "href": f"{base}/items?f=html", "type": HTML, "title": f"{collection.title} (HTML)"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "href": f"{base}/queryables",
             "type": SCHEMA_JSON, "title": "queryables"},
            {"rel": "http://www.opengis.net/def/rel/ogc/1.0/schema", "href": f"{base}/schema",
             "type": SCHEMA_JSON, "title": "feature schema"},
            {"rel": "describedby", "href": f"{base}/feature-schema", "type": SCHEMA_JSON,
             "title": "the GeoJSON features' schema"},
        ],
    }


@router.get("/collections", summary="The layers you may read")
def collections(request: Request, session: SessionDep, principal: PrincipalDep, f: str | None = None) -> Response:
    _known_only(request, ("f",))
    base = _base(request)
    body = {"links": [{"rel": "self", "href": f"{base}/collections", "type": JSON, "title": "collections"}],
            "collections": [_collection_doc(request, session, c) for c in service.visible_collections(principal)]}
    return _html("Collections", body) if _wants_html(request, f) else _json(body)


@router.get("/collections/{collection_id}", summary="One layer")
def collection(request: Request, collection_id: str, session: SessionDep, principal: PrincipalDep,
               f: str | None = None) -> Response:
    _known_only(request, ("f",))
    doc = _collection_doc(request, session, service.collection_for(collection_id, principal))
    return _html(doc["title"], doc) if _wants_html(request, f) else _json(doc)


@router.get("/collections/{collection_id}/queryables", summary="What the items may be filtered by (Part 3)")
def queryables(request: Request, collection_id: str, session: SessionDep, principal: PrincipalDep,
               f: str | None = None) -> Response:
    return _schema(request, collection_id, principal, f, "queryables", session)


@router.get("/collections/{collection_id}/schema", summary="The features' properties and their types (Part 5)")
def schema(request: Request, collection_id: str, principal: PrincipalDep, f: str | None = None) -> Response:
    return _schema(request, collection_id, principal, f, "schema")


@router.get("/collections/{collection_id}/feature-schema", summary="A GeoJSON feature's schema (describedby)")
def feature_schema(request: Request, collection_id: str, principal: PrincipalDep, f: str | None = None) -> Response:
    return _schema(request, collection_id, principal, f, "feature")


def _schema(request: Request, collection_id: str, principal: Any, f: str | None, kind: str,
            session: Any = None) -> Response:
    _known_only(request, ("f",))
    coll = service.collection_for(collection_id, principal)
    enums = {"category": service.category_codes(session)} if session is not None and coll.id == "incidents" else None
    doc = service.schema_document(coll, str(request.url.remove_query_params("f")), kind, enums)
    return _html(f"{coll.title}: {kind}", doc) if _wants_html(request, f) else _json(doc, SCHEMA_JSON)


MAX_LIMIT = 10_000


@router.get("/collections/{collection_id}/items", summary="Features, filtered by bbox and datetime, paged",
            dependencies=[INCIDENT_READS])
@standby_read
def items(
    request: Request, collection_id: str, session: SessionDep, principal: PrincipalDep,
    bbox: str | None = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    datetime_: Annotated[str | None, Query(alias="datetime")] = None,
    limit: Annotated[int, Query(ge=1, description="Features per page; above 10,000 is served as 10,000 "
                                                  "(OGC: a server clamps, it does not refuse)")] = 100,
    after: Annotated[int | None, Query(ge=0, description="Cursor: the last id of the previous page")] = None,
    crs: str | None = None,
    category: Annotated[list[str] | None, Query(description="incidents: one or more category codes")] = None,
    kind: Annotated[str | None, Query(description="places: the kind of place")] = None,
    locality: Annotated[str | None, Query(description="places: the locality (Skänninge, Borensberg, …)")] = None,
    f: str | None = None,
) -> Response:
    coll = service.collection_for(collection_id, principal)
    _known_only(request, service.ITEMS_PARAMETERS + coll.queryables)
    limit = min(limit, MAX_LIMIT)
    out = service.output_crs(crs)
    box, outline = _bbox(bbox, bbox_crs)
    start, end = service.parse_datetime(datetime_)
    instant = start if start is not None and start == end else None
    if coll.id == "incidents":
        flt = build_filter(session, bbox=box, start=None if instant else start, categories=category,
                           end=None if instant else (end if end is None else _inclusive(end)), viewer=principal)
        page = service.incident_items(session, flt, limit=limit, after=after, out=out, instant=instant,
                                      outline=outline)
    elif coll.id == "places":
        page = service.place_items(session, bbox=box, out=out, limit=limit, after=after, kind=kind,
                                   locality=locality, outline=outline)
    else:
        page = service.hotspot_items(session, bbox=box, start=start, end=end, limit=limit, after=after, out=out,
                                     outline=outline)
    if _wants_html(request, f):
        return _html(coll.title, {"numberMatched": page.matched, "numberReturned": page.returned,
                                  "features": [f["properties"] | {"id": f.get("id")}
                                               for f in orjson.loads(page.features_json)],
                                  "links": _links(request, page)})
    return _collection_response(request, page, out.uri)


def _inclusive(end: datetime) -> datetime:
    """OGC intervals include their end; our filter's end is exclusive, so add a microsecond."""
    from datetime import timedelta

    return end + timedelta(microseconds=1)


def _bbox(bbox: str | None, bbox_crs: str | None) -> tuple[tuple[float, float, float, float] | None, str | None]:
    """The bbox parameter as a lon/lat envelope, and for a projected bbox-crs also its exact outline.

    In another bbox-crs the numbers are read in that CRS's axis order (EPSG:3006: N, E, N, E; EPSG:4326:
    lat, lon, lat, lon). A SWEREF 99 TM box is a curved shape in lon/lat: its densified outline's envelope
    lets the spatial index find candidates, the outline (WKT) decides exactly which are inside,
    so the features counted are those inside the box as the client drew it."""
    if not bbox:
        return None, None
    parts = bbox.split(",")
    if len(parts) == 6:  # with heights (min z, max z): the features have none, so they are ignored
        bbox = ",".join(parts[:2] + parts[3:5])
    box_crs = service.output_crs(bbox_crs, "bbox-crs")
    if box_crs.uri == CRS84:
        parsed = parse_bbox(bbox)
        return (parsed.as_tuple() if parsed else None), None
    try:
        a0, b0, a1, b1 = (float(p) for p in bbox.split(","))
    except ValueError:
        raise InvalidInput("bbox needs four numbers", loc=("query", "bbox")) from None
    order = "N, E, N, E" if box_crs.srid == 3006 else "lat, lon, lat, lon"
    if not all(math.isfinite(v) for v in (a0, b0, a1, b1)) or a0 >= a1 or b0 >= b1:
        raise InvalidInput(f"bbox in {box_crs.uri} needs four finite numbers in that CRS's axis order, "
                           f"min before max ({order})", loc=("query", "bbox"))
    if box_crs.srid == 4326:  # the same box, only its axes swapped
        return (b0, a0, b1, a1), None
    outline = shapely.Polygon(box_outline_crs84((a0, b0, a1, b1), box_crs.uri))
    west, south, east, north = shapely.bounds(outline).tolist()
    return (west, south, east, north), outline.wkt


def _links(request: Request, page: ItemsPage) -> list[dict[str, str]]:
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON, "title": "this page"}]
    if page.has_more and page.last_id is not None:
        links.append({"rel": "next", "href": str(request.url.include_query_params(after=page.last_id)),
                      "type": GEOJSON, "title": "next page"})
    return links


def _collection_response(request: Request, page: ItemsPage, crs_uri: str) -> Response:
    members = {"numberReturned": page.returned, "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
               "links": _links(request, page)}
    if page.matched is not None:
        members["numberMatched"] = page.matched
    extra = orjson.dumps(members)[1:-1]
    body = b'{"type":"FeatureCollection","features":' + page.features_json.encode() + b"," + extra + b"}"
    return Response(content=body, media_type=GEOJSON, headers={"Content-Crs": f"<{crs_uri}>"})


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature",
            dependencies=[INCIDENT_READS])
def item(request: Request, collection_id: str, feature_id: int, session: SessionDep, principal: PrincipalDep,
         crs: str | None = None, f: str | None = None) -> Response:
    coll = service.collection_for(collection_id, principal)
    _known_only(request, ("crs", "f"))
    out = service.output_crs(crs)
    if coll.id == "incidents":
        feature = service.incident_item(session, feature_id, out, principal)
    else:
        page = (service.place_items(session, bbox=None, out=out, limit=1, after=feature_id - 1)
                if coll.id == "places" else
                service.hotspot_items(session, bbox=None, start=None, end=None, limit=1, after=feature_id - 1,
                                      out=out))
        found = orjson.loads(page.features_json)
        if not found or found[0]["id"] != feature_id:
            raise service.NotFound(f"{collection_id} feature {feature_id} does not exist", loc=("path", "feature_id"))
        feature = found[0]
    base = _base(request)
    feature["links"] = [
        {"rel": "self", "href": f"{base}/collections/{collection_id}/items/{feature_id}", "type": GEOJSON},
        {"rel": "collection", "href": f"{base}/collections/{collection_id}", "type": JSON},
    ]
    if _wants_html(request, f):
        return _html(f"{coll.title} {feature_id}", feature)
    return _json(feature, GEOJSON, {"Content-Crs": f"<{out.uri}>"})
