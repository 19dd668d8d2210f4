"""Place endpoints. Places are public; incident counts need a staff role."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response, status

from app.auth.roles import allowed
from app.auth.service import Principal
from app.deps import PrincipalDep, SessionDep, TimeRangeDep, require
from app.geojson import GeoJSONReply, feature_collection
from app.places import service
from app.places.schemas import PlaceCollection, PlaceCreate, PlaceFeature, PlaceUpdate

router = APIRouter(prefix="/places", tags=["places"])

Writer = Annotated[Principal, Depends(require("places:write"))]


@router.get("", summary="Places as GeoJSON; with incident counts for the time range when signed in",
            response_class=GeoJSONReply, response_model=None, responses={200: {"model": PlaceCollection}})
def list_places(session: SessionDep, principal: PrincipalDep, time: TimeRangeDep) -> Response:
    with_counts = allowed(principal.role if principal else None, "incidents:read")
    features = service.list_features(session, with_counts=with_counts, start=time.start, end=time.end)
    return feature_collection(features)


@router.get("/{place_id}", summary="One place as a GeoJSON Feature", response_model=None,
            responses={200: {"model": PlaceFeature}})
def get_place(place_id: int, session: SessionDep) -> dict[str, Any]:
    return service.get_feature(session, place_id)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a place (GeoJSON Feature or flat)",
             response_model=None, responses={201: {"model": PlaceFeature}})
def create_place(body: PlaceCreate, session: SessionDep, _: Writer, response: Response) -> dict[str, Any]:
    place_id = service.create(session, body)
    response.headers["Location"] = f"/api/v1/places/{place_id}"
    return service.get_feature(session, place_id)


@router.patch("/{place_id}", summary="Correct a place's geometry, score or labels", response_model=None,
              responses={200: {"model": PlaceFeature}})
def update_place(place_id: int, body: PlaceUpdate, session: SessionDep, _: Writer) -> dict[str, Any]:
    service.update(session, place_id, body)
    return service.get_feature(session, place_id)
