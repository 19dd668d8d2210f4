"""OGC API – Features endpoints under /ogc (JSON, and HTML for people). QGIS: add an "OGC API - Features"
connection with URL http://host:8000/ogc and, for staff layers, an authentication header
`Authorization: Bearer <token>` (or `X-API-Key: <token>`)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.bbox import parse_bbox
from app.deps import PrincipalDep, SessionDep, SettingsDep, audit_read
from app.errors import InvalidInput
from app.incidents.service import build_filter
from app.ogc import service
from app.ogc.service import CONFORMANCE, CRS84, EPSG3006, EPSG4326, ItemsPage
from app.paths import FRONTEND
from geo.crs import to_sweref

INCIDENT_READS = audit_read("incidents", only_if=("collection_id", "incidents"))
router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])
GEOJSON = "application/geo+json"
JSON = "application/json"
HTML = "text/html"
CRS_LIST = [CRS84, EPSG4326, EPSG3006]


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
                        f"<style>{css} td,th{{vertical-align:top}}</style></head><body><main>"
                        f"<h1>{escape(title)}</h1>{render(body)}</main></body></html>")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


@router.get("", summary="Landing page")
def landing(request: Request, f: str | None = None) -> Response:
    base = _base(request)
    title = "Lägesbild – OGC API Features"
    body = {
        "title": title,
        "description": "Incidents, places and hotspots of Mjölby's ESM work. Signed out, only the places are "
                       "listed: incidents, hotspots and the other staff collections need a token, sent as "
                       "'Authorization: Bearer <token>', or as HTTP Basic with the token as the password and "
                       "any user name (QGIS 3.22: Authentication → Basic).",
        "links": [
            {"rel": "self", "href": base, "type": JSON, "title": "this document"},
            {"rel": "alternate", "href": f"{base}?f=html", "type": HTML, "title": "this document as HTML"},
            {"rel": "service-desc", "href": str(request.base_url) + "openapi.json",
             "type": "application/vnd.oai.openapi+json;version=3.0", "title": "the API definition"},
            {"rel": "service-doc", "href": str(request.base_url) + "docs", "type": HTML, "title": "API docs"},
            {"rel": "conformance", "href": f"{base}/conformance", "type": JSON, "title": "conformance classes"},
            {"rel": "data", "href": f"{base}/collections", "type": JSON, "title": "collections"},
        ],
    }
    return _html(title, body) if _wants_html(request, f) else _json(body)


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, f: str | None = None) -> Response:
    body = {"conformsTo": CONFORMANCE}
    return _html("Conformance", body) if _wants_html(request, f) else _json(body)


def _collection_doc(request: Request, collection: service.Collection, extent: dict[str, Any]) -> dict[str, Any]:
    base = _base(request)
    return {
        "id": collection.id, "title": collection.title, "description": collection.description,
        "itemType": "feature", "crs": CRS_LIST, "storageCrs": CRS84, "extent": extent,
        "links": [
            {"rel": "self", "href": f"{base}/collections/{collection.id}", "type": JSON, "title": collection.title},
            {"rel": "items", "href": f"{base}/collections/{collection.id}/items", "type": GEOJSON,
             "title": f"{collection.title} (GeoJSON)"},
            {"rel": "items", "href": f"{base}/collections/{collection.id}/items?f=html", "type": HTML,
             "title": f"{collection.title} (HTML)"},
        ],
    }


def _extent(settings: Any) -> dict[str, Any]:
    return {"spatial": {"bbox": [list(settings.extent)], "crs": CRS84},
            "temporal": {"interval": [[None, None]], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}}


@router.get("/collections", summary="The layers you may read")
def collections(request: Request, principal: PrincipalDep, settings: SettingsDep, f: str | None = None) -> Response:
    base = _base(request)
    body = {"links": [{"rel": "self", "href": f"{base}/collections", "type": JSON, "title": "collections"}],
            "collections": [_collection_doc(request, c, _extent(settings))
                            for c in service.visible_collections(principal)]}
    return _html("Collections", body) if _wants_html(request, f) else _json(body)


@router.get("/collections/{collection_id}", summary="One layer")
def collection(request: Request, collection_id: str, principal: PrincipalDep, settings: SettingsDep,
               f: str | None = None) -> Response:
    doc = _collection_doc(request, service.collection_for(collection_id, principal), _extent(settings))
    return _html(doc["title"], doc) if _wants_html(request, f) else _json(doc)


def _sweref_feature(feature: dict[str, Any]) -> dict[str, Any]:
    """Reproject a GeoJSON feature's coordinates to SWEREF 99 TM (for layers computed in Python)."""
    def convert(coords: Any) -> Any:
        array = np.asarray(coords, dtype=float)
        if array.ndim == 1:
            x, y = to_sweref([array[0]], [array[1]])
            return [round(float(x[0]), 3), round(float(y[0]), 3)]
        return [convert(c) for c in coords]

    geometry = feature["geometry"]
    return {**feature, "geometry": {"type": geometry["type"], "coordinates": convert(geometry["coordinates"])}}


