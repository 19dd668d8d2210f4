"""Unit reports (rapporter): file, read, replace, and see who has not reported this period."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from app.auth.service import Principal
from app.deps import SessionDep, audit_read, require
from app.reports import service
from app.reports.schemas import ReportingStatus, UnitReportIn, UnitReportOut
from app.times import IsoDate

router = APIRouter(prefix="/reports", tags=["unit reports"])
Reader = Annotated[Principal, Depends(require("reports:read"))]
Writer = Annotated[Principal, Depends(require("reports:write"))]


@router.post("", status_code=status.HTTP_201_CREATED,
             summary="File a unit report (replaces this unit's report for the same period)",
             response_model=UnitReportOut)
def file_report(body: UnitReportIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    return service.get(session, service.save(session, body, principal), principal)


@router.get("", dependencies=[audit_read("unit_reports")],
            summary="Reports overlapping a date range; reporters see their own unit's only",
            response_model=list[UnitReportOut])
def list_reports(session: SessionDep, principal: Reader,
                 start: Annotated[IsoDate | None, Query(description="First day")] = None,
                 end: Annotated[IsoDate | None, Query(description="Last day")] = None) -> list[dict[str, Any]]:
    return service.get_all(session, principal, start=start, end=end)


@router.get("/status", dependencies=[audit_read("unit_reports")],
            summary="Which units have and have not reported for the period holding `day`",
            response_model=ReportingStatus)
def reporting_status(session: SessionDep, _: Reader,
                     day: Annotated[IsoDate | None, Query(description="Default: today")] = None) -> dict[str, Any]:
    return service.status(session, day)


@router.get("/{report_id}", dependencies=[audit_read("unit_reports")],
            summary="One report with its events and observations", response_model=UnitReportOut)
def get_report(report_id: int, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return service.get(session, report_id, principal)


@router.put("/{report_id}", summary="Replace a report's content", response_model=UnitReportOut)
def replace_report(report_id: int, body: UnitReportIn, session: SessionDep, principal: Writer) -> dict[str, Any]:
    return service.get(session, service.save(session, body, principal, report_id), principal)


@router.delete("/{report_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Withdraw a report and its events")
def delete_report(report_id: int, session: SessionDep, principal: Writer) -> None:
    service.delete(session, report_id, principal)
