"""Import bookkeeping: the editable police-type mapping and a row per import batch."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned


class PoliceEventType(Base):
    """Maps a police feed `type` to a category; NULL category means "not an incident, skip"."""

    __tablename__ = "police_event_types"

    type: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str | None] = mapped_column(ForeignKey("categories.code", onupdate="CASCADE"))
    note: Mapped[str | None] = mapped_column(Text)


class ImportBatch(TenantOwned, Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    rows_read: Mapped[int] = mapped_column(Integer)
    inserted: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
