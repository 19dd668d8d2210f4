"""The lägesbild: the joint situation picture for a period, built from the analyses (Swedish)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis import service as analysis
from app.analysis.schemas import ClusterParams, EmergingParams, Scope
from app.interventions import service as interventions
from geo.charts import category_bars, hour_weekday_heatmap
from geo.minimap import minimap


def lagesbild(session: Session, scope: Scope) -> dict[str, Any]:
    """Numbers, charts and lists for one period (default: the last 14 days)."""
    start, end = scope.period(14)
    period = scope.model_copy(update={"start": start, "end": end})
    compare = orjson.loads(analysis.compare(session, period))
    profile = orjson.loads(analysis.time_profile(session, period))
    hotspots = orjson.loads(analysis.clusters(session, scope.model_copy(
        update={"start": end - (end - start) * 13, "end": end}), ClusterParams()))  # ~6 months for 14 days
    emerging = orjson.loads(analysis.emerging(session, scope.model_copy(update={"start": None, "end": end}),
                                              EmergingParams(slice_days=14, slices=12)))
    places = session.execute(text("""
        SELECT p.name,
               count(i.id) FILTER (WHERE i.occurred_at >= :s AND i.occurred_at < :e),
               count(i.id) FILTER (WHERE i.occurred_at >= :ps AND i.occurred_at < :s)
        FROM places p LEFT JOIN incidents i ON ST_Intersects(i.geom, CASE WHEN GeometryType(p.geom) = 'POINT'
             THEN ST_Buffer(p.geom::geography, 100)::geometry ELSE p.geom END)
             AND i.occurred_at >= :ps AND i.occurred_at < :e
        GROUP BY p.id, p.name ORDER BY 2 DESC, p.name"""),
        {"s": start, "e": end, "ps": start - (end - start)}).all()
    open_lighting = session.execute(text("""
        SELECT r.kind, r.status, COALESCE(r.description, ''), COALESCE(s.street, '') FROM lighting_reports r
        LEFT JOIN street_segments s ON s.id = r.segment_id WHERE r.status NOT IN ('fixed', 'rejected')
        ORDER BY r.created_at DESC LIMIT 30""")).all()
    intervention_rows = []
    for (intervention_id,) in session.execute(text(
            "SELECT id FROM interventions WHERE status IN ('active', 'completed') ORDER BY start_date DESC LIMIT 20")):
        feature = interventions.feature(session, intervention_id)
        try:
            follow = interventions.follow_up(session, intervention_id)
        except Exception:  # not started yet, or nothing to compare: show the intervention without numbers
            follow = None
        intervention_rows.append({"properties": feature["properties"], "follow_up": follow})
    cats = compare["categories"]
    places_geoms = [f["geometry"] for f in orjson.loads(_places(session))]
    hotspot_map = None
    if hotspots["features"]:
        merged = {"type": "GeometryCollection", "geometries": [f["geometry"] for f in hotspots["features"][:8]]}
        hotspot_map = minimap(merged, places_geoms, size_px=420, margin_m=250)
    new_or_growing = {k: v for k, v in emerging.get("patterns", {}).items()
                      if k.split("_")[0] in ("new", "consecutive", "intensifying")}
    return {
        "period": {"start": start, "end": end}, "compare": compare,
        "category_chart": category_bars([c["label"] for c in cats], [c["current"] for c in cats],
                                        [c["vs_previous"]["count"] for c in cats],
                                        [c["vs_last_year"]["count"] for c in cats]) if cats else None,
        "profile_chart": hour_weekday_heatmap(profile["matrix"]) if profile["incidents"] else None,
        "hotspots": [f["properties"] for f in hotspots["features"][:8]], "hotspot_map": hotspot_map,
        "emerging": new_or_growing, "places": [{"name": n, "current": c, "previous": p} for n, c, p in places],
        "lighting": [{"kind": k, "status": s, "description": d, "street": st} for k, s, d, st in open_lighting],
        "interventions": intervention_rows,
        "created": datetime.now(),
    }


def _places(session: Session) -> str:
    from app.places.service import list_features

    return list_features(session, with_counts=False)
