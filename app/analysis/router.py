"""Analysis endpoints: parameters validated by the schemas, numbers computed in geo/."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.analysis import service
from app.analysis.results import (
    Comparison,
    Density,
    Emerging,
    Evaluation,
    GiStar,
    Hotspots,
    NearRepeat,
    Result,
    RiskTerrain,
    TimeProfile,
)
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
from app.db import standby_read
from app.deps import SessionDep, require
from app.geojson import GEOJSON, GeoJSONReply

router = APIRouter(prefix="/analysis", tags=["analysis"])

Analyst = Annotated[Principal, Depends(require("analysis:read"))]
ScopeQ = Annotated[Scope, Query()]
JSON = "application/json"


def _reply(result: Result, media_type: str = JSON) -> Response:
    """The edge: the typed result serialised (once per cached result). The routes declare the result's
    model, so the OpenAPI document describes every body; the bytes bypass FastAPI's re-validation."""
    return Response(content=result.to_json(), media_type=media_type)


@router.get("/clusters", response_model=Hotspots,
            summary="DBSCAN/HDBSCAN hotspot polygons with counts, categories, hours and trend",
            response_class=GeoJSONReply)
@standby_read
def clusters(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[ClusterParams, Query()]) -> Response:
    return _reply(service.clusters(session, scope, params), GEOJSON)


@router.get("/gistar", response_model=GiStar,
            summary="Getis-Ord Gi* grid cells with z, p and FDR-corrected classes",
            response_class=GeoJSONReply)
@standby_read
def gistar(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[GiStarParams, Query()]) -> Response:
    return _reply(service.gistar(session, scope, params), GEOJSON)


@router.get("/density", response_model=Density,
            summary="Kernel density surface (quartic) as grid values and a PNG overlay")
@standby_read
def density(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[DensityParams, Query()]) -> Response:
    return _reply(service.density_surface(session, scope, params))


@router.get("/time-profile", response_model=TimeProfile,
            summary="Hour-of-day × weekday counts (local time)")
@standby_read
def time_profile(session: SessionDep, _: Analyst, scope: ScopeQ) -> Response:
    return _reply(service.time_profile(session, scope))


@router.get("/compare", response_model=Comparison,
            summary="This period vs the previous one and the same period last year")
@standby_read
def compare(session: SessionDep, _: Analyst, scope: ScopeQ) -> Response:
    return _reply(service.compare(session, scope))


@router.get("/emerging", response_model=Emerging,
            summary="Emerging hot spot classes (Gi* per time slice + Mann-Kendall)",
            response_class=GeoJSONReply)
@standby_read
def emerging(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[EmergingParams, Query()]) -> Response:
    return _reply(service.emerging(session, scope, params), GEOJSON)


@router.get("/risk-terrain", response_model=RiskTerrain,
            summary="Risk factors tested on 100 m cells (risk terrain model) and the relative-risk surface",
            response_class=GeoJSONReply)
@standby_read
def risk_terrain(session: SessionDep, _: Analyst, scope: ScopeQ) -> Response:
    return _reply(service.risk_terrain(session, scope), GEOJSON)


@router.get("/near-repeat", response_model=NearRepeat,
            summary="Knox test: does risk stay elevated near recent events?")
@standby_read
def near_repeat(session: SessionDep, _: Analyst, scope: ScopeQ,
                params: Annotated[NearRepeatParams, Query()]) -> Response:
    return _reply(service.near_repeat(session, scope, params))


@router.get("/evaluate", response_model=Evaluation,
            summary="Hit rate and PAI of a map built on the previous period, scored on this one")
@standby_read
def evaluate(session: SessionDep, _: Analyst, scope: ScopeQ, params: Annotated[EvaluateParams, Query()]) -> Response:
    return _reply(service.evaluate(session, scope, params))
