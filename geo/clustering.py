"""Hotspot clusters: DBSCAN in metres with a density threshold derived from spatial randomness.

DBSCAN: Ester, Kriegel, Sander & Xu (1996), KDD-96. HDBSCAN: Campello, Moulavi & Sander (2013).
The default `min_samples` follows the idea of CrimeStat's nearest-neighbour hierarchical clustering
(Levine 2015, CrimeStat IV ch. 7): compare with what complete spatial randomness (CSR) would give
for the same number of incidents over the same area. Under CSR the count within `eps` of a point is
Poisson with mean λπ·eps² (λ = incidents per m² of the populated area); a core point must exceed
the (1 − α/m) quantile of that count, m being the number of disjoint `eps`-discs in the area
(a Bonferroni bound), so a hotspot is a significant concentration at any volume or time window.
scikit-learn's `min_samples` counts the point itself, so the default is that count plus one.

HDBSCAN finds clusters at every density, random clumps included (42–58 clusters on 2,000 random
points). Only HDBSCAN clusters that hold at least one core point of the CSR-thresholded DBSCAN above
are kept: the same significance test decides whether there is a hotspot, HDBSCAN only its shape.

Hotspots are the core regions: DBSCAN's border points (within eps of a core point but not dense
themselves) are left out of the polygon and the counts.

Scale: points are first binned to cells of eps/4 and DBSCAN runs on the occupied cells weighted by
their counts (scikit-learn's `sample_weight`), so memory grows with occupied cells, not incidents:
1,000,000 incidents over Mjölby need tens of thousands of weighted cells instead of billions of
neighbour pairs. Positions move by at most half a bin diagonal (≈ 0.18·eps).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.signal import fftconvolve
from scipy.stats import poisson
from sklearn.cluster import DBSCAN, HDBSCAN

BIN_FRACTION = 0.25
FOOTPRINT_CELL_M = 250.0
HDBSCAN_MAX_POINTS = 10_000
SPLIT_RADIUS = 0.25    # of eps: the radius of the density that separates peaks
SADDLE_RATIO = 0.5     # a peak stands alone when the pass to a higher one is below this share of it


@dataclass(frozen=True)
class CsrThreshold:
    """How the default min_samples was derived, echoed back to the analyst."""

    area_km2: float
    intensity_per_km2: float
    expected_in_eps: float
    tests: int
    alpha: float
    min_samples: int


@dataclass
class Cluster:
    label: int
    members: NDArray[np.intp]          # indices into the input points
    hull: shapely.Polygon | shapely.MultiPolygon  # EPSG:3006


@dataclass
class ClusterResult:
    labels: NDArray[np.intp]           # per input point, −1 = noise
    clusters: list[Cluster] = field(default_factory=list)
    threshold: CsrThreshold | None = None
    eps: float = 0.0
    min_samples: int = 0
    method: str = "dbscan"


def populated_area_m2(x: NDArray[np.float64], y: NDArray[np.float64], cell: float = FOOTPRINT_CELL_M) -> float:
    """Area of the 250 m cells that hold at least one incident: where incidents can happen at all.

    A bounding box or convex hull over a municipality counts fields and lakes, which would make every
    town centre look like a hotspot; the occupied-cell footprint is the fairer CSR baseline.
    """
    if x.size == 0:
        return 0.0
    return float(np.unique(footprint_keys(x, y, cell)).size * cell * cell)


def footprint_keys(x: NDArray[np.float64], y: NDArray[np.float64], cell: float = FOOTPRINT_CELL_M) -> NDArray[np.int64]:
    """One integer per footprint cell (SWEREF metres stay far below the 10⁶-cell stride)."""
    return np.floor(np.asarray(x) / cell).astype(np.int64) * 1_000_003 + np.floor(np.asarray(y) / cell).astype(np.int64)


def csr_min_samples(n: int, area_m2: float, eps: float, alpha: float = 0.05) -> CsrThreshold:
    """Smallest neighbourhood count that CSR would reach with probability below α/m (m = eps-discs)."""
    disc = math.pi * eps * eps
    intensity = n / area_m2 if area_m2 > 0 else 0.0
    expected = intensity * disc
    tests = max(1, int(area_m2 / disc))
    # k: the fewest *other* incidents within eps that CSR reaches with probability ≤ α/m.
    k = int(poisson.isf(alpha / tests, expected)) + 1 if expected > 0 else 1
    return CsrThreshold(
        area_km2=area_m2 / 1e6, intensity_per_km2=intensity * 1e6, expected_in_eps=expected,
        tests=tests, alpha=alpha, min_samples=max(k + 1, 5),  # + the point itself, as scikit-learn counts
    )


def dbscan_hotspots(x: NDArray[np.float64], y: NDArray[np.float64], *, eps: float = 100.0,
                    min_samples: int | None = None, alpha: float = 0.05, buffer_m: float = 15.0) -> ClusterResult:
    """Weighted DBSCAN on eps/4 bins; `min_samples` defaults to the CSR threshold."""
    if not eps > 0:
        raise ValueError("eps must be a positive distance in metres")
    n = x.size
    threshold = None
    if min_samples is None:
        threshold = csr_min_samples(n, populated_area_m2(x, y), eps, alpha)
        min_samples = threshold.min_samples
    if min_samples < 1:
        raise ValueError("min_samples must be at least 1")
    labels = np.full(n, -1, dtype=np.intp)
    if n == 0:
        return ClusterResult(labels, [], threshold, eps, min_samples)
    size = eps * BIN_FRACTION
    bx = np.floor(x / size).astype(np.int64)
    by = np.floor(y / size).astype(np.int64)
    ox, oy = bx.min(), by.min()
    stride = int(by.max() - oy + 1)
    flat, inverse, weights = np.unique((bx - ox) * stride + (by - oy), return_inverse=True, return_counts=True)
    centres = (np.column_stack([flat // stride + ox, flat % stride + oy]) + 0.5) * size
    model = DBSCAN(eps=eps, min_samples=min_samples, algorithm="ball_tree")
    bin_labels = model.fit(centres, sample_weight=weights).labels_.copy()
    # Keep core bins only: border bins are, by definition, not dense, and would widen every
    # hotspot by eps into the background.
    core = np.zeros(bin_labels.size, dtype=bool)
    core[model.core_sample_indices_] = True
    bin_labels[~core] = -1
    if threshold is not None:
        peak = csr_min_samples(n, threshold.area_km2 * 1e6, eps * SPLIT_RADIUS, alpha).min_samples
        bin_labels = split_at_saddles(centres, weights, bin_labels, size=size, radius=eps * SPLIT_RADIUS,
                                      min_peak=peak, min_size=min_samples)
    labels = bin_labels[inverse.ravel()]
    clusters = [
        Cluster(label=int(k), members=np.flatnonzero(labels == k),
                hull=_hull(centres[bin_labels == k], size / 2 + buffer_m))
        for k in np.unique(bin_labels[bin_labels >= 0])
    ]
    return ClusterResult(labels, _by_size(clusters), threshold, eps, min_samples)


def split_at_saddles(centres: NDArray[np.float64], weights: NDArray[np.int64], bin_labels: NDArray[np.intp], *,
                     size: float, radius: float, min_peak: int, min_size: int) -> NDArray[np.intp]:
    """Split clusters that hold two or more separate density peaks (persistence-based clustering,
    ToMATo: Chazal, Guibas, Oudot & Skraba 2013, "Persistence-based clustering in Riemannian
    manifolds", J. ACM 60(6)).

    DBSCAN joins everything denser than its threshold, so two hotspots 130 m apart become one when
    the ground between them is busy too. For each cluster the bins (`size` metres, empty ones too) of
    its core and one bin around it are rasterised; each bin's density is the number of events within
    `radius`. Bins are taken from the densest down and joined to their 8 neighbours; where two peaks
    meet, the lower one keeps its own hotspot when it is itself significant (at least `min_peak`
    events within `radius`, the CSR threshold for that radius), the pass is below SADDLE_RATIO of it
    and the peak is significantly above the pass (Poisson, 1 %); a piece must hold `min_size` events.
    Splitting never adds area or incidents that DBSCAN did not find.
    """
    from scipy.ndimage import binary_dilation

    from geo.grid import disk_offsets

    out = bin_labels.copy()
    next_label = int(bin_labels.max()) + 1
    kernel = disk_offsets(radius, size)
    reach = kernel.shape[0] // 2
    ij_all = np.floor(centres / size).astype(np.int64)
    for label in np.unique(bin_labels[bin_labels >= 0]):
        core = np.flatnonzero(bin_labels == label)
        if weights[core].sum() < 2 * min_size:
            continue
        lo = ij_all[core].min(axis=0) - reach - 1
        hi = ij_all[core].max(axis=0) + reach + 2
        shape = tuple(int(v) for v in hi - lo)
        near = np.all((ij_all >= lo) & (ij_all < hi), axis=1)
        raster = np.zeros(shape)
        np.add.at(raster, tuple((ij_all[near] - lo).T), weights[near])
        density = np.rint(fftconvolve(raster, kernel, mode="same"))
        core_mask = np.zeros(shape, dtype=bool)
        core_mask[tuple((ij_all[core] - lo).T)] = True
        region = binary_dilation(core_mask, np.ones((3, 3), dtype=bool))
        pieces = _persistence_pieces(density, region, min_peak)
        piece_of_core = pieces[tuple((ij_all[core] - lo).T)]
        mass = {int(p): int(weights[core[piece_of_core == p]].sum()) for p in np.unique(piece_of_core)}
        ordered = sorted(mass, key=lambda p: -mass[p])
        keep = [p for p in ordered if mass[p] >= min_size] or ordered[:1]
        if len(keep) < 2:
            continue
        for p in ordered:
            if p not in keep:  # too small to stand alone: back to the largest piece
                piece_of_core[piece_of_core == p] = keep[0]
        for p in keep[1:]:
            out[core[piece_of_core == p]] = next_label
            next_label += 1
    return out


def _persistence_pieces(density: NDArray[np.float64], region: NDArray[np.bool_], min_peak: int) -> NDArray[np.intp]:
    """ToMATo on a raster: the root cell of each bin's piece (−1 outside `region`)."""
    ny, nx = density.shape
    flat_density = density.ravel()
    parent = np.full(flat_density.size, -1, dtype=np.intp)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    cells = np.flatnonzero(region.ravel())
    for i in cells[np.argsort(-flat_density[cells], kind="stable")].tolist():
        r, c = divmod(i, nx)
        roots = {find(j) for j in (rr * nx + cc for rr in (r - 1, r, r + 1) for cc in (c - 1, c, c + 1)
                                   if 0 <= rr < ny and 0 <= cc < nx and (rr, cc) != (r, c))
                 if parent[j] >= 0}
        parent[i] = i
        if not roots:
            continue
        main = max(roots, key=lambda k: (flat_density[k], -k))
        parent[i] = main
        for k in roots - {main}:
            if not _separate_peak(flat_density[k], flat_density[i], min_peak):
                parent[k] = main
    return np.array([find(i) if parent[i] >= 0 else -1 for i in range(flat_density.size)]).reshape(density.shape)


def _separate_peak(peak: float, saddle: float, min_peak: int, alpha: float = 0.01) -> bool:
    """A lower peak stands alone when it is significant against CSR (≥ min_peak events within the
    radius) and significantly above the pass that joins it to a higher one (Poisson, one-sided)."""
    return bool(peak >= min_peak and saddle <= SADDLE_RATIO * peak and poisson.sf(peak - 1, max(saddle, 0.5)) < alpha)


def hdbscan_hotspots(x: NDArray[np.float64], y: NDArray[np.float64], *, min_cluster_size: int | None = None,
                     eps: float = 100.0, alpha: float = 0.05, buffer_m: float = 15.0,
                     max_points: int = HDBSCAN_MAX_POINTS, seed: int = 0) -> ClusterResult:
    """HDBSCAN for varying densities; min_cluster_size defaults to the CSR threshold at `eps`.

    Above `max_points` incidents it clusters a seeded random sample (min_cluster_size scaled by the
    sampling fraction) and gives every other incident the label of its nearest sampled one within eps.
    Clusters holding no CSR-significant core point (see `dbscan_hotspots`) are dropped.
    """
    n = x.size
    core = dbscan_hotspots(x, y, eps=eps, alpha=alpha)
    significant = core.labels >= 0
    threshold = core.threshold if n else None
    if min_cluster_size is None:
        min_cluster_size = threshold.min_samples if threshold else 5
    labels = np.full(n, -1, dtype=np.intp)
    sample = np.arange(n) if n <= max_points else np.sort(
        np.random.default_rng(seed).choice(n, max_points, replace=False))
    size = max(2, round(min_cluster_size * sample.size / max(n, 1)))
    if sample.size >= size:
        model = HDBSCAN(min_cluster_size=size, min_samples=max(size // 2, 1), copy=False)
        sample_labels = model.fit(np.column_stack([x[sample], y[sample]])).labels_.astype(np.intp)
        if sample.size == n:
            labels = sample_labels
        else:
            from scipy.spatial import cKDTree

            distance, nearest = cKDTree(np.column_stack([x[sample], y[sample]])).query(
                np.column_stack([x, y]), distance_upper_bound=eps)
            found = np.isfinite(distance)
            labels[found] = sample_labels[nearest[found]]
    for k in np.unique(labels[labels >= 0]):
        in_cluster = labels == k
        if not significant[in_cluster].any():
            labels[in_cluster] = -1
    bin_size = eps * BIN_FRACTION
    clusters = []
    for k in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == k)
        # The hull of the occupied bins, not of every member: same outline, a fraction of the work.
        keys = np.unique(footprint_keys(x[members], y[members], bin_size))
        cells = np.column_stack([keys // 1_000_003, keys % 1_000_003]).astype(float)
        clusters.append(Cluster(label=int(k), members=members, hull=_hull((cells + 0.5) * bin_size,
                                                                          bin_size / 2 + buffer_m)))
    return ClusterResult(labels, _by_size(clusters), threshold, eps, min_cluster_size, method="hdbscan")


def _hull(points: NDArray[np.float64], buffer_m: float) -> shapely.Polygon | shapely.MultiPolygon:
    """Concave hull (ratio 0.4) of the members, buffered so single-bin clusters still have an area."""
    multipoint = shapely.multipoints(points)
    hull = shapely.concave_hull(multipoint, ratio=0.4) if len(points) > 3 else shapely.convex_hull(multipoint)
    return hull.buffer(buffer_m, quad_segs=4)


def _by_size(clusters: list[Cluster]) -> list[Cluster]:
    ordered = sorted(clusters, key=lambda c: -c.members.size)
    return ordered


def active_hours(hours: NDArray[np.int64], share: float = 0.5) -> list[int]:
    """The shortest contiguous window of hours (wrapping past midnight) holding at least `share` of the
    events, sorted by hour; among equally short windows the one holding most events.

    A window, not the busiest single hours: a hotspot active 18–24 is "18–24", not "18, 20, 22" with
    the hours between left out (they held 43 % of its events).
    """
    counts = np.bincount(hours, minlength=24)[:24]
    total = counts.sum()
    if total == 0:
        return []
    doubled = np.concatenate([counts, counts])
    for length in range(1, 25):
        sums = np.array([doubled[s:s + length].sum() for s in range(24)])
        if sums.max() >= share * total - 1e-9:
            start = int(np.argmax(sums))
            return sorted((start + k) % 24 for k in range(length))
    return list(range(24))


def hour_ranges(hours: list[int]) -> list[tuple[int, int]]:
    """[18, 19, 20, 23, 0, 1] → [(18, 21), (23, 2)]: contiguous spans (end exclusive), wrapping midnight, in
    the order of a day that starts at 06 (so an evening span comes before the night span after it)."""
    if not hours:
        return []
    present = set(hours)
    if len(present) == 24:
        return [(0, 24)]
    spans = []
    for h in sorted(present):
        if (h - 1) % 24 in present:
            continue
        end = h
        while (end + 1) % 24 in present:
            end = (end + 1) % 24
        spans.append((h, (end + 1) % 24))
    return sorted(spans, key=lambda s: (s[0] - 6) % 24)


def trend_regions(clusters: list[Cluster], x: NDArray[np.float64], y: NDArray[np.float64], *, eps: float,
                  alpha: float = 0.05) -> list[shapely.Geometry]:
    """For each hotspot of a period, the region its trend is judged on: the hotspots that DBSCAN finds on
    (x, y), the incidents of both periods together, where they overlap it. A region drawn around one
    period's events always holds more of them than the other period's (on stationary data the median
    ratio was 1.20); the pooled region treats both periods alike.

    The CSR threshold comes from all pooled incidents; DBSCAN then runs only on those within 3·eps of
    the hotspots' outlines, which is all the regions can reach.
    """
    if not clusters:
        return []
    threshold = csr_min_samples(x.size, populated_area_m2(x, y), eps, alpha)
    near = np.zeros(x.size, dtype=bool)
    for cluster in clusters:
        xmin, ymin, xmax, ymax = cluster.hull.bounds
        near |= (x >= xmin - 3 * eps) & (x <= xmax + 3 * eps) & (y >= ymin - 3 * eps) & (y <= ymax + 3 * eps)
    pooled = dbscan_hotspots(x[near], y[near], eps=eps, min_samples=threshold.min_samples).clusters
    return [shapely.union_all([p.hull for p in pooled if p.hull.intersects(c.hull)]) for c in clusters]
