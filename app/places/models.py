"""Places: the named, perceived-unsafe places the ESM group follows (Resecentrum, Gästisparken, ...)."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, DateTime, Float, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned

CONFIDENCE_LEVELS = ("high", "medium-high", "medium", "low", "unverified")
PLACE_KINDS = ("travel_centre", "park", "shopping", "schoolyard", "station", "square", "landmark", "area", "other")


class Place(TenantOwned, Base):
    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(
            "GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')", name="place_geom_type"
        ),
        CheckConstraint(
            "confidence IN ('high', 'medium-high', 'medium', 'low', 'unverified')", name="place_confidence"
        ),
        CheckConstraint("unsafe_share IS NULL OR (unsafe_share >= 0 AND unsafe_share <= 1)",
                        name="place_unsafe_share_range"),
        UniqueConstraint("municipality_code", "slug", name="places_municipality_slug"),  # per municipality
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="other")
    locality: Mapped[str] = mapped_column(String(100))
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=True))
    source: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(16))
    unsafe_share: Mapped[float | None] = mapped_column(
        Float, doc="Share (0–1) of respondents in a safety survey who feel unsafe here."
    )
    survey_year: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    geometry_note: Mapped[str | None] = mapped_column(Text, doc="How exact the outline is, e.g. drawn approximately.")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
