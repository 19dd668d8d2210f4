"""Downloads: incidents (any filter) and analysis layers as GeoPackage, Excel (.xlsx), CSV or GeoJSON."""

from __future__ import annotations

from typing import Annotated, Literal

import orjson
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
Format = Literal["gpkg", "xlsx", "csv", "geojson"]
MEDIA = {"gpkg": "application/geopackage+sqlite3", "csv": "text/csv; charset=utf-8", "geojson": GEOJSON,
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# the .xlsx columns: the time as an Excel date-time in local time, coordinates and ids as numbers
XLSX_COLUMNS_SV = {**service.INCIDENT_COLUMNS_SV, "occurred_at": "tidpunkt"}
Reader = Annotated[Principal, Depends(require("incidents:read"))]
Analyst = Annotated[Principal, Depends(require("analysis:read"))]


def _download(body: bytes, name: str, fmt: Format) -> Response:
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@router.get("/incidents.{fmt}", dependencies=[audit_read("incidents")],
            summary="Incidents matching the filter as GeoPackage, Excel (.xlsx), Excel CSV or GeoJSON")
def export_incidents(fmt: Format, session: SessionDep, principal: Reader, bbox: BBoxDep, time: TimeRangeDep,
                     category: Annotated[list[str] | None, Query()] = None,
                     source: Annotated[list[str] | None, Query()] = None,
                     place: int | None = None) -> Response:
    flt = build_filter(session, bbox=bbox.as_tuple() if bbox else None, start=time.start, end=time.end,
                       categories=category, sources=source, place_id=place, viewer=principal)
    frame = service.incident_frame(session, flt)
    if fmt == "csv":
        return _download(service.excel_csv(frame.drop(columns="occurred_at"), service.INCIDENT_COLUMNS_SV),
                         "handelser", fmt)
    if fmt == "xlsx":
        table = frame.drop(columns="occurred_local")[[c for c in XLSX_COLUMNS_SV if c != "occurred_local"]]
        return _download(service.excel_workbook(table, "Händelser", XLSX_COLUMNS_SV), "handelser", fmt)
    # GIS formats: the time as a real date-time (UTC), not the local text the spreadsheets get
    gdf = service.incidents_geodataframe(frame.drop(columns=["occurred_local"]))
    if fmt == "gpkg":
        return _download(service.geopackage(gdf, "handelser"), "handelser", fmt)
    gdf["occurred_at"] = gdf["occurred_at"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")  # RFC 3339 (the frame's is UTC)
    collection = gdf.drop(columns=["lat", "lon"]).set_index("id").to_geo_dict(drop_id=False)
    for feature in collection["features"]:  # geopandas writes the index as text; the id is a number
        feature["id"] = int(feature["id"])
    return _download(orjson.dumps(collection), "handelser", fmt)


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
    if fmt == "xlsx":
        return _download(service.excel_workbook(table, layer), layer, fmt)
    return _download(service.excel_csv(table), layer, fmt)
