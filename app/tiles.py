"""Mapbox Vector Tiles from PostGIS (ST_AsMVT): incidents and hotspots for GIS clients and big maps."""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field
from sqlalchemy import text

from app.analysis import service as analysis
from app.analysis.schemas import ClusterParams, Scope
from app.auth.roles import allowed
from app.auth.service import Principal
from app.db import standby_read
from app.deps import SessionDep, TimeRangeDep, audit_read, require
from app.errors import Forbidden, NotFound
from app.incidents.service import build_filter

router = APIRouter(prefix="/tiles", tags=["vector tiles"])
MVT = "application/vnd.mapbox-vector-tile"
MAX_ZOOM = 22
Reader = Annotated[Principal, Depends(require("incidents:read"))]


def _check_tile(z: int, x: int, y: int) -> None:
    """A tile outside the zoom level's range does not exist: 404, as tile servers answer (a client
    asking past the edge of the world is not a malformed request)."""
    if z > MAX_ZOOM or not (0 <= x < 2**z and 0 <= y < 2**z):
        raise NotFound(f"tile {z}/{x}/{y} does not exist: zoom 0–{MAX_ZOOM}, x and y below 2^zoom", loc=("path", "x"),
                       sv=f"Rutan {z}/{x}/{y} finns inte: zoom 0–{MAX_ZOOM}, x och y under 2^zoom.")


def _tile_response(request: Request, body: bytes) -> Response:
    """The tile with a validator: a client (QGIS, MapLibre) that has it gets 304 and no body. The tag is
    the content's hash, so a changed dataset changes it; `private`, since the tiles hold staff data,
    and a short max-age so an edit shows within a minute."""
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": "private, max-age=60", "Vary": "Authorization, Cookie"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MVT, headers=headers)


@router.get("/{layer}/{z}/{x}/{y}.mvt", dependencies=[audit_read("incidents", only_if=("layer", "incidents"))],
            summary="A vector tile (EPSG:3857, extent 4096)",
            response_class=Response, responses={200: {"content": {MVT: {}}}})
@standby_read
def tile(request: Request, layer: Literal["incidents", "hotspots"], session: SessionDep, principal: Reader,
         time: TimeRangeDep, z: Annotated[int, Path(ge=0, description="zoom level, 0–22")],
         x: Annotated[int, Path(ge=0)], y: Annotated[int, Path(ge=0)],
         category: Annotated[list[str] | None, Query()] = None,
         hour: Annotated[list[Annotated[int, Field(ge=0, le=23)]] | None, Query(max_length=24)] = None,
         weekday: Annotated[list[Annotated[int, Field(ge=1, le=7)]] | None, Query(max_length=7)] = None) -> Response:
    _check_tile(z, x, y)
    if layer == "incidents":
        flt = build_filter(session, start=time.start, end=time.end, categories=category, viewer=principal,
                           hours=hour, weekdays=weekday)
        where, params = flt.where()
        body = session.execute(text(f"""
            WITH bounds AS (SELECT ST_TileEnvelope(:z, :x, :y) AS b3857,
                                   ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.02), 4326) AS b4326),
                 tile AS (SELECT ST_AsMVTGeom(ST_Transform(i.geom, 3857), bounds.b3857, 4096, 64, true) AS geom,
                                 i.id, i.category, to_char(i.occurred_at, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS occurred_at,
                                 i.location_precision
                          FROM incidents i, bounds WHERE i.geom && bounds.b4326 AND {where})
            SELECT ST_AsMVT(tile.*, 'incidents', 4096, 'geom', 'id') FROM tile"""),
            {**params, "z": z, "x": x, "y": y}).scalar_one()
    else:
        # Hotspots come from every unit's incidents: the same right as the analysis API, which reporters
        # (who see only their own unit's incidents) do not have.
        if not allowed(principal.role, "analysis:read"):
            raise Forbidden("hotspot tiles need the right to read analyses", loc=("path", "layer"),
                            sv="Hotspot-lagret kräver behörighet att läsa analyser.")
        collection = analysis.clusters(session, Scope(start=time.start, end=time.end), ClusterParams())
        features = [{"rank": f.properties.rank, "name": f.properties.name, "count": f.properties.count,
                     "geometry": f.geometry} for f in collection.features]
        body = session.execute(text("""
            WITH h AS (SELECT (f->>'rank')::int AS rank, f->>'name' AS name, (f->>'count')::int AS count,
                              ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(f->>'geometry'), 4326), 3857) AS geom
                       FROM json_array_elements(CAST(:features AS json)) f),
                 tile AS (SELECT ST_AsMVTGeom(h.geom, ST_TileEnvelope(:z, :x, :y), 4096, 64, true) AS geom,
                                 h.rank, h.name, h.count
                          FROM h WHERE h.geom && ST_TileEnvelope(:z, :x, :y))
            SELECT ST_AsMVT(tile.*, 'hotspots') FROM tile"""),
            {"features": orjson.dumps(features).decode(), "z": z, "x": x, "y": y}).scalar_one()
    return _tile_response(request, bytes(body or b""))
