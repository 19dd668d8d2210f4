"""Bounding boxes as query text: `min_lon,min_lat,max_lon,max_lat` (RFC 7946 order), checked once.

Plain Python: services and the command line use it as well as the request dependencies (app/deps.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.errors import InvalidInput


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)


def parse_bbox(value: str | None, field: str = "bbox",
               extent: tuple[float, float, float, float] | None = None) -> BBox | None:
    """Parse `min_lon,min_lat,max_lon,max_lat` (RFC 7946 order), checking ranges and order."""
    if value is None or value == "":
        return None
    parts = value.split(",")
    if len(parts) != 4:
        raise InvalidInput("bbox needs four numbers: min_lon,min_lat,max_lon,max_lat", loc=("query", field))
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise InvalidInput(f"bbox has a value that is not a number: {value!r}", loc=("query", field)) from None
    if not all(math.isfinite(n) for n in nums):
        raise InvalidInput("bbox values must be finite numbers", loc=("query", field))
    box = BBox(*nums)
    if not (-180 <= box.min_lon <= 180 and -180 <= box.max_lon <= 180):
        raise InvalidInput("bbox longitudes must lie in [-180, 180]", loc=("query", field))
    if not (-90 <= box.min_lat <= 90 and -90 <= box.max_lat <= 90):
        raise InvalidInput("bbox latitudes must lie in [-90, 90] (order is lon,lat,lon,lat)",
                           loc=("query", field))
    if box.min_lon > box.max_lon or box.min_lat > box.max_lat:
        raise InvalidInput("bbox minimum is greater than its maximum", loc=("query", field))
    if extent is not None and not _overlaps(nums, extent) and _overlaps([nums[1], nums[0], nums[3], nums[2]], extent):
        raise InvalidInput("bbox looks swapped: the order is min_lon,min_lat,max_lon,max_lat", loc=("query", field))
    return box


def _overlaps(a: list[float] | tuple[float, ...], b: tuple[float, float, float, float]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
