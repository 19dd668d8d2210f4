"""Citizen promises (medborgarlöften): what the municipality and the police promise the residents."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned


class CitizenPromise(TenantOwned, Base):
    __tablename__ = "citizen_promises"
    __table_args__ = (CheckConstraint("period_end >= period_start", name="promise_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    categories: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default=text("'{}'::character varying[]"))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


promise_places = Table(
    "promise_places", Base.metadata,
    Column("promise_id", ForeignKey("citizen_promises.id", ondelete="CASCADE"), primary_key=True),
    Column("place_id", ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
)

promise_interventions = Table(
    "promise_interventions", Base.metadata,
    Column("promise_id", ForeignKey("citizen_promises.id", ondelete="CASCADE"), primary_key=True),
    Column("intervention_id", ForeignKey("interventions.id", ondelete="CASCADE"), primary_key=True),
)
