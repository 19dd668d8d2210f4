"""Interventions and their follow-up: before/after counts in the target, a surrounding buffer and a
control area, with the Weighted Displacement Quotient telling displacement from diffusion of benefits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.bodies import optional_id, whole_number
from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.i18n import labels
from app.interventions.models import INTERVENTION_KINDS, INTERVENTION_STATUSES
from app.reference.service import check_organisation, resolve_categories
from geo.evaluation import weighted_displacement_quotient
from geo.geometry import GeometryProblem, parse_geometry

KINDS = INTERVENTION_KINDS
STATUSES = INTERVENTION_STATUSES
KIND_SV = labels("intervention_kind")
STATUS_SV = labels("intervention_status")
INTERPRETATION_SV = {
    "diffusion_greater_than_direct_effect": "Spridning av nyttan, större än effekten i målområdet",
    "diffusion_of_benefits": "Spridning av nyttan till omgivningen",
    "no_displacement_or_diffusion": "Varken förflyttning eller spridning",
    "displacement_less_than_direct_effect": "Viss förflyttning, men mindre än effekten i målområdet (nettovinst)",
    "displacement_greater_than_direct_effect": "Förflyttning större än effekten: problemet har flyttat",
    "no_success": "Ingen säkerställd effekt: ingen säkerställd minskning i målområdet jämfört med kontrollområdet",
    "no_control_data": "För få händelser i kontrollområdet för att bedöma",
    "too_few_events": "För få händelser i målområdet för att bedöma en effekt (minst 10 före och efter tillsammans)",
}
INTERPRETATION_SV["no_displacement_or_diffusion"] = (
    "Säkerställd minskning i målområdet; ingen säkerställd förflyttning eller spridning till omgivningen")
METHOD_SV = ("Weighted Displacement Quotient (Bowers & Johnson 2003). Kvoten läses bara när målområdet har minskat "
             "säkerställt mot kontrollområdet (Fishers exakta test, p < 0,05); förflyttning eller spridning påstås "
             "bara när omgivningen har förändrats säkerställt mot kontrollområdet.")
_MULTI = "ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:{name}), 4326))"


def _polygon(value: Any, field: str) -> str:
    try:
        parse_geometry(value, allowed=("Polygon", "MultiPolygon"), extent=get_settings().position_box)
    except GeometryProblem as exc:
        raise InvalidInput(str(exc), loc=("body", field)) from None
    return orjson.dumps(value).decode()


def create(session: Session, body: dict[str, Any], created_by: str, *, commit: bool = True) -> int:
    """Store an intervention; with commit=False the caller commits (one transaction with its own writes)."""
    kind = body.get("kind")
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", loc=("body", "kind"))
    title = str(body.get("title") or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("title is required (at most 200 characters)", loc=("body", "title"))
    organisation = check_organisation(session, str(body.get("organisation") or ""), ("body", "organisation"))
    start, end = _dates(body)
    buffer_m = whole_number(body, "buffer_m", default=200, low=25, high=2000, unit=" metres")
    place_id = optional_id(body, "place_id")
    params: dict[str, Any] = {"title": title, "kind": kind, "org": organisation, "start": start, "end": end,
                              "buffer": buffer_m, "notes": body.get("notes"), "by": created_by,
                              "place": place_id, "control": None, "responsible": _short(body.get("responsible")),
                              "due": _optional_date(body.get("due_date"), "due_date"),
                              "decided": _optional_date(body.get("decided_on"), "decided_on")}
    if params["due"] is not None and params["due"] < start:
        raise InvalidInput("due_date is before start_date", loc=("body", "due_date"),
                           sv=f"Klart senast ({params['due']}) ligger före start ({start}); ändra något av datumen.")
    if body.get("target") is not None:
        params["target"] = _polygon(body["target"], "target")
        target_sql = _MULTI.format(name="target")
    elif place_id is not None:
        found = session.execute(text("SELECT GeometryType(geom) FROM places WHERE id = :id"),
                                {"id": place_id}).scalar()
        if found is None:
            raise InvalidInput(f"place {place_id} does not exist", loc=("body", "place_id"))
        # a point place gets a 100 m disc as its target area
        target_sql = ("(SELECT ST_Multi(CASE WHEN GeometryType(geom) = 'POINT' THEN "
                      "ST_Buffer(geom::geography, 100)::geometry ELSE geom END) FROM places WHERE id = :place)")
    else:
        raise InvalidInput("give a target polygon or a place_id", loc=("body", "target"))
    control_sql = "NULL"
    if body.get("control") is not None:
        params["control"] = _polygon(body["control"], "control")
        control_sql = _MULTI.format(name="control")
    new_id = session.execute(text(f"""
        INSERT INTO interventions (title, kind, organisation, place_id, target, control, buffer_m, start_date,
                                   end_date, status, notes, created_by, responsible, due_date, decided_on)
        VALUES (:title, :kind, :org, :place, {target_sql}, {control_sql}, :buffer, :start, :end,
                CASE WHEN :start <= CURRENT_DATE THEN 'active' ELSE 'planned' END, :notes, :by, :responsible,
                :due, :decided)
        RETURNING id"""), params).scalar_one()
    if commit:
        session.commit()
    return int(new_id)


def _short(value: Any) -> str | None:
    text_value = str(value).strip() if value is not None else ""
    return text_value[:200] or None


def _optional_date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a date such as 2025-09-01", loc=("body", field),
                           sv="Ange datum som 2025-09-01.") from None


def decisions(session: Session, *, decided_up_to: date, since: date) -> list[dict[str, Any]]:
    """Interventions decided at an ESM meeting on or before `decided_up_to` that are still open or ended
    on or after `since`: what each lägesbild reports back on, oldest decision first."""
    ids = session.scalars(text("""SELECT id FROM interventions
        WHERE decided_on IS NOT NULL AND decided_on <= :upto
          AND (status IN ('planned', 'active') OR COALESCE(end_date, due_date, decided_on) >= :since)
        ORDER BY decided_on, id LIMIT 50"""), {"upto": decided_up_to, "since": since}).all()
    return [get(session, i) for i in ids]


def _dates(body: dict[str, Any]) -> tuple[date, date | None]:
    try:
        start = date.fromisoformat(str(body.get("start_date")))
        end = date.fromisoformat(str(body["end_date"])) if body.get("end_date") else None
    except ValueError:
        raise InvalidInput("start_date and end_date must be dates such as 2025-09-01",
                           loc=("body", "start_date"),
                           sv="Ange start och slut som datum, till exempel 2025-09-01.") from None
    if end is not None and end < start:
        raise InvalidInput("end_date is before start_date", loc=("body", "end_date"),
                           sv="Insatsens slut ligger före dess start.")
    return start, end


def set_status(session: Session, intervention_id: int, status: str, notes: str | None) -> None:
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", loc=("body", "status"),
                           sv="Välj en status: planerad, pågår, avslutad eller inställd.")
    done = session.execute(text("""UPDATE interventions SET status = :s, notes = COALESCE(:n, notes)
        WHERE id = :id"""), {"s": status, "n": notes, "id": intervention_id}).rowcount  # type: ignore[attr-defined]
    if not done:
        session.rollback()
        raise NotFound(f"intervention {intervention_id} does not exist", loc=("path", "intervention_id"),
                       sv=f"Insats {intervention_id} finns inte.")
    session.commit()


def set_plan(session: Session, intervention_id: int, *, status: str, responsible: str | None,
             due_date: str | None) -> None:
    """The meeting moves a decision on: its status, who answers for it and by when (one transaction)."""
    if status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", loc=("body", "status"),
                           sv="Välj en status: planerad, pågår, avslutad eller inställd.")
    due = _optional_date(due_date, "due_date")
    done = session.execute(text("""UPDATE interventions SET status = :s, responsible = :r, due_date = :d
        WHERE id = :id AND (CAST(:d AS date) IS NULL OR CAST(:d AS date) >= start_date)"""),
        {"s": status, "r": _short(responsible), "d": due, "id": intervention_id}).rowcount  # type: ignore[attr-defined]
    if not done:
        session.rollback()
        if session.execute(text("SELECT 1 FROM interventions WHERE id = :id"), {"id": intervention_id}).first():
            raise InvalidInput("due_date is before start_date", loc=("body", "due_date"),
                               sv="Sista dag ligger före insatsens start.")
        raise NotFound(f"intervention {intervention_id} does not exist", loc=("path", "intervention_id"),
                       sv=f"Insats {intervention_id} finns inte.")
    session.commit()


def get(session: Session, intervention_id: int) -> dict[str, Any]:
    row = session.execute(text("""SELECT json_build_object('type', 'Feature', 'id', v.id,
        'geometry', ST_AsGeoJSON(v.target, 6)::json, 'properties', json_build_object(
            'title', v.title, 'kind', v.kind, 'organisation', v.organisation, 'place_id', v.place_id,
            'buffer_m', v.buffer_m, 'start_date', v.start_date, 'end_date', v.end_date, 'status', v.status,
            'notes', v.notes, 'control', ST_AsGeoJSON(v.control, 6)::json, 'responsible', v.responsible,
            'due_date', v.due_date, 'decided_on', v.decided_on))
        FROM interventions v WHERE v.id = :id"""), {"id": intervention_id}).first()
    if row is None:
        raise NotFound(f"intervention {intervention_id} does not exist", loc=("path", "intervention_id"))
    return dict(row[0])


def get_all(session: Session, *, limit: int = 500) -> dict[str, Any]:
    """Every intervention as a GeoJSON FeatureCollection, newest first."""
    ids = session.scalars(text("SELECT id FROM interventions ORDER BY start_date DESC, id DESC LIMIT :n"),
                          {"n": limit}).all()
    return {"type": "FeatureCollection", "features": [get(session, i) for i in ids]}


def follow_up(session: Session, intervention_id: int, *, days: int | None = None,
              categories: list[str] | None = None) -> dict[str, Any]:
    """Counts in equal periods before and after the start, in target, buffer ring and control area."""
    meta = session.execute(text("SELECT start_date, end_date, buffer_m, control IS NOT NULL FROM interventions "
                                "WHERE id = :id"), {"id": intervention_id}).first()
    if meta is None:
        raise NotFound(f"intervention {intervention_id} does not exist", loc=("path", "intervention_id"))
    start_date, end_date, buffer_m, has_control = meta
    tz = ZoneInfo(get_settings().timezone)
    start = datetime.combine(start_date, time(0), tz)
    now = datetime.now(UTC)
    last = datetime.combine(end_date + timedelta(days=1), time(0), tz) if end_date else now
    asked = timedelta(days=days) if days else min(last - start, timedelta(days=365))
    # An "after" window running past today would be compared as if complete: both windows are cut to
    # the time that has passed, and the answer says so.
    length = min(asked, now - start)
    if length <= timedelta(0):
        raise InvalidInput("the intervention has not started yet: nothing to follow up",
                           loc=("path", "intervention_id"))
    cats = resolve_categories(session, categories, ("query", "category")) if categories else None
    control = ("control" if has_control else
               f"ST_Difference(ST_Buffer(target::geography, {int(buffer_m) + 1500})::geometry, "
               f"ST_Buffer(target::geography, {int(buffer_m) + 300})::geometry)")
    # One index-assisted count per area (LATERAL lets the GIST index see each polygon), rather than six
    # point-in-polygon tests on every incident in the combined envelope: seconds → milliseconds at 1M rows.
    counted = """LATERAL (SELECT count(*) FILTER (WHERE i.occurred_at < :s) AS before,
                              count(*) FILTER (WHERE i.occurred_at >= :s) AS after
                       FROM incidents i
                       WHERE ST_Intersects(i.geom, v.{area}) AND i.occurred_at >= :b AND i.occurred_at < :a
                         AND i.location_precision NOT IN ('municipality', 'area')
                         AND (CAST(:cats AS text[]) IS NULL OR i.category = ANY(CAST(:cats AS text[])))) {alias}"""
    row = session.execute(text(f"""
        WITH v AS MATERIALIZED (
            SELECT target, {control} AS control,
                   ST_Difference(ST_Buffer(target::geography, buffer_m)::geometry, target) AS ring
            FROM interventions WHERE id = :id)
        SELECT t.before, t.after, r.before, r.after, c.before, c.after
        FROM v, {counted.format(area="target", alias="t")}, {counted.format(area="ring", alias="r")},
             {counted.format(area="control", alias="c")}"""),
        {"id": intervention_id, "s": start, "b": start - length, "a": start + length, "cats": cats}).one()
    target, ring, ctrl = (row[0], row[1]), (row[2], row[3]), (row[4], row[5])
    result = weighted_displacement_quotient(target, ring, ctrl)
    return {
        "intervention": intervention_id,
        "periods": {"before": [(start - length).isoformat(), start.isoformat()],
                    "after": [start.isoformat(), (start + length).isoformat()]},
        "control": "drawn" if has_control else f"default ring {int(buffer_m) + 300}–{int(buffer_m) + 1500} m",
        "counts": {"target": dict(zip(("before", "after"), target, strict=True)),
                   "buffer": dict(zip(("before", "after"), ring, strict=True)),
                   "control": dict(zip(("before", "after"), ctrl, strict=True))},
        "success_measure": result.success_measure, "buffer_measure": result.buffer_measure, "wdq": result.wdq,
        "wdq_interval": result.wdq_interval, "target_p": _p(result.target_p), "buffer_p": _p(result.buffer_p),
        "interpretation": result.interpretation, "interpretation_sv": INTERPRETATION_SV[result.interpretation],
        "days": round(length.total_seconds() / 86_400, 1), "days_asked": round(asked.total_seconds() / 86_400, 1),
        "note_sv": (f"Efterperioden är ofullständig: {length.days} av {asked.days} dagar har gått, så båda perioderna "
                    f"är kortade till {length.days} dagar" if length < asked else None),
        "method": "Weighted Displacement Quotient, Bowers & Johnson (2003)", "method_sv": METHOD_SV,
    }


def _p(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")
