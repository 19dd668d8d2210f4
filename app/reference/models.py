"""Reference data kept as tables, not enums: municipalities add their own categories and units."""

from __future__ import annotations

from sqlalchemy import Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Category(Base):
    """An event category (narkotika, våld, belysning, ...) with Swedish and English labels."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label_sv: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    group_code: Mapped[str] = mapped_column(String(64), doc="Coarser group used by the public view.")
    color: Mapped[str] = mapped_column(String(7), default="#666666")
    near_repeat: Mapped[bool] = mapped_column(default=False, doc="Burglary/vandalism-like: Knox test applies.")
    sort_order: Mapped[int] = mapped_column(Integer, default=100)
    description: Mapped[str | None] = mapped_column(Text)


class Organisation(Base):
    """A reporting unit: the municipality's units, the police, Bostadsbolaget, or a data source."""

    __tablename__ = "organisations"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), doc="municipal_unit, police, housing, rescue, source")
    reports: Mapped[bool] = mapped_column(server_default=text("false"), doc="Sends unit reports each period.")
