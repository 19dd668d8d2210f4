"""How good is a hotspot map: hit rate and the Predictive Accuracy Index.

PAI = (n / N) / (a / A): the share of later incidents that fall inside the flagged area, divided by
the share of the study area it covers (Chainey, Tompson & Uhlig 2008, "The utility of hotspot mapping
for predicting spatial patterns of crime", Security Journal 21). PAI > 1 beats chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray


@dataclass(frozen=True)
class MapScore:
    hits: int
    total: int
    hit_rate: float
    area_share: float
    pai: float | None


def score(hits: int, total: int, flagged_area: float, study_area: float) -> MapScore:
    """Hit rate and PAI from counts and areas (any consistent unit)."""
    if study_area <= 0:
        raise ValueError("study area must be positive")
    hit_rate = hits / total if total else 0.0
    area_share = flagged_area / study_area
    pai = hit_rate / area_share if area_share > 0 and total else None
    return MapScore(hits, total, hit_rate, area_share, pai)


def score_polygons(polygons: list[shapely.Geometry], x: NDArray[np.float64], y: NDArray[np.float64],
                   study_area: float) -> MapScore:
    """Score hotspot polygons (metres) against later incidents at (x, y)."""
    flagged = shapely.union_all(polygons) if polygons else shapely.Polygon()
    inside = shapely.contains_xy(flagged, x, y) if not flagged.is_empty else np.zeros(x.size, dtype=bool)
    return score(int(inside.sum()), int(x.size), float(flagged.area), study_area)


def score_cells(flagged: NDArray[np.bool_], later_counts: NDArray[np.float64]) -> MapScore:
    """Score flagged grid cells against the next period's counts on the same grid."""
    return score(int(later_counts[flagged].sum()), int(later_counts.sum()), float(flagged.sum()), float(flagged.size))
