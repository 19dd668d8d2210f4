"""Public, anonymised statistics (no token): aggregated cells only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.deps import SessionDep
from app.municipalities.service import public_view
from app.public import service

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/cells", summary="Incidents per 250 m cell for a month, quarter or year (suppressed below 5, rounded)")
def cells(session: SessionDep, period: str, group: str | None = None,
          municipality: Annotated[str | None, Query(description="SCB code; default the install's own")] = None,
          ) -> dict[str, Any]:
    return service.public_cells(session, period=period, group=group,
                                municipality=public_view(session, municipality))


@router.get("/groups", summary="Category groups usable in the public view")
def groups(session: SessionDep) -> list[str]:
    return service.groups(session)
