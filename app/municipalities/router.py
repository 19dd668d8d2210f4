"""The municipalities a caller sees (their own, or each of their county's)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth.service import Principal
from app.deps import SessionDep, require
from app.municipalities import service
from app.municipalities.schemas import MunicipalityOut

router = APIRouter(prefix="/municipalities", tags=["municipalities"])


@router.get("", response_model=list[MunicipalityOut], summary="The municipalities whose data you see")
def municipalities(session: SessionDep,
                   _: Annotated[Principal, Depends(require("incidents:read"))]) -> list[MunicipalityOut]:
    return service.visible(session)
