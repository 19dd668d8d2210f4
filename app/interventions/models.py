"""Interventions (insatser): what the ESM group decided to do where, and the area compared against."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned

INTERVENTION_KINDS = ("patrol", "lighting", "vegetation", "cleaning", "cameras", "youth_workers", "other")
INTERVENTION_STATUSES = ("planned", "active", "completed", "cancelled")


class Intervention(TenantOwned, Base):
    __tablename__ = "interventions"
    __table_args__ = (
        CheckConstraint("buffer_m >= 25 AND buffer_m <= 2000", name="intervention_buffer"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="intervention_dates"),
        CheckConstraint("kind IN ('patrol', 'lighting', 'vegetation', 'cleaning', 'cameras', 'youth_workers', "
                        "'other')", name="intervention_kind"),
        CheckConstraint("status IN ('planned', 'active', 'completed', 'cancelled')", name="intervention_status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    target: Mapped[WKBElement] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False,
                                                        nullable=False))
    control: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
                                                       doc="Comparison area; default a ring around the target")
    buffer_m: Mapped[int] = mapped_column(Integer, server_default=text("200"),
                                          doc="Width of the displacement ring around the target")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'planned'"))
    notes: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200), doc="The person who answers for it")
    due_date: Mapped[date | None] = mapped_column(Date, doc="When it should be done")
    decided_on: Mapped[date | None] = mapped_column(Date, doc="The ESM meeting that decided it")
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
