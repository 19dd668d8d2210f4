"""Lighting endpoints (/api/v1/lighting) and an Open311 GeoReport v2 endpoint set (/open311/v2)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status
from sqlalchemy import text

from app.auth.roles import allowed
from app.auth.service import Principal, authenticate, writing_unit
from app.config import get_settings
from app.deps import PrincipalDep, SessionDep, audit_read, require
from app.errors import InvalidInput, NotFound
from app.exports.service import excel_csv
from app.imports.readers import parse_json
from app.lighting import service
from app.lighting.schemas import LightingReportFeature, ReportCreate, StatusChange, WorkItem

router = APIRouter(prefix="/lighting", tags=["lighting"])
open311 = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])

Reader = Annotated[Principal, Depends(require("lighting:read"))]
Writer = Annotated[Principal, Depends(require("lighting:write"))]
Reporter = Annotated[Principal, Depends(require("lighting:report"))]


@router.post("/lamps/import", summary="Import street lamps (CSV or GeoJSON points); re-import updates")
def import_lamps(session: SessionDep, _: Writer, file: Annotated[UploadFile, File()],
                 source: Annotated[str, Form()] = "service_teknik") -> dict[str, int]:
    return service.import_lamps(session, file.file, file.filename or "lamps", source)


@router.post("/streets/import", summary="Import a street network (GeoJSON lines), split into ≤100 m segments")
def import_streets(session: SessionDep, _: Writer, file: Annotated[UploadFile, File()],
                   source: Annotated[str, Form()] = "service_teknik") -> dict[str, int]:
    return service.import_streets(session, parse_json(file.file.read()), source)


@router.post("/reports", status_code=status.HTTP_201_CREATED, summary="Report a lamp fault or a dark place",
             response_model=LightingReportFeature)
def create_report(body: ReportCreate, session: SessionDep, principal: Reporter) -> dict[str, Any]:
    report_id = service.create_report(session, kind=body.kind, lon=body.lon, lat=body.lat,
                                      description=body.description, reported_by=principal.name,
                                      source=writing_unit(session, principal, None, ("body",)),
                                      lamp_external_id=body.lamp_id)
    return service.report_feature(session, report_id)


@router.get("/reports/{report_id}", dependencies=[audit_read("lighting_reports")],
            summary="A report with its status history", response_model=LightingReportFeature)
def get_report(report_id: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.report_feature(session, report_id)


@router.post("/reports/{report_id}/status", summary="Move a report one step: confirmed, scheduled, fixed, rejected",
             response_model=LightingReportFeature)
def change_status(report_id: int, body: StatusChange, session: SessionDep, principal: Writer) -> dict[str, Any]:
    service.change_status(session, report_id, body.status, principal.name, body.note)
    return service.report_feature(session, report_id)


@router.get("/worklist", summary="Street segments ranked by relighting priority, with each component",
            response_model=list[WorkItem])
def work_list(session: SessionDep, _: Reader, days: int = 365, limit: int = 100) -> list[dict[str, Any]]:
    if not 1 <= days <= 3650 or not 1 <= limit <= 5000:
        raise InvalidInput("days must be 1–3650 and limit 1–5000", loc=("query", "days"))
    return service.work_list(session, days=days, limit=limit)


@router.get("/worklist.csv", summary="The work list for Excel (semicolon, UTF-8 with BOM, Swedish headers)")
def work_list_csv(session: SessionDep, _: Reader, days: int = 365) -> Response:
    rows = service.work_list(session, days=days, limit=5000)
    frame = pd.DataFrame([{
        "rang": r["rank"], "gata": r["street"], "segment": r["segment_id"], "längd_m": r["length_m"],
        "prioritet": r["priority"], "händelser_i_mörker": r["components"]["dark_incidents"],
        "händelser_i_dagsljus": r["components"]["daylight_incidents"],
        "öppna_lampfel": r["components"]["open_faults"], "mörka_platser": r["components"]["dark_spots"],
        "otrygghet_närmaste_plats": r["components"]["unsafety"]} for r in rows])
    return Response(excel_csv(frame), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="belysning-arbetslista.csv"'})


# -- Open311 GeoReport v2 -----------------------------------------------------------------------------------

SERVICES = [
    {"service_code": "streetlight", "service_name": "Trasig gatubelysning", "description":
     "En gatlykta lyser inte eller blinkar.", "metadata": False, "type": "realtime",
     "keywords": "belysning,lampa,gatlykta", "group": "Belysning"},
    {"service_code": "dark_place", "service_name": "Mörk plats", "description":
     "En plats som känns mörk och otrygg och behöver bättre belysning.", "metadata": False, "type": "realtime",
     "keywords": "mörker,otrygghet", "group": "Belysning"},
]
KIND_FOR_SERVICE = {"streetlight": "fault", "dark_place": "dark_spot"}
SERVICE_FOR_KIND = {v: k for k, v in KIND_FOR_SERVICE.items()}
OPEN311_STATUS = {"reported": "open", "confirmed": "open", "scheduled": "open", "fixed": "closed", "rejected": "closed"}


def _open311_request(row: Any, principal: Principal | None) -> dict[str, Any]:
    """A request as GeoReport v2 lists it. The reporter's free text can name people and homes ("dark
    outside my door at …"), so only staff who may read lighting reports see it; the public gets the
    kind, status, time and street position."""
    staff = principal is not None and allowed(principal.role, "lighting:read")
    lat, lon, created, updated = row.lat, row.lon, row.created_at, row.updated_at
    if not staff:  # as the public cells: a 250 m square's centre and the day, not a doorstep and a second
        lat, lon = _snap(lat, lon)
        created, updated = (t.replace(hour=0, minute=0, second=0, microsecond=0) for t in (
            created.astimezone(_zone()), updated.astimezone(_zone())))
    return {"service_request_id": str(row.id), "status": OPEN311_STATUS[row.status],
            "status_notes": service.STATUS_SV[row.status], "service_name": service.KIND_SV[row.kind],
            "service_code": SERVICE_FOR_KIND[row.kind], "description": row.description if staff else None,
            "requested_datetime": created.isoformat(), "updated_datetime": updated.isoformat(),
            "lat": lat, "long": lon, "address": row.street}


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_settings().timezone)


def _snap(lat: float, lon: float, cell: float = 250.0) -> tuple[float, float]:
    """The centre of the 250 m SWEREF 99 TM square holding the point."""
    from geo.crs import to_sweref, to_wgs84

    x, y = to_sweref([lon], [lat])
    cx, cy = (math.floor(x[0] / cell) + 0.5) * cell, (math.floor(y[0] / cell) + 0.5) * cell
    slon, slat = to_wgs84([cx], [cy])
    return round(float(slat[0]), 5), round(float(slon[0]), 5)


_REQUEST_SQL = """SELECT r.id, r.kind, r.status, r.description, r.created_at, r.updated_at,
    ST_Y(r.geom) AS lat, ST_X(r.geom) AS lon, s.street
    FROM lighting_reports r LEFT JOIN street_segments s ON s.id = r.segment_id"""


@open311.get("/services.json", summary="Service types accepted (lamp faults, dark places)")
def services() -> list[dict[str, Any]]:
    return SERVICES


@open311.post("/requests.json", summary="Create a service request (form-encoded, as GeoReport v2 clients send)")
def create_request(request: Request, session: SessionDep, service_code: Annotated[str, Form()],
                   lat: Annotated[float, Form()], long: Annotated[float, Form()],
                   description: Annotated[str | None, Form()] = None,
                   api_key: Annotated[str | None, Form()] = None) -> list[dict[str, Any]]:
    token = api_key or request.headers.get("x-api-key") or ""
    principal = authenticate(session, token) if token else None
    if principal is None or not allowed(principal.role, "lighting:report"):
        from fastapi import HTTPException

        raise HTTPException(403, "a valid api_key with a reporting role is needed")
    if service_code not in KIND_FOR_SERVICE:
        raise InvalidInput(f"unknown service_code {service_code!r}; services: {', '.join(KIND_FOR_SERVICE)}",
                           loc=("body", "service_code"))
    report_id = service.create_report(session, kind=KIND_FOR_SERVICE[service_code], lon=long, lat=lat,
                                      description=description, reported_by=f"open311:{principal.name}",
                                      source=principal.organisation or "allmanheten")
    return [{"service_request_id": str(report_id), "service_notice": "Tack! Felanmälan är mottagen."}]


@open311.get("/requests.json", dependencies=[audit_read("lighting_reports")], summary="Service requests, newest first")
def list_requests(session: SessionDep, principal: PrincipalDep, status: Literal["open", "closed"] | None = None,
                  service_code: str | None = None) -> list[dict[str, Any]]:
    rows = session.execute(text(_REQUEST_SQL + " ORDER BY r.id DESC LIMIT 1000")).all()
    out = [_open311_request(r, principal) for r in rows]
    return [r for r in out if (status is None or r["status"] == status)
            and (service_code is None or r["service_code"] == service_code)]


@open311.get("/requests/{request_id}.json", dependencies=[audit_read("lighting_reports")],
             summary="One service request")
def get_request(request_id: int, session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    row = session.execute(text(_REQUEST_SQL + " WHERE r.id = :id"), {"id": request_id}).first()
    if row is None:
        raise NotFound(f"service request {request_id} does not exist", loc=("path", "request_id"))
    return [_open311_request(row, principal)]
