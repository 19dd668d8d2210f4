"""Getis-Ord Gi* hot spot statistic on a regular grid, with Benjamini–Hochberg FDR classes.

Method: Ord, J.K. & Getis, A. (1995) "Local spatial autocorrelation statistics: distributional
issues and an application", Geographical Analysis 27(4). Binary distance-band weights that include
the cell itself (the "star" variant). Significance classes follow Esri's Hot Spot Analysis
(Gi_Bin −3…3 for 99/95/90 % confidence) with the False Discovery Rate correction of Benjamini &
Hochberg (1995), J. R. Stat. Soc. B 57(1).

Because the weights are a fixed disk on a regular grid, the neighbour sums are one convolution
(FFT), not a sparse matrix product: the z-scores equal PySAL's
``esda.G_Local(y, DistanceBand(centres, band, binary=True), transform='B', star=True).Zs``.

>>> import numpy as np
>>> counts = np.zeros((20, 20)); counts[8:11, 8:11] = 9
>>> result = gi_star(counts, cell=100, band=150)
>>> int(result.classes.reshape(20, 20)[9, 9])
3
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import fftconvolve
from scipy.special import ndtr

from geo.grid import disk_offsets

CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
MAX_PERMUTATION_WORK = 200_000_000


@dataclass(frozen=True)
class GiStarResult:
    """Per-cell results, flattened row-major like `counts.ravel()`."""

    z: NDArray[np.float64]
    p: NDArray[np.float64]
    classes: NDArray[np.int8]
    counts: NDArray[np.float64]
    neighbours: NDArray[np.float64]
    p_sim: NDArray[np.float64] | None = None


def neighbour_sums(grid_values: NDArray[np.float64], kernel: NDArray[np.float64]) -> NDArray[np.float64]:
    """Σ_j w_ij x_j for every cell (zero outside the grid); exact for integer counts."""
    out = fftconvolve(grid_values, kernel, mode="same")
    if np.all(np.equal(np.mod(grid_values, 1), 0)) and np.all(np.equal(np.mod(kernel, 1), 0)):
        out = np.rint(out)
    return out


def gi_star(counts: NDArray[np.float64], *, cell: float, band: float, permutations: int = 0,
            seed: int | None = None, fdr: bool = True) -> GiStarResult:
    """Gi* z-scores, two-sided p-values and significance classes for a 2-D grid of counts.

    `band` is the distance band in metres: cells whose centres are within it are neighbours.
    With `permutations` > 0, also a pseudo p-value from conditional randomisation (seeded).
    """
    if not band >= cell:
        raise ValueError("the distance band must be at least one cell wide")
    values = np.asarray(counts, dtype=float)
    kernel = disk_offsets(band, cell)
    n = values.size
    if n < 3:
        raise ValueError("Gi* needs at least three cells")
    local = neighbour_sums(values, kernel)
    weight = neighbour_sums(np.ones_like(values), kernel)
    mean = values.mean()
    s = np.sqrt((values**2).mean() - mean**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = s * np.sqrt((n * weight - weight**2) / (n - 1))
        z = np.where(denominator > 0, (local - mean * weight) / denominator, 0.0)
    z = z.ravel()
    p = 2.0 * ndtr(-np.abs(z))
    classes = significance_classes(z, p, fdr=fdr)
    p_sim = None
    if permutations:
        p_sim = _permutation_p(values, kernel, local, permutations, seed)
    return GiStarResult(z=z, p=p, classes=classes, counts=values.ravel(), neighbours=weight.ravel(), p_sim=p_sim)


def benjamini_hochberg(p: NDArray[np.float64], alpha: float) -> NDArray[np.bool_]:
    """Which hypotheses are rejected at false discovery rate `alpha` (Benjamini & Hochberg 1995)."""
    m = p.size
    if m == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(p, kind="stable")
    thresholds = alpha * np.arange(1, m + 1) / m
    passed = p[order] <= thresholds
    if not passed.any():
        return np.zeros(m, dtype=bool)
    cutoff = p[order][np.nonzero(passed)[0].max()]
    return p <= cutoff


def significance_classes(z: NDArray[np.float64], p: NDArray[np.float64], *, fdr: bool = True) -> NDArray[np.int8]:
    """Esri-style Gi_Bin: ±3/±2/±1 for 99/95/90 % confidence (FDR-corrected), 0 not significant."""
    classes = np.zeros(z.size, dtype=np.int8)
    for level, alpha in reversed(CONFIDENCE_LEVELS):
        significant = benjamini_hochberg(p, alpha) if fdr else p <= alpha
        classes[significant] = level
    return (classes * np.sign(z)).astype(np.int8)


def _permutation_p(values: NDArray[np.float64], kernel: NDArray[np.float64], observed: NDArray[np.float64],
                   permutations: int, seed: int | None) -> NDArray[np.float64]:
    """Folded pseudo p-value: each cell keeps its own value, the others are shuffled (as in esda)."""
    if values.size * permutations > MAX_PERMUTATION_WORK:
        raise ValueError(f"{permutations} permutations on {values.size} cells is too much work; use fewer")
    rng = np.random.default_rng(seed)
    flat = values.ravel()
    centre = kernel[kernel.shape[0] // 2, kernel.shape[1] // 2]
    larger = np.zeros(flat.size)
    for _ in range(permutations):
        shuffled = rng.permutation(flat)
        simulated = neighbour_sums(shuffled.reshape(values.shape), kernel).ravel() + centre * (flat - shuffled)
        larger += simulated >= observed.ravel()
    folded = np.minimum(larger, permutations - larger)
    return (folded + 1.0) / (permutations + 1.0)
