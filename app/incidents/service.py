"""Incident storage and queries. PostGIS builds the GeoJSON text (ST_AsGeoJSON, concatenated).

Building one Python object per feature costs seconds at a thousand features under load; letting
PostgreSQL aggregate the FeatureCollection text costs milliseconds, so list endpoints pass its bytes
straight through.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, func, text
from sqlalchemy.orm import Session

from app.auth.roles import Role
from app.auth.service import Principal, writing_unit
from app.config import get_settings
from app.db import DATA_VERSION_SQL, commit_unique
from app.errors import Conflict, InvalidInput, NotFound
from app.incidents.models import Incident
from app.incidents.schemas import IncidentCreate, IncidentUpdate
from app.places.zones import PLACE_ZONE_SQL, place_for_point
from app.reference.service import check_organisation, resolve_categories

PROPERTY_COLUMNS = ("i.category, i.occurred_at, i.reported_at, i.source, i.external_id, i.location_precision, "
                    "i.precision_m, i.description, i.place_id")
# Each row's Feature text in WGS 84, built once when the row is written (migration 0012).
STORED_FEATURE = "i.feature"


def feature_text_sql(geometry: str) -> str:
    """A feature's text built on the fly, for another CRS than the stored one; the same shape as the
    stored column (concatenation, properties by row_to_json)."""
    return (f"""'{{"type":"Feature","id":' || i.id || ',"geometry":' || {geometry} || ',"properties":' || """
            f"""(SELECT row_to_json(pr) FROM (SELECT {PROPERTY_COLUMNS}) pr)::text || '}}'""")


@dataclass(frozen=True)
class Page:
    features_json: str
    returned: int
    last_id: int | None
    has_more: bool
    data_version: int  # read in the same statement, for caches keyed on it (numberMatched)


# The key-order walk beats "find the matches, then sort" while matched² ≥ SORT_FIRST × rows × page: a
# walk reads about rows × page / matched rows before the page is full (more where the matches are a
# cluster whose ids are close together), the sort reads every match. Measured on 1M incidents in
# clustered data (both orders over 60 random boxes; bench/features.py --boxes random end to end):
# 7–17k matches walked 38–300 ms against 8–14 ms sorted; 26k+ matches walked faster (15 vs 33 ms).
SORT_FIRST = 0.4


def table_state(session: Session) -> tuple[int, int]:
    """The data version (for caches keyed on it) and the planner's row count of incidents, in one trip."""
    version, rows = session.execute(text(f"SELECT ({DATA_VERSION_SQL}), greatest(reltuples, 0)::bigint "
                                         "FROM pg_class WHERE oid = 'incidents'::regclass")).one()
    return int(version), int(rows)


def page_order(session: Session, where: str, params: dict[str, Any], limit: int, matched: int | None,
               rows: int | None = None) -> str:
    """The ORDER BY that gives this filter its fast plan: `i.id` (walk the primary key) or `i.id + 0`
    (the same order, but PostgreSQL must collect the matches by their own index and sort them). The
    planner alone picked the walk for boxes of ~10,000 clustered matches and lost 20×."""
    if where == "TRUE":
        return "i.id"
    if matched is None:  # the planner's own estimate of the matches (PostGIS keeps spatial statistics)
        plan = session.execute(text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM incidents i WHERE {where}"),
                               params).scalar_one()
        matched = int(plan[0]["Plan"]["Plan Rows"])
    if rows is None:
        rows = table_state(session)[1]
    return "i.id + 0" if matched * matched < SORT_FIRST * max(rows, matched) * (limit + 1) else "i.id"


def fetch_page(session: Session, where: str, params: dict[str, Any], *, limit: int,
               feature: str = STORED_FEATURE, matched: int | None = None, table_rows: int | None = None) -> Page:
    """Keyset page in id order: PostgreSQL hands over ready feature texts and Python only joins them
    (cheaper than an aggregate with a window over the page, 8.2 → 5.5 ms for 1,000 features). The data
    version comes with the page, so callers that cache on it need no second round trip; an empty page
    still returns it (the LEFT JOIN keeps one row). The order's plan fits the number of matches
    (`page_order`); `matched` is that number and `table_rows` the table's when the caller knows them."""
    order = page_order(session, where, params, limit, matched, table_rows)
    result = cast(CursorResult[Any], session.execute(text(f"""
        SELECT p.id, p.feature, v.version FROM ({DATA_VERSION_SQL}) v (version)
        LEFT JOIN LATERAL (SELECT i.id, {feature} AS feature FROM incidents i WHERE {where}
                           ORDER BY {order} LIMIT :limit_plus_one) p ON TRUE"""),
        {**params, "limit_plus_one": limit + 1}))
    rows = result.cursor.fetchall()  # the driver's plain tuples: SQLAlchemy Row objects cost 0.6 ms a page
    result.close()
    version = int(rows[0][2])
    found = [row for row in rows if row[0] is not None]
    page = found[:limit]
    return Page(features_json="[" + ",".join(row[1] for row in page) + "]", returned=len(page),
                last_id=page[-1][0] if page else None, has_more=len(found) > limit, data_version=version)




