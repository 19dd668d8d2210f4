"""Unit reports: who reported what for which period, and which units have not reported yet.

Periods follow the ESM rhythm: fixed windows of `report_period_days` (default 14) counted from
`report_period_anchor`, so every unit and the lägesbild agree on what "this period" means.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.roles import Role
from app.auth.service import Principal, writing_unit
from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.reference.service import category_lookup, resolve_category
from app.reports.schemas import UnitReportIn


def period_for(day: date) -> tuple[date, date]:
    """The reporting period holding `day`, as (first day, last day)."""
    settings = get_settings()
    length = settings.report_period_days
    offset = (day - settings.report_period_anchor).days // length * length
    start = settings.report_period_anchor + timedelta(days=offset)
    return start, start + timedelta(days=length - 1)


def _unit_for(session: Session, principal: Principal, wanted: str | None) -> str:
    """Reporters file for their own unit only; others name the unit."""
    return writing_unit(session, principal, wanted, ("body", "organisation"), default=None)


def _check_access(session: Session, report_id: int, principal: Principal) -> str:
    unit = session.execute(text("SELECT organisation FROM unit_reports WHERE id = :id"), {"id": report_id}).scalar()
    if unit is None:
        raise NotFound(f"report {report_id} does not exist", loc=("path", "report_id"))
    if principal.role is Role.reporter and unit != principal.organisation:
        # as if it did not exist: another unit's reports are not even known to be there
        raise NotFound(f"report {report_id} does not exist", loc=("path", "report_id"))
    return str(unit)


def save(session: Session, data: UnitReportIn, principal: Principal, report_id: int | None = None) -> int:
    """Create or replace a report with its events (as incidents) and observations, in one transaction."""
    if report_id is not None:
        unit = _check_access(session, report_id, principal)
        if data.organisation and data.organisation != unit:
            raise InvalidInput("a report cannot move to another unit", loc=("body", "organisation"),
                               sv="En rapport kan inte flyttas till en annan enhet.")
    else:
        unit = _unit_for(session, principal, data.organisation)
    start, end = _period(data)
    tz = get_settings().timezone
    lookup = category_lookup(session)  # each event's own loc, so the form can say which row is wrong
    categories = [resolve_category(lookup, e.category, ("body", "events", n, "category"))
                  for n, e in enumerate(data.events)]
    place_ids = {e.place_id for e in data.events} | {o.place_id for o in data.observations}
    known = set(session.scalars(text("SELECT id FROM places WHERE id = ANY(:ids)"),
                                {"ids": [p for p in place_ids if p is not None]}))
    soon = datetime.now(UTC) + timedelta(minutes=5)
    for n, event in enumerate(data.events):
        if event.occurred_at > soon:
            raise InvalidInput(f"event {n + 1} is in the future ({event.occurred_at.isoformat()})",
                               loc=("body", "events", n, "occurred_at"), sv="Tidpunkten ligger i framtiden.")
        day = event.occurred_at.astimezone(ZoneInfo(tz)).date()
        if not start <= day <= end:
            raise InvalidInput(f"event {n + 1} happened {day}, outside the report's period {start}–{end}",
                               loc=("body", "events", n, "occurred_at"),
                               sv=f"Hände {day}, utanför rapportperioden {start} – {end}.")
        if event.place_id is not None and event.place_id not in known:
            raise InvalidInput(f"place {event.place_id} does not exist", loc=("body", "events", n, "place_id"),
                               sv="Platsen finns inte; välj en plats i listan.")
    for n, observation in enumerate(data.observations):
        if observation.place_id is not None and observation.place_id not in known:
            raise InvalidInput(f"place {observation.place_id} does not exist",
                               loc=("body", "observations", n, "place_id"),
                               sv="Platsen finns inte; välj en plats i listan.")
    values = {"unit": unit, "start": start, "end": end, "summary": data.summary, "by": principal.name}
    if report_id is None:
        report_id = session.execute(text("""
            INSERT INTO unit_reports (organisation, period_start, period_end, summary, submitted_by)
            VALUES (:unit, :start, :end, :summary, :by)
            ON CONFLICT (municipality_code, organisation, period_start) DO UPDATE SET period_end = EXCLUDED.period_end,
                summary = EXCLUDED.summary, submitted_by = EXCLUDED.submitted_by, updated_at = now()
            RETURNING id"""), values).scalar_one()
    else:
        clash = session.execute(text("SELECT id FROM unit_reports WHERE organisation = :unit AND period_start = :start "
                                     "AND id <> :id"), {**values, "id": report_id}).scalar()
        if clash is not None:
            raise InvalidInput(f"{unit} already has report {clash} for the period starting {start}",
                               loc=("body", "period_start"),
                               sv=f"{unit} har redan rapport {clash} för perioden som börjar {start}.")
        session.execute(text("""UPDATE unit_reports SET period_start = :start, period_end = :end, summary = :summary,
            submitted_by = :by, updated_at = now() WHERE id = :id"""), {**values, "id": report_id})
    # replace, never merge: the report as filed now is the report
    session.execute(text("DELETE FROM incidents WHERE id IN (SELECT incident_id FROM unit_report_incidents "
                         "WHERE report_id = :id)"), {"id": report_id})
    session.execute(text("DELETE FROM unit_report_observations WHERE report_id = :id"), {"id": report_id})
    for n, (event, category) in enumerate(zip(data.events, categories, strict=True)):
        exact = event.lon is not None and event.lat is not None
        session.execute(text(f"""
            WITH made AS (
                INSERT INTO incidents (geom, category, occurred_at, source, external_id, location_precision,
                                       description, place_id)
                SELECT {"ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)" if exact else
                        "(SELECT ST_PointOnSurface(geom) FROM places WHERE id = :place)"},
                       :category, :at, :unit, :external, :precision, :description, :place
                RETURNING id)
            INSERT INTO unit_report_incidents (report_id, incident_id) SELECT :report, id FROM made"""), {
            "lon": event.lon, "lat": event.lat, "place": event.place_id, "category": category,
            "at": event.occurred_at, "unit": unit, "external": f"rapport-{report_id}-{n + 1}",
            "precision": (event.location_precision or "exact") if exact else "place",
            "description": event.description, "report": report_id})
    for observation in data.observations:
        session.execute(text("INSERT INTO unit_report_observations (report_id, place_id, text) "
                             "VALUES (:r, :p, :t)"), {"r": report_id, "p": observation.place_id, "t": observation.text})
    session.commit()
    return int(report_id)


def _period(data: UnitReportIn) -> tuple[date, date]:
    if data.period_start is None:
        start, end = period_for(date.today())
        end = data.period_end or end
    else:
        start = data.period_start
        end = data.period_end or start + timedelta(days=get_settings().report_period_days - 1)
    if end < start:
        raise InvalidInput("period_end is before period_start", loc=("body", "period_end"),
                           sv="Periodens slut ligger före dess början.")
    if (end - start).days > 62:
        raise InvalidInput("a report covers at most two months", loc=("body", "period_end"),
                           sv="En rapport täcker högst två månader.")
    return start, end


def get(session: Session, report_id: int, principal: Principal) -> dict[str, Any]:
    _check_access(session, report_id, principal)
    return _reports(session, "r.id = :id", {"id": report_id})[0]


def get_all(session: Session, principal: Principal, *, start: date | None = None,
                 end: date | None = None) -> list[dict[str, Any]]:
    """Reports overlapping [start, end], newest first; reporters see their own unit's only."""
    where = ["(CAST(:s AS date) IS NULL OR r.period_end >= :s)", "(CAST(:e AS date) IS NULL OR r.period_start <= :e)"]
    params: dict[str, Any] = {"s": start, "e": end}
    if principal.role is Role.reporter:
        where.append("r.organisation = :own")
        params["own"] = principal.organisation
    return _reports(session, " AND ".join(where), params)


