"""Relighting priority per street segment, with every component shown.

A segment ranks high when incidents happen near it in the dark (sun below −6°, geo.sun), when lamps
on it are reported broken or places along it are reported dark, and when people feel unsafe at
places nearby (safety-survey share). The weights are parameters, echoed back, so technical services
can see and argue about why a street comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.ops
from numpy.typing import NDArray

DEFAULT_WEIGHTS = {"dark_incidents": 1.0, "open_faults": 3.0, "dark_spots": 2.0, "unsafety": 5.0}


def split_line(line: shapely.LineString, max_length: float) -> list[shapely.LineString]:
    """Cut a line (metres) into pieces of at most `max_length`, of equal length."""
    if max_length <= 0:
        raise ValueError("segment length must be positive")
    pieces = max(1, int(np.ceil(line.length / max_length)))
    step = line.length / pieces
    return [shapely.ops.substring(line, i * step, (i + 1) * step) for i in range(pieces)]


@dataclass(frozen=True)
class SegmentScore:
    dark_incidents: NDArray[np.int64]
    light_incidents: NDArray[np.int64]
    open_faults: NDArray[np.int64]
    dark_spots: NDArray[np.int64]
    unsafety: NDArray[np.float64]
    priority: NDArray[np.float64]


def relighting_priority(segments: list[shapely.Geometry], incident_xy: NDArray[np.float64],
                        incident_dark: NDArray[np.bool_], open_faults: NDArray[np.int64],
                        dark_spots: NDArray[np.int64], unsafety: NDArray[np.float64], *,
                        buffer_m: float = 30.0, weights: dict[str, float] | None = None) -> SegmentScore:
    """Score segments (metres); incidents count for each segment within `buffer_m` of them."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    n = len(segments)
    dark_counts = np.zeros(n, dtype=np.int64)
    light_counts = np.zeros(n, dtype=np.int64)
    if n and len(incident_xy):
        tree = shapely.STRtree(segments)
        points = shapely.points(incident_xy)
        point_idx, segment_idx = tree.query(points, predicate="dwithin", distance=buffer_m)
        dark = incident_dark[point_idx]
        np.add.at(dark_counts, segment_idx[dark], 1)
        np.add.at(light_counts, segment_idx[~dark], 1)
    priority = (w["dark_incidents"] * dark_counts + w["open_faults"] * open_faults + w["dark_spots"] * dark_spots
                + w["unsafety"] * 10 * unsafety)
    return SegmentScore(dark_counts, light_counts, np.asarray(open_faults), np.asarray(dark_spots),
                        np.asarray(unsafety, dtype=float), priority.astype(float))
