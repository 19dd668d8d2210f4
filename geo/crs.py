"""Coordinate systems: WGS84 (EPSG:4326) for storage and exchange, SWEREF 99 TM (EPSG:3006) for metres.

SWEREF 99 TM is Sweden's national projection; distances, areas and grids in the analysis are in its
metres. Transformers are built once (pyproj) and always use (x=lon/easting, y=lat/northing) order.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

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


def to_wgs84(x: ArrayLike, y: ArrayLike, src: int = SWEREF99TM) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """SWEREF 99 TM (or another grid, by EPSG code) easting/northing → WGS84 lon/lat."""
    lon, lat = _transformer(src, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon, float), np.asarray(lat, float)


# Swedish grids found in municipal files, in the order they are tried: the national SWEREF 99 TM, the
# older RT90 2.5 gon V (still in many GIS archives), then the SWEREF 99 local zones nearest Mjölby.
# Every local zone has a false easting of 150 km and they lie 0.75° apart, so at most one of them puts a
# given point inside an extent narrower than that (Mjölby's is 0.6°).
SWEDISH_GRIDS: dict[int, str] = {
    3006: "SWEREF 99 TM", 3021: "RT90 2.5 gon V", 3009: "SWEREF 99 15 00", 3013: "SWEREF 99 15 45",
    3012: "SWEREF 99 14 15", 3010: "SWEREF 99 16 30", 3008: "SWEREF 99 13 30",
}


def grid_to_wgs84(x: ArrayLike, y: ArrayLike, extent: Extent
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Easting/northing in an unnamed Swedish grid → lon/lat and the EPSG code of the grid that puts
    each point inside `extent` (SWEDISH_GRIDS, first match). A point no grid places inside keeps its
    SWEREF 99 TM reading and code 0, so the caller's extent check names the problem."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    lon, lat = to_wgs84(x, y)
    grid = np.zeros(len(x), dtype=np.int64)
    min_lon, min_lat, max_lon, max_lat = extent
    for epsg in SWEDISH_GRIDS:
        open_ = np.flatnonzero(grid == 0)
        if not len(open_):
            break
        lo, la = to_wgs84(x[open_], y[open_], epsg)
        inside = (lo >= min_lon) & (lo <= max_lon) & (la >= min_lat) & (la <= max_lat)
        lon[open_[inside]], lat[open_[inside]], grid[open_[inside]] = lo[inside], la[inside], epsg
    return lon, lat, grid


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


@lru_cache
def _authority_transformer(src: str, dst: str) -> Transformer:
    """A transformer in each CRS's own axis order (not always_xy), for Part 2's CRS URIs."""
    return Transformer.from_crs(src, dst)


@lru_cache
def north_first(crs: str) -> bool:
    """Whether a CRS's authority axis order puts northing/latitude first (EPSG:4326 and EPSG:3006 do,
    OGC CRS84 does not), as OGC API – Features Part 2 requires coordinates in that order."""
    from pyproj import CRS

    return CRS.from_user_input(crs).axis_info[0].direction in ("north", "south")


def box_outline_crs84(bounds: Extent, crs: str, per_edge: int = 64) -> list[tuple[float, float]]:
    """A box given in `crs` (its own axis order) as a closed lon/lat ring, each edge densified into
    `per_edge` segments: in lon/lat the box's straight edges are curves, and a polygon this fine follows
    them to well under a millimetre at municipal scale, so "inside the box" is answered exactly."""
    a0, b0, a1, b1 = bounds
    steps = np.linspace(0.0, 1.0, per_edge + 1)[:-1]
    a = np.concatenate([a0 + (a1 - a0) * steps, np.full(per_edge, a1), a1 - (a1 - a0) * steps, np.full(per_edge, a0)])
    b = np.concatenate([np.full(per_edge, b0), b0 + (b1 - b0) * steps, np.full(per_edge, b1), b1 - (b1 - b0) * steps])
    lon, lat = _authority_transformer(crs, "OGC:CRS84").transform(a, b)
    ring = [(float(x), float(y)) for x, y in zip(lon, lat, strict=True)]
    return [*ring, ring[0]]


def lonlat_to_crs(coordinates: Any, crs: str) -> Any:
    """GeoJSON coordinates (nested lists of lon, lat) → `crs` in its own axis order (pyproj's
    authority order: SWEREF 99 TM northing, easting; EPSG:4326 lat, lon), rounded to about a millimetre."""
    transformer = _authority_transformer("OGC:CRS84", crs)
    digits = 7 if transformer.target_crs is not None and transformer.target_crs.is_geographic else 3

    def convert(coords: Any) -> Any:
        if coords and not isinstance(coords[0], list | tuple):
            a, b = transformer.transform(coords[0], coords[1])
            return [round(float(a), digits), round(float(b), digits)]
        return [convert(c) for c in coords]

    return convert(coordinates)
