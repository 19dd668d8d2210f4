"""The lägesbild: the joint situation picture for a period, built from the analyses (Swedish)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis import service as analysis
from app.analysis.schemas import HOTSPOT_DAYS, ClusterParams, EmergingParams, Scope
from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.interventions import service as interventions
from app.maps.charts import category_bars, hour_weekday_heatmap
from app.maps.service import sheet_minimap
from app.places.zones import PLACE_ZONE_SQL
from app.promises import service as promises
from app.reports import service as reports
from app.walks import service as walks
from geo import temporal

TOP_HOTSPOTS = 8
LAGESBILD_EMERGING = EmergingParams(slice_days=14, slices=12)  # 12 fortnights: the meeting's rhythm


def hotspot_scope(scope: Scope) -> Scope:
    """The lägesbild's hotspots are those of the half-year up to its period's end (as on the other pages)."""
    _, end = scope.period(14)
    return scope.model_copy(update={"start": end - timedelta(days=HOTSPOT_DAYS), "end": end,
                                    "include_imprecise": False})


def hotspots_of(session: Session, scope: Scope) -> list[Any]:
    """The lägesbild's hotspots, numbered as on its map."""
    return analysis.clusters(session, hotspot_scope(scope), ClusterParams()).features[:TOP_HOTSPOTS]


def lagesbild(session: Session, scope: Scope) -> dict[str, Any]:
    """Numbers, charts and lists for one period (default: the last 14 days)."""
    start, end = scope.period(14)
    # Counts by category and hour need no exact position: police-feed events known only to the
    # municipality count here (and the echo says so); the maps below leave them out.
    period = scope.model_copy(update={"start": start, "end": end, "include_imprecise": True})
    compare = analysis.compare(session, period)
    profile = analysis.time_profile(session, period)
    scope = scope.model_copy(update={"include_imprecise": False})
    half_year = hotspot_scope(scope.model_copy(update={"start": start, "end": end}))
    hotspots = analysis.clusters(session, half_year, ClusterParams())
    emerging = analysis.emerging(session, scope.model_copy(update={"start": None, "end": end}),
                                 LAGESBILD_EMERGING)
    places = session.execute(text(f"""
        SELECT p.name,
               count(i.id) FILTER (WHERE i.occurred_at >= :s AND i.occurred_at < :e),
               count(i.id) FILTER (WHERE i.occurred_at >= :ps AND i.occurred_at < :s)
        FROM places p LEFT JOIN incidents i ON ST_Intersects(i.geom, {PLACE_ZONE_SQL})
             AND i.occurred_at >= :ps AND i.occurred_at < :e
        GROUP BY p.id, p.name ORDER BY 2 DESC, p.name"""),
        {"s": start, "e": end, "ps": start - (end - start)}).all()
    open_lighting = session.execute(text("""
        SELECT r.kind, r.status, COALESCE(r.description, ''), COALESCE(s.street, '') FROM lighting_reports r
        LEFT JOIN street_segments s ON s.id = r.segment_id WHERE r.status NOT IN ('fixed', 'rejected')
        ORDER BY r.created_at DESC LIMIT 30""")).all()
    org_names: dict[str, str] = {c: n for c, n in session.execute(text("SELECT code, name FROM organisations"))}
    cats = compare.categories
    local_end = end.astimezone(ZoneInfo(get_settings().timezone)).date()
    local_start = start.astimezone(ZoneInfo(get_settings().timezone)).date()
    decided = interventions.decisions(session, decided_up_to=local_end - timedelta(days=1),
                                      since=local_start - (local_end - local_start))
    other_ids = session.scalars(text(
        "SELECT id FROM interventions WHERE status IN ('active', 'completed') AND decided_on IS NULL "
        "ORDER BY start_date DESC LIMIT 20")).all()
    decision_rows = [_intervention_row(session, f, org_names, local_end) for f in decided]
    intervention_rows = [_intervention_row(session, interventions.get(session, i), org_names, local_end)
                         for i in other_ids]
    hotspot_map = hotspot_zoom = None
    if hotspots.features:  # numbered as the list beside it
        top = hotspots.features[:TOP_HOTSPOTS]
        near = _near_the_first(top)
        spread = 1 < len(near) < len(top)  # over the municipality: the town large, the whole small beside it
        hotspot_map = _numbered_map(session, near if spread else top, size_px=460)
        hotspot_zoom = _numbered_map(session, top, size_px=300, margin_m=1200) if spread else None
    change = analysis.change_map(session, scope.model_copy(update={"start": start, "end": end}))
    terrain = analysis.risk_terrain(session, half_year)
    top_hotspots = hotspots.features[:TOP_HOTSPOTS]
    recorded = _causes(session, local_end, {row["id"]: row for row in decision_rows + intervention_rows})
    new_or_growing = {k: v for k, v in emerging.patterns.items()
                      if k.split("_")[0] in ("new", "consecutive", "intensifying")}
    return {
        "period": {"start": start, "end": end}, "compare": compare,
        "category_chart": category_bars([c.label for c in cats], [c.current for c in cats],
                                        [c.vs_previous.count or 0 for c in cats],
                                        [c.vs_last_year.count or 0 for c in cats]) if cats else None,
        "profile_chart": hour_weekday_heatmap(profile.matrix) if profile.incidents else None,
        "hotspots": [f.properties for f in hotspots.features[:TOP_HOTSPOTS]], "hotspot_map": hotspot_map,
        "hotspot_overview": hotspot_zoom,
        "hotspot_period": {"start": half_year.start, "end": end},
        "change": change, "change_map": _change_picture(session, change),
        "terrain": terrain, "conditions": _conditions(session, top_hotspots, terrain, half_year),
        "causes": recorded, "cause_of": {i["id"]: c for c in recorded for i in c["interventions"]},
        "change_claims": [f.properties for f in change.features if f.properties.significant],
        "emerging": new_or_growing, "town": emerging.town,
        "places": [{"name": n, "current": c, "previous": p} for n, c, p in places],
        "lighting": [{"kind": k, "status": s, "description": d, "street": st} for k, s, d, st in open_lighting],
        "source_names": org_names,  # a left-out source is named as its unit, not by its code
        "interventions": intervention_rows, "decisions": decision_rows, "meeting_day": local_end - timedelta(days=1),
        "areas": _areas(session, start, end),
        "reporting": reports.status(session, local_end - timedelta(days=1)),
        "observations": _observations(session, local_start, local_end),
        "findings": walks.findings_between(session, local_start, local_end),
        "promises": _promises(session, start, end, local_end),
        "created": datetime.now(),
    }


