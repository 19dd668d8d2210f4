"""Interventions (insatser) and their follow-up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, status

from app.auth.service import Principal
from app.deps import SessionDep, require
from app.interventions import service
from app.interventions.schemas import (
    FollowUp,
    InterventionCollection,
    InterventionFeature,
    InterventionIn,
    InterventionStatusIn,
)

router = APIRouter(prefix="/interventions", tags=["interventions"])
Reader = Annotated[Principal, Depends(require("interventions:read"))]
Writer = Annotated[Principal, Depends(require("interventions:write"))]

EXAMPLE = {"title": "Förstärkt belysning Järnvägsparken", "kind": "lighting", "organisation": "service_teknik",
           "place_id": 5, "start_date": "2025-10-01", "end_date": None, "buffer_m": 200, "notes": "Nya armaturer"}


@router.post("", status_code=status.HTTP_201_CREATED, summary="Register an intervention (place or drawn polygon)",
             response_model=InterventionFeature)
def create(session: SessionDep, principal: Writer,
           body: Annotated[InterventionIn, Body(examples=[EXAMPLE])]) -> dict[str, Any]:
    return service.get(session, service.create(session, body.model_dump(mode="json"), principal.name))


@router.get("", summary="Interventions as GeoJSON, newest first", response_model=InterventionCollection)
def list_all(session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.get_all(session)


@router.get("/{intervention_id}", summary="One intervention", response_model=InterventionFeature)
def get_one(intervention_id: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.get(session, intervention_id)


@router.post("/{intervention_id}/status", summary="Set status (planned, active, completed, cancelled) and notes",
             response_model=InterventionFeature)
def set_status(intervention_id: int, session: SessionDep, _: Writer,
               body: Annotated[InterventionStatusIn, Body(examples=[{"status": "completed", "notes": "Klart"}])]
               ) -> dict[str, Any]:
    service.set_status(session, intervention_id, body.status, body.notes)
    return service.get(session, intervention_id)


@router.get("/{intervention_id}/follow-up", summary="Before/after in target, buffer and control, with the WDQ",
            response_model=FollowUp)
def follow_up(intervention_id: int, session: SessionDep, _: Reader,
              days: Annotated[int | None, Query(ge=7, le=730, description="Length of each period")] = None,
              category: Annotated[list[str] | None, Query()] = None) -> dict[str, Any]:
    return service.follow_up(session, intervention_id, days=days, categories=category)
