"""Patrol plan for police planners: JSON for tools, a printable Swedish sheet (HTML/PDF) for the shift."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.analysis.schemas import HOTSPOT_DAYS
from app.auth.service import Principal
from app.deps import SessionDep, require
from app.patrol import service
from app.times import IsoDate

router = APIRouter(tags=["patrol"])
Planner = Annotated[Principal, Depends(require("analysis:read"))]


@router.get("/patrol-plan", summary="Hotspots × shifts for the coming period, ranked, with dosage and evidence")
def patrol_plan(session: SessionDep, _: Planner, start: IsoDate | None = None,
                days: Annotated[int, Query(ge=1, le=60)] = 14,
                shifts: Annotated[str | None, Query(description="e.g. dag:07-15,kväll:15-23,natt:23-07")] = None,
                history_days: Annotated[int, Query(ge=28, le=730)] = HOTSPOT_DAYS,
                category: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    return service.patrol_plan(session, start=start, days=days, shifts=shifts, history_days=history_days,
                               category=category)
