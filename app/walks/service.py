"""Safety walks (trygghetsvandringar): a walk with its findings, each with an owner, a priority and a
deadline; a finding becomes an intervention or a lighting fault in one step (one transaction)."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.roles import allowed
from app.auth.service import Principal, writing_unit
from app.bodies import optional_id, whole_number
from app.config import get_settings
from app.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.i18n import labels
from app.interventions import service as interventions
from app.lighting import service as lighting
from app.reference.service import check_organisation
from app.walks.models import FINDING_KINDS, FINDING_PRIORITIES
from geo.crs import lonlat_problem
from geo.geometry import GeometryProblem, parse_geometry

PRIORITIES = FINDING_PRIORITIES
SETTABLE_STATUSES = ("open", "in_progress", "done")  # "converted" is set by converting, not by hand
KIND_SV = labels("finding_kind")
PRIORITY_SV = labels("priority")
# what each kind of finding usually becomes
INTERVENTION_KIND = {"dark_place": "lighting", "vegetation": "vegetation", "damage": "cleaning", "other": "other"}
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
MAX_PHOTO_BYTES = 5_000_000
FIELDS_SV = {"area": "Område", "participants": "Deltagare", "notes": "Anteckningar", "walked_on": "Datum",
             "deadline": "Senast klart", "status": "Status"}


def _text(body: dict[str, Any], field: str, *, required: bool, limit: int = 4000) -> str | None:
    value = body.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field} is required", loc=("body", field), sv=f"{FIELDS_SV.get(field, field)} saknas.")
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise InvalidInput(f"{field} must be text of at most {limit} characters", loc=("body", field),
                           sv=f"{FIELDS_SV.get(field, field)} får vara högst {limit} tecken.")
    return value.strip()


def _date(value: Any, field: str, loc: tuple[str | int, ...]) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{field} must be a date such as 2025-09-01", loc=loc,
                           sv=f"{FIELDS_SV.get(field, field)} ska vara ett datum, till exempel 2025-09-01.") from None


def create(session: Session, body: dict[str, Any], principal: Principal) -> int:
    """A walk and (optionally) its findings, stored together."""
    walked_on = _date(body.get("walked_on"), "walked_on", ("body", "walked_on"))
    if walked_on is None:
        raise InvalidInput("walked_on is required (the date of the walk)", loc=("body", "walked_on"),
                           sv="Ange vandringens datum.")
    if walked_on > date.today():
        raise InvalidInput("walked_on is in the future", loc=("body", "walked_on"),
                           sv="Vandringens datum ligger i framtiden.")
    area = _text(body, "area", required=True, limit=200)
    organisation = writing_unit(session, principal, str(body.get("organisation") or "") or None,
                                ("body", "organisation"))
    route_sql, route = "NULL", None
    if body.get("route") is not None:
        try:
            parse_geometry(body["route"], allowed=("LineString", "Polygon", "MultiPolygon", "MultiLineString"),
                           extent=get_settings().position_box)
        except GeometryProblem as exc:
            raise InvalidInput(str(exc), loc=("body", "route")) from None
        route_sql, route = "ST_SetSRID(ST_GeomFromGeoJSON(:route), 4326)", orjson.dumps(body["route"]).decode()
    place_id = optional_id(body, "place_id")
    if place_id is not None and session.execute(text("SELECT 1 FROM places WHERE id = :id"),
                                                {"id": place_id}).first() is None:
        raise InvalidInput(f"place {place_id} does not exist", loc=("body", "place_id"),
                           sv="Platsen finns inte; välj en plats i listan.")
    findings = body.get("findings") or []
    if not isinstance(findings, list) or len(findings) > 200:
        raise InvalidInput("findings must be a list of at most 200", loc=("body", "findings"))
    walk_id = session.execute(text(f"""
        INSERT INTO safety_walks (walked_on, area, place_id, route, participants, organisation, notes, created_by)
        VALUES (:d, :area, :place, {route_sql}, :who, :org, :notes, :by) RETURNING id"""), {
        "d": walked_on, "area": area, "place": place_id, "route": route,
        "who": _text(body, "participants", required=False), "org": organisation,
        "notes": _text(body, "notes", required=False), "by": principal.name}).scalar_one()
    for n, finding in enumerate(findings):
        _insert_finding(session, int(walk_id), finding, ("body", "findings", n), organisation)
    session.commit()
    return int(walk_id)


def add_finding(session: Session, walk_id: int, body: dict[str, Any]) -> int:
    organisation = session.execute(text("SELECT organisation FROM safety_walks WHERE id = :id"),
                                   {"id": walk_id}).scalar()
    if organisation is None:
        raise NotFound(f"safety walk {walk_id} does not exist", loc=("path", "walk_id"),
                       sv=f"Trygghetsvandring {walk_id} finns inte.")
    finding_id = _insert_finding(session, walk_id, body, ("body",), str(organisation))
    session.commit()
    return finding_id


def _insert_finding(session: Session, walk_id: int, body: Any, loc: tuple[str | int, ...], default_owner: str) -> int:
    if not isinstance(body, dict):
        raise InvalidInput("a finding is an object", loc=loc)
    kind = body.get("kind")
    if kind not in FINDING_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(FINDING_KINDS)}", loc=(*loc, "kind"),
                           sv="Välj vad fyndet gäller (mörk plats, växtlighet, skadegörelse eller annat).")
    try:
        lon, lat = float(body["lon"]), float(body["lat"])
    except (KeyError, TypeError, ValueError):
        raise InvalidInput("lon and lat are required numbers", loc=(*loc, "lon"),
                           sv="Klicka i kartan där fyndet finns.") from None
    problem = lonlat_problem(lon, lat, get_settings().position_box)
    if problem:
        raise InvalidInput(problem, loc=(*loc, "lat"),
                           sv="Punkten ligger utanför kommunen; klicka i kartan där fyndet finns.")
    description = body.get("description")
    if not isinstance(description, str) or not description.strip() or len(description) > 4000:
        raise InvalidInput("description is required (at most 4000 characters)", loc=(*loc, "description"),
                           sv="Beskriv fyndet (högst 4000 tecken).")
    priority = body.get("priority") or "medium"
    if priority not in PRIORITIES:
        raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}", loc=(*loc, "priority"),
                           sv="Välj prioritet: hög, medel eller låg.")
    owner = check_organisation(session, str(body.get("owner") or default_owner), (*loc, "owner"))
    deadline = _date(body.get("deadline"), "deadline", (*loc, "deadline"))
    return int(session.execute(text("""
        INSERT INTO walk_findings (walk_id, kind, geom, description, owner, priority, deadline)
        VALUES (:w, :k, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :d, :o, :p, :dl) RETURNING id"""), {
        "w": walk_id, "k": kind, "lon": lon, "lat": lat, "d": description.strip(), "o": owner, "p": priority,
        "dl": deadline}).scalar_one())


def _finding_row(session: Session, walk_id: int, finding_id: int, lock: bool = False) -> Any:
    row = session.execute(text(f"""SELECT id, kind, status, description, owner, ST_X(geom) AS lon, ST_Y(geom) AS lat
        FROM walk_findings WHERE id = :f AND walk_id = :w {"FOR UPDATE" if lock else ""}"""),
                          {"f": finding_id, "w": walk_id}).first()
    if row is None:
        raise NotFound(f"finding {finding_id} of walk {walk_id} does not exist", loc=("path", "finding_id"))
    return row


def convert(session: Session, walk_id: int, finding_id: int, body: dict[str, Any],
            principal: Principal) -> dict[str, Any]:
    """Turn a finding into an intervention or a lighting fault; the finding links to what it became."""
    target = body.get("to")
    if target not in ("intervention", "lighting_fault"):
        raise InvalidInput("to must be 'intervention' or 'lighting_fault'", loc=("body", "to"))
    finding = _finding_row(session, walk_id, finding_id, lock=True)
    if finding.status == "converted":
        session.rollback()
        raise Conflict(f"finding {finding_id} has already been converted", loc=("path", "finding_id"),
                       sv="Fyndet är redan omvandlat till ett ärende.")
    if target == "intervention":
        if not allowed(principal.role, "interventions:write"):
            raise Forbidden(f"role '{principal.role}' may not create interventions", loc=("body", "to"),
                            sv=f"Rollen {principal.role.value} får inte skapa insatser.")
        radius = whole_number(body, "radius_m", default=50, low=10, high=500, unit=" metres")
        circle = session.execute(text("""SELECT ST_AsGeoJSON(ST_Buffer(geom::geography, :r, 16)::geometry, 7)
            FROM walk_findings WHERE id = :id"""), {"r": radius, "id": finding_id}).scalar_one()
        new_id = interventions.create(session, {
            "title": body.get("title") or f"{KIND_SV[finding.kind]}: {finding.description[:150]}",
            "kind": body.get("kind") or INTERVENTION_KIND[finding.kind],
            "organisation": body.get("organisation") or finding.owner,
            "target": orjson.loads(circle), "start_date": body.get("start_date") or date.today().isoformat(),
            "end_date": body.get("end_date"), "notes": f"Från trygghetsvandring {walk_id}, fynd {finding_id}",
        }, principal.name, commit=False)
        column = "intervention_id"
    else:
        new_id = lighting.create_report(session, kind="fault" if body.get("kind") == "fault" else "dark_spot",
                                        lon=finding.lon, lat=finding.lat, description=finding.description,
                                        reported_by=principal.name, source=finding.owner, commit=False)
        column = "lighting_report_id"
    session.execute(text(f"UPDATE walk_findings SET status = 'converted', {column} = :n WHERE id = :id"),
                    {"n": new_id, "id": finding_id})
    session.commit()
    return {"finding": finding_id, "to": target, "id": new_id}


def set_status(session: Session, walk_id: int, finding_id: int, status: str) -> None:
    if status not in SETTABLE_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(SETTABLE_STATUSES)}", loc=("body", "status"))
    _finding_row(session, walk_id, finding_id)
    session.execute(text("UPDATE walk_findings SET status = :s WHERE id = :id AND status <> 'converted'"),
                    {"s": status, "id": finding_id})
    session.commit()


def store_photo(session: Session, walk_id: int, finding_id: int, data: bytes) -> None:
    """JPEG or PNG up to 5 MB, recognised by content (not by the name or the declared type)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(f"the photo is {len(data) // 1_000_000} MB; at most 5 MB", loc=("body", "file"),
                           sv=f"Fotot är {len(data) // 1_000_000} MB; högst 5 MB.")
    kind = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise InvalidInput("the photo must be a JPEG or PNG image", loc=("body", "file"),
                           sv="Fotot ska vara en JPEG- eller PNG-bild.")
    _finding_row(session, walk_id, finding_id)
    session.execute(text("UPDATE walk_findings SET photo = :p, photo_type = :t WHERE id = :id"),
                    {"p": data, "t": kind, "id": finding_id})
    session.commit()


