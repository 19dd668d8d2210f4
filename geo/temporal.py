"""When problems happen: hour × weekday profiles, period comparison, trends, emerging hot spots.

* Period comparison: counts in two periods are Poisson; conditional on their sum the first is
  binomial (Przyborowski & Wilenski 1940), giving an exact test of "did it change?" that also works
  for small counts, with exposure (period length) taken into account.
* Trend: Mann–Kendall test (Mann 1945; Kendall 1975) with the tie-corrected variance.
* Emerging hot spots: space-time Gi* over the whole cube (each bin's neighbours are the cells within
  the band in its own and the previous time slice), then Mann–Kendall on each cell's z-scores,
  classified as in Esri's Emerging Hot Spot Analysis ("How Emerging Hot Spot Analysis works", ArcGIS
  Pro documentation; new, consecutive, intensifying, persistent, diminishing, sporadic, oscillating,
  historical, and the cold counterparts).
* Many tests in one table: Benjamini & Hochberg (1995) across the table's p-values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr
from scipy.stats import binom, binomtest

from geo.grid import Grid, disk_offsets
from geo.hotspots import benjamini_hochberg, neighbour_sums, study_mask

WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def hour_weekday_matrix(weekday: NDArray[np.int64], hour: NDArray[np.int64]) -> NDArray[np.int64]:
    """7 × 24 counts; weekday 0 = Monday, hours in local time."""
    return np.bincount(np.asarray(weekday) * 24 + np.asarray(hour), minlength=7 * 24).reshape(7, 24)


@dataclass(frozen=True)
class Change:
    current: int
    previous: int
    ratio: float | None          # rate ratio current / previous (per day)
    p_value: float
    significant: bool            # at alpha


def compare_counts(current: int, previous: int, *, current_days: float = 1.0, previous_days: float = 1.0,
                   alpha: float = 0.05) -> Change:
    """Exact conditional test that two Poisson counts share one rate (per unit of exposure).

    With no exposure in the earlier period (the data does not reach back to it) nothing is compared:
    p = 1, ratio None.
    """
    if previous_days <= 0 or current_days <= 0:
        return Change(current, previous, None, 1.0, False)
    total = current + previous
    share = current_days / (current_days + previous_days)
    p_value = 1.0 if total == 0 else float(binomtest(current, total, share).pvalue)
    ratio = None
    if previous > 0:
        ratio = (current / current_days) / (previous / previous_days)
    return Change(current, previous, ratio, p_value, p_value < alpha)


def compare_many(current: list[int], previous: list[int], *, current_days: float, previous_days: float,
                 alpha: float = 0.05) -> list[Change]:
    """Each area's two counts compared as `compare_counts` does (the exact conditional binomial test of two
    Poisson counts, Przyborowski & Wilenski 1940), with the Benjamini–Hochberg false discovery rate over the
    areas (Benjamini & Hochberg 1995): a county's 13 municipalities are 13 tests, and at 5 % each one of
    them would otherwise show a "change" in about every second county of unchanged rates."""
    raw = [compare_counts(c, p, current_days=current_days, previous_days=previous_days, alpha=alpha)
           for c, p in zip(current, previous, strict=True)]
    keep = significant_after_fdr([r.p_value for r in raw], alpha)
    return [Change(r.current, r.previous, r.ratio, r.p_value, bool(k)) for r, k in zip(raw, keep, strict=True)]


@dataclass(frozen=True)
class MannKendall:
    s: int
    var_s: float
    z: float
    p: float
    trend: int  # +1 increasing, −1 decreasing, 0 none (at alpha)


def mann_kendall(series: NDArray[np.float64], alpha: float = 0.05) -> MannKendall:
    """Mann–Kendall trend test with tie correction; two-sided p-value."""
    values = np.asarray(series, dtype=float)
    n = values.size
    if n < 3:
        return MannKendall(0, 0.0, 0.0, 1.0, 0)
    diffs = np.sign(values[None, :] - values[:, None])
    s = int(np.triu(diffs, k=1).sum())
    _, ties = np.unique(values, return_counts=True)
    var_s = (n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18.0
    if var_s <= 0:
        return MannKendall(s, 0.0, 0.0, 1.0, 0)
    z = (s - np.sign(s)) / np.sqrt(var_s)
    p = float(2 * ndtr(-abs(z)))
    return MannKendall(s, float(var_s), float(z), p, int(np.sign(s)) if p < alpha else 0)


def mann_kendall_many(series: NDArray[np.float64], alpha: float = 0.05) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """Vectorised Mann–Kendall over rows (cells × time slices): z and trend sign per row."""
    values = np.asarray(series, dtype=float)
    cells, n = values.shape
    if n < 3:
        return np.zeros(cells), np.zeros(cells, dtype=np.int8)
    s = np.zeros(cells)
    for i in range(n - 1):
        s += np.sign(values[:, i + 1:] - values[:, i:i + 1]).sum(axis=1)
    ordered = np.sort(values, axis=1)
    tie_term = np.zeros(cells)
    run_start = np.ones((cells, 1), dtype=bool)
    boundaries = np.concatenate([run_start, ordered[:, 1:] != ordered[:, :-1]], axis=1)
    for row in np.flatnonzero((~boundaries).any(axis=1)):
        _, counts = np.unique(ordered[row], return_counts=True)
        tie_term[row] = np.sum(counts * (counts - 1) * (2 * counts + 5))
    var_s = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(var_s > 0, (s - np.sign(s)) / np.sqrt(var_s), 0.0)
    p = 2 * ndtr(-np.abs(z))
    return z, np.where(p < alpha, np.sign(s), 0).astype(np.int8)


EMERGING_CLASSES = (
    "new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical",
)


def classify_emerging(classes_by_slice: NDArray[np.int8], trend: NDArray[np.int8]) -> NDArray[np.object_]:
    """Esri's Emerging Hot Spot categories per cell from its Gi_Bin series (cells × slices).

    `trend` is the Mann–Kendall sign of each cell's Gi* z-scores. Hot categories are named
    "new_hot" etc., cold ones "new_cold"; cells matching none are "no_pattern".
    """
    cells, slices = classes_by_slice.shape
    out = np.full(cells, "no_pattern", dtype=object)
    for sign, suffix in ((1, "hot"), (-1, "cold")):
        hot = (np.sign(classes_by_slice) == sign)
        cold = (np.sign(classes_by_slice) == -sign)
        share = hot.mean(axis=1)
        final = hot[:, -1]
        ever_before = hot[:, :-1].any(axis=1)
        ever_opposite = cold.any(axis=1)
        # run of hot slices at the end
        reversed_hot = hot[:, ::-1]
        run = np.where(reversed_hot.all(axis=1), slices, np.argmin(reversed_hot, axis=1))
        before_run_hot = np.array([hot[i, : slices - run[i]].any() for i in range(cells)])
        direction = trend * sign  # +1: intensifying for hot spots, −1: diminishing

        rules = [
            ("new", final & ~ever_before),
            ("consecutive", final & (run >= 2) & ~before_run_hot & (share < 0.9)),
            ("intensifying", final & (share >= 0.9) & (direction > 0)),
            ("persistent", final & (share >= 0.9) & (direction == 0)),
            ("diminishing", final & (share >= 0.9) & (direction < 0)),
            ("oscillating", final & (share < 0.9) & ever_opposite),
            ("sporadic", final & (share < 0.9) & ~ever_opposite & before_run_hot),
            ("historical", ~final & (share >= 0.9)),
        ]
        unassigned = out == "no_pattern"
        for name, mask in rules:
            take = unassigned & mask
            out[take] = f"{name}_{suffix}"
            unassigned &= ~take
    return out


def significant_after_fdr(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Which of one table's tests stay significant after Benjamini–Hochberg at `alpha`."""
    return benjamini_hochberg(np.asarray(p_values, dtype=float), alpha).tolist() if p_values else []


