"""Causes the ESM group records for a hotspot, and the interventions chosen against them (migration 0015)."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Column, Date, DateTime, ForeignKey, Integer, String, Table, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned


class HotspotCause(TenantOwned, Base):
    __tablename__ = "hotspot_causes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decided_on: Mapped[date] = mapped_column(Date)
    hotspot: Mapped[str] = mapped_column(String(200))
    geom: Mapped[WKBElement | None] = mapped_column(Geometry(srid=4326, spatial_index=False))
    factors: Mapped[list[str]] = mapped_column(ARRAY(String(200)), server_default="{}")
    cause: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


cause_interventions = Table(
    "cause_interventions", Base.metadata,
    Column("cause_id", ForeignKey("hotspot_causes.id", ondelete="CASCADE"), primary_key=True),
    Column("intervention_id", ForeignKey("interventions.id", ondelete="CASCADE"), primary_key=True),
)
