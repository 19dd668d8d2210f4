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


@dataclass(frozen=True)
class Displacement:
    success_measure: float | None      # SM: change in target relative to control (negative = fewer)
    buffer_measure: float | None       # BD: change in buffer relative to control
    wdq: float | None                  # BD / SM; None when the intervention did not succeed (SM ≥ 0)
    interpretation: str                # one of the classes below


def weighted_displacement_quotient(target: tuple[int, int], buffer: tuple[int, int],
                                   control: tuple[int, int]) -> Displacement:
    """Weighted Displacement Quotient (Bowers & Johnson 2003, "Measuring the geographical displacement and
    diffusion of benefit effects of crime prevention activity", J. Quantitative Criminology 19(3)).

    Each argument is (before, after) counts for periods of equal length. SM = A1/C1 − A0/C0 and
    BD = B1/C1 − B0/C0; WDQ = BD / SM, read only when SM < 0 (the target improved against the control):
    > 1 diffusion greater than the direct effect; 0–1 diffusion of benefits; 0 neither; −1–0 some
    displacement but a net benefit; < −1 displacement greater than the direct effect.
    """
    (a0, a1), (b0, b1), (c0, c1) = target, buffer, control
    if c0 <= 0 or c1 <= 0:
        return Displacement(None, None, None, "no_control_data")
    sm = a1 / c1 - a0 / c0
    bd = b1 / c1 - b0 / c0
    if sm >= 0:
        return Displacement(sm, bd, None, "no_success")
    wdq = bd / sm
    if wdq > 1:
        label = "diffusion_greater_than_direct_effect"
    elif wdq > 0:
        label = "diffusion_of_benefits"
    elif wdq == 0:
        label = "no_displacement_or_diffusion"
    elif wdq >= -1:
        label = "displacement_less_than_direct_effect"
    else:
        label = "displacement_greater_than_direct_effect"
    return Displacement(sm, bd, wdq, label)
