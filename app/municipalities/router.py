"""The municipalities a caller sees (their own, or each of their county's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth.service import Principal
from app.deps import SessionDep, TimeRangeDep, require
from app.errors import InvalidInput
from app.municipalities import service
from app.municipalities.schemas import MunicipalityComparison, MunicipalityOut

router = APIRouter(prefix="/municipalities", tags=["municipalities"])


@router.get("", response_model=list[MunicipalityOut], summary="The municipalities whose data you see")
def municipalities(session: SessionDep,
                   _: Annotated[Principal, Depends(require("incidents:read"))]) -> list[MunicipalityOut]:
    return service.visible(session)


@router.get("/comparison", response_model=MunicipalityComparison,
            summary="Each municipality you see: incidents in the period against the period before, per 100,000")
def comparison(session: SessionDep, _: Annotated[Principal, Depends(require("analysis:read"))],
               time: TimeRangeDep) -> MunicipalityComparison:
    """Without start and end: the last 28 days against the 28 before."""
    end = time.end or datetime.now(UTC)
    start = time.start or end - timedelta(days=28)
    if start >= end:
        raise InvalidInput("start must be before end", loc=("query", "start"), sv="Start måste vara före slut.")
    return service.compare(session, start, end)
