"""Retention: detail older than N years becomes monthly counts per 250 m cell and category, and the
free text and photos around it (unit reports' observations, safety-walk participants and photos,
lamp-case descriptions) are cleared.

Everything happens in one transaction, so no incident is ever counted twice or lost; running it again
finds nothing old and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings

CELL_M = 250


# Other detail that can name or show people, cleared (not deleted: the record that a walk, report or
# lamp case existed stays) once it is older than the cutoff. (what is counted, then how it is cleared)
FREE_TEXT = {
    "observations": ("""SELECT count(*) FROM unit_report_observations o JOIN unit_reports r ON r.id = o.report_id
                        WHERE r.period_end < CAST(:cutoff AS date)""",
                     """DELETE FROM unit_report_observations o USING unit_reports r
                        WHERE r.id = o.report_id AND r.period_end < CAST(:cutoff AS date)"""),
    "report_summaries": ("""SELECT count(*) FROM unit_reports
                            WHERE period_end < CAST(:cutoff AS date) AND summary IS NOT NULL""",
                         """UPDATE unit_reports SET summary = NULL
                            WHERE period_end < CAST(:cutoff AS date) AND summary IS NOT NULL"""),
    "walk_participants": ("""SELECT count(*) FROM safety_walks WHERE walked_on < CAST(:cutoff AS date)
                             AND (participants IS NOT NULL OR notes IS NOT NULL)""",
                          """UPDATE safety_walks SET participants = NULL, notes = NULL
                             WHERE walked_on < CAST(:cutoff AS date)
                             AND (participants IS NOT NULL OR notes IS NOT NULL)"""),
    "walk_photos": ("""SELECT count(*) FROM walk_findings f JOIN safety_walks w ON w.id = f.walk_id
                       WHERE w.walked_on < CAST(:cutoff AS date) AND f.photo IS NOT NULL""",
                    """UPDATE walk_findings f SET photo = NULL, photo_type = NULL FROM safety_walks w
                       WHERE w.id = f.walk_id AND w.walked_on < CAST(:cutoff AS date) AND f.photo IS NOT NULL"""),
    "lighting_descriptions": ("""SELECT count(*) FROM lighting_reports
                                 WHERE created_at < :cutoff AND description IS NOT NULL""",
                              """UPDATE lighting_reports SET description = NULL
                                 WHERE created_at < :cutoff AND description IS NOT NULL"""),
}


@dataclass(frozen=True)
class RetentionResult:
    cutoff: datetime
    incidents: int
    aggregates: int
    dry_run: bool
    cleared: dict[str, int] = field(default_factory=dict)  # FREE_TEXT's keys → rows cleared (or to clear)


def apply_retention(session: Session, *, years: float, dry_run: bool = False, actor: str = "cli") -> RetentionResult:
    """Incidents before the cutoff become monthly cell counts and are deleted; free text and photos of
    unit reports, safety walks and lamp cases before it are cleared. All in one transaction."""
    if years <= 0:
        raise ValueError("years must be positive")
    cutoff = datetime.now(UTC) - timedelta(days=365.25 * years)
    params = {"cutoff": cutoff, "cell": CELL_M, "tz": get_settings().timezone}
    n = int(session.execute(text("SELECT count(*) FROM incidents WHERE occurred_at < :cutoff"), params).scalar_one())
    cleared = {name: int(session.execute(text(count), params).scalar_one()) for name, (count, _) in FREE_TEXT.items()}
    if dry_run or (n == 0 and not any(cleared.values())):
        session.rollback()
        return RetentionResult(cutoff, n, 0, dry_run, cleared)
    aggregates = session.execute(text("""
        INSERT INTO incident_aggregates (month, category, cell_x, cell_y, count)
        SELECT date_trunc('month', occurred_at AT TIME ZONE :tz)::date, category,
               floor(ST_X(ST_Transform(geom, 3006)) / :cell)::int, floor(ST_Y(ST_Transform(geom, 3006)) / :cell)::int,
               count(*)
        FROM incidents WHERE occurred_at < :cutoff GROUP BY 1, 2, 3, 4
        ON CONFLICT (month, category, cell_x, cell_y)
        DO UPDATE SET count = incident_aggregates.count + EXCLUDED.count"""), params).rowcount  # type: ignore[attr-defined]
    session.execute(text("DELETE FROM incidents WHERE occurred_at < :cutoff"), params)
    for _, clear in FREE_TEXT.values():
        session.execute(text(clear), params)
    session.execute(text("""INSERT INTO audit_log (actor, action, method, path, status, detail)
        VALUES (:actor, 'delete', 'CLI', 'retention', 200, CAST(:detail AS jsonb))"""),
        {"actor": actor, "detail": orjson.dumps({"cutoff": cutoff.isoformat(), "incidents": n, **cleared}).decode()})
    session.commit()
    return RetentionResult(cutoff, n, int(aggregates), False, cleared)
