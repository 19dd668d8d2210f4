"""Downloads: incidents (any filter) and analysis layers as GeoPackage, CSV or GeoJSON."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from app.analysis import service as analysis
from app.analysis.results import Result
from app.analysis.schemas import ClusterParams, EmergingParams, GiStarParams, Scope
from app.auth.service import Principal
from app.deps import BBoxDep, SessionDep, TimeRangeDep, audit_read, require
from app.exports import service
from app.geojson import GEOJSON
from app.incidents.service import build_filter

router = APIRouter(prefix="/exports", tags=["exports"])
Format = Literal["gpkg", "csv", "geojson"]
MEDIA = {"gpkg": "application/geopackage+sqlite3", "csv": "text/csv; charset=utf-8", "geojson": GEOJSON}
Reader = Annotated[Principal, Depends(require("incidents:read"))]
Analyst = Annotated[Principal, Depends(require("analysis:read"))]


def _download(body: bytes, name: str, fmt: Format) -> Response:
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/incidents.{fmt}", dependencies=[audit_read("incidents")],
            summary="Incidents matching the filter as GeoPackage, Excel CSV or GeoJSON")
def export_incidents(fmt: Format, session: SessionDep, principal: Reader, bbox: BBoxDep, time: TimeRangeDep,
                     category: Annotated[list[str] | None, Query()] = None,
                     source: Annotated[list[str] | None, Query()] = None,
                     place: int | None = None) -> Response:
    flt = build_filter(session, bbox=bbox.as_tuple() if bbox else None, start=time.start, end=time.end,
                       categories=category, sources=source, place_id=place, viewer=principal)
    frame = service.incident_frame(session, flt)
    if fmt == "csv":
        return _download(service.excel_csv(frame, service.INCIDENT_COLUMNS_SV), "handelser", fmt)
    gdf = service.incidents_geodataframe(frame.drop(columns=["lat", "lon"]).assign(lat=frame["lat"], lon=frame["lon"]))
    if fmt == "gpkg":
        return _download(service.geopackage(gdf, "handelser"), "handelser", fmt)
    return _download(gdf.drop(columns=["lat", "lon"]).to_json(drop_id=True).encode(), "handelser", fmt)


@router.get("/analysis/{layer}.{fmt}", summary="An analysis layer (clusters, gistar, emerging) for download")
def export_analysis(layer: Literal["clusters", "gistar", "emerging"], fmt: Format, session: SessionDep,
                    _: Analyst, scope: Annotated[Scope, Query()]) -> Response:
    result: Result
    if layer == "clusters":
        result = analysis.clusters(session, scope, ClusterParams())
    elif layer == "gistar":
        result = analysis.gistar(session, scope, GiStarParams(only_significant=True))
    else:
        result = analysis.emerging(session, scope, EmergingParams())
    if fmt == "geojson":
        return _download(result.to_json(), layer, fmt)
    gdf = service.collection_geodataframe(result.model_dump(by_alias=True))
    if fmt == "gpkg":
        return _download(service.geopackage(gdf, layer), layer, fmt)
    table = gdf.assign(wkt=gdf.geometry.to_wkt()).drop(columns="geometry")
    return _download(service.excel_csv(table), layer, fmt)
