"""Lighting work: lamps and streets in, fault and dark-spot reports through a logged status flow,
and a ranked relighting list for technical services."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import numpy as np
import shapely
from sqlalchemy import func, text
from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput, NotFound
from app.i18n import labels
from app.imports.readers import parse_json
from app.imports.values import ValueProblem, parse_number
from app.lighting.models import Lamp, LightingReport, LightingReportEvent
from app.reference.service import normalise
from geo.crs import lonlat_problem, to_sweref, to_wgs84
from geo.lighting import relighting_priority, split_line
from geo.sun import is_dark

TRANSITIONS = {
    "reported": ("confirmed", "rejected"),
    "confirmed": ("scheduled", "rejected"),
    "scheduled": ("fixed",),
    "fixed": (),
    "rejected": (),
}
STATUS_SV = labels("lighting_status")
KIND_SV = labels("lighting_kind")
SEGMENT_M = 100.0
MAX_STREET_FEATURES = 200_000
MAX_STREET_VERTICES = 50_000
LAMP_LINK_M = 30.0
SEGMENT_LINK_M = 50.0


def _extent() -> tuple[float, float, float, float]:
    from app.config import get_settings

    return get_settings().position_box


# -- lamps and streets ---------------------------------------------------------------------------------

def import_lamps(session: Session, stream: IO[bytes], filename: str, source: str) -> dict[str, int]:
    """Lamps from CSV (id, gata/street, status, lat/lon or x/y in SWEREF 99 TM) or GeoJSON points.

    Upserts on the lamp id, so a re-import updates instead of duplicating; all or nothing.
    """
    rows = list(_lamp_rows(stream, filename))
    if not rows:
        raise InvalidInput("no lamps found: give a CSV with id, lat and lon (or x and y in SWEREF 99 TM) columns, "
                           "or GeoJSON points", loc=("file",),
                           sv="Inga lampor hittades: ange en CSV med kolumnerna id, lat och lon (eller x och y i "
                              "SWEREF 99 TM) eller GeoJSON-punkter.")
    errors = [r for r in rows if "error" in r]
    if errors:
        first = errors[0]
        raise InvalidInput(f"{len(errors)} bad lamp row(s); nothing imported (first: row {first['row']}: "
                           f"{first['error']})", loc=("file",))
    for r in rows:
        session.execute(text("""
            INSERT INTO lamps (external_id, street, status, source, geom)
            VALUES (:external_id, :street, :status, :source, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
            ON CONFLICT (municipality_code, external_id) DO UPDATE SET street = EXCLUDED.street,
                status = EXCLUDED.status, source = EXCLUDED.source, geom = EXCLUDED.geom"""), {**r, "source": source})
    session.commit()
    return {"lamps": len(rows)}


def _lamp_rows(stream: IO[bytes], filename: str) -> Any:
    raw = stream.read()
    if filename.lower().endswith((".geojson", ".json")) or raw.lstrip().startswith(b"{"):
        doc = parse_json(raw)
        if not isinstance(doc, dict) or not isinstance(doc.get("features"), list):
            raise InvalidInput("lamps must be a GeoJSON FeatureCollection of Points", loc=("file",))
        for number, feature in enumerate(doc["features"], start=1):
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if (not isinstance(geometry, dict) or geometry.get("type") != "Point" or not isinstance(coords, list)
                    or len(coords) < 2 or not all(isinstance(c, int | float) for c in coords[:2])):
                yield {"row": number, "error": "geometry must be a Point with [lon, lat]"}
                continue
            raw_props = feature.get("properties")
            props = {normalise(str(k)): v for k, v in (raw_props if isinstance(raw_props, dict) else {}).items()}
            yield _lamp(number, props, float(coords[0]), float(coords[1]))
        return
    text_data = raw.decode("utf-8-sig") if _is_utf8(raw) else raw.decode("cp1252")
    first = text_data.splitlines()[0] if text_data else ""
    reader = csv.DictReader(io.StringIO(text_data), delimiter=";" if first.count(";") >= first.count(",") else ",")
    for number, row in enumerate(reader, start=2):
        props = {normalise(k): (v or "").strip() for k, v in row.items() if k}
        try:
            if "lat" in props and "lon" in props:
                lat, lon = parse_number(props["lat"]), parse_number(props["lon"])
            else:
                a, b = parse_number(props.get("x", "")), parse_number(props.get("y", ""))
                east, north = (a, b) if a < b else (b, a)
                lon_a, lat_a = to_wgs84([east], [north])
                lon, lat = float(lon_a[0]), float(lat_a[0])
        except ValueProblem as exc:
            yield {"row": number, "error": f"position: {exc}"}
            continue
        yield _lamp(number, props, lon, lat)


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _lamp(number: int, props: dict[str, Any], lon: float, lat: float) -> dict[str, Any]:
    external_id = str(props.get("id") or props.get("lamp id") or props.get("armatur id") or "").strip()
    if not external_id:
        return {"row": number, "error": "id is empty"}
    problem = lonlat_problem(lon, lat, _extent())
    if problem:
        return {"row": number, "error": problem}
    status = str(props.get("status") or "ok").lower()
    status = {"trasig": "fault", "fel": "fault", "hel": "ok", "ok": "ok", "fault": "fault"}.get(status, "")
    if not status:
        return {"row": number, "error": "status must be ok or fault (hel/trasig)"}
    street = props.get("gata") or props.get("street") or props.get("gatunamn")
    return {"row": number, "external_id": external_id, "street": street, "status": status, "lon": lon, "lat": lat}


def import_streets(session: Session, doc: dict[str, Any], source: str) -> dict[str, int]:
    """Street lines (GeoJSON, WGS84), cut into segments of at most 100 m; replaces that source's segments."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
            doc.get("features"), list):
        raise InvalidInput("streets must be a GeoJSON FeatureCollection of LineStrings", loc=("file",))
    if len(doc["features"]) > MAX_STREET_FEATURES:
        raise InvalidInput(f"at most {MAX_STREET_FEATURES} street features per file", loc=("file",))
    segments: list[tuple[str, shapely.LineString]] = []
    for number, feature in enumerate(doc["features"], start=1):
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict):
            raise InvalidInput(f"feature {number}: not a GeoJSON Feature with a geometry", loc=("file",))
        try:
            geometry = shapely.geometry.shape(feature["geometry"])
        except (ValueError, TypeError, KeyError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
            raise InvalidInput(f"feature {number}: malformed geometry ({exc})", loc=("file",)) from None
        if shapely.get_num_coordinates(geometry) > MAX_STREET_VERTICES:
            raise InvalidInput(f"feature {number}: more than {MAX_STREET_VERTICES} vertices", loc=("file",))
        raw_props = feature.get("properties")
        props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
        name = str(props.get("name") or props.get("namn") or props.get("gatunamn") or "okänd gata")
        lines = list(geometry.geoms) if geometry.geom_type == "MultiLineString" else [geometry]
        for line in lines:
            if line.geom_type != "LineString" or line.is_empty:
                raise InvalidInput(f"feature {number}: geometry must be a LineString", loc=("file",))
            x, y = to_sweref(*np.asarray(line.coords).T[:2])
            for piece in split_line(shapely.LineString(np.column_stack([x, y])), SEGMENT_M):
                lon, lat = to_wgs84(*np.asarray(piece.coords).T)
                segments.append((name, shapely.LineString(np.column_stack([lon, lat]))))
    session.execute(text("DELETE FROM street_segments WHERE source = :source"), {"source": source})
    for name, line in segments:
        session.execute(text("INSERT INTO street_segments (street, source, geom) "
                             "VALUES (:street, :source, ST_SetSRID(ST_GeomFromText(:wkt), 4326))"),
                        {"street": name, "source": source, "wkt": line.wkt})
    session.commit()
    return {"segments": len(segments)}


# -- reports and their status flow ------------------------------------------------------------------------

def create_report(session: Session, *, kind: str, lon: float, lat: float, description: str | None,
                  reported_by: str, source: str = "kommunen", lamp_external_id: str | None = None,
                  commit: bool = True, address: str | None = None, media_url: str | None = None,
                  located_by: str = "position") -> int:
    if kind not in KIND_SV:
        raise InvalidInput(f"kind must be one of {', '.join(KIND_SV)}", loc=("body", "kind"),
                           sv="Välj om det gäller en trasig lampa eller en mörk plats.")
    problem = lonlat_problem(lon, lat, _extent())
    if problem:
        raise InvalidInput(problem, loc=("body", "lat"), sv="Platsen ligger utanför kommunen; välj en plats i kartan.")
    from app.municipalities.service import municipality_at

    # the municipality whose boundary holds it, of those the caller (or the public view) is in: never a box
    municipality = municipality_at(session, lon, lat, ("body", "lat"))
    point = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
    lamp_id = None
    if lamp_external_id:
        lamp_id = session.execute(text("SELECT id FROM lamps WHERE external_id = :e"), {"e": lamp_external_id}).scalar()
        if lamp_id is None:
            raise InvalidInput(f"no lamp with id {lamp_external_id!r}", loc=("body", "lamp_id"))
    elif kind == "fault":
        lamp_id = session.execute(text(f"""SELECT id FROM lamps WHERE ST_DWithin(geom::geography, {point}::geography,
            :d) ORDER BY geom <-> {point} LIMIT 1"""), {"lon": lon, "lat": lat, "d": LAMP_LINK_M}).scalar()
    segment_id = session.execute(text(f"""SELECT id FROM street_segments
        WHERE ST_DWithin(geom::geography, {point}::geography, :d) ORDER BY geom <-> {point} LIMIT 1"""),
        {"lon": lon, "lat": lat, "d": SEGMENT_LINK_M}).scalar()
    report = LightingReport(kind=kind, description=description, reported_by=reported_by, source=source,
                            lamp_id=lamp_id, segment_id=segment_id, address=address, media_url=media_url,
                            located_by=located_by, geom=func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326),
                            municipality_code=municipality)
    session.add(report)
    session.flush()
    session.add(LightingReportEvent(report_id=report.id, from_status=None, to_status="reported",
                                    changed_by=reported_by))
    if commit:
        session.commit()
    return report.id