TOWN_RADIUS_M = 2500


def _numbered_map(session: Session, features: list[Any], size_px: int, margin_m: float = 200) -> Any:
    """The hotspots with their numbers; a municipality overview gets room for the localities' names."""
    merged = {"type": "GeometryCollection", "geometries": [f.geometry for f in features]}
    return sheet_minimap(session, merged, size_px=size_px, margin_m=margin_m,
                         numbers=[(f.properties.rank, f.geometry) for f in features])


NEAR_HOTSPOT_M = 150  # walk findings this close to a hotspot's outline are part of its conditions


def _conditions(session: Session, features: list[Any], terrain: Any, half_year: Scope) -> list[dict[str, Any]]:
    """Per hotspot, what the group discusses: the risk factors found significant that lie at or near it
    (within the distance the model kept), the units' observations of places in it and the walk findings
    beside it, and its hours."""
    import shapely
    from shapely.geometry import shape

    from app.causes.factors import factor_layers, near

    if not features:
        return []
    assert half_year.start is not None and half_year.end is not None
    layers = {f.layer.code: f.layer for f in factor_layers(session, half_year.start, half_year.end)}
    significant = [f for f in terrain.factors if f.significant and f.code in layers]
    out = []
    for feature in features:
        area = shape(feature.geometry)
        wkb = shapely.to_wkb(area)
        present = [f for f in significant if near(layers[f.code], area, f.distance_m or 0.0)]
        observations = session.execute(text(f"""
            SELECT o.name, p.name, b.text FROM unit_report_observations b JOIN unit_reports r ON r.id = b.report_id
            JOIN organisations o ON o.code = r.organisation JOIN places p ON p.id = b.place_id
            WHERE ST_Intersects({PLACE_ZONE_SQL}, ST_SetSRID(ST_GeomFromWKB(:g), 4326))
              AND r.period_end >= :s ORDER BY r.period_start DESC, b.id LIMIT 5"""),
            {"g": wkb, "s": half_year.start.date()}).all()
        findings = session.execute(text("""
            SELECT f.kind, f.description, f.status FROM walk_findings f
            WHERE ST_DWithin(f.geom::geography, ST_SetSRID(ST_GeomFromWKB(:g), 4326)::geography, :d)
            ORDER BY f.id DESC LIMIT 5"""), {"g": wkb, "d": NEAR_HOTSPOT_M}).all()
        out.append({"rank": feature.properties.rank, "name": feature.properties.name, "factors": present,
                    "hours": feature.properties.active_hour_ranges,
                    "observations": [{"unit": u, "place": p, "text": t} for u, p, t in observations],
                    "findings": [{"kind": k, "description": d, "status": st} for k, d, st in findings]})
    return out


