"""Risk terrain modelling (geo/rtm.py): proximity layers, Holm's correction, and the model on known data."""

from __future__ import annotations

import numpy as np

from geo.rtm import FactorLayer, _holm, fit, proximity


def _grid(n: int = 40, cell: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    xs = (np.arange(n) + 0.5) * cell
    gx, gy = np.meshgrid(xs, xs)
    return gx.ravel(), gy.ravel()


def test_proximity_marks_the_cells_within_the_distance() -> None:
    cx, cy = _grid(5)
    layer = FactorLayer("a", "A", np.array([250.0]), np.array([250.0]))
    near = proximity(cx, cy, layer, 100.0).reshape(5, 5)
    assert near.sum() == 5 and near[2, 2] == 1 and near[2, 1] == 1 and near[1, 1] == 0
    assert proximity(cx, cy, FactorLayer("e", "E", np.zeros(0), np.zeros(0)), 100.0).sum() == 0


def test_holm_adjusts_step_down() -> None:
    np.testing.assert_allclose(_holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])


def test_a_planted_factor_is_recovered_with_its_relative_risk_and_a_random_one_is_not() -> None:
    rng = np.random.default_rng(3)
    cx, cy = _grid()
    sites = FactorLayer("stationer", "Stationer", rng.uniform(300, 3700, 10), rng.uniform(300, 3700, 10))
    decoy = FactorLayer("slump", "Slump", rng.uniform(300, 3700, 10), rng.uniform(300, 3700, 10))
    risk = np.where(proximity(cx, cy, sites, 100.0) > 0, 4.0, 1.0)
    counts = rng.poisson(0.8 * risk).astype(float)
    result = fit(counts, cx, cy, [decoy, sites])
    assert [f.code for f in result.significant] == ["stationer"]
    kept = result.significant[0]
    assert kept.distance_m == 100.0 and kept.interval is not None and kept.interval[0] <= 4.0 <= kept.interval[1]
    assert result.relative_risk.max() == kept.relative_risk and result.relative_risk.min() == 1.0
    assert result.tests == 6


def test_nothing_is_kept_on_random_counts() -> None:
    rng = np.random.default_rng(4)
    cx, cy = _grid()
    layers = [FactorLayer(f"f{k}", f"F{k}", rng.uniform(0, 4000, 8), rng.uniform(0, 4000, 8)) for k in range(4)]
    result = fit(rng.poisson(0.8, cx.size).astype(float), cx, cy, layers)
    assert not result.significant and np.all(result.relative_risk == 1.0)