@dataclass(frozen=True)
class EmergingResult:
    """Per study cell with any incident (`cells`, flat grid indices): bin classes (cells × slices, +1 hot,
    −1 cold at FDR `alpha`), the cube Gi* z-scores, the Mann–Kendall trend sign and Esri's pattern."""

    cells: NDArray[np.intp]
    classes: NDArray[np.int8]
    z: NDArray[np.float64]
    trend: NDArray[np.int8]
    patterns: NDArray[np.object_]
    totals: NDArray[np.float64]
    study_cells: int = 0


def emerging_hot_spots(cube: NDArray[np.float64], *, cell: float, band: float, study: NDArray[np.bool_],
                       alpha: float = 0.05, time_step: int = 1, correction: str = "fwer") -> EmergingResult:
    """Emerging hot spots from a space-time cube of counts (slices × rows × columns) over `study` cells.

    Space-time Gi* (Esri): a bin's neighbourhood is the disk of radius `band` in its own slice and the
    `time_step` slices before it; z uses the mean and variance of the whole cube. Significance is the
    exact count test under spatial randomness within each slice (given each slice's total, a
    neighbourhood count is Binomial(N_t + … + N_{t−k}, W/n)), which holds at low counts and is not
    fooled by slices with more data overall. Every bin of the cube is one test, and the bins are held
    to a family-wise error rate (Bonferroni, `correction="fwer"`, the default) rather than Esri's FDR:
    with real hot spots in the cube, FDR lets ~5 % of the claimed pattern cells be random ones (about
    five stray "new hot spots" a run in bench/validity.py), which a patrol plan must not chase.
    Mann–Kendall (Mann 1945; Kendall 1975) runs on each cell's neighbourhood count slice by slice
    (independent slices, unlike the overlapping space-time z-scores Esri tests).
    """
    values = np.where(study[None], np.asarray(cube, dtype=float), 0.0)
    slices = values.shape[0]
    kernel = disk_offsets(band, cell)
    spatial = np.stack([neighbour_sums(values[t], kernel) for t in range(slices)])
    space_w = neighbour_sums(study.astype(float), kernel)
    slice_totals = values.reshape(slices, -1).sum(axis=1)
    local = np.zeros_like(spatial)
    trials = np.zeros(slices)
    depth = np.zeros(slices)
    for t in range(slices):
        first = max(0, t - time_step)
        local[t] = spatial[first:t + 1].sum(axis=0)
        trials[t] = slice_totals[first:t + 1].sum()
        depth[t] = t + 1 - first
    n_cells = int(study.sum())
    n = n_cells * slices
    mean = values.sum() / n
    s = np.sqrt(max((values**2).sum() / n - mean**2, 0.0))
    weight = space_w[None] * depth[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = s * np.sqrt((n * weight - weight**2) / (n - 1))
        z = np.where(study[None] & (denominator > 0), (local - mean * weight) / denominator, 0.0)
    share = np.clip(space_w / max(n_cells, 1), 0, 1)[None]
    n_trials = trials[:, None, None]
    upper = binom.sf(local - 1, n_trials, share)
    lower = binom.cdf(local, n_trials, share)
    p = np.minimum(1.0, 2 * np.minimum(upper, lower))
    in_study = np.broadcast_to(study[None], p.shape)
    significant = np.zeros(p.shape, dtype=bool)
    tested = p[in_study]
    significant[in_study] = (benjamini_hochberg(tested, alpha) if correction == "fdr"
                             else tested <= alpha / max(tested.size, 1))
    direction = np.sign(local - n_trials * share)
    classes = (significant * direction).astype(np.int8)
    totals = values.sum(axis=0).ravel()
    cells = np.flatnonzero(study.ravel() & (totals > 0))
    bin_classes = classes.reshape(slices, -1)[:, cells].T
    z_cells = z.reshape(slices, -1)[:, cells].T
    # The trend is tested on each slice's own neighbourhood count, not on the space-time z-scores:
    # neighbouring slices share a time step, so their z-scores are correlated (Mann–Kendall then finds
    # a trend in 16 % of steady hotspots), and the first slice has fewer neighbours (smaller z).
    own = spatial.reshape(slices, -1)[:, cells].T
    _, trend = mann_kendall_many(own)
    patterns = classify_emerging(bin_classes, trend)
    return EmergingResult(cells, bin_classes, z_cells, trend, patterns, totals[cells], int(study.sum()))


def emerging_points(x: NDArray[np.float64], y: NDArray[np.float64], slice_index: NDArray[np.intp], *, slices: int,
                    cell: float, band: float,
                    reference: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None) -> tuple[
                        Grid, EmergingResult]:
    """Emerging hot spots for incidents at (x, y) in time slices `slice_index` (0 … slices − 1), on a
    `cell` grid over the populated study area of `reference` (default the incidents themselves)."""
    rx, ry = reference if reference is not None else (x, y)
    if rx.size == 0:
        raise ValueError("no incidents to analyse")
    grid = Grid.covering(float(rx.min()), float(ry.min()), float(rx.max()), float(ry.max()), cell)
    cube = np.stack([grid.counts(x[slice_index == k], y[slice_index == k]) for k in range(slices)])
    return grid, emerging_hot_spots(cube, cell=cell, band=band, study=study_mask(grid, rx, ry))