def _causes(session: Session, day: date, measures: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The causes recorded so far, each with its interventions as this lägesbild follows them up."""
    from app.causes import service as causes

    org_names: dict[str, str] = {c: n for c, n in session.execute(text("SELECT code, name FROM organisations"))}
    out = []
    for cause in causes.recorded(session, up_to=day):
        linked = [measures.get(i) or _intervention_row(session, interventions.get(session, i), org_names, day)
                  for i in cause["intervention_ids"]]
        out.append({**cause, "interventions": linked})
    return out


CHANGE_COLOURS = {"up": ("#b2182bcc", "#67001f"), "down": ("#2166accc", "#053061"),
                  "rose": ("#f4a58277", "#e08a66"), "fell": ("#92c5de77", "#6fa8c8")}


def _change_picture(session: Session, change: Any) -> Any:
    """The map of change: the cells around the busiest one (its town), strong where the test says the
    change is real, pale where chance alone could make it."""
    import shapely
    from shapely.geometry import shape

    moved = [f for f in change.features if f.properties.current != f.properties.previous]
    if not moved:
        return None
    busiest = max(change.features, key=lambda f: f.properties.current + f.properties.previous)
    keep = [f for f in moved if f.properties.significant or _within_town(shape(f.geometry), shape(busiest.geometry))]
    shaded = []
    for f in keep:
        p = f.properties
        key = p.direction or ("rose" if p.current > p.previous else "fell")
        shaded.append((f.geometry, *CHANGE_COLOURS[key]))
    frame = shapely.geometry.mapping(shapely.union_all([shape(f.geometry) for f in keep]))
    return sheet_minimap(session, frame, size_px=460, margin_m=150, shaded=shaded)


def _within_town(cell: Any, centre: Any) -> bool:
    from geo.crs import to_sweref

    a, b = cell.centroid, centre.centroid
    (x0, x1), (y0, y1) = to_sweref([a.x, b.x], [a.y, b.y])
    return bool(((x0 - x1) ** 2 + (y0 - y1) ** 2) ** 0.5 <= TOWN_RADIUS_M)


def _near_the_first(features: list[Any]) -> list[Any]:
    """The hotspots within TOWN_RADIUS_M of the largest one: its town, drawn large enough to read."""
    import shapely
    from shapely.geometry import shape

    from geo.crs import to_sweref

    def centre(feature: Any) -> tuple[float, float]:
        point = shape(feature.geometry).representative_point()
        x, y = to_sweref([point.x], [point.y])
        return float(x[0]), float(y[0])

    x0, y0 = centre(features[0])
    return [f for f in features if shapely.Point(centre(f)).distance(shapely.Point(x0, y0)) <= TOWN_RADIUS_M]


def _intervention_row(session: Session, feature: dict[str, Any], org_names: dict[str, str],
                      day: date) -> dict[str, Any]:
    """An intervention with its words, whether it is late, and its follow-up once it has started."""
    props = feature["properties"]
    try:
        follow = interventions.follow_up(session, feature["id"])
    except (InvalidInput, NotFound):  # not started yet: shown without numbers
        follow = None
    due = date.fromisoformat(props["due_date"]) if props.get("due_date") else None
    return {"id": feature["id"], "properties": props, "follow_up": follow,
            "kind_sv": interventions.KIND_SV.get(props["kind"], props["kind"]),
            "status_sv": interventions.STATUS_SV.get(props["status"], props["status"]),
            "late": due is not None and due < day and props["status"] in ("planned", "active"),
            "organisation_name": org_names.get(props["organisation"], props["organisation"])}


# Localities (tätorter) as areas: 1.5 km around the places of each locality, the rest is countryside.
AREA_RADIUS_M = 1500


def _areas(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Counts per locality this period against the previous period and the same period last year, over
    the sources whose data covers both periods, Benjamini–Hochberg across the table."""
    length = end - start
    last_year = timedelta(days=364)
    periods = {"current": (start, end), "previous": (start - length, start),
               "last_year": (start - last_year, end - last_year)}
    params = {"r": AREA_RADIUS_M, "s": start, "e": end, "ps": start - length, "ys": start - last_year,
              "ye": end - last_year}
    counts = """count(*) FILTER (WHERE i.occurred_at >= :s AND i.occurred_at < :e),
                count(*) FILTER (WHERE i.occurred_at >= :ps AND i.occurred_at < :s),
                count(*) FILTER (WHERE i.occurred_at >= :ys AND i.occurred_at < :ye)"""
    window = """((i.occurred_at >= :ps AND i.occurred_at < :e) OR (i.occurred_at >= :ys AND i.occurred_at < :ye))
                AND i.location_precision NOT IN ('municipality', 'area')"""
    # Each incident in exactly one area: the locality of its nearest place within the radius. Two
    # localities' areas may overlap (places 2 km apart); counted in both, "Övriga kommunen" (the total less
    # the areas) went negative and the page answered 500.
    rows = session.execute(text(f"""
        SELECT a.locality, i.source, {counts} FROM incidents i
        CROSS JOIN LATERAL (SELECT p.locality FROM places p
                            WHERE ST_DWithin(p.geom::geography, i.geom::geography, :r)
                            ORDER BY p.geom::geography <-> i.geom::geography, p.id LIMIT 1) a
        WHERE {window} GROUP BY a.locality, i.source"""), params).all()
    total = session.execute(text(f"SELECT i.source, {counts} FROM incidents i WHERE {window} GROUP BY i.source"),
                            params).all()
    by_area: dict[str, list[tuple[str, int, int, int]]] = {}
    for name, source, now, before, year in rows:
        by_area.setdefault(name, []).append((source, now, before, year))
    rest = {source: (now, before, year) for source, now, before, year in total}
    for parts in by_area.values():
        for source, now, before, year in parts:
            r = rest[source]
            rest[source] = (r[0] - now, r[1] - before, r[2] - year)
    areas = sorted(by_area.items(), key=lambda kv: (-sum(p[1] for p in kv[1]), kv[0]))
    areas.append(("Övriga kommunen", [(source, *values) for source, values in rest.items()]))
    table = analysis.ComparisonTable(session, periods, None)
    out: list[dict[str, Any]] = []
    for name, parts in areas:
        vs_prev, vs_year = table.change(parts, "previous"), table.change(parts, "last_year")
        out.append({"name": name, "current": sum(p[1] for p in parts), "previous": sum(p[2] for p in parts),
                    "last_year": sum(p[3] for p in parts), "vs_previous": vs_prev, "vs_last_year": vs_year})
    table.correct()
    for row in out:
        row["previous_mark"] = _mark(row["vs_previous"])
        row["last_year_mark"] = _mark(row["vs_last_year"])
    return out


def _mark(change: dict[str, Any]) -> str:
    """▲/▼ for a significant change, "(data saknas)" when the earlier period has no data, else nothing."""
    return {"up": "▲", "down": "▼", "no_data": "(data saknas)"}.get(change["direction"], "")


def _observations(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """The units' observations for reports overlapping the period, place by place."""
    rows = session.execute(text("""
        SELECT o.name AS unit, COALESCE(p.name, 'Allmänt') AS place, b.text, r.period_start, r.period_end
        FROM unit_report_observations b JOIN unit_reports r ON r.id = b.report_id
        JOIN organisations o ON o.code = r.organisation LEFT JOIN places p ON p.id = b.place_id
        WHERE r.period_end >= :s AND r.period_start < :e
        ORDER BY p.name NULLS LAST, o.name, b.id LIMIT 200"""), {"s": start, "e": end}).mappings().all()
    return [dict(r) for r in rows]


def _promises(session: Session, start: datetime, end: datetime, day: date) -> list[dict[str, Any]]:
    """Current citizen promises: incidents in their places and categories now against the same period
    last year, and how far their interventions have come."""
    out = []
    last_year = timedelta(days=364)
    for promise in promises.current(session, day - timedelta(days=1)):
        now, year = session.execute(text(f"""
            WITH zone AS (SELECT ST_Union({PLACE_ZONE_SQL}) AS g FROM places p WHERE p.id = ANY(:places))
            SELECT count(*) FILTER (WHERE i.occurred_at >= :s), count(*) FILTER (WHERE i.occurred_at < :ye)
            FROM incidents i, zone
            WHERE ((i.occurred_at >= :s AND i.occurred_at < :e) OR (i.occurred_at >= :ys AND i.occurred_at < :ye))
              AND (cardinality(CAST(:cats AS text[])) = 0 OR i.category = ANY(CAST(:cats AS text[])))
              AND (cardinality(CAST(:places AS int[])) = 0 OR ST_Intersects(i.geom, zone.g))"""), {
            "places": [p["id"] for p in promise["places"]], "cats": promise["categories"], "s": start, "e": end,
            "ys": start - last_year, "ye": end - last_year}).one()
        measures = promise["interventions"]
        change = temporal.compare_counts(now, year)
        direction = ("up" if now > year else "down") if change.significant else "unchanged"
        out.append({**promise, "current": now, "last_year": year, "mark": _mark({"direction": direction}),
                    "completed": sum(1 for m in measures if m["status"] == "completed"),
                    "active": sum(1 for m in measures if m["status"] == "active")})
    return out
