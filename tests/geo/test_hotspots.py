"""Gi* against PySAL esda (the oracle), FDR behaviour, planted and uniform patterns."""

from __future__ import annotations

import numpy as np
import pytest
from esda.getisord import G_Local
from libpysal.weights import DistanceBand

from geo.grid import Grid
from geo.hotspots import benjamini_hochberg, gi_star


@pytest.mark.parametrize(("shape", "band"), [((25, 30), 250.0), ((12, 17), 100.0), ((20, 20), 320.0)])
def test_gi_star_equals_esda(shape: tuple[int, int], band: float) -> None:
    rng = np.random.default_rng(11)
    counts = rng.poisson(2.0, shape).astype(float)
    counts[5:8, 6:9] += 9  # a hot spot
    grid = Grid(x0=500_000, y0=6_460_000, cell=100.0, nx=shape[1], ny=shape[0])
    cx, cy = grid.centres()
    weights = DistanceBand(np.column_stack([cx, cy]), threshold=band * (1 + 1e-9), binary=True, silence_warnings=True)
    oracle = G_Local(counts.ravel(), weights, transform="B", star=True, permutations=0)
    ours = gi_star(counts, cell=100.0, band=band)
    np.testing.assert_allclose(ours.z, oracle.Zs, rtol=0, atol=1e-9)


def test_benjamini_hochberg_matches_hand_computed() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    # sorted: .005 .01 .03 .04 .5 vs thresholds .01 .02 .03 .04 .05 -> largest passing k = 4 (p=.04)
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True, True, True, False]
    # at .01 the smallest p (.005) exceeds its threshold .01 * 1/5 = .002: nothing is rejected
    assert benjamini_hochberg(p, 0.01).tolist() == [False] * 5


def test_planted_cluster_is_hot_and_uniform_pattern_has_no_significant_cells() -> None:
    rng = np.random.default_rng(5)
    grid = Grid(0, 0, 100, 60, 60)
    x = rng.uniform(0, 6000, 20_000)
    y = rng.uniform(0, 6000, 20_000)
    uniform = gi_star(grid.counts(x, y), cell=100, band=200)
    assert np.count_nonzero(uniform.classes) == 0
    planted_x = np.concatenate([x, rng.normal(3000, 60, 400)])
    planted_y = np.concatenate([y, rng.normal(3000, 60, 400)])
    result = gi_star(grid.counts(planted_x, planted_y), cell=100, band=200)
    centre = 30 * 60 + 30
    assert result.classes[centre] == 3
    hot = np.flatnonzero(result.classes == 3)
    rows, cols = np.divmod(hot, 60)
    assert np.all(np.abs(rows - 30) <= 3) and np.all(np.abs(cols - 30) <= 3)


def test_permutation_inference_is_seeded() -> None:
    counts = np.random.default_rng(1).poisson(1.0, (15, 15)).astype(float)
    counts[6:9, 6:9] = 12  # own value is held fixed: the neighbours must be high too
    a = gi_star(counts, cell=100, band=150, permutations=99, seed=3)
    b = gi_star(counts, cell=100, band=150, permutations=99, seed=3)
    assert a.p_sim is not None and b.p_sim is not None
    np.testing.assert_array_equal(a.p_sim, b.p_sim)
    # two-sided: twice the folded one-sided (P ≥ observed + 1) / (P + 1) of esda
    assert a.p_sim[7 * 15 + 7] == pytest.approx(0.02)
    # an empty neighbourhood among empty cells is not extreme: p = 1, not 1/(P + 1)
    sparse = np.zeros((15, 15))
    sparse[2, 2] = 5
    empty = gi_star(sparse, cell=100, band=150, permutations=99, seed=3)
    assert empty.p_sim is not None and empty.p_sim[12 * 15 + 12] == 1.0