def change_status(session: Session, report_id: int, to_status: str, changed_by: str, note: str | None = None) -> None:
    """Move a report one legal step (reported → confirmed → scheduled → fixed; or rejected), logged."""
    report = session.get(LightingReport, report_id, with_for_update=True)
    if report is None:
        raise NotFound(f"lighting report {report_id} does not exist", loc=("path", "report_id"),
                       sv=f"Belysningsärende {report_id} finns inte.")
    allowed = TRANSITIONS.get(report.status, ())
    if to_status not in TRANSITIONS:
        raise InvalidInput(f"unknown status {to_status!r}; statuses: {', '.join(TRANSITIONS)}", loc=("body", "status"),
                           sv="Okänd status; välj ett av stegen på sidan.")
    if to_status not in allowed:
        session.rollback()
        raise Conflict(f"cannot go from {report.status!r} to {to_status!r}; allowed next: "
                       f"{', '.join(allowed) or 'none (closed)'}", loc=("body", "status"),
                       sv=f"Ärendet är {STATUS_SV[report.status]} och kan inte bli "
                          f"{STATUS_SV.get(to_status, to_status)}; ladda om sidan.")
    session.add(LightingReportEvent(report_id=report.id, from_status=report.status, to_status=to_status,
                                    changed_by=changed_by, note=note))
    report.status = to_status
    if report.kind == "fault" and report.lamp_id is not None:
        lamp = session.get(Lamp, report.lamp_id)
        if lamp is not None and to_status in ("confirmed", "fixed"):
            lamp.status = "fault" if to_status == "confirmed" else "ok"
    session.commit()


