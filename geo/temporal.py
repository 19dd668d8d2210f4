"""When problems happen: hour × weekday profiles, period comparison, trends, emerging hot spots.

* Period comparison: counts in two periods are Poisson; conditional on their sum the first is
  binomial (Przyborowski & Wilenski 1940), giving an exact test of "did it change?" that also works
  for small counts, with exposure (period length) taken into account.
* Trend: Mann–Kendall test (Mann 1945; Kendall 1975) with the tie-corrected variance.
* Emerging hot spots: space-time Gi* over the whole cube (each bin's neighbours are the cells within
  the band in its own and the previous time slice), classified as in Esri's Emerging Hot Spot Analysis
  ("How Emerging Hot Spot Analysis works", ArcGIS Pro documentation; new, consecutive, intensifying,
  persistent, diminishing, sporadic, oscillating, historical, and the cold counterparts) — but a change
  class stands only where the cell's share of the town's incidents changed, given each slice's total
  (the null of Kulldorff et al. 2005's space-time permutation scan), family-wise over the cells.
* Many tests in one table: Benjamini & Hochberg (1995) across the table's p-values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
# The change classes: each is a claim that the cell's share of the town's incidents changed, and is made
# only where its test in `emerging_hot_spots` says so. "persistent" and "sporadic" claim no change.
CHANGE_CLASSES = ("new", "consecutive", "intensifying", "diminishing", "oscillating", "historical")
RECENT_SHARE = 0.25  # the recent window of the share tests: the last quarter of the slices (3 of 12)


def classify_emerging(classes_by_slice: NDArray[np.int8], trend: NDArray[np.int8]) -> NDArray[np.object_]:
    """Esri's Emerging Hot Spot categories per cell from its Gi_Bin series (cells × slices).

    `trend` is the sign of each cell's trend (+1 rising, −1 falling, 0 none). Hot categories are named
    "new_hot" etc., cold ones "new_cold"; cells matching none are "no_pattern". These are the patterns
    of the bins only; `emerging_hot_spots` keeps a change class only where a test of change agrees.
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
        first = np.argmax(hot, axis=1)
        before_run_hot = hot.any(axis=1) & (run < slices) & (first < slices - run)
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


def _llr(c: NDArray[np.float64], n: NDArray[np.float64], share: NDArray[np.float64]) -> NDArray[np.float64]:
    """Binomial log-likelihood ratio of c of n at its own share against `share` (0 where c = n·share)."""
    e = n * share
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(c > 0, c * np.log(c / e), 0.0)
        b = np.where(n - c > 0, (n - c) * np.log((n - c) / (n - e)), 0.0)
    return np.nan_to_num(a + b, nan=0.0, posinf=0.0)


@dataclass(frozen=True)
class ShareStatistics:
    """How strongly each cell's share of the town's incidents changed, on one scale (a log-likelihood
    ratio): `rise`/`fall` the largest over the windows of the last k = 1 … recent slices, `up`/`down` the
    log-linear trend, and `slope` the trend score's sign."""

    rise: NDArray[np.float64]
    fall: NDArray[np.float64]
    up: NDArray[np.float64]
    down: NDArray[np.float64]
    slope: NDArray[np.int8]
    sustained: NDArray[np.float64]   # a rise over the whole recent window (not one slice's burst)
    dropped: NDArray[np.float64]     # a fall over the whole recent window


def share_statistics(counts: NDArray[np.float64], pi: NDArray[np.float64], recent: int) -> ShareStatistics:
    """The change statistics of each cell (`counts`, cells × slices) given the slices' shares `pi` of the
    town's incidents: the binomial log-likelihood ratio of the count in the last k = 1 … `recent` slices
    (as the space-time permutation scan's), and the Cochran–Armitage score z for a log-linear trend of the
    share (Cochran 1954; Armitage 1955; continuity-corrected) as z²/2. Under no change in the cell's share,
    its C incidents fall in slice t with probability π_t whatever the town's total does."""
    total = counts.sum(axis=1)
    late = np.cumsum(counts[:, ::-1], axis=1)[:, :recent]
    share = np.cumsum(pi[::-1])[:recent][None, :]
    llr = _llr(late, total[:, None], share)
    up = late > total[:, None] * share
    t = np.arange(pi.size, dtype=float)
    m1 = float((t * pi).sum())
    var1 = float((t**2 * pi).sum()) - m1**2
    score = (counts * t).sum(axis=1) - total * m1
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(total * var1 > 0, (np.abs(score) - 0.5) / np.sqrt(total * var1), 0.0)
    half_z2 = np.maximum(z, 0.0) ** 2 / 2
    return ShareStatistics(np.where(up, llr, 0.0).max(axis=1, initial=0.0),
                           np.where(up, 0.0, llr).max(axis=1, initial=0.0),
                           np.where(score > 0, half_z2, 0.0), np.where(score < 0, half_z2, 0.0),
                           np.sign(np.round(score, 9)).astype(np.int8),
                           np.where(up[:, -1], llr[:, -1], 0.0), np.where(up[:, -1], 0.0, llr[:, -1]))


