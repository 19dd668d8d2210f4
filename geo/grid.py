"""Regular square grids in SWEREF 99 TM metres: binning points and describing cells.

Every grid-based method (Gi*, density, emerging hot spots, public aggregation) shares this one
definition, so cells line up across layers and periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geo.crs import to_wgs84

MAX_CELLS = 4_000_000


class GridTooLarge(ValueError):
    """The requested grid has more cells than an interactive analysis can afford."""


@dataclass(frozen=True)
class Grid:
    """`nx` × `ny` square cells of `cell` metres; (x0, y0) is the lower-left corner (EPSG:3006)."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int

    @classmethod
    def covering(cls, xmin: float, ymin: float, xmax: float, ymax: float, cell: float,
                 max_cells: int = MAX_CELLS) -> Grid:
        """The smallest grid, snapped to multiples of `cell`, that covers the box."""
        if not cell > 0 or not math.isfinite(cell):
            raise ValueError("cell size must be a positive number of metres")
        x0 = math.floor(xmin / cell) * cell
        y0 = math.floor(ymin / cell) * cell
        nx = max(1, math.floor((xmax - x0) / cell) + 1)
        ny = max(1, math.floor((ymax - y0) / cell) + 1)
        if nx * ny > max_cells:
            raise GridTooLarge(f"{nx} × {ny} = {nx * ny} cells exceeds {max_cells}; use larger cells or a smaller area")
        return cls(x0, y0, float(cell), nx, ny)

    @property
    def shape(self) -> tuple[int, int]:
        """Array shape (rows = y, columns = x)."""
        return (self.ny, self.nx)

    def cell_index(self, x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        col = np.floor((np.asarray(x) - self.x0) / self.cell).astype(np.intp)
        row = np.floor((np.asarray(y) - self.y0) / self.cell).astype(np.intp)
        return row, col

    def counts(self, x: NDArray[np.float64], y: NDArray[np.float64],
               weights: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """Number (or summed weight) of points per cell; points outside the grid are ignored."""
        row, col = self.cell_index(x, y)
        inside = (row >= 0) & (row < self.ny) & (col >= 0) & (col < self.nx)
        flat = row[inside] * self.nx + col[inside]
        w = None if weights is None else np.asarray(weights)[inside]
        return np.bincount(flat, weights=w, minlength=self.nx * self.ny).astype(float).reshape(self.shape)

    def centres(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Cell centres, flattened in row-major order (matching `counts(...).ravel()`)."""
        xs = self.x0 + (np.arange(self.nx) + 0.5) * self.cell
        ys = self.y0 + (np.arange(self.ny) + 0.5) * self.cell
        gx, gy = np.meshgrid(xs, ys)
        return gx.ravel(), gy.ravel()

    def cell_polygons_wgs84(self, flat_indices: NDArray[np.intp]) -> NDArray[np.float64]:
        """Corner rings (n, 5, 2) in lon/lat for the given flattened cell indices."""
        rows, cols = np.divmod(np.asarray(flat_indices), self.nx)
        x_left = self.x0 + cols * self.cell
        y_low = self.y0 + rows * self.cell
        corners_x = np.stack([x_left, x_left + self.cell, x_left + self.cell, x_left, x_left], axis=1)
        corners_y = np.stack([y_low, y_low, y_low + self.cell, y_low + self.cell, y_low], axis=1)
        lon, lat = to_wgs84(corners_x.ravel(), corners_y.ravel())
        return np.stack([lon, lat], axis=1).reshape(-1, 5, 2)


def disk_offsets(radius: float, cell: float) -> NDArray[np.float64]:
    """Binary kernel: 1 for every cell whose centre lies within `radius` of the centre cell's centre."""
    reach = math.floor(radius / cell + 1e-9)
    offsets = np.arange(-reach, reach + 1) * cell
    dx, dy = np.meshgrid(offsets, offsets)
    return ((dx**2 + dy**2) <= radius**2 * (1 + 1e-12)).astype(float)
