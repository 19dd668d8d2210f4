"""Citizen promises (medborgarlöften) and their half-year follow-up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, status

from app.auth.service import Principal
from app.deps import SessionDep, require
from app.promises import service
from app.promises.schemas import PromiseFollowUp, PromiseIn, PromiseOut

router = APIRouter(prefix="/promises", tags=["citizen promises"])
Reader = Annotated[Principal, Depends(require("promises:read"))]
Writer = Annotated[Principal, Depends(require("promises:write"))]

EXAMPLE = {"title": "Tryggare kvällar vid Resecentrum", "description": "Polisen och kommunen lovar ...",
           "period_start": "2026-01-01", "period_end": "2026-12-31", "categories": ["narkotika", "vald"],
           "place_ids": [1], "intervention_ids": []}


@router.post("", status_code=status.HTTP_201_CREATED, summary="Make a promise (places, categories, interventions)",
             response_model=PromiseOut)
def create(session: SessionDep, principal: Writer,
           body: Annotated[PromiseIn, Body(examples=[EXAMPLE])]) -> dict[str, Any]:
    return service.get(session, service.save(session, body.model_dump(mode="json"), principal.name))


@router.get("", summary="All promises, newest first", response_model=list[PromiseOut])
def list_all(session: SessionDep, _: Reader) -> list[dict[str, Any]]:
    return service.get_all(session)


@router.get("/{promise_id}", summary="One promise", response_model=PromiseOut)
def get_one(promise_id: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.get(session, promise_id)


@router.put("/{promise_id}", summary="Replace a promise", response_model=PromiseOut)
def replace(promise_id: int, session: SessionDep, principal: Writer,
            body: Annotated[PromiseIn, Body(examples=[EXAMPLE])]) -> dict[str, Any]:
    return service.get(session, service.save(session, body.model_dump(mode="json"), principal.name, promise_id))


@router.get("/{promise_id}/follow-up", summary="Half-year follow-up (also as a page: /medborgarloften/{id})",
            response_model=PromiseFollowUp)
def follow_up(promise_id: int, session: SessionDep, _: Reader,
              half: Annotated[str | None, Query(description="e.g. 2026H1; default: the last ended half-year",
                                                pattern=r"^\d{4}[Hh][12]$")] = None) -> dict[str, Any]:
    return service.follow_up(session, promise_id, half)
