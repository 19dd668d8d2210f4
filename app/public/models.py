"""Public releases: each period's noised counts, computed once and published as they are (migration 0013)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Float, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class PublicRelease(Base):
    __tablename__ = "public_releases"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    released_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    epsilon: Mapped[float] = mapped_column(Float(53))
    cells: Mapped[Any] = mapped_column(JSONB)