@dataclass
class IncidentFilter:
    """Filters shared by listing, counting and analysis; every value is bound, never spliced."""

    bbox: tuple[float, float, float, float] | None = None
    start: datetime | None = None
    end: datetime | None = None
    categories: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    place_id: int | None = None
    hours: list[int] = field(default_factory=list)      # local hour of day 0–23 (LAGESBILD_TIMEZONE)
    weekdays: list[int] = field(default_factory=list)   # ISO weekday 1 (Monday) – 7 (Sunday), local

    def where(self, alias: str = "i") -> tuple[str, dict[str, Any]]:
        clauses: list[str] = ["TRUE"]
        params: dict[str, Any] = {}
        if self.bbox:
            clauses.append(f"{alias}.geom && ST_MakeEnvelope(:bx0, :by0, :bx1, :by1, 4326)")
            params.update(bx0=self.bbox[0], by0=self.bbox[1], bx1=self.bbox[2], by1=self.bbox[3])
        if self.start:
            clauses.append(f"{alias}.occurred_at >= :start")
            params["start"] = self.start
        if self.end:
            clauses.append(f"{alias}.occurred_at < :end")
            params["end"] = self.end
        if self.categories:
            clauses.append(f"{alias}.category = ANY(:categories)")
            params["categories"] = list(self.categories)
        if self.sources:
            clauses.append(f"{alias}.source = ANY(:sources)")
            params["sources"] = list(self.sources)
        if self.place_id is not None:
            clauses.append(
                f"({alias}.place_id = :place_id OR ST_Intersects({alias}.geom, "
                f"(SELECT {PLACE_ZONE_SQL} FROM places p WHERE p.id = :place_id)))"
            )
            params["place_id"] = self.place_id
        if self.hours or self.weekdays:
            params["tz"] = get_settings().timezone
        if self.hours:
            clauses.append(f"extract(hour FROM {alias}.occurred_at AT TIME ZONE :tz)::int = ANY(:hours)")
            params["hours"] = sorted(set(self.hours))
        if self.weekdays:
            clauses.append(f"extract(isodow FROM {alias}.occurred_at AT TIME ZONE :tz)::int = ANY(:weekdays)")
            params["weekdays"] = sorted(set(self.weekdays))
        return " AND ".join(clauses), params


def build_filter(
    session: Session,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    categories: list[str] | None = None,
    sources: list[str] | None = None,
    place_id: int | None = None,
    viewer: Principal | None = None,
    hours: list[int] | None = None,
    weekdays: list[int] | None = None,
) -> IncidentFilter:
    """Validate filter values against the reference tables and return the filter, scoped to what
    `viewer` may see in detail (`visible_to`): every query of incident detail is built here."""
    cats = resolve_categories(session, _split(categories), ("query", "category")) if categories else []
    srcs = [check_organisation(session, s, ("query", "source")) for s in _split(sources)] if sources else []
    if place_id is not None and session.execute(
        text("SELECT 1 FROM places WHERE id = :id"), {"id": place_id}
    ).first() is None:
        raise NotFound(f"place {place_id} does not exist", loc=("query", "place"))
    flt = IncidentFilter(bbox=bbox, start=start, end=end, categories=cats, sources=srcs, place_id=place_id,
                         hours=list(hours or []), weekdays=list(weekdays or []))
    return visible_to(flt, viewer)


NO_SOURCE = "-"  # matches no organisation code: an empty result, not "no filter"


def visible_to(flt: IncidentFilter, principal: Principal | None) -> IncidentFilter:
    """Reporters see their own unit's incidents in detail, nobody else's (aggregates stay open to them)."""
    if principal is None or principal.role is not Role.reporter:
        return flt
    own = principal.organisation or NO_SOURCE
    sources = [own] if not flt.sources or own in flt.sources else [NO_SOURCE]
    return replace(flt, sources=sources)


def check_visible(session: Session, incident_id: int, principal: Principal | None) -> None:
    if principal is None or principal.role is not Role.reporter:
        return
    source = session.execute(text("SELECT source FROM incidents WHERE id = :id"), {"id": incident_id}).scalar()
    if source is not None and source != principal.organisation:
        raise NotFound(f"incident {incident_id} does not exist", loc=("path", "incident_id"))


