"""Lighting endpoints (/api/v1/lighting): lamps, streets, fault reports and the relighting work list."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Response, UploadFile, status

from app.auth.service import Principal, writing_unit
from app.deps import SessionDep, audit_read, require
from app.errors import InvalidInput
from app.exports.service import excel_csv
from app.imports.readers import parse_json
from app.lighting import service
from app.lighting.schemas import LightingReportFeature, ReportCreate, StatusChange, WorkItem

router = APIRouter(prefix="/lighting", tags=["lighting"])

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
