"""Police feed bodies: how current the feed is, and the recent fetches."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class FetchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    started_at: datetime
    finished_at: datetime | None
    url: str
    ok: bool
    events: int | None
    inserted: int | None
    duplicates: int | None
    skipped: int | None
    message: str | None


class FeedStatusOut(BaseModel):
    last_ok: datetime | None
    last_attempt: datetime | None
    stale: bool
    interval_minutes: float
    window_days: int
    fetches: list[FetchOut]


class SyncOut(BaseModel):
    ok: bool
    message: str
    events: int
    inserted: int
    duplicates: int
    skipped: int
