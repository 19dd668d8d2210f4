"""Validation of geometries that users send: type, validity, extent and size limits.

Pure shapely; raises ``GeometryProblem`` with a message a person can act on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geo.crs import Extent

MAX_VERTICES = 10_000


class GeometryProblem(ValueError):
    """A geometry that cannot be stored, with the reason."""


def parse_geometry(obj: Any, *, allowed: tuple[str, ...], extent: Extent,
                   max_vertices: int = MAX_VERTICES) -> BaseGeometry:
    """GeoJSON geometry object → shapely geometry, or GeometryProblem naming what is wrong."""
    if not isinstance(obj, dict) or "type" not in obj or "coordinates" not in obj:
        raise GeometryProblem("geometry must be a GeoJSON geometry object with 'type' and 'coordinates'")
    if obj["type"] not in allowed:
        raise GeometryProblem(f"geometry type {obj['type']!r} is not allowed here; use one of {', '.join(allowed)}")
    try:
        geom = shape(obj)
    except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.ShapelyError) as exc:
        raise GeometryProblem(f"malformed {obj['type']} coordinates: {exc}") from None
    if geom.is_empty:
        raise GeometryProblem("geometry is empty")
    n_vertices = shapely.get_num_coordinates(geom)
    if n_vertices > max_vertices:
        raise GeometryProblem(f"geometry has {n_vertices} vertices; at most {max_vertices} are accepted")
    coords = shapely.get_coordinates(geom)
    if not np.isfinite(coords).all():
        raise GeometryProblem("geometry coordinates must be finite numbers")
    if not geom.is_valid:
        raise GeometryProblem(f"geometry is not valid: {explain_validity(geom)}")
    min_lon, min_lat, max_lon, max_lat = extent
    x0, y0, x1, y1 = geom.bounds
    if x0 < min_lon or y0 < min_lat or x1 > max_lon or y1 > max_lat:
        if min_lon <= y0 and y1 <= max_lon and min_lat <= x0 and x1 <= max_lat:
            raise GeometryProblem("coordinates look swapped: GeoJSON order is [lon, lat]")
        raise GeometryProblem(
            f"geometry reaches outside the configured extent ({min_lon},{min_lat},{max_lon},{max_lat})"
        )
    return geom
