"""The risk factors of the cause analysis, built from what the service already holds: the named places by
kind, the street base's green areas and points of interest (stations, schools, bars, restaurants,
shops), street segments with no lamp near them (where lamps are imported), open lamp faults and
reported dark places, safety-walk findings by kind, and the places the
units' observations name. Each factor has a Swedish name and its source.

Areas and lines become points along their outline (every ~25 m) and their centre, so "within 100 m of
the factor" means within 100 m of its edge, as RTMDx measures distance to a feature."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.i18n import labels
from geo.crs import to_sweref
from geo.rtm import FactorLayer

SAMPLE_M = 25.0
PLACE_KINDS = {  # place kind(s) → (code, Swedish name)
    ("station", "travel_centre"): ("stationer", "Stationer och resecentrum"),
    ("schoolyard",): ("skolgardar", "Skolgårdar"),
    ("park",): ("parker", "Parker"),
    ("shopping",): ("handel", "Köpcentrum och butiker"),
    ("square",): ("torg", "Torg"),
}

POI_FACTORS = {  # the street base's points of interest (app/basemap/service.py POI_TAGS)
    "station": ("hallplatser", "Stationer och busshållplatser (gatukartan)"),
    "school": ("skolor", "Skolor (gatukartan)"),
    "bar": ("barer", "Barer, pubar och nattklubbar (gatukartan)"),
    "food": ("restauranger", "Restauranger, snabbmat och kaféer (gatukartan)"),
    "shop": ("butiker", "Närbutiker, kiosker och torghandel (gatukartan)"),
}


@dataclass(frozen=True)
class Factor:
    layer: FactorLayer
    source: str


def _points(session: Session, sql: str, params: dict[str, object]) -> tuple[np.ndarray, np.ndarray]:
    """SWEREF 99 TM points of the geometries `sql` selects (column g, WGS84): outlines sampled, centres."""
    rows = session.execute(text(f"""
        WITH g AS ({sql}), m AS (SELECT ST_Transform(g, 3006) AS g FROM g WHERE g IS NOT NULL)
        SELECT ST_X(p), ST_Y(p) FROM (
            SELECT (ST_DumpPoints(ST_Segmentize(ST_Boundary(g), :step))).geom AS p FROM m
            WHERE GeometryType(g) IN ('POLYGON', 'MULTIPOLYGON')
            UNION ALL SELECT (ST_DumpPoints(ST_Segmentize(g, :step))).geom FROM m
            WHERE GeometryType(g) IN ('LINESTRING', 'MULTILINESTRING')
            UNION ALL SELECT ST_PointOnSurface(g) FROM m) pts LIMIT 200000"""),
                           {**params, "step": SAMPLE_M}).all()
    if not rows:
        return np.zeros(0), np.zeros(0)
    xy = np.asarray(rows, dtype=float)
    return xy[:, 0], xy[:, 1]


def factor_layers(session: Session, start: datetime, end: datetime) -> list[Factor]:
    """Every factor with at least one feature; walk findings and observations of the period's half-year."""
    out: list[Factor] = []

    def add(code: str, name: str, source: str, sql: str, **params: object) -> None:
        x, y = _points(session, sql, params)
        if x.size:
            out.append(Factor(FactorLayer(code, name, x, y), source))

    for kinds, (code, name) in PLACE_KINDS.items():
        add(code, name, "platser", "SELECT geom AS g FROM places WHERE kind = ANY(:kinds)", kinds=list(kinds))
    add("gronomraden", "Grönområden (gatukartan)", "gatukarta",
        "SELECT geom AS g FROM basemap_features WHERE kind = 'green'")
    for subkind, (code, name) in POI_FACTORS.items():
        add(code, name, "gatukarta", "SELECT geom AS g FROM basemap_features WHERE kind = 'poi' AND subkind = :k",
            k=subkind)
    add("obelysta_gator", "Gatudelar utan gatlykta inom 40 m", "belysning",
        """SELECT s.geom AS g FROM street_segments s WHERE EXISTS (SELECT 1 FROM lamps) AND NOT EXISTS (
               SELECT 1 FROM lamps l WHERE ST_DWithin(l.geom::geography,
                                                      ST_LineInterpolatePoint(s.geom, 0.5)::geography, 40))""")
    add("lampfel", "Öppna lampfel", "belysningsärenden",
        "SELECT geom AS g FROM lighting_reports WHERE kind = 'fault' AND status NOT IN ('fixed', 'rejected')")
    add("morka_platser", "Anmälda mörka platser", "belysningsärenden",
        "SELECT geom AS g FROM lighting_reports WHERE kind = 'dark_spot' AND status NOT IN ('fixed', 'rejected')")
    for kind, word in labels("finding_kind").items():
        add(f"fynd_{kind}", f"Trygghetsvandring: {word.lower()}", "trygghetsvandringar",
            """SELECT f.geom AS g FROM walk_findings f JOIN safety_walks w ON w.id = f.walk_id
               WHERE f.kind = :kind AND w.walked_on >= CAST(:s AS date) - 365""", kind=kind, s=start.date())
    add("iakttagelser", "Platser i enheternas iakttagelser", "enhetsrapporter",
        """SELECT p.geom AS g FROM unit_report_observations o JOIN unit_reports r ON r.id = o.report_id
           JOIN places p ON p.id = o.place_id WHERE r.period_end >= CAST(:s AS date) AND r.period_start < :e""",
        s=start.date(), e=end.date())
    return out


def near(factor: FactorLayer, geometry_wgs84: object, distance_m: float) -> bool:
    """Whether any of the factor's points lies within `distance_m` of a (WGS84 shapely) geometry."""
    import shapely

    metres = shapely.transform(geometry_wgs84, lambda xy: np.column_stack(to_sweref(xy[:, 0], xy[:, 1])))
    if factor.x.size == 0:
        return False
    return bool(shapely.dwithin(metres, shapely.points(factor.x, factor.y), distance_m).any())
