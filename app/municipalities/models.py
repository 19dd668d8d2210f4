"""Municipalities, their groups, and the column every tenant table carries (migration 0021)."""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{4}$'", name="municipalities_code_check"),
        CheckConstraint("county_code ~ '^[0-9]{2}$'", name="municipalities_county_code_check"),
        CheckConstraint("population >= 0", name="municipalities_population_check"),
        Index("municipalities_one_default", "is_default", unique=True, postgresql_where=text("is_default")),
    )

    code: Mapped[str] = mapped_column(Text, primary_key=True)  # SCB's kommunkod, e.g. 0586
    name: Mapped[str] = mapped_column(Text, nullable=False)
    county_code: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'Europe/Stockholm'::text"))
    extent: Mapped[WKBElement] = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=False), nullable=False)
    boundary: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))
    population: Mapped[int | None] = mapped_column(Integer)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    # [{"name": "Borensberg", "lat": 58.56, "lon": 15.28}, …]; the default municipality's are in data/localities.json
    localities: Mapped[Any] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))


class MunicipalityGroup(Base):
    """Several municipalities seen together: a county, a police region, municipalities working together."""

    __tablename__ = "municipality_groups"
    __table_args__ = (
        CheckConstraint("code ~ '^[a-z0-9_]{1,40}$'", name="municipality_groups_code_check"),
        CheckConstraint("kind IN ('county', 'police_region', 'group')", name="municipality_groups_kind_check"),
    )

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(Text, nullable=False)


class MunicipalityGroupMember(Base):
    __tablename__ = "municipality_group_members"

    group_code: Mapped[str] = mapped_column(Text, ForeignKey("municipality_groups.code", ondelete="CASCADE"),
                                            primary_key=True)
    municipality_code: Mapped[str] = mapped_column(Text, ForeignKey("municipalities.code", ondelete="CASCADE"),
                                                   primary_key=True)


class TenantOwned:
    """Mixin of every tenant table: the municipality a row belongs to. Unnamed on insert, it is the writer's
    own (its database role's) or the install's default; the table's policy refuses any other."""

    municipality_code: Mapped[str] = mapped_column(
        Text, ForeignKey("municipalities.code"), nullable=False,
        server_default=text("lagesbild_current_municipality()"))
