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


def test_old_free_text_and_photos_are_cleared_recent_kept(session: Session) -> None:
    """Observations, walk participants and photos, and lamp-case texts before the cutoff can name or show
    people: they go with the detail, while the records themselves and everything recent stay."""
    old, recent = datetime.now(UTC) - timedelta(days=365 * 3), datetime.now(UTC) - timedelta(days=20)
    for when in (old, recent):
        report = session.execute(text("""INSERT INTO unit_reports (organisation, period_start, period_end, summary,
            submitted_by) VALUES ('polisen', :d, :d, 'sammanfattning', 'test') RETURNING id"""),
            {"d": when.date()}).scalar_one()
        session.execute(text("INSERT INTO unit_report_observations (report_id, text) VALUES (:r, :t)"),
                        {"r": report, "t": "Anna syns ofta här"})
        walk = session.execute(text("""INSERT INTO safety_walks (walked_on, area, participants, organisation, notes,
            created_by) VALUES (:d, 'Centrum', 'Anna, Bertil', 'kommunen', 'anteckning', 'test') RETURNING id"""),
            {"d": when.date()}).scalar_one()
        session.execute(text("""INSERT INTO walk_findings (walk_id, kind, geom, description, owner, photo, photo_type)
            VALUES (:w, 'dark_place', ST_SetSRID(ST_MakePoint(15.13, 58.32), 4326), 'mörkt', 'kommunen',
                    '\\xffd8ff'::bytea, 'image/jpeg')"""), {"w": walk})
        session.execute(text("""INSERT INTO lighting_reports (kind, description, geom, created_at)
            VALUES ('fault', 'utanför min port', ST_SetSRID(ST_MakePoint(15.13, 58.32), 4326), :t)"""), {"t": when})
    session.commit()
    expected = {"observations": 1, "report_summaries": 1, "walk_participants": 1, "walk_photos": 1,
                "lighting_descriptions": 1}
    assert apply_retention(session, years=2, dry_run=True).cleared == expected
    assert session.execute(text("SELECT count(*) FROM unit_report_observations")).scalar() == 2  # dry run: untouched
    assert apply_retention(session, years=2, actor="test").cleared == expected
    counts = session.execute(text("""SELECT
        (SELECT count(*) FROM unit_report_observations), (SELECT count(summary) FROM unit_reports),
        (SELECT count(*) FROM unit_reports), (SELECT count(participants) FROM safety_walks),
        (SELECT count(notes) FROM safety_walks), (SELECT count(photo) FROM walk_findings),
        (SELECT count(*) FROM walk_findings), (SELECT count(description) FROM lighting_reports),
        (SELECT count(*) FROM lighting_reports)""")).one()
    assert tuple(counts) == (1, 1, 2, 1, 1, 1, 2, 1, 2)
    detail = session.execute(text("SELECT detail FROM audit_log WHERE path = 'retention' ORDER BY id DESC LIMIT 1")
                             ).scalar_one()
    assert detail["walk_photos"] == 1 and detail["incidents"] == 0
    assert not any(apply_retention(session, years=2).cleared.values())  # a second run finds nothing
