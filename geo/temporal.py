"""When problems happen: hour × weekday profiles, period comparison, trends, emerging hot spots.

* Period comparison: counts in two periods are Poisson; conditional on their sum the first is
  binomial (Przyborowski & Wilenski 1940), giving an exact test of "did it change?" that also works
  for small counts, with exposure (period length) taken into account.
* Trend: Mann–Kendall test (Mann 1945; Kendall 1975) with the tie-corrected variance.
* Emerging hot spots: Gi* per time slice and Mann–Kendall on each cell's z-scores, classified as in
  Esri's Emerging Hot Spot Analysis (new, consecutive, intensifying, persistent, diminishing,
  sporadic, oscillating, historical, and the cold counterparts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr
from scipy.stats import binomtest

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
    """Exact conditional test that two Poisson counts share one rate (per unit of exposure)."""
    total = current + previous
    share = current_days / (current_days + previous_days)
    p_value = 1.0 if total == 0 else float(binomtest(current, total, share).pvalue)
    ratio = None
    if previous > 0:
        ratio = (current / current_days) / (previous / previous_days)
    return Change(current, previous, ratio, p_value, p_value < alpha)


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
