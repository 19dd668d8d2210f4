"""Hotspot analysis benchmark: our geo/ methods next to the reference tools, same data, same run.

    .venv/bin/python bench/hotspots.py [--sizes 100000 1000000] [--api]

Per size it prints seconds and peak traced memory (tracemalloc) for
  * Gi*: geo.hotspots.gi_star (weights + statistic) vs libpysal DistanceBand + esda G_Local, and the
    largest |z| difference between them;
  * DBSCAN: geo.clustering.dbscan_hotspots (weighted bins) vs scikit-learn DBSCAN on the raw points
    (skipped where its neighbour lists would not fit in memory; the estimate is printed);
  * density: geo.density.kernel_density (FFT) vs scikit-learn KernelDensity (Epanechnikov, same
    bandwidth) evaluated on a sample of the grid nodes and projected to the whole grid, with the
    largest error relative to the surface's peak.
With --api it also times every /api/v1/analysis endpoint (cold cache) on 1,000,000 stored incidents
(bench/dataset.py builds them).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.clustering import dbscan_hotspots  # noqa: E402
from geo.density import kernel_density  # noqa: E402
from geo.grid import Grid  # noqa: E402
from geo.hotspots import gi_star  # noqa: E402


def synthetic_town(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Half uniform over a 6 × 3.5 km town, half in 40 Gaussian clusters (σ 60 m): Mjölby-sized."""
    rng = np.random.default_rng(seed)
    half = n // 2
    centres = np.column_stack([rng.uniform(505_000, 511_000, 40), rng.uniform(6_462_000, 6_465_500, 40)])
    pick = rng.integers(0, 40, n - half)
    x = np.concatenate([rng.uniform(505_000, 511_000, half), centres[pick, 0] + rng.normal(0, 60, n - half)])
    y = np.concatenate([rng.uniform(6_462_000, 6_465_500, half), centres[pick, 1] + rng.normal(0, 60, n - half)])
    return x, y


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    tracemalloc.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, peak / 2**20


def row(size: int, method: str, tool: str, seconds: float, mb: float, note: str = "") -> None:
    print(f"{size:>9} {method:<8} {tool:<34} {seconds:>9.3f} {mb:>9.0f}  {note}")


def bench_gistar(size: int, x: np.ndarray, y: np.ndarray, cell: float = 50.0, band: float = 150.0) -> None:
    from esda.getisord import G_Local
    from libpysal.weights import DistanceBand

    grid = Grid.covering(x.min(), y.min(), x.max(), y.max(), cell)
    counts = grid.counts(x, y)
    ours, t_ours, m_ours = measure(lambda: gi_star(counts, cell=cell, band=band))

    def reference() -> Any:
        cx, cy = grid.centres()
        w = DistanceBand(np.column_stack([cx, cy]), threshold=band * (1 + 1e-9), binary=True, silence_warnings=True)
        return G_Local(counts.ravel(), w, transform="B", star=True, permutations=0)

    ref, t_ref, m_ref = measure(reference)
    diff = float(np.abs(ours.z - ref.Zs).max())
    row(size, "Gi*", f"geo.hotspots ({counts.size} cells)", t_ours, m_ours, f"{t_ref / t_ours:.0f}× faster")
    row(size, "Gi*", "libpysal DistanceBand + esda", t_ref, m_ref, f"max |Δz| = {diff:.1e}")


def bench_dbscan(size: int, x: np.ndarray, y: np.ndarray, eps: float = 100.0) -> None:
    from sklearn.cluster import DBSCAN
    from sklearn.neighbors import KDTree

    ours, t_ours, m_ours = measure(lambda: dbscan_hotspots(x, y, eps=eps))
    min_samples = ours.min_samples
    sample = np.random.default_rng(0).choice(size, 2000, replace=False)
    tree = KDTree(np.column_stack([x, y]))
    pairs = float(tree.query_radius(np.column_stack([x[sample], y[sample]]), eps, count_only=True).mean()) * size
    need_gb = pairs * 8 * 1.5 / 2**30  # int64 neighbour indices, plus overhead
    note = f"{len(ours.clusters)} hotspots, min_samples {min_samples} (CSR)"
    row(size, "DBSCAN", "geo.clustering (weighted bins)", t_ours, m_ours, note)
    if need_gb > 6:
        row(size, "DBSCAN", "scikit-learn DBSCAN, raw points", float("nan"), need_gb * 1024,
            f"skipped: {pairs:.2e} neighbour pairs ≈ {need_gb:.0f} GB")
        return
    ref, t_ref, m_ref = measure(lambda: DBSCAN(eps=eps, min_samples=min_samples).fit(np.column_stack([x, y])))
    n_ref = len(set(ref.labels_) - {-1})
    row(size, "DBSCAN", "scikit-learn DBSCAN, raw points", t_ref, m_ref,
        f"{n_ref} clusters; ours {t_ref / t_ours:.0f}× faster")


