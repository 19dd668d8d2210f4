"""Liveness (/health) and readiness (/ready: database reachable and schema at head)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import get_engine
from app.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is up")
async def health() -> dict[str, str]:
    """On the event loop itself: never waits for a worker thread or a database connection."""
    return {"status": "ok"}


@router.get("/ready", summary="The database answers and migrations are at head")
def ready() -> Any:
    head = head_revision()
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
            current = current_revision(conn)
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc.__class__.__name__)}, status_code=503)
    if current != head:
        return JSONResponse({"status": "migrations pending", "current": current, "head": head}, status_code=503)
    return {"status": "ready", "revision": current}
