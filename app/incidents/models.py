"""Incidents: one event at a point in time and space, from one source."""

from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    Date,
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
from app.municipalities.models import TenantOwned

LOCATION_PRECISIONS = ("exact", "address", "street", "place", "area", "municipality")


class Incident(TenantOwned, Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("municipality_code", "source", "external_id", name="incident_municipality_source_external_id"),
        CheckConstraint(
            "location_precision IN ('exact', 'address', 'street', 'place', 'area', 'municipality')",
            name="incident_location_precision",
        ),
        Index("ix_incidents_occurred_at", "occurred_at"),
        Index("ix_incidents_municipality_time", "municipality_code", "occurred_at"),
        Index("ix_incidents_place_id", "place_id", postgresql_where=text("place_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True, nullable=False))
    # The four references (category, source, place_id, import_batch_id) are enforced in the database by
    # statement-level triggers (migration 0011), not by foreign keys: the same rules, one check per
    # statement instead of one per row.
    category: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(200))
    location_precision: Mapped[str] = mapped_column(String(16), default="exact")
    precision_m: Mapped[int | None] = mapped_column(Integer, doc="Radius of uncertainty in metres.")
    description: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(Integer, doc="places.id (trigger-checked)")
    import_batch_id: Mapped[int | None] = mapped_column(Integer, doc="import_batches.id (trigger-checked)")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    # The row as a GeoJSON Feature, kept by PostgreSQL (migration 0012): pages of features are joined
    # text, not rebuilt per row. Deferred: ORM reads of an incident do not fetch it.
    feature: Mapped[str] = mapped_column(Text, Computed(
        "incident_feature_text(id, geom, category, occurred_at, reported_at, source, external_id, "
        "location_precision, precision_m, description, place_id)", persisted=True), deferred=True)


class IncidentAggregate(TenantOwned, Base):
    """Monthly counts per 250 m cell and category: what retention keeps of incidents past their years."""

    __tablename__ = "incident_aggregates"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(ForeignKey("categories.code", onupdate="CASCADE"), primary_key=True)
    cell_x: Mapped[int] = mapped_column(Integer, primary_key=True, comment="SWEREF 99 TM easting // 250 m")
    cell_y: Mapped[int] = mapped_column(Integer, primary_key=True, comment="SWEREF 99 TM northing // 250 m")
    count: Mapped[int] = mapped_column(Integer)