# Which change a class claims, for hot spots; a cold spot's class claims the opposite direction.
_NEEDS = {"new": ("rise",), "consecutive": ("rise",), "intensifying": ("up", "rise"), "diminishing": ("down", "fall"),
          "historical": ("fall",), "oscillating": ("rise", "fall", "up", "down")}
_OPPOSITE = {"rise": "fall", "fall": "rise", "up": "down", "down": "up", "sustained": "dropped"}
_DEMOTED = {"new": "sporadic", "consecutive": "sporadic", "oscillating": "sporadic", "intensifying": "persistent",
            "diminishing": "persistent", "historical": "persistent"}


def claim_statistics(patterns: NDArray[np.object_], stats: ShareStatistics) -> NDArray[np.float64]:
    """Per cell, the statistic of the change its candidate class claims (0 for a class that claims none);
    "intensifying_hot*" marks a sporadic spot that may be growing, which its trend or a rise over the whole
    recent window shows (a burst in the last slice alone does not)."""
    out = np.zeros(patterns.size)
    for word, hot in [*_NEEDS.items(), ("intensifying*", ("up", "sustained"))]:
        for kind in ("hot", "cold"):
            label = f"{word.rstrip('*')}_{kind}{'*' if word.endswith('*') else ''}"
            mask = patterns == label
            if mask.any():
                needs = hot if kind == "hot" else tuple(_OPPOSITE[n] for n in hot)
                out[mask] = np.max([getattr(stats, n)[mask] for n in needs], axis=0)
    return out


def confirm_changes(patterns: NDArray[np.object_], claimed: NDArray[np.bool_]) -> NDArray[np.object_]:
    """Keep a change class only where its test rejected (`claimed`); elsewhere the cell keeps the class
    that claims no change: a "new" hot spot whose share did not rise is a steady place that crossed the
    line by chance ("sporadic"), an "intensifying" one whose share did not rise is "persistent"."""
    out = patterns.copy()
    for k, pattern in enumerate(patterns):
        word, _, kind = str(pattern).rpartition("_")
        if word in _DEMOTED and not claimed[k]:
            out[k] = f"{_DEMOTED[word]}_{kind}"
    return out


@dataclass(frozen=True)
class ShareChange:
    current: int
    previous: int
    ratio: float | None          # the share now over the share before
    p_value: float
    direction: str               # "up", "down" or "unchanged" (after the correction)


def share_changes(current: list[int], previous: list[int], *, current_total: int, previous_total: int,
                  alpha: float = 0.05) -> list[ShareChange]:
    """Did each area's share of all incidents change between two periods? Fisher's exact test of the 2 × 2
    table (the area / elsewhere × now / before), which conditions on both periods' totals: a rise or fall
    of the whole, a season or a period of another length changes no area's test; Benjamini–Hochberg across
    the areas (Benjamini & Hochberg 1995)."""
    from scipy.stats import fisher_exact

    raw = []
    for now, before in zip(current, previous, strict=True):
        table = [[now, max(current_total - now, 0)], [before, max(previous_total - before, 0)]]
        p = float(fisher_exact(table).pvalue) if now + before and current_total and previous_total else 1.0
        share_now, share_before = now / max(current_total, 1), before / max(previous_total, 1)
        raw.append((now, before, share_now / share_before if share_before > 0 else None, p, share_now > share_before))
    keep = significant_after_fdr([r[3] for r in raw], alpha)
    return [ShareChange(now, before, ratio, p, ("up" if up else "down") if k else "unchanged")
            for (now, before, ratio, p, up), k in zip(raw, keep, strict=True)]


