"""Unit reports (enhetsrapporter): each unit's events and observations for one period."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned


class UnitReport(TenantOwned, Base):
    __tablename__ = "unit_reports"
    __table_args__ = (
        CheckConstraint("period_end >= period_start AND (period_end - period_start) <= 62", name="report_period"),
        UniqueConstraint("municipality_code", "organisation", "period_start", name="report_municipality_unit_period"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class UnitReportObservation(Base):
    __tablename__ = "unit_report_observations"
    __table_args__ = (
        CheckConstraint("length(text) BETWEEN 1 AND 4000", name="observation_text"),
        Index("unit_report_observations_report", "report_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("unit_reports.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))


unit_report_incidents = Table(
    "unit_report_incidents", Base.metadata,
    Column("report_id", ForeignKey("unit_reports.id", ondelete="CASCADE"), primary_key=True),
    Column("incident_id", BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Index("unit_report_incidents_incident", "incident_id"),
)