def _split(values: list[str] | None) -> list[str]:
    """Accept both repeated parameters and comma-separated lists."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def list_page(session: Session, flt: IncidentFilter, *, limit: int, after: int | None) -> Page:
    """One page in id order (keyset pagination: stable while rows are added)."""
    where, params = flt.where()
    if after is not None:
        where += " AND i.id > :after"
        params["after"] = after
    return fetch_page(session, where, params, limit=limit)


def count(session: Session, flt: IncidentFilter) -> int:
    where, params = flt.where()
    return int(session.execute(text(f"SELECT count(*) FROM incidents i WHERE {where}"), params).scalar_one())


def get_feature(session: Session, incident_id: int, viewer: Principal | None = None) -> dict[str, Any]:
    """One incident as stored; an incident `viewer` may not see is not found (as if it did not exist)."""
    check_visible(session, incident_id, viewer)
    row = session.execute(
        text(f"SELECT {STORED_FEATURE}::json FROM incidents i WHERE i.id = :id"), {"id": incident_id}
    ).first()
    if row is None:
        raise NotFound(f"incident {incident_id} does not exist", loc=("path", "incident_id"))
    return dict(row[0])


def _point(lon: float, lat: float) -> Any:
    return func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)


def _check_place(session: Session, place_id: int | None) -> None:
    if place_id is not None and session.execute(
        text("SELECT 1 FROM places WHERE id = :id"), {"id": place_id}
    ).first() is None:
        raise InvalidInput(f"place {place_id} does not exist", loc=("body", "place_id"))


FUTURE_SLACK = timedelta(minutes=15)  # a phone's clock may run a little fast; more than this is a typo


def _not_in_future(when: datetime | None) -> None:
    if when is not None and when > datetime.now(UTC) + FUTURE_SLACK:
        raise InvalidInput(f"occurred_at {when.isoformat()} lies in the future", loc=("body", "occurred_at"),
                           sv="Tidpunkten ligger i framtiden.")


def create(session: Session, data: IncidentCreate, principal: Principal) -> int:
    _not_in_future(data.occurred_at)
    [category] = resolve_categories(session, [data.category], ("body", "category"))
    source = writing_unit(session, principal, data.source, ("body", "source"))
    _check_place(session, data.place_id)
    incident = Incident(
        geom=_point(data.lon, data.lat),
        category=category,
        occurred_at=data.occurred_at,
        source=source,
        external_id=data.external_id,
        location_precision=data.location_precision,
        precision_m=data.precision_m,
        description=data.description,
        place_id=data.place_id if data.place_id is not None else place_for_point(session, data.lon, data.lat),
    )
    # the one of the caller's municipalities whose boundary holds it (refused, the municipality named, if none)
    from app.municipalities.service import municipality_at

    incident.municipality_code = municipality_at(session, data.lon, data.lat)
    session.add(incident)
    _commit(session, data.external_id, source)
    return incident.id


def update(session: Session, incident_id: int, data: IncidentUpdate) -> None:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} does not exist", loc=("path", "incident_id"))
    changes = data.model_dump(exclude_unset=True)
    if "category" in changes:
        if changes["category"] is None:
            raise InvalidInput("category cannot be empty", loc=("body", "category"))
        [changes["category"]] = resolve_categories(session, [changes["category"]], ("body", "category"))
    if "place_id" in changes:
        _check_place(session, changes["place_id"])
    if "occurred_at" in changes and changes["occurred_at"] is None:
        raise InvalidInput("occurred_at cannot be empty", loc=("body", "occurred_at"))
    _not_in_future(changes.get("occurred_at"))
    lon, lat = changes.pop("lon", None), changes.pop("lat", None)
    if lon is not None and lat is not None:
        incident.geom = _point(lon, lat)
        if "place_id" not in changes:  # moved: it belongs to the place where it now is, not where it was
            changes["place_id"] = place_for_point(session, lon, lat)
    for key, value in changes.items():
        setattr(incident, key, value)
    _commit(session, incident.external_id, incident.source)


def delete(session: Session, incident_id: int) -> None:
    deleted = session.execute(text("DELETE FROM incidents WHERE id = :id"), {"id": incident_id}).rowcount  # type: ignore[attr-defined]
    if not deleted:
        session.rollback()
        raise NotFound(f"incident {incident_id} does not exist", loc=("path", "incident_id"))
    session.commit()


def _commit(session: Session, external_id: str | None, source: str) -> None:
    commit_unique(session, "incident_municipality_source_external_id", Conflict(
        f"an incident with external_id {external_id!r} from source {source!r} exists already",
        loc=("body", "external_id")))