def significant_after_fdr(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Which of one table's tests stay significant after Benjamini–Hochberg at `alpha`."""
    return benjamini_hochberg(np.asarray(p_values, dtype=float), alpha).tolist() if p_values else []


@dataclass(frozen=True)
class EmergingResult:
    """Per study cell with any incident (`cells`, flat grid indices): bin classes (cells × slices, +1 hot,
    −1 cold at family-wise `alpha`), the cube Gi* z-scores, the trend of the cell's share (+1, −1, 0 where
    the share test is significant), Esri's pattern with change classes kept only where the share tests
    agree, and the town's own change (the recent quarter of the slices against the rest)."""

    cells: NDArray[np.intp]
    classes: NDArray[np.int8]
    z: NDArray[np.float64]
    trend: NDArray[np.int8]
    patterns: NDArray[np.object_]
    totals: NDArray[np.float64]
    study_cells: int = 0
    slice_totals: NDArray[np.float64] | None = None
    recent: int = 3
    town: Change | None = None
    share_critical: float = 0.0   # the change tests' critical statistic (family-wise, by permutation)
    share_permutations: int = 0


def recent_slices(slices: int) -> int:
    """How many of the last slices form the recent window of the change tests (a quarter, at least one)."""
    return max(1, min(slices - 1, round(slices * RECENT_SHARE)))


def town_change(slice_totals: NDArray[np.float64], *, recent: int, slice_days: float = 1.0,
                alpha: float = 0.05) -> Change:
    """The whole study area's count in the last `recent` slices against the slices before (per day, the
    exact conditional Poisson test): a town-wide rise is stated as such, never as local hot spots."""
    totals = np.asarray(slice_totals, dtype=float)
    now, before = int(totals[-recent:].sum()), int(totals[:-recent].sum())
    return compare_counts(now, before, current_days=recent * slice_days,
                          previous_days=(totals.size - recent) * slice_days, alpha=alpha)


def emerging_hot_spots(cube: NDArray[np.float64], *, cell: float, band: float, study: NDArray[np.bool_],
                       alpha: float = 0.05, time_step: int = 1, permutations: int = 199,
                       seed: int = 0) -> EmergingResult:
    """Emerging hot spots from a space-time cube of counts (slices × rows × columns) over `study` cells.

    Hot and cold bins: space-time Gi* (Esri) — a bin's neighbourhood is the disk of radius `band` in its own
    slice and the `time_step` slices before it; z uses the mean and variance of the whole cube. Significance
    is the exact count test under spatial randomness within each slice (given each slice's total, a
    neighbourhood count is Binomial(N_t + … + N_{t−k}, W/n)), held to a family-wise error rate over every
    bin of the cube (Bonferroni) rather than Esri's FDR.

    Change: a bin being hot says the place is busier than the town around it, not that it changed. A
    steady hot spot's edge cells cross the line in some slices and not in others, and a town-wide rise
    makes more bins significant late in the cube; read as Esri's classes, both look like "new" or
    "intensifying" places (measured on an unchanging uneven town: a change class in 14 of 19 runs). So a
    change class (new, consecutive, intensifying, diminishing, oscillating, historical) stands only where
    the cell's neighbourhood share of the town's incidents changed in the direction the class claims
    (`share_statistics`: a rise or fall in the last slices, a trend), given each slice's total — the null
    of the space-time permutation scan (Kulldorff, Heffernan, Hartman, Assunção & Mostashari 2005, "A
    space–time permutation scan statistic for disease outbreak detection", PLoS Medicine 2(3):e59), which
    conditions on both margins so that a town-wide rise or a season moves no cell.

    Family-wise over the cells: the critical value is the (1 − alpha/2) quantile of the largest claimed
    statistic anywhere in `permutations` random re-assignments of the incidents' slices (both margins
    kept), each permutation classed the same way — the max-statistic procedure of Westfall & Young (1993,
    *Resampling-Based Multiple Testing*), as SaTScan's Monte Carlo does for its scan. The other alpha/2
    goes to the town's own change (`town_change`), so an unchanging town shows any claim of change in at
    most `alpha` of runs. Seeded: the same data gives the same answer.
    """
    values = np.where(study[None], np.asarray(cube, dtype=float), 0.0)
    slices = values.shape[0]
    kernel = disk_offsets(band, cell)
    space_w = neighbour_sums(study.astype(float), kernel).ravel()
    slice_totals = values.reshape(slices, -1).sum(axis=1)
    totals = values.sum(axis=0).ravel()
    cells = np.flatnonzero(study.ravel() & (totals > 0))
    own = values.reshape(slices, -1)[:, cells].T.astype(np.int64)            # cells × slices
    neighbours = neighbourhood_matrix(study.shape, kernel, cells, cells)
    n_cells = int(study.sum())
    window = np.array([slice_totals[max(0, t - time_step):t + 1].sum() for t in range(slices)])
    depth = np.array([t + 1 - max(0, t - time_step) for t in range(slices)], dtype=float)
    share = np.clip(space_w[cells] / max(n_cells, 1), 0, 1)
    # Bin significance: two-sided exact test, Bonferroni over every study bin of the cube, as critical counts
    # (fixed by the margins, so each permutation below is classed by the same rule at no extra cost)
    level = alpha / max(n_cells * slices, 1) / 2
    trials = np.broadcast_to(window[None, :], (cells.size, slices))
    shares = np.broadcast_to(share[:, None], (cells.size, slices))
    hot_at = binom.isf(level, trials, shares) + 1
    cold_below = binom.ppf(level, trials, shares)
    cold_at = np.where(binom.cdf(cold_below, trials, shares) <= level, cold_below, cold_below - 1)
    pi = slice_totals / max(slice_totals.sum(), 1.0)
    recent = recent_slices(slices)

    def analyse(table: NDArray[np.int64]) -> tuple[NDArray[np.int8], NDArray[np.object_], NDArray[np.float64],
                                                   ShareStatistics, NDArray[np.float64]]:
        spatial = np.asarray(neighbours @ table, dtype=float)
        local = spatial.copy()
        for step in range(1, time_step + 1):
            local[:, step:] += spatial[:, :-step]
        bins = np.where(local >= hot_at, 1, np.where(local <= cold_at, -1, 0)).astype(np.int8)
        stats = share_statistics(spatial, pi, recent)
        patterns = classify_emerging(bins, stats.slope)
        # a sporadic hot spot whose share trends up, or rose over the whole recent window, is growing: a
        # candidate for "intensifying" (Esri keeps that for spots hot in 90 % of the slices; here the share's
        # test decides, and the page says so); a burst in the last slice alone is not growth: a spot that
        # flares every fourth month stays sporadic)
        for kind in ("hot", "cold"):
            patterns[patterns == f"sporadic_{kind}"] = f"intensifying_{kind}*"
        return bins, patterns, claim_statistics(patterns, stats), stats, local

    bin_classes, candidates, claimed, stats, local = analyse(own)
    critical = np.inf
    if cells.size and (claimed > 0).any():
        cell_of = np.repeat(np.repeat(np.arange(cells.size), slices), own.ravel())
        slice_of = np.repeat(np.tile(np.arange(slices), cells.size), own.ravel())
        rng = np.random.default_rng(seed)
        maxima = np.empty(permutations)
        for k in range(permutations):
            shuffled = np.bincount(cell_of * slices + rng.permutation(slice_of), minlength=cells.size * slices)
            maxima[k] = analyse(shuffled.reshape(cells.size, slices))[2].max(initial=0.0)
        keep = int(np.floor(alpha / 2 * (permutations + 1)))  # exceeded by at most alpha/2 of the permutations
        critical = float(np.sort(maxima)[::-1][keep - 1]) if keep >= 1 else np.inf
    significant = claimed > critical
    patterns = confirm_changes(candidates, significant)
    for kind in ("hot", "cold"):  # the sporadic ones that did not grow are sporadic again
        was = candidates == f"intensifying_{kind}*"
        patterns[was] = np.where(significant[was], f"intensifying_{kind}", f"sporadic_{kind}")
    trend = np.where(significant & np.isin([str(p).rpartition("_")[0] for p in patterns],
                                           ("intensifying", "diminishing")), stats.slope, 0).astype(np.int8)
    mean = values.sum() / max(n_cells * slices, 1)
    s = np.sqrt(max((values**2).sum() / max(n_cells * slices, 1) - mean**2, 0.0))
    n = n_cells * slices
    weight = space_w[cells][:, None] * depth[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = s * np.sqrt((n * weight - weight**2) / (n - 1))
        z_cells = np.where(denominator > 0, (local - mean * weight) / denominator, 0.0)
    return EmergingResult(cells, bin_classes, z_cells, trend, patterns, totals[cells], n_cells, slice_totals, recent,
                          town_change(slice_totals, recent=recent, alpha=alpha / 2), critical, permutations)


def neighbourhood_matrix(shape: tuple[int, int], kernel: NDArray[np.float64], rows: NDArray[np.intp],
                         columns: NDArray[np.intp]) -> Any:
    """Sparse (rows × columns) matrix of the kernel's weights: row i sums the flat grid cells `columns`
    that lie in the neighbourhood of flat cell `rows[i]`."""
    from scipy.sparse import csr_matrix

    ny, nx = shape
    ky, kx = kernel.shape
    dy, dx = np.nonzero(kernel)
    weights = kernel[dy, dx]
    lookup = np.full(ny * nx, -1, dtype=np.int64)
    lookup[np.asarray(columns)] = np.arange(len(columns))
    r_row, r_col = np.divmod(np.asarray(rows, dtype=np.int64), nx)
    yy = r_row[:, None] + (dy - ky // 2)[None, :]
    xx = r_col[:, None] + (dx - kx // 2)[None, :]
    inside = (yy >= 0) & (yy < ny) & (xx >= 0) & (xx < nx)
    column = np.where(inside, lookup[np.where(inside, yy * nx + xx, 0)], -1)
    hit = column >= 0
    row_index = np.broadcast_to(np.arange(len(rows))[:, None], hit.shape)[hit]
    return csr_matrix((np.broadcast_to(weights[None, :], hit.shape)[hit], (row_index, column[hit])),
                      shape=(len(rows), len(columns)))


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
