"""Map data per user group, gathered from the analyses, and the aggregated incidents endpoint."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Literal

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis import service as analysis
from app.analysis.results import Hotspots
from app.analysis.schemas import ClusterParams, DensityParams, GiStarParams, Scope
from app.config import get_settings
from app.incidents.service import IncidentFilter
from app.maps.minimap import Minimap, minimap, window
from app.maps.render import LIGHTING_DARK_SPOT, LIGHTING_FAULT, LIGHTING_PRIORITY, MapData, html
from app.municipalities.schemas import MunicipalityOut
from app.places import service as places
from app.reference.service import categories

View = Literal["oversikt", "analys", "patrull", "belysning", "publik"]
VIEW_LAYERS: dict[str, tuple[str, ...]] = {
    "oversikt": ("incidents", "density", "hotspots", "places"),
    "analys": ("incidents", "density", "hotspots", "gistar", "risk", "places"),
    "patrull": ("patrol", "hotspots", "incidents", "places"),
    "belysning": ("lighting", "incidents", "places"),
    "publik": ("public", "places"),
}
POINTS_FROM_ZOOM = 16
LAT0 = 58.3
LIGHTING_CATEGORIES = ("belysning", "vegetation")


def cell_size_m(zoom: int) -> float:
    """Cell edge for a zoom level: about 20–25 screen pixels per cell."""
    return max(10.0, 20000.0 / 2 ** (zoom - 6))


def aggregated_incidents(session: Session, flt: IncidentFilter, *, zoom: int) -> bytes:
    """Counts per cell (mean position, most common category), or single incidents close up.

    Cells are squares of `cell_size_m(zoom)` in degrees scaled for Mjölby's latitude, so PostgreSQL
    groups plain numbers instead of projecting every point.
    """
    where, params = flt.where()
    if zoom >= POINTS_FROM_ZOOM:
        most = get_settings().map_points_max
        n = session.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM incidents i WHERE {where} "
                                 "LIMIT :most) s"), {**params, "most": most + 1}).scalar_one()
        if n > most:
            # Too many single incidents for GeoJSON: the page draws them from vector tiles instead.
            return b'{"kind":"tiles","count":' + str(n).encode() + b',"items":[]}'
        body = session.execute(text(f"""
            SELECT COALESCE(json_agg(json_build_array(
                   round(ST_X(i.geom)::numeric, 6), round(ST_Y(i.geom)::numeric, 6), i.category,
                   to_char(i.occurred_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI'), p.name)), '[]')::text
            FROM incidents i LEFT JOIN places p ON p.id = i.place_id WHERE {where}"""),
            {**params, "tz": get_settings().timezone}).scalar_one()
        return b'{"kind":"points","items":' + body.encode() + b"}"
    size = cell_size_m(zoom)
    dy = size / 111_320.0
    dx = size / (111_320.0 * math.cos(math.radians(LAT0)))
    body = session.execute(text(f"""
        SELECT COALESCE(json_agg(json_build_array(round(x::numeric, 5), round(y::numeric, 5), n, cat)), '[]')::text
        FROM (SELECT avg(ST_X(i.geom)) AS x, avg(ST_Y(i.geom)) AS y, count(*) AS n,
                     mode() WITHIN GROUP (ORDER BY i.category) AS cat
              FROM incidents i WHERE {where}
              GROUP BY floor(ST_X(i.geom) / :dx), floor(ST_Y(i.geom) / :dy)) cells"""),
        {**params, "dx": dx, "dy": dy}).scalar_one()
    return b'{"kind":"cells","cell_m":' + str(round(size)).encode() + b',"items":' + body.encode() + b"}"


def _localities(session: Session, municipality: MunicipalityOut | None) -> list[tuple[str, float, float]]:
    """(name, lat, lon) of the localities of what the map shows: the public view's municipality, else every
    one the session sees (the default's first, each municipality's main locality first)."""
    from app.municipalities.service import visible

    codes = [municipality.code] if municipality is not None else [m.code for m in visible(session)]
    rows = session.execute(text("""
        SELECT l->>'name', (l->>'lat')::float8, (l->>'lon')::float8
        FROM municipalities m, jsonb_array_elements(m.localities) WITH ORDINALITY AS l(l, n)
        WHERE m.code = ANY(:codes) ORDER BY array_position(CAST(:codes AS text[]), m.code), n"""),
                           {"codes": codes}).all()
    return [(str(n), float(lat), float(lon)) for n, lat, lon in rows]


def map_data(session: Session, view: View, scope: Scope, *, incidents_url: str | None,
             embed_cells: bool = False, analysis_query: str | None = None,
             incident_tiles_url: str | None = None, municipality: MunicipalityOut | None = None) -> MapData:
    """Everything the view's layers need. With `analysis_query` (web pages) density, hotspots and Gi* are
    fetched by the page itself after it opens; without it (standalone file) they are embedded. The map opens
    on what the session sees (one municipality's extent, or its county's); `municipality` is the public
    view's."""
    from app.municipalities.service import scope_extent

    layers = VIEW_LAYERS[view]
    start, end = scope.period(365)
    extent = tuple(municipality.extent) if municipality is not None else scope_extent(session)
    data = MapData(categories=[c.model_dump() for c in categories(session)], extent=extent,  # type: ignore[arg-type]
                   localities=_localities(session, municipality))
    with_counts = view != "publik"
    data.places = {"type": "FeatureCollection", "features": orjson.loads(
        places.list_features(session, with_counts=with_counts, start=start, end=end))}
    if analysis_query is not None and view != "publik":
        remote = {"density": "density?bandwidth=250&cell=25&", "hotspots": "clusters?",
                  "gistar": "gistar?cell=100&only_significant=true&min_confidence=99&", "risk": "risk-terrain?"}
        data.analysis_urls = {k: f"/api/v1/analysis/{v}{analysis_query}" for k, v in remote.items() if k in layers}
        layers = tuple(layer for layer in layers if layer not in data.analysis_urls)
    layers = tuple(layer for layer in layers if layer != "risk")  # the risk surface is fetched, never embedded
    if "public" in layers:
        from app.public.service import latest_released_quarter, public_cells

        data.public = public_cells(session, period=latest_released_quarter(), group=None, municipality=municipality)
    if "density" in layers:
        # The map file is an edge: each layer is embedded as the GeoJSON the API would send.
        density = analysis.density_surface(session, scope, DensityParams(bandwidth=250, cell=25))
        data.density = density.model_dump() if density.image else None
    if "hotspots" in layers or "patrol" in layers:
        clusters = analysis.clusters(session, scope, ClusterParams())
        data.hotspots = clusters.model_dump() if "hotspots" in layers else None
    if "gistar" in layers:
        data.gistar = analysis.gistar(session, scope, GiStarParams(cell=100, only_significant=True,
                                                                   min_confidence=99)).model_dump(by_alias=True)
    if "patrol" in layers:
        data.patrol = patrol_places(clusters)
    if "lighting" in layers:
        data.lighting = lighting_reports(session, start, end)
    if "incidents" in layers:
        if embed_cells:
            flt = analysis.scope_filter(session, scope, start, end)
            data.incident_cells = {str(round(cell_size_m(z))): orjson.loads(
                aggregated_incidents(session, flt, zoom=z))["items"] for z in (11, 13, 15)}
        else:
            data.incidents_url = incidents_url
            data.incident_tiles_url = incident_tiles_url
    return data


def patrol_places(hotspots: Hotspots, top: int = 5) -> dict[str, Any]:
    """The top hotspots labelled with their active hours: where and when to send a patrol."""
    import shapely

    features = []
    for feature in hotspots.features[:top]:
        p = feature.properties
        spans = ", ".join(f"{a:02d}–{b:02d}" for a, b in p.active_hour_ranges)
        point = shapely.geometry.shape(feature.geometry).representative_point()
        cats = ", ".join(c.label for c in p.categories[:2])
        features.append({"type": "Feature", "geometry": feature.geometry, "properties": {
            "rank": p.rank, "hours_label": spans, "label_point": [point.x, point.y],
            "summary": html("<b>{rank}. {name}</b><br>{count} händelser · {cats}<br>Aktiva timmar: {spans}",
                            rank=p.rank, name=p.name, count=p.count, cats=cats, spans=spans or "–")}})
    return {"type": "FeatureCollection", "features": features}


def lighting_reports(session: Session, start: datetime, end: datetime) -> dict[str, Any]:
    """The lighting view: street segments by relighting priority, open faults and dark spots, and
    lighting-related incident reports."""
    from app.lighting.service import KIND_SV, STATUS_SV, work_list

    segments = work_list(session, limit=200)
    top = max((s["priority"] for s in segments), default=0) or 1
    features: list[dict[str, Any]] = [{
        "type": "Feature", "geometry": s["geometry"], "properties": {
            "colour": _priority_colour(s["priority"] / top),
            "summary": html("<b>{rank}. {street}</b><br>Prioritet {priority}: {dark} händelser i mörker, {faults} "
                            "lampfel, {spots} mörka platser", rank=s["rank"], street=s["street"],
                            priority=s["priority"], dark=s["components"]["dark_incidents"],
                            faults=s["components"]["open_faults"], spots=s["components"]["dark_spots"])}}
        for s in segments]
    reports = session.execute(text("""
        SELECT r.kind, r.status, ST_X(r.geom), ST_Y(r.geom), COALESCE(r.description, '') FROM lighting_reports r
        WHERE r.status NOT IN ('fixed', 'rejected')""")).all()
    features += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": {
        "colour": LIGHTING_FAULT if kind == "fault" else LIGHTING_DARK_SPOT,
        "summary": html("<b>{kind}</b> ({status})<br>{description}", kind=KIND_SV[kind], status=STATUS_SV[status],
                        description=description)}}
        for kind, status, lon, lat, description in reports]
    rows = session.execute(text("""
        SELECT ST_X(i.geom), ST_Y(i.geom), i.category, c.label_sv,
               to_char(i.occurred_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI')
        FROM incidents i JOIN categories c ON c.code = i.category
        WHERE i.category = ANY(:cats) AND i.occurred_at >= :start AND i.occurred_at < :end"""),
        {"cats": list(LIGHTING_CATEGORIES), "start": start, "end": end, "tz": get_settings().timezone}).all()
    features += [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                  "properties": {"category": code, "summary": html("<b>{label}</b><br>{when}", label=label, when=when)}}
                 for lon, lat, code, label, when in rows]
    return {"type": "FeatureCollection", "features": features}