def bench_density(size: int, x: np.ndarray, y: np.ndarray, bandwidth: float = 250.0, cell: float = 25.0) -> None:
    from sklearn.neighbors import KernelDensity

    surface, t_ours, m_ours = measure(
        lambda: kernel_density(x, y, bandwidth=bandwidth, cell=cell, kernel="epanechnikov"))
    gx, gy = surface.grid.centres()
    values = surface.values.ravel()
    nodes = np.random.default_rng(1).choice(values.size, 400, replace=False)

    def reference() -> np.ndarray:
        kde = KernelDensity(kernel="epanechnikov", bandwidth=bandwidth, rtol=0, atol=0).fit(np.column_stack([x, y]))
        return np.exp(kde.score_samples(np.column_stack([gx[nodes], gy[nodes]])))

    ref_density, t_sample, m_ref = measure(reference)
    # sklearn's Epanechnikov is normalised per dimension-2 volume: same shape, same integral (1)
    ref_per_km2 = ref_density * size * 1e6
    error = float(np.abs(values[nodes] - ref_per_km2).max() / values.max())
    projected = t_sample * values.size / nodes.size
    row(size, "density", f"geo.density FFT ({values.size} nodes)", t_ours, m_ours,
        f"{projected / t_ours:.0f}× faster than projected sklearn")
    row(size, "density", "sklearn KernelDensity (projected)", projected, m_ref,
        f"measured {t_sample:.2f} s on {nodes.size} nodes; max error {error:.3%} of peak")


def bench_api() -> None:
    import os

    from bench.dataset import make

    url = make(1_000_000)
    os.environ["DATABASE_URL"] = url
    from fastapi.testclient import TestClient

    from app.auth.service import create_token
    from app.config import get_settings
    from app.db import get_engine, session_factory
    from app.main import create_app

    for cached in (get_settings, get_engine, session_factory):  # make() read the settings before the URL was set
        cached.cache_clear()

    with session_factory()() as session:
        token = create_token(session, role="analyst", name="bench")
    params = {"start": "2024-11-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}
    with TestClient(create_app()) as client:
        for path, extra in (("clusters", {}), ("clusters", {"method": "hdbscan"}), ("gistar", {}),
                            ("density", {}), ("time-profile", {}), ("compare", {}),
                            ("emerging", {"slices": 12, "slice_days": 28}), ("near-repeat", {"permutations": 99}),
                            ("evaluate", {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"})):
            start = time.perf_counter()
            response = client.get(f"/api/v1/analysis/{path}", params={**params, **extra},
                                  headers={"Authorization": f"Bearer {token}"})
            seconds = time.perf_counter() - start
            label = path + (f" ({extra['method']})" if "method" in extra else "")
            size_kib = len(response.content) / 1024
            error = "" if response.status_code == 200 else f"  {response.text[:120]}"
            print(f"  API (1,000,000 stored) {label:<22} {response.status_code} {seconds:>7.2f} s  {size_kib:>8.0f} KiB"
                  + error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--api", action="store_true", help="also time the API on 1,000,000 stored incidents")
    args = parser.parse_args()
    print(f"{'incidents':>9} {'method':<8} {'tool':<34} {'seconds':>9} {'peak MB':>9}  note")
    for size in args.sizes:
        x, y = synthetic_town(size)
        bench_gistar(size, x, y)
        bench_dbscan(size, x, y)
        bench_density(size, x, y)
    if args.api:
        bench_api()


if __name__ == "__main__":
    main()