MAX_LIMIT = 10_000


@router.get("/collections/{collection_id}/items", summary="Features, filtered by bbox and datetime, paged",
            dependencies=[INCIDENT_READS])
def items(
    request: Request, collection_id: str, session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
    bbox: str | None = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    datetime_: Annotated[str | None, Query(alias="datetime")] = None,
    limit: Annotated[int, Query(ge=1, description="Features per page; above 10,000 is served as 10,000 "
                                                  "(OGC: a server clamps, it does not refuse)")] = 100,
    after: Annotated[int | None, Query(ge=0, description="Cursor: the last id of the previous page")] = None,
    crs: str | None = None,
    category: Annotated[list[str] | None, Query()] = None,
    f: str | None = None,
) -> Response:
    coll = service.collection_for(collection_id, principal)
    limit = min(limit, MAX_LIMIT)
    srid = service.crs_srid(crs)
    box = _bbox(bbox, bbox_crs, settings)
    start, end = service.parse_datetime(datetime_)
    instant = start if start is not None and start == end else None
    if coll.id == "incidents":
        flt = build_filter(session, bbox=box, start=None if instant else start, categories=category,
                           end=None if instant else (end if end is None else _inclusive(end)), viewer=principal)
        page = service.incident_items(session, flt, limit=limit, after=after, srid=srid, instant=instant)
    elif coll.id == "places":
        page = service.place_items(session, bbox=box, srid=srid, limit=limit, after=after)
    else:
        page = service.hotspot_items(session, bbox=box, start=start, end=end, limit=limit, after=after,
                                     to_srid=_sweref_feature if srid == 3006 else (lambda x: x))
    if _wants_html(request, f):
        return _html(coll.title, {"numberMatched": page.matched, "numberReturned": page.returned,
                                  "features": [f["properties"] | {"id": f.get("id")}
                                               for f in orjson.loads(page.features_json)],
                                  "links": _links(request, page)})
    crs_uri = crs or CRS84
    return _collection_response(request, page, crs_uri)


def _inclusive(end: datetime) -> datetime:
    """OGC intervals include their end; our filter's end is exclusive, so add a microsecond."""
    from datetime import timedelta

    return end + timedelta(microseconds=1)


def _bbox(bbox: str | None, bbox_crs: str | None, settings: Any) -> tuple[float, float, float, float] | None:
    if not bbox:
        return None
    parts = bbox.split(",")
    if len(parts) == 6:  # with heights (min z, max z): the features have none, so they are ignored
        bbox = ",".join(parts[:2] + parts[3:5])
    if service.crs_srid(bbox_crs, "bbox-crs") == 3006:
        parts = bbox.split(",")
        try:
            x0, y0, x1, y1 = (float(p) for p in parts)
        except ValueError:
            raise InvalidInput("bbox needs four numbers", loc=("query", "bbox")) from None
        if not all(math.isfinite(v) for v in (x0, y0, x1, y1)) or x0 >= x1 or y0 >= y1:
            raise InvalidInput("bbox in EPSG:3006 needs four finite numbers, min before max (E, N, E, N)",
                               loc=("query", "bbox"))
        from geo.crs import to_wgs84

        lon, lat = to_wgs84([x0, x1], [y0, y1])
        return (float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1]))
    parsed = parse_bbox(bbox)
    return parsed.as_tuple() if parsed else None


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
    srid = service.crs_srid(crs)
    if coll.id == "incidents":
        feature = service.incident_item(session, feature_id, srid, principal)
    else:
        page = (service.place_items(session, bbox=None, srid=srid, limit=1, after=feature_id - 1)
                if coll.id == "places" else
                service.hotspot_items(session, bbox=None, start=None, end=None, limit=1, after=feature_id - 1,
                                      to_srid=_sweref_feature if srid == 3006 else (lambda x: x)))
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
    return _json(feature, GEOJSON, {"Content-Crs": f"<{crs or CRS84}>"})
