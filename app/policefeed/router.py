"""The police events feed: how current it is, and a fetch now (from the configured address only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from app.auth.service import Principal
from app.config import get_settings
from app.db import session_factory
from app.deps import SessionDep, require
from app.imports.police import FEED_WINDOW
from app.policefeed import service
from app.policefeed.models import PoliceFeedFetch
from app.policefeed.schemas import FeedStatusOut, FetchOut, SyncOut

router = APIRouter(prefix="/police-feed", tags=["police feed"])


@router.get("", response_model=FeedStatusOut, summary="How current the police feed is, with the last 20 fetches")
def feed_status(session: SessionDep, _: Annotated[Principal, Depends(require("incidents:read"))]) -> FeedStatusOut:
    state = service.status(session)
    fetches = session.scalars(select(PoliceFeedFetch).order_by(PoliceFeedFetch.id.desc()).limit(20)).all()
    return FeedStatusOut(last_ok=state.last_ok, last_attempt=state.last_attempt, stale=state.stale,
                         interval_minutes=get_settings().police_feed_interval_minutes, window_days=FEED_WINDOW.days,
                         fetches=[FetchOut.model_validate(f) for f in fetches])


@router.post("/sync", response_model=SyncOut, summary="Fetch the police feed now (LAGESBILD_POLICE_FEED_URL; "
             "one attempt, no address from the request)")
def sync_now(_: Annotated[Principal, Depends(require("policefeed:sync"))]) -> SyncOut:
    result = service.sync(session_factory(), retry_seconds=())
    return SyncOut(ok=result.ok, message=result.message, events=result.events, inserted=result.inserted,
                   duplicates=result.duplicates, skipped=result.skipped)
