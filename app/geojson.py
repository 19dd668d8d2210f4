"""Small helpers for GeoJSON responses assembled from PostGIS text."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

import orjson
import shapely
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

GEOJSON = "application/geo+json"
P = TypeVar("P", bound=BaseModel)


def geometry_json(geom: shapely.Geometry, precision: int = 6) -> dict[str, Any]:
    """A shapely geometry as a GeoJSON geometry as RFC 7946 asks: coordinates to `precision` decimals
    and polygons wound right-hand (outer rings counter-clockwise, holes clockwise). Orienting comes
    last: set_precision rebuilds rings and may wind them either way."""
    fixed = shapely.orient_polygons(shapely.set_precision(geom, 10**-precision))
    result: dict[str, Any] = orjson.loads(shapely.to_geojson(fixed))
    return result


class Feature(BaseModel, Generic[P]):
    """A GeoJSON Feature (RFC 7946) with typed properties, as the API's schemas describe them."""

    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any] = Field(description="GeoJSON geometry, WGS84")
    properties: P


class FeatureCollection(BaseModel, Generic[P]):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature[P]]


class GeoJSONReply(JSONResponse):
    """A route's response class when it answers GeoJSON: the OpenAPI document lists the body's schema
    under application/geo+json. Routes that return a ready Response keep their bytes as they are."""

    media_type = GEOJSON


def page_links(request: Request, *, next_after: int | None) -> list[dict[str, str]]:
    links = [{"rel": "self", "href": str(request.url), "type": GEOJSON}]
    if next_after is not None:
        links.append({"rel": "next", "href": str(request.url.include_query_params(after=next_after)),
                      "type": GEOJSON})
    return links


def feature_collection(features_json: str, **members: Any) -> Response:
    """Wrap a JSON array of features (text from PostGIS) with extra top-level members, no re-parsing."""
    extra = orjson.dumps(members)[1:-1] if members else b""
    body = b'{"type":"FeatureCollection","features":' + features_json.encode() + (b"," + extra if extra else b"") + b"}"
    return Response(content=body, media_type=GEOJSON)
