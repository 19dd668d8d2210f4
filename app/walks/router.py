"""Safety walks (trygghetsvandringar) and their findings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Response, UploadFile, status

from app.auth.service import Principal
from app.deps import SessionDep, audit_read, require
from app.walks import service
from app.walks.schemas import ConvertIn, ConvertOut, FindingIn, FindingStatusIn, WalkIn, WalkOut

router = APIRouter(prefix="/walks", tags=["safety walks"])
Reader = Annotated[Principal, Depends(require("walks:read"))]
Writer = Annotated[Principal, Depends(require("walks:write"))]

FINDING = {"kind": "dark_place", "lon": 15.1318, "lat": 58.3262, "description": "Trasig lampa i gångtunneln",
           "owner": "service_teknik", "priority": "high", "deadline": "2025-10-15"}
WALK = {"walked_on": "2025-09-18", "area": "Centrum – Resecentrum till Gästisparken", "place_id": 1,
        "participants": "Kommunen, polisen, Bostadsbolaget, 12 boende", "organisation": "kommunen",
        "findings": [FINDING]}


def _plain(body: WalkIn | FindingIn | ConvertIn) -> dict[str, Any]:
    """The service's rules read what the caller sent, with dates as ISO text."""
    return body.model_dump(mode="json", exclude_unset=True)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record a walk with its findings", response_model=WalkOut)
def create_walk(session: SessionDep, principal: Writer,
                body: Annotated[WalkIn, Body(examples=[WALK])]) -> dict[str, Any]:
    return service.get(session, service.create(session, _plain(body), principal))


@router.get("", dependencies=[audit_read("safety_walks")],
            summary="Walks with their findings, newest first", response_model=list[WalkOut])
def list_walks(session: SessionDep, _: Reader) -> list[dict[str, Any]]:
    return service.get_all(session)


@router.get("/{walk_id}", dependencies=[audit_read("safety_walks")],
            summary="One walk with its findings", response_model=WalkOut)
def get_walk(walk_id: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    return service.get(session, walk_id)


@router.post("/{walk_id}/findings", status_code=status.HTTP_201_CREATED, summary="Add a finding to a walk",
             response_model=WalkOut)
def add_finding(walk_id: int, session: SessionDep, _: Writer,
                body: Annotated[FindingIn, Body(examples=[FINDING])]) -> dict[str, Any]:
    service.add_finding(session, walk_id, _plain(body))
    return service.get(session, walk_id)


@router.post("/{walk_id}/findings/{finding_id}/status", summary="Set a finding's status (open, in_progress, done)",
             response_model=WalkOut)
def finding_status(walk_id: int, finding_id: int, session: SessionDep, _: Writer,
                   body: Annotated[FindingStatusIn, Body(examples=[{"status": "done"}])]) -> dict[str, Any]:
    service.set_status(session, walk_id, finding_id, body.status)
    return service.get(session, walk_id)


@router.post("/{walk_id}/findings/{finding_id}/convert",
             summary="Turn a finding into an intervention or a lighting fault, in one step", response_model=ConvertOut)
def convert_finding(walk_id: int, finding_id: int, session: SessionDep, principal: Writer,
                    body: Annotated[ConvertIn, Body(examples=[{"to": "lighting_fault"},
                                                                   {"to": "intervention", "radius_m": 60}])]
                    ) -> dict[str, Any]:
    return service.convert(session, walk_id, finding_id, _plain(body), principal)


@router.put("/{walk_id}/findings/{finding_id}/photo", status_code=status.HTTP_204_NO_CONTENT,
            summary="Attach a photo (JPEG or PNG, at most 5 MB)")
def put_photo(walk_id: int, finding_id: int, session: SessionDep, _: Writer,
              file: Annotated[UploadFile, File()]) -> None:
    data = file.file.read(service.MAX_PHOTO_BYTES + 1)
    service.store_photo(session, walk_id, finding_id, data)


@router.get("/{walk_id}/findings/{finding_id}/photo", dependencies=[audit_read("safety_walks")],
            summary="The finding's photo",
            response_class=Response, responses={200: {"content": {"image/jpeg": {}, "image/png": {}}}})
def get_photo(walk_id: int, finding_id: int, session: SessionDep, _: Reader) -> Response:
    data, media_type = service.photo(session, walk_id, finding_id)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})
