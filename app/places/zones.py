"""Which place an incident belongs to: the one definition used by incident writes and moves, imports,
place counts, reports and promises.

A place's catchment (zone) is its polygon, or a disc of POINT_PLACE_RADIUS_M around a point place.
A position inside several zones belongs to the smallest (a schoolyard inside a park wins), ties to the
lowest id. PostGIS computes the zones for the SQL users and for the import alike (`zones`), so the
import's fast in-memory look-up cannot drift from the SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

POINT_PLACE_RADIUS_M = 100

# `p` is the places row; usable in any query over places.
PLACE_ZONE_SQL = (
    "CASE WHEN GeometryType(p.geom) = 'POINT' "
    f"THEN ST_Buffer(p.geom::geography, {POINT_PLACE_RADIUS_M})::geometry ELSE p.geom END"
)
ZONE_ORDER_SQL = f"ST_Area(({PLACE_ZONE_SQL})::geography), p.id"


def place_for_point(session: Session, lon: float, lat: float) -> int | None:
    """The place whose zone holds the point, or None."""
    found = session.execute(text(f"""
        SELECT p.id FROM places p
        WHERE ST_Intersects(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), {PLACE_ZONE_SQL})
        ORDER BY {ZONE_ORDER_SQL} LIMIT 1"""), {"lon": lon, "lat": lat}).scalar()
    return None if found is None else int(found)


@dataclass(frozen=True)
class Zones:
    """Every place's zone in WGS 84, for assigning many points at once (an import)."""

    ids: list[int]
    tree: shapely.STRtree
    areas: list[float]

    def assign(self, lon: list[float], lat: list[float]) -> list[int | None]:
        """For each point, the place whose zone holds it (the same rule as `place_for_point`)."""
        best: list[int | None] = [None] * len(lon)
        if not self.ids or not lon:
            return best
        point_idx, zone_idx = self.tree.query(shapely.points(lon, lat), predicate="intersects")
        for p, z in zip(point_idx.tolist(), zone_idx.tolist(), strict=True):
            held = best[p]
            if held is None or (self.areas[z], self.ids[z]) < (self.areas[held], self.ids[held]):
                best[p] = z
        return [None if z is None else self.ids[z] for z in best]


def zones(session: Session) -> Zones:
    rows = session.execute(text(f"""
        SELECT p.id, ST_AsBinary({PLACE_ZONE_SQL}), ST_Area(({PLACE_ZONE_SQL})::geography)
        FROM places p ORDER BY p.id""")).all()
    return Zones(ids=[int(r[0]) for r in rows], tree=shapely.STRtree([shapely.from_wkb(bytes(r[1])) for r in rows]),
                 areas=[float(r[2]) for r in rows])
