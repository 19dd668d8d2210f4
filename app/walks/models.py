"""Safety walks (trygghetsvandringar) and what they found, each finding with an owner and a deadline."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned

FINDING_KINDS = ("dark_place", "vegetation", "damage", "other")
FINDING_PRIORITIES = ("high", "medium", "low")
FINDING_STATUSES = ("open", "in_progress", "done", "converted")


class SafetyWalk(TenantOwned, Base):
    __tablename__ = "safety_walks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walked_on: Mapped[date] = mapped_column(Date)
    area: Mapped[str] = mapped_column(String(200))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    route: Mapped[WKBElement | None] = mapped_column(Geometry(srid=4326, spatial_index=False))
    organisation: Mapped[str] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    participants: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WalkFinding(Base):
    __tablename__ = "walk_findings"
    __table_args__ = (
        CheckConstraint("kind IN ('dark_place', 'vegetation', 'damage', 'other')", name="finding_kind"),
        CheckConstraint("length(description) BETWEEN 1 AND 4000", name="finding_description"),
        CheckConstraint("priority IN ('high', 'medium', 'low')", name="finding_priority"),
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'converted')", name="finding_status"),
        Index("walk_findings_walk", "walk_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    walk_id: Mapped[int] = mapped_column(ForeignKey("safety_walks.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False, nullable=False))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    priority: Mapped[str] = mapped_column(String(8), server_default=text("'medium'"))
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'open'"))
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_type: Mapped[str | None] = mapped_column(String(32))
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("interventions.id", ondelete="SET NULL"))
    lighting_report_id: Mapped[int | None] = mapped_column(ForeignKey("lighting_reports.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
