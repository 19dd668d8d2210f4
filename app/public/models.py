"""Public releases: each period's noised counts per municipality, computed once and published as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class PublicRelease(Base):
    __tablename__ = "public_releases"

    municipality_code: Mapped[str] = mapped_column(Text, ForeignKey("municipalities.code"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    released_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    epsilon: Mapped[float] = mapped_column(Float(53))
    cells: Mapped[Any] = mapped_column(JSONB)
