"""Retention reduces old detail to aggregates, in one go, counting every incident exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.retention import apply_retention


def test_old_detail_becomes_monthly_cell_counts(session: Session) -> None:
    now = datetime.now(UTC)
    rows = [{"t": now - timedelta(days=365 * 3 + d), "cat": "vald"} for d in range(7)]
    rows += [{"t": now - timedelta(days=365 * 4), "cat": "klotter"}] * 3
    rows += [{"t": now - timedelta(days=30), "cat": "vald"}] * 4
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision, description)
        VALUES (ST_SetSRID(ST_MakePoint(15.132, 58.323), 4326), :cat, :t, 'demo', 'exact', 'personuppgift')"""), rows)
    session.commit()
    dry = apply_retention(session, years=2, dry_run=True)
    assert dry.incidents == 10 and session.execute(text("SELECT count(*) FROM incidents")).scalar() == 14
    result = apply_retention(session, years=2, actor="test")
    assert result.incidents == 10
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 4
    assert session.execute(text("SELECT sum(count) FROM incident_aggregates")).scalar() == 10
    assert session.execute(text("SELECT count(*) FROM audit_log WHERE path = 'retention'")).scalar() >= 1
    again = apply_retention(session, years=2)
    assert again.incidents == 0 and session.execute(text("SELECT sum(count) FROM incident_aggregates")).scalar() == 10
    session.execute(text("TRUNCATE incident_aggregates"))
    session.commit()