def photo(session: Session, walk_id: int, finding_id: int) -> tuple[bytes, str]:
    row = session.execute(text("SELECT photo, photo_type FROM walk_findings WHERE id = :f AND walk_id = :w"),
                          {"f": finding_id, "w": walk_id}).first()
    if row is None or row.photo is None:
        raise NotFound(f"finding {finding_id} of walk {walk_id} has no photo", loc=("path", "finding_id"))
    return bytes(row.photo), str(row.photo_type)


def get(session: Session, walk_id: int) -> dict[str, Any]:
    found = get_all(session, "w.id = :id", {"id": walk_id})
    if not found:
        raise NotFound(f"safety walk {walk_id} does not exist", loc=("path", "walk_id"))
    return found[0]


def get_all(session: Session, where: str = "TRUE", params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows = session.execute(text(f"""
        SELECT json_build_object('id', w.id, 'walked_on', w.walked_on, 'area', w.area, 'place_id', w.place_id,
            'participants', w.participants, 'organisation', w.organisation, 'notes', w.notes,
            'route', ST_AsGeoJSON(w.route, 7)::json, 'created_by', w.created_by,
            'findings', COALESCE((SELECT json_agg(json_build_object('type', 'Feature', 'id', f.id,
                'geometry', ST_AsGeoJSON(f.geom, 7)::json, 'properties', json_build_object(
                    'kind', f.kind, 'description', f.description, 'owner', f.owner, 'priority', f.priority,
                    'deadline', f.deadline, 'status', f.status, 'has_photo', f.photo IS NOT NULL,
                    'intervention_id', f.intervention_id, 'lighting_report_id', f.lighting_report_id,
                    'overdue', f.deadline < CURRENT_DATE AND f.status IN ('open', 'in_progress')))
                ORDER BY CASE f.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, f.id)
                FROM walk_findings f WHERE f.walk_id = w.id), '[]'::json))
        FROM safety_walks w WHERE {where} ORDER BY w.walked_on DESC, w.id DESC LIMIT 200"""),
                           params or {}).scalars().all()
    return [dict(r) for r in rows]


def findings_between(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Findings of walks in [start, end) plus every still-open finding, for the lägesbild."""
    rows = session.execute(text("""
        SELECT w.walked_on, w.area, f.kind, f.description, f.owner, o.name AS owner_name, f.priority, f.deadline,
               f.status, f.intervention_id, f.lighting_report_id,
               f.deadline < CURRENT_DATE AND f.status IN ('open', 'in_progress') AS overdue
        FROM walk_findings f JOIN safety_walks w ON w.id = f.walk_id JOIN organisations o ON o.code = f.owner
        WHERE (w.walked_on >= :s AND w.walked_on < :e) OR f.status IN ('open', 'in_progress')
        ORDER BY CASE f.priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, f.deadline NULLS LAST
        LIMIT 60"""), {"s": start, "e": end}).mappings().all()
    return [{**r, "kind_sv": KIND_SV[r["kind"]], "priority_sv": PRIORITY_SV[r["priority"]]} for r in rows]
