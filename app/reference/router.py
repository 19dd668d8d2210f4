"""Reference data: categories and organisations (public, no personal data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from app.deps import SessionDep
from app.reference.models import Category, Organisation

router = APIRouter(tags=["reference"])


@router.get("/categories", summary="Event categories with Swedish and English labels")
def list_categories(session: SessionDep) -> list[dict[str, Any]]:
    rows = session.scalars(select(Category).order_by(Category.sort_order, Category.code))
    return [
        {"code": c.code, "label_sv": c.label_sv, "label_en": c.label_en, "group": c.group_code,
         "color": c.color, "near_repeat": c.near_repeat}
        for c in rows
    ]


@router.get("/organisations", summary="Reporting units and data sources")
def list_organisations(session: SessionDep) -> list[dict[str, Any]]:
    rows = session.scalars(select(Organisation).order_by(Organisation.code))
    return [{"code": o.code, "name": o.name, "kind": o.kind} for o in rows]
