"""Coordinate systems: WGS84 (EPSG:4326) for storage and exchange, SWEREF 99 TM (EPSG:3006) for metres.

SWEREF 99 TM is Sweden's national projection; distances, areas and grids in the analysis are in its
metres. Transformers are built once (pyproj) and always use (x=lon/easting, y=lat/northing) order.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

WGS84 = 4326
SWEREF99TM = 3006

Extent = tuple[float, float, float, float]


@lru_cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_sweref(lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """WGS84 lon/lat → SWEREF 99 TM easting/northing in metres."""
    x, y = _transformer(WGS84, SWEREF99TM).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_wgs84(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """SWEREF 99 TM easting/northing → WGS84 lon/lat."""
    lon, lat = _transformer(SWEREF99TM, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


def in_extent(lon: float, lat: float, extent: Extent) -> bool:
    min_lon, min_lat, max_lon, max_lat = extent
    return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def lonlat_problem(lon: float, lat: float, extent: Extent) -> str | None:
    """Why (lon, lat) is not an acceptable position here, or None when it is.

    Catches the usual mistakes in exported files: NaN/empty, values out of range, latitude and
    longitude swapped (Swedish sources often say "lat,lon"), and points far outside the municipality.
    """
    if lon is None or lat is None or not (math.isfinite(lon) and math.isfinite(lat)):
        return "coordinates must be finite numbers"
    if not (-180 <= lon <= 180) or not (-90 <= lat <= 90):
        if in_extent(lat, lon, extent):
            return f"lon={lon}, lat={lat} look swapped (latitude given as longitude)"
        return f"lon={lon}, lat={lat} is not a valid WGS84 position"
    if in_extent(lon, lat, extent):
        return None
    if in_extent(lat, lon, extent):
        return f"lon={lon}, lat={lat} look swapped: lon is east (~15), lat is north (~58) in Mjölby"
    min_lon, min_lat, max_lon, max_lat = extent
    return (
        f"lon={lon}, lat={lat} is outside the configured extent "
        f"({min_lon},{min_lat},{max_lon},{max_lat})"
    )
