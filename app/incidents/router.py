"""Incident endpoints: thin; validation in schemas, work in the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.auth.service import Principal
from app.db import standby_read
from app.deps import BBoxDep, SessionDep, SettingsDep, TimeRangeDep, audit_read, require
from app.geojson import GeoJSONReply, feature_collection, page_links
from app.incidents import service
from app.incidents.schemas import IncidentCollection, IncidentCreate, IncidentFeature, IncidentUpdate

router = APIRouter(prefix="/incidents", tags=["incidents"])

Reader = Annotated[Principal, Depends(require("incidents:read"))]
Creator = Annotated[Principal, Depends(require("incidents:create"))]
Editor = Annotated[Principal, Depends(require("incidents:edit"))]


@router.get("", dependencies=[audit_read("incidents")],
            summary="Incidents as a GeoJSON FeatureCollection, filtered and paged",
            response_class=GeoJSONReply, response_model=None, responses={200: {"model": IncidentCollection}})
@standby_read
def list_incidents(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: Reader,
    bbox: BBoxDep,
    time: TimeRangeDep,
    category: Annotated[
        list[str] | None, Query(description="Category codes or labels; repeat or comma-separate")
    ] = None,
    source: Annotated[list[str] | None, Query(description="Source organisation codes")] = None,
    place: Annotated[int | None, Query(description="Only incidents in this place")] = None,
    limit: Annotated[int, Query(ge=1, description="Page size")] = 1000,
    after: Annotated[int | None, Query(ge=0, description="Cursor: the last id of the previous page")] = None,
) -> Response:
    limit = min(limit, settings.page_limit_max)
    flt = service.build_filter(
        session, bbox=bbox.as_tuple() if bbox else None,
        start=time.start, end=time.end, categories=category, sources=source, place_id=place, viewer=principal,
    )
    page = service.list_page(session, flt, limit=limit, after=after)
    return feature_collection(
        page.features_json,
        numberReturned=page.returned,
        links=page_links(request, next_after=page.last_id if page.has_more else None),
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Report an incident (lon/lat or GeoJSON Feature)",
             response_model=None, responses={201: {"model": IncidentFeature}})
def create_incident(
    body: IncidentCreate, session: SessionDep, principal: Creator, response: Response
) -> dict[str, Any]:
    incident_id = service.create(session, body, principal)
    response.headers["Location"] = f"/api/v1/incidents/{incident_id}"
    return service.get_feature(session, incident_id)


@router.get("/{incident_id}", dependencies=[audit_read("incidents")],
            summary="One incident as a GeoJSON Feature", response_model=None,
            responses={200: {"model": IncidentFeature}})
def get_incident(incident_id: int, session: SessionDep, principal: Reader) -> dict[str, Any]:
    return service.get_feature(session, incident_id, principal)


@router.patch("/{incident_id}", summary="Change some fields of an incident", response_model=None,
              responses={200: {"model": IncidentFeature}})
def update_incident(incident_id: int, body: IncidentUpdate, session: SessionDep, _: Editor) -> dict[str, Any]:
    service.update(session, incident_id, body)
    return service.get_feature(session, incident_id)


@router.delete("/{incident_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an incident")
def delete_incident(incident_id: int, session: SessionDep, _: Editor) -> Response:
    service.delete(session, incident_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
