"""The street base: what a printed map needs to be read without internet (migration 0014), and the points of
interest the cause analysis tests as risk factors (migration 0016)."""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

BASEMAP_KINDS = ("street", "building", "water", "green", "poi")


class BasemapFeature(Base):
    __tablename__ = "basemap_features"
    __table_args__ = (
        CheckConstraint("kind IN ('street', 'building', 'water', 'green', 'poi')", name="basemap_kind"),
        Index("idx_basemap_features_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(200))
    subkind: Mapped[str | None] = mapped_column(String(32))  # a point of interest's kind: station, school, bar …
    geom: Mapped[WKBElement] = mapped_column(Geometry(srid=4326, spatial_index=False, nullable=False))
    source: Mapped[str] = mapped_column(String(200))
