"""Incidents: one event at a point in time and space, from one source."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

LOCATION_PRECISIONS = ("exact", "address", "street", "place", "area", "municipality")


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="incident_source_external_id"),
        CheckConstraint(
            "location_precision IN ('exact', 'address', 'street', 'place', 'area', 'municipality')",
            name="incident_location_precision",
        ),
        Index("ix_incidents_occurred_at", "occurred_at"),
        Index("ix_incidents_place_id", "place_id", postgresql_where=text("place_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True, nullable=False))
    # The four references below are enforced in the database by statement-level triggers (migration 0011),
    # not by foreign keys: the same rules, one check per statement instead of one per row.
    category: Mapped[str] = mapped_column(String(64), ForeignKey("categories.code", onupdate="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(String(64), ForeignKey("organisations.code", onupdate="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    location_precision: Mapped[str] = mapped_column(String(16), default="exact")
    precision_m: Mapped[int | None] = mapped_column(Integer, doc="Radius of uncertainty in metres.")
    description: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
