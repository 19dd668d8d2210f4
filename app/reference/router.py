"""Reference data: categories and organisations (public, no personal data)."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import SessionDep
from app.reference import service
from app.reference.schemas import CategoryOut, OrganisationOut

router = APIRouter(tags=["reference"])


@router.get("/categories", summary="Event categories with Swedish and English labels")
def list_categories(session: SessionDep) -> list[CategoryOut]:
    return service.categories(session)


@router.get("/organisations", summary="Reporting units and data sources")
def list_organisations(session: SessionDep) -> list[OrganisationOut]:
    return service.organisations(session)
