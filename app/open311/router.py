"""Open311 GeoReport v2 endpoints under /open311/v2, each in .json or .xml (the work: service.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Form, HTTPException, Path, Request, Response

from app.auth.roles import allowed
from app.auth.service import authenticate
from app.db import act_as
from app.deps import PrincipalDep, SessionDep, audit_read
from app.open311 import service

router = APIRouter(prefix="/open311/v2", tags=["Open311 GeoReport v2"])
Fmt = Literal["json", "xml"]
FormatPath = Annotated[Fmt, Path(description="json or xml")]
CHANGESET = datetime(2026, 11, 30, tzinfo=UTC)  # when this endpoint's interface last changed


def _reply(body: Any, fmt: Fmt, root: str, status_code: int = 200) -> Response:
    if fmt == "xml":
        return Response(service.to_xml(root, body), status_code=status_code, media_type="text/xml; charset=utf-8")
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


@router.get("/discovery.{fmt}", summary="Where the endpoint is, in which formats (GeoReport v2 discovery)")
def discovery(request: Request, fmt: FormatPath) -> Response:
    base = str(request.base_url).rstrip("/") + "/open311/v2/"
    return _reply(service.discovery(base, CHANGESET), fmt, "discovery")


@router.get("/services.{fmt}", summary="Service types accepted (lamp faults, dark places)")
def services(fmt: FormatPath, jurisdiction_id: str | None = None) -> Response:
    return _reply(service.SERVICES, fmt, "services")


@router.get("/services/{service_code}.{fmt}", summary="A service's extra questions (none here: metadata false)")
def service_definition(service_code: str, fmt: FormatPath, jurisdiction_id: str | None = None) -> Response:
    return _reply(service.service_definition(service_code), fmt, "service_definition")


@router.post("/requests.{fmt}", summary="Create a service request (form-encoded, as GeoReport v2 clients send)")
def create_request(
    request: Request, session: SessionDep, fmt: FormatPath,
    service_code: Annotated[str, Form()],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=300)] = None,
    address_id: Annotated[str | None, Form(max_length=100)] = None,
    description: Annotated[str | None, Form(max_length=4000)] = None,
    media_url: Annotated[str | None, Form(max_length=1000)] = None,
    api_key: Annotated[str | None, Form()] = None,
    # accepted as the spec defines them, never stored: a fault report needs no name, e-mail or phone
    email: Annotated[str | None, Form()] = None, device_id: Annotated[str | None, Form()] = None,
    account_id: Annotated[str | None, Form()] = None, first_name: Annotated[str | None, Form()] = None,
    last_name: Annotated[str | None, Form()] = None, phone: Annotated[str | None, Form()] = None,
    jurisdiction_id: Annotated[str | None, Form()] = None,
) -> Response:
    token = api_key or request.headers.get("x-api-key") or ""
    principal = authenticate(session, token) if token else None
    if principal is None or not allowed(principal.role, "lighting:report"):
        raise HTTPException(403, "a valid api_key with a reporting role is needed")
    act_as(session, principal.db_role)
    created = service.create_request(session, principal, service_code=service_code, lat=lat, long=long,
                                     address_string=address_string, address_id=address_id,
                                     description=description, media_url=media_url)
    return _reply(created, fmt, "service_requests")


@router.get("/requests.{fmt}", dependencies=[audit_read("lighting_reports")],
            summary="Service requests, newest first (the last 90 days unless dates are given; at most 1,000)")
def list_requests(
    session: SessionDep, principal: PrincipalDep, fmt: FormatPath,
    service_request_id: str | None = None, service_code: str | None = None,
    start_date: str | None = None, end_date: str | None = None, status: str | None = None,
    jurisdiction_id: str | None = None,
) -> Response:
    found = service.list_requests(session, principal, service_request_id=service_request_id,
                                  service_code=service_code, start_date=start_date, end_date=end_date, status=status)
    return _reply(found, fmt, "service_requests")


@router.get("/requests/{request_id}.{fmt}", dependencies=[audit_read("lighting_reports")],
            summary="One service request")
def get_request(request_id: Annotated[int, Path(ge=1, le=2_147_483_647)], fmt: FormatPath, session: SessionDep,
                principal: PrincipalDep) -> Response:
    return _reply(service.one_request(session, principal, request_id), fmt, "service_requests")