def _priority_colour(share: float) -> str:
    """Yellow (low) to dark red (highest priority)."""
    return LIGHTING_PRIORITY[min(int(share * len(LIGHTING_PRIORITY)), len(LIGHTING_PRIORITY) - 1)]


def sheet_minimap(session: Session, geometry: dict[str, Any], *, size_px: int = 220, margin_m: float = 120.0,
                  colour: str = "#b10026", numbers: list[tuple[int, dict[str, Any]]] | None = None,
                  shaded: list[tuple[dict[str, Any], str, str]] | None = None) -> Minimap:
    """A printed sheet's small map: the geometry over the street base and the named places around it."""
    from app.basemap.service import features_near

    bounds = window(geometry, margin_m)
    rows = session.execute(text("""SELECT name, ST_AsGeoJSON(geom, 6)::json FROM places
        WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) ORDER BY id"""),
                           dict(zip("wsen", bounds, strict=True))).all()
    # the localities of every municipality in the window (one municipality's, or a county sheet's)
    localities = [(str(n), float(lat), float(lon)) for n, lat, lon in session.execute(text("""
        SELECT l->>'name', (l->>'lat')::float8, (l->>'lon')::float8
        FROM municipalities m, jsonb_array_elements(m.localities) l
        WHERE m.extent && ST_MakeEnvelope(:w, :s, :e, :n, 4326)"""), dict(zip("wsen", bounds, strict=True)))]
    return minimap(geometry, [g for _, g in rows], place_names=[n for n, _ in rows], size_px=size_px,
                   margin_m=margin_m, colour=colour, basemap=features_near(session, bounds), numbers=numbers,
                   shaded=shaded, localities=localities)