def _reports(session: Session, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows = session.execute(text(f"""
        SELECT json_build_object('id', r.id, 'organisation', r.organisation, 'organisation_name', o.name,
            'period_start', r.period_start, 'period_end', r.period_end, 'summary', r.summary,
            'submitted_by', r.submitted_by, 'created_at', r.created_at, 'updated_at', r.updated_at,
            'observations', COALESCE((SELECT json_agg(json_build_object('place_id', b.place_id, 'place', p.name,
                'text', b.text) ORDER BY b.id) FROM unit_report_observations b LEFT JOIN places p ON p.id = b.place_id
                WHERE b.report_id = r.id), '[]'::json),
            'events', COALESCE((SELECT json_agg(json_build_object('incident_id', i.id, 'occurred_at', i.occurred_at,
                'category', i.category, 'place_id', i.place_id, 'description', i.description,
                'location_precision', i.location_precision, 'lon', round(ST_X(i.geom)::numeric, 7),
                'lat', round(ST_Y(i.geom)::numeric, 7)) ORDER BY i.occurred_at)
                FROM unit_report_incidents l JOIN incidents i ON i.id = l.incident_id WHERE l.report_id = r.id),
                '[]'::json))
        FROM unit_reports r JOIN organisations o ON o.code = r.organisation
        WHERE {where} ORDER BY r.period_start DESC, o.name LIMIT 500"""), params).scalars().all()
    return [dict(r) for r in rows]


def delete(session: Session, report_id: int, principal: Principal) -> None:
    _check_access(session, report_id, principal)
    session.execute(text("DELETE FROM incidents WHERE id IN (SELECT incident_id FROM unit_report_incidents "
                         "WHERE report_id = :id)"), {"id": report_id})
    session.execute(text("DELETE FROM unit_reports WHERE id = :id"), {"id": report_id})
    session.commit()


def status(session: Session, day: date | None = None) -> dict[str, Any]:
    """Which reporting units have and have not reported for the period holding `day` (default today)."""
    start, end = period_for(day or date.today())
    rows = session.execute(text("""
        SELECT o.code, o.name, r.id, r.updated_at, r.submitted_by,
               (SELECT count(*) FROM unit_report_incidents l WHERE l.report_id = r.id),
               (SELECT count(*) FROM unit_report_observations b WHERE b.report_id = r.id)
        FROM organisations o
        LEFT JOIN LATERAL (SELECT * FROM unit_reports u WHERE u.organisation = o.code AND u.period_end >= :s
                           AND u.period_start <= :e ORDER BY u.updated_at DESC LIMIT 1) r ON TRUE
        WHERE o.reports ORDER BY (r.id IS NULL) DESC, o.name"""), {"s": start, "e": end}).all()
    units = [{"organisation": code, "name": name, "reported": rid is not None, "report_id": rid,
              "updated_at": updated, "submitted_by": by, "events": events, "observations": obs}
             for code, name, rid, updated, by, events, obs in rows]
    return {"period": {"start": start, "end": end}, "units": units,
            "missing": [u["organisation"] for u in units if not u["reported"]]}
