"""Kernel density surfaces by linear binning and FFT convolution.

Kernel density estimation with a quartic (biweight) kernel, as CrimeStat and ArcGIS's Kernel
Density tool use (Silverman 1986, "Density Estimation for Statistics and Data Analysis", eq. 4.5).
Points are spread over the four nearest grid nodes (linear binning, Wand 1994, J. Comp. Graph.
Stat. 3(4)) and convolved with the kernel sampled on the grid, which costs O(cells·log cells)
instead of O(points·cells) and stays within a fraction of a per cent of the exact sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.signal import fftconvolve

from geo.grid import Grid

Kernel = Literal["quartic", "epanechnikov", "gaussian"]


@dataclass(frozen=True)
class DensitySurface:
    """Density at grid nodes (cell centres), in incidents per km²; `grid` locates the cells."""

    grid: Grid
    values: NDArray[np.float64]  # shape grid.shape
    bandwidth: float
    kernel: Kernel


def kernel_weights(offsets_m: NDArray[np.float64], bandwidth: float, kernel: Kernel) -> NDArray[np.float64]:
    """Kernel value (per m²) at distance `offsets_m`; each integrates to 1 over the plane."""
    u2 = (offsets_m / bandwidth) ** 2
    h2 = bandwidth * bandwidth
    if kernel == "quartic":
        return np.where(u2 < 1, 3.0 / (np.pi * h2) * (1 - u2) ** 2, 0.0)
    if kernel == "epanechnikov":
        return np.where(u2 < 1, 2.0 / (np.pi * h2) * (1 - u2), 0.0)
    if kernel == "gaussian":
        return np.exp(-0.5 * u2) / (2 * np.pi * h2)
    raise ValueError(f"unknown kernel {kernel!r}")


def linear_binning(grid: Grid, x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share each point among the four surrounding cell centres in proportion to proximity."""
    gx = (np.asarray(x) - grid.x0) / grid.cell - 0.5
    gy = (np.asarray(y) - grid.y0) / grid.cell - 0.5
    ix = np.floor(gx).astype(np.intp)
    iy = np.floor(gy).astype(np.intp)
    fx = gx - ix
    fy = gy - iy
    out = np.zeros(grid.nx * grid.ny)
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        cx, cy = ix + dx, iy + dy
        ok = (cx >= 0) & (cx < grid.nx) & (cy >= 0) & (cy < grid.ny)
        out += np.bincount(cy[ok] * grid.nx + cx[ok], weights=w[ok], minlength=out.size)
    return out.reshape(grid.shape)


def kernel_density(x: NDArray[np.float64], y: NDArray[np.float64], *, bandwidth: float, cell: float,
                   grid: Grid | None = None, kernel: Kernel = "quartic") -> DensitySurface:
    """Density surface over `grid` (default: the points' extent padded by one bandwidth)."""
    if not bandwidth > 0 or not cell > 0:
        raise ValueError("bandwidth and cell size must be positive distances in metres")
    if bandwidth < cell:
        raise ValueError("bandwidth must be at least one cell wide")
    if grid is None:
        if x.size == 0:
            raise ValueError("no incidents to estimate a density from")
        grid = Grid.covering(x.min() - bandwidth, y.min() - bandwidth, x.max() + bandwidth, y.max() + bandwidth, cell)
    binned = linear_binning(grid, x, y)
    reach = int(np.ceil((bandwidth * (4 if kernel == "gaussian" else 1)) / cell))
    offsets = np.arange(-reach, reach + 1) * cell
    dx, dy = np.meshgrid(offsets, offsets)
    weights = kernel_weights(np.hypot(dx, dy), bandwidth, kernel)
    density = fftconvolve(binned, weights, mode="same")
    density = np.clip(density, 0.0, None) * 1e6  # per m² → per km²
    return DensitySurface(grid=grid, values=density, bandwidth=bandwidth, kernel=kernel)


def direct_density(x: NDArray[np.float64], y: NDArray[np.float64], qx: NDArray[np.float64], qy: NDArray[np.float64],
                   *, bandwidth: float, kernel: Kernel = "quartic") -> NDArray[np.float64]:
    """The exact sum at query points (per km²): the reference the fast surface is tested against."""
    out = np.zeros(qx.size)
    for start in range(0, qx.size, 2048):
        d = np.hypot(qx[start:start + 2048, None] - x[None, :], qy[start:start + 2048, None] - y[None, :])
        out[start:start + 2048] = kernel_weights(d, bandwidth, kernel).sum(axis=1)
    return out * 1e6
