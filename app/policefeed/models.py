"""A row per fetch of the police events feed: when, from where, and what came of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, Text, false, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class PoliceFeedFetch(Base):
    __tablename__ = "police_feed_fetches"
    __table_args__ = (Index("ix_police_feed_fetches_ok_started", "ok", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    url: Mapped[str] = mapped_column(Text)
    ok: Mapped[bool] = mapped_column(Boolean, server_default=false())
    events: Mapped[int | None] = mapped_column(Integer)
    inserted: Mapped[int | None] = mapped_column(Integer)
    duplicates: Mapped[int | None] = mapped_column(Integer)
    skipped: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    newest: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the answer's newest publication
    # events published in (gap_from, gap_to) passed through the feed's window unseen (migration 0029)
    gap_from: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gap_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gap_acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    gap_acknowledged_by: Mapped[str | None] = mapped_column(Text)
