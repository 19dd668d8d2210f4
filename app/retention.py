"""Retention: detail older than N years becomes monthly counts per 250 m cell and category.

The aggregation and the deletion happen in one transaction, so no incident is ever counted twice
or lost; running it again finds nothing old and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings

CELL_M = 250


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    incidents: int
    aggregates: int
    dry_run: bool


def apply_retention(session: Session, *, years: float, dry_run: bool = False, actor: str = "cli") -> RetentionResult:
    if years <= 0:
        raise ValueError("years must be positive")
    cutoff = datetime.now(UTC) - timedelta(days=365.25 * years)
    params = {"cutoff": cutoff, "cell": CELL_M, "tz": get_settings().timezone}
    n = int(session.execute(text("SELECT count(*) FROM incidents WHERE occurred_at < :cutoff"), params).scalar_one())
    if dry_run or n == 0:
        session.rollback()
        return RetentionResult(cutoff, n, 0, dry_run)
    aggregates = session.execute(text("""
        INSERT INTO incident_aggregates (month, category, cell_x, cell_y, count)
        SELECT date_trunc('month', occurred_at AT TIME ZONE :tz)::date, category,
               floor(ST_X(ST_Transform(geom, 3006)) / :cell)::int, floor(ST_Y(ST_Transform(geom, 3006)) / :cell)::int,
               count(*)
        FROM incidents WHERE occurred_at < :cutoff GROUP BY 1, 2, 3, 4
        ON CONFLICT (month, category, cell_x, cell_y)
        DO UPDATE SET count = incident_aggregates.count + EXCLUDED.count"""), params).rowcount  # type: ignore[attr-defined]
    session.execute(text("DELETE FROM incidents WHERE occurred_at < :cutoff"), params)
    session.execute(text("""INSERT INTO audit_log (actor, action, method, path, status, detail)
        VALUES (:actor, 'delete', 'CLI', 'retention', 200, CAST(:detail AS jsonb))"""),
        {"actor": actor, "detail": orjson.dumps({"cutoff": cutoff.isoformat(), "incidents": n}).decode()})
    session.commit()
    return RetentionResult(cutoff, n, int(aggregates), False)
