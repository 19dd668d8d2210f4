"""Analysis endpoints: parameters validated by the schemas, numbers computed in geo/."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.analysis import service
from app.analysis.schemas import (
    ClusterParams,
    DensityParams,
    EmergingParams,
    EvaluateParams,
    GiStarParams,
    NearRepeatParams,
    Scope,
)
from app.auth.service import Principal
from app.deps import SessionDep, require
from app.geojson import GEOJSON

router = APIRouter(prefix="/analysis", tags=["analysis"])

Analyst = Annotated[Principal, Depends(require("analysis:read"))]
ScopeQ = Annotated[Scope, Query()]
JSON = "application/json"


def _reply(body: bytes, media_type: str = JSON) -> Response:
    return Response(content=body, media_type=media_type)


@router.get("/clusters", summary="DBSCAN/HDBSCAN hotspot polygons with counts, categories, hours and trend",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def clusters(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[ClusterParams, Query()]) -> Response:
    return _reply(service.clusters(session, scope, params), GEOJSON)


@router.get("/gistar", summary="Getis-Ord Gi* grid cells with z, p and FDR-corrected classes",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def gistar(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[GiStarParams, Query()]) -> Response:
    return _reply(service.gistar(session, scope, params), GEOJSON)


@router.get("/density", summary="Kernel density surface (quartic) as grid values and a PNG overlay",
            response_class=Response)
def density(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[DensityParams, Query()]) -> Response:
    return _reply(service.density_surface(session, scope, params))


@router.get("/time-profile", summary="Hour-of-day × weekday counts (local time)", response_class=Response)
def time_profile(session: SessionDep, _: Analyst, scope: ScopeQ) -> Response:
    return _reply(service.time_profile(session, scope))


@router.get("/compare", summary="This period vs the previous one and the same period last year",
            response_class=Response)
def compare(session: SessionDep, _: Analyst, scope: ScopeQ) -> Response:
    return _reply(service.compare(session, scope))


@router.get("/emerging", summary="Emerging hot spot classes (Gi* per time slice + Mann-Kendall)",
            response_class=Response, responses={200: {"content": {GEOJSON: {}}}})
def emerging(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[EmergingParams, Query()]) -> Response:
    return _reply(service.emerging(session, scope, params), GEOJSON)


@router.get("/near-repeat", summary="Knox test: does risk stay elevated near recent events?",
            response_class=Response)
def near_repeat(session: SessionDep, _: Analyst, scope: ScopeQ,
                params: Annotated[NearRepeatParams, Query()]) -> Response:
    return _reply(service.near_repeat(session, scope, params))


@router.get("/evaluate", summary="Hit rate and PAI of a map built on the previous period, scored on this one",
            response_class=Response)
def evaluate(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[EvaluateParams, Query()]) -> Response:
    return _reply(service.evaluate(session, scope, params))
