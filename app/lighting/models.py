"""Street lamps, street segments, and fault / dark-spot reports with their status history."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned


class Lamp(TenantOwned, Base):
    __tablename__ = "lamps"
    __table_args__ = (UniqueConstraint("municipality_code", "external_id", name="lamps_municipality_external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100))
    street: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="ok")
    source: Mapped[str] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))


class StreetSegment(TenantOwned, Base):
    __tablename__ = "street_segments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    street: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    geom: Mapped[WKBElement] = mapped_column(Geometry("LINESTRING", srid=4326, spatial_index=True))


class LightingReport(TenantOwned, Base):
    __tablename__ = "lighting_reports"
    __table_args__ = (CheckConstraint("located_by IN ('position', 'place', 'street')",
                                      name="lighting_report_located_by"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="reported")
    description: Mapped[str | None] = mapped_column(Text)
    reported_by: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(64), default="kommunen")
    lamp_id: Mapped[int | None] = mapped_column(ForeignKey("lamps.id", ondelete="SET NULL"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("street_segments.id", ondelete="SET NULL"))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    address: Mapped[str | None] = mapped_column(Text, doc="The address as the reporter gave it (Open311).")
    media_url: Mapped[str | None] = mapped_column(Text, doc="A photo's link (Open311 media_url).")
    located_by: Mapped[str] = mapped_column(String(16), server_default="position",
                                            doc="position: the reporter's; place or street: found from the address")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class LightingReportEvent(Base):
    __tablename__ = "lighting_report_events"
    __table_args__ = (Index("ix_lighting_report_events_report", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("lighting_reports.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    changed_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