def report_feature(session: Session, report_id: int) -> dict[str, Any]:
    row = session.execute(text("""
        SELECT json_build_object('type', 'Feature', 'id', r.id, 'geometry', ST_AsGeoJSON(r.geom, 7)::json,
            'properties', json_build_object('kind', r.kind, 'status', r.status, 'description', r.description,
                'lamp', l.external_id, 'street', s.street, 'segment_id', r.segment_id, 'created_at', r.created_at,
                'history', (SELECT json_agg(json_build_object('from', e.from_status, 'to', e.to_status,
                    'by', e.changed_by, 'at', e.changed_at, 'note', e.note) ORDER BY e.id)
                    FROM lighting_report_events e WHERE e.report_id = r.id)))
        FROM lighting_reports r LEFT JOIN lamps l ON l.id = r.lamp_id LEFT JOIN street_segments s ON s.id = r.segment_id
        WHERE r.id = :id"""), {"id": report_id}).first()
    if row is None:
        raise NotFound(f"lighting report {report_id} does not exist", loc=("path", "report_id"),
                       sv=f"Belysningsärende {report_id} finns inte.")
    return dict(row[0])


# -- the relighting work list ----------------------------------------------------------------------------

def work_list(session: Session, *, days: int = 365, buffer_m: float = 30.0, limit: int = 100) -> list[dict[str, Any]]:
    """Street segments ranked by relighting priority, each component shown."""
    segments = session.execute(text("""
        SELECT s.id, s.street, ST_AsText(s.geom),
               count(r.id) FILTER (WHERE r.kind = 'fault' AND r.status NOT IN ('fixed', 'rejected')),
               count(r.id) FILTER (WHERE r.kind = 'dark_spot' AND r.status NOT IN ('fixed', 'rejected')),
               COALESCE((SELECT max(p.unsafe_share) FROM places p
                         WHERE ST_DWithin(p.geom::geography, s.geom::geography, 100)), 0)
        FROM street_segments s LEFT JOIN lighting_reports r ON r.segment_id = s.id
        GROUP BY s.id ORDER BY s.id""")).all()
    if not segments:
        return []
    lines_wgs = [shapely.from_wkt(row[2]) for row in segments]
    lines_m = []
    for line in lines_wgs:
        x, y = to_sweref(*np.asarray(line.coords).T)
        lines_m.append(shapely.LineString(np.column_stack([x, y])))
    xmin, ymin, xmax, ymax = shapely.total_bounds(lines_wgs)
    since = datetime.now(UTC) - timedelta(days=days)
    incidents = session.execute(text("""
        SELECT ST_X(geom), ST_Y(geom), extract(epoch FROM occurred_at) FROM incidents
        WHERE geom && ST_Expand(ST_MakeEnvelope(:a, :b, :c, :d, 4326), 0.001) AND occurred_at >= :since
          AND location_precision NOT IN ('municipality', 'area')"""),
        {"a": xmin, "b": ymin, "c": xmax, "d": ymax, "since": since}).all()
    array = np.array(incidents, dtype=float).reshape(-1, 3)
    ix, iy = to_sweref(array[:, 0], array[:, 1])
    dark = is_dark(array[:, 2], array[:, 1], array[:, 0]) if len(array) else np.zeros(0, dtype=bool)
    score = relighting_priority(lines_m, np.column_stack([ix, iy]), dark,
                                np.array([r[3] for r in segments]), np.array([r[4] for r in segments]),
                                np.array([float(r[5]) for r in segments]), buffer_m=buffer_m)
    order = np.argsort(-score.priority, kind="stable")[:limit]
    return [{
        "rank": rank, "segment_id": segments[i][0], "street": segments[i][1],
        "geometry": shapely.geometry.mapping(lines_wgs[i]), "length_m": round(lines_m[i].length),
        "priority": round(float(score.priority[i]), 2),
        "components": {"dark_incidents": int(score.dark_incidents[i]),
                       "daylight_incidents": int(score.light_incidents[i]),
                       "open_faults": int(score.open_faults[i]), "dark_spots": int(score.dark_spots[i]),
                       "unsafety": round(float(score.unsafety[i]), 2)},
    } for rank, i in enumerate(order.tolist(), start=1)]


def by_street(session: Session, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The work list as technical services work it: one entry per street (its best-ranked segment
    first), with the street's segments and its open lamp faults by lamp id, the oldest first."""
    streets: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = streets.setdefault(row["street"], {"street": row["street"], "rank": row["rank"],
                                                   "priority": row["priority"], "segments": []})
        entry["segments"].append(row)
    ids = [row["segment_id"] for row in rows]
    faults = session.execute(text("""
        SELECT s.street, l.external_id, r.kind, r.status, r.created_at::date AS reported,
               CURRENT_DATE - r.created_at::date AS age
        FROM lighting_reports r JOIN street_segments s ON s.id = r.segment_id LEFT JOIN lamps l ON l.id = r.lamp_id
        WHERE r.segment_id = ANY(:ids) AND r.status NOT IN ('fixed', 'rejected')
        ORDER BY r.created_at, r.id"""), {"ids": ids}).mappings().all()
    for fault in faults:
        owner = streets.get(fault["street"])
        if owner is not None:
            owner.setdefault("faults", []).append({**fault, "kind_sv": KIND_SV[fault["kind"]],
                                                   "status_sv": STATUS_SV[fault["status"]]})
    return sorted(streets.values(), key=lambda e: e["rank"])
