"""Clusters, density, Mann–Kendall, Knox, emerging classes and PAI against known answers."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.clustering import active_hours, csr_min_samples, dbscan_hotspots, hdbscan_hotspots, hour_ranges
from geo.density import direct_density, kernel_density
from geo.evaluation import score, score_cells, score_polygons
from geo.nearrepeat import knox_test
from geo.temporal import classify_emerging, compare_counts, hour_weekday_matrix, mann_kendall, mann_kendall_many

CENTRES = [(1000.0, 1000.0), (4000.0, 2500.0), (2500.0, 4200.0)]


def _town(n_background: int, n_per_cluster: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(0, 5000, n_background)]
    ys = [rng.uniform(0, 5000, n_background)]
    for cx, cy in CENTRES:
        xs.append(rng.normal(cx, 40, n_per_cluster))
        ys.append(rng.normal(cy, 40, n_per_cluster))
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize(("background", "per_cluster"), [(1_000, 60), (100_000, 1_500)])
def test_planted_clusters_are_found_at_any_volume(background: int, per_cluster: int) -> None:
    x, y = _town(background, per_cluster)
    result = dbscan_hotspots(x, y, eps=100)
    assert result.threshold is not None and result.min_samples == result.threshold.min_samples
    assert len(result.clusters) == 3, [c.members.size for c in result.clusters]
    for cx, cy in CENTRES:
        assert any(c.hull.contains(shapely.Point(cx, cy)) for c in result.clusters)
    for cluster in result.clusters:
        assert cluster.hull.area < 400 * 400  # compact, not the whole town


def test_uniform_pattern_gives_no_clusters_and_threshold_grows_with_volume() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.uniform(0, 5000, 20_000), rng.uniform(0, 5000, 20_000)
    assert dbscan_hotspots(x, y, eps=100).clusters == []
    small = csr_min_samples(1_000, 25e6, 100)
    large = csr_min_samples(100_000, 25e6, 100)
    assert large.min_samples > 10 * small.min_samples / 2
    assert large.expected_in_eps == pytest.approx(100_000 / 25e6 * np.pi * 100**2)


def test_hdbscan_finds_planted_clusters() -> None:
    x, y = _town(1_000, 80)
    result = hdbscan_hotspots(x, y)
    assert len(result.clusters) >= 3
    for cx, cy in CENTRES:
        assert any(c.hull.contains(shapely.Point(cx, cy)) for c in result.clusters)


def test_active_hours_and_ranges() -> None:
    hours = np.array([22] * 5 + [23] * 5 + [0] * 4 + [1] * 3 + [12])
    assert active_hours(hours, 0.5) == [22, 23]
    assert hour_ranges([18, 19, 20, 23, 0, 1]) == [(18, 21), (23, 2)]
    assert hour_ranges([17, 18, 19, 20, 23, 0]) == [(17, 21), (23, 1)]
    assert hour_ranges([22, 23, 0, 20]) == [(20, 21), (22, 1)]  # read in the order of the evening


@pytest.mark.parametrize("kernel", ["quartic", "epanechnikov"])
def test_density_matches_the_exact_sum_within_one_percent(kernel: str) -> None:
    x, y = _town(2_000, 200, seed=4)
    surface = kernel_density(x, y, bandwidth=250, cell=25, kernel=kernel)  # type: ignore[arg-type]
    gx, gy = surface.grid.centres()
    values = surface.values.ravel()
    sample = np.flatnonzero(values > values.max() * 0.05)[::37]
    exact = direct_density(x, y, gx[sample], gy[sample], bandwidth=250, kernel=kernel)  # type: ignore[arg-type]
    # error measured against the surface's peak, the scale a heat map is read on
    assert np.abs(values[sample] - exact).max() <= 0.01 * exact.max()
    # it integrates to the number of points
    assert values.sum() * (25 * 25) / 1e6 == pytest.approx(x.size, rel=0.01)


def test_mann_kendall_hand_computed() -> None:
    up = mann_kendall(np.array([1, 2, 3, 4, 5]))
    assert up.s == 10 and up.var_s == pytest.approx(50 / 3)
    assert up.z == pytest.approx(9 / np.sqrt(50 / 3)) and up.p == pytest.approx(0.02749, abs=1e-4)
    assert up.trend == 1
    tied = mann_kendall(np.array([1, 2, 2, 3]))
    assert tied.s == 5 and tied.var_s == pytest.approx((156 - 18) / 18)
    z, trend = mann_kendall_many(np.array([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 2, 2, 3, 0]], dtype=float))
    assert z[0] == pytest.approx(up.z) and z[1] == pytest.approx(-up.z)
    assert trend.tolist() == [1, -1, 0]
    assert z[2] == pytest.approx(mann_kendall(np.array([1, 2, 2, 3, 0])).z)


def test_knox_counts_hand_computed_pairs() -> None:
    x = np.array([0.0, 50.0, 1000.0, 1050.0])
    y = np.zeros(4)
    t = np.array([0.0, 2.0, 1.0, 30.0])
    result = knox_test(x, y, t, space_bands=(100.0,), time_bands=(7.0,), permutations=0)
    assert result.observed.tolist() == [[1]]


def test_knox_detects_planted_near_repeats_and_is_seeded() -> None:
    rng = np.random.default_rng(9)
    n = 400
    x, y, t = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n), rng.uniform(0, 365, n)
    fx = x[:100] + rng.normal(0, 40, 100)
    fy = y[:100] + rng.normal(0, 40, 100)
    ft = t[:100] + rng.uniform(0, 5, 100)
    xs, ys, ts = np.concatenate([x, fx]), np.concatenate([y, fy]), np.concatenate([t, ft])
    a = knox_test(xs, ys, ts, permutations=99, seed=1)
    b = knox_test(xs, ys, ts, permutations=99, seed=1)
    np.testing.assert_array_equal(a.expected, b.expected)
    assert a.ratio[0, 0] > 3 and a.p_value[0, 0] == pytest.approx(0.01)
    assert a.elevated() == (100.0, 7.0)


def test_emerging_classes() -> None:
    h, c = 3, -3
    series = np.array([
        [0, 0, 0, 0, h],   # new
        [0, 0, 0, h, h],   # consecutive
        [h, h, h, h, h],   # persistent (no trend) / intensifying with trend
        [h, h, h, h, h],
        [h, 0, h, 0, h],   # sporadic
        [h, c, 0, 0, h],   # oscillating
        [h, h, h, h, 0],   # not final... share 0.8 < 0.9 -> no pattern
        [h] * 10 + [0],    # historical (10/11 ≥ 0.9)
        [0, 0, 0, 0, c],   # new cold
    ][:7], dtype=np.int8)
    trend = np.array([0, 0, 0, 1, 0, 0, 0], dtype=np.int8)
    got = classify_emerging(series, trend).tolist()
    assert got == ["new_hot", "consecutive_hot", "persistent_hot", "intensifying_hot", "sporadic_hot",
                   "oscillating_hot", "no_pattern"]
    historical = classify_emerging(np.array([[h] * 10 + [0]], dtype=np.int8), np.zeros(1, dtype=np.int8))
    assert historical.tolist() == ["historical_hot"]
    cold = classify_emerging(np.array([[0, 0, 0, 0, c]], dtype=np.int8), np.zeros(1, dtype=np.int8))
    assert cold.tolist() == ["new_cold"]


def test_pai_hand_computed() -> None:
    result = score(hits=30, total=100, flagged_area=2.0, study_area=100.0)
    assert result.hit_rate == 0.3 and result.area_share == 0.02 and result.pai == pytest.approx(15.0)
    square = shapely.box(0, 0, 10, 10)
    polys = score_polygons([square], np.array([5.0, 50, 60, 5]), np.array([5.0, 50, 60, 6]), study_area=10_000)
    assert polys.hits == 2 and polys.pai == pytest.approx(0.5 / 0.01)
    cells = score_cells(np.array([True, False, False, False]), np.array([6.0, 2, 1, 1]))
    assert cells.pai == pytest.approx(0.6 / 0.25)


def test_period_comparison_and_profile() -> None:
    same = compare_counts(50, 50)
    assert not same.significant and same.ratio == 1.0
    up = compare_counts(90, 40)
    assert up.significant and up.ratio == pytest.approx(2.25)
    exposure = compare_counts(28, 14, current_days=14, previous_days=7)
    assert not exposure.significant and exposure.ratio == pytest.approx(1.0)
    matrix = hour_weekday_matrix(np.array([0, 0, 6]), np.array([22, 22, 3]))
    assert matrix.shape == (7, 24) and matrix[0, 22] == 2 and matrix[6, 3] == 1


def test_knox_samples_when_pairs_would_be_too_many() -> None:
    rng = np.random.default_rng(9)
    n = 2000
    x, y, t = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n), rng.uniform(0, 365, n)
    fx, fy, ft = x[:600] + rng.normal(0, 30, 600), y[:600] + rng.normal(0, 30, 600), t[:600] + rng.uniform(0, 3, 600)
    xs, ys, ts = np.concatenate([x, fx]), np.concatenate([y, fy]), np.concatenate([t, ft])
    full = knox_test(xs, ys, ts, permutations=19, seed=2)
    bounded = knox_test(xs, ys, ts, permutations=19, seed=2, max_pairs=int(full.observed.sum() / 4))
    assert 0 < bounded.sampled_fraction < 1
    assert bounded.ratio[0, 0] > 2 and full.ratio[0, 0] > 2


def test_hdbscan_on_a_sample_labels_every_point() -> None:
    x, y = _town(3_000, 300)
    result = hdbscan_hotspots(x, y, max_points=1_500)
    assert len(result.clusters) >= 3
    for cx, cy in CENTRES:
        near = np.hypot(x - cx, y - cy) < 30
        assert (result.labels[near] >= 0).mean() > 0.9


def test_weighted_displacement_quotient_hand_computed() -> None:
    from geo.evaluation import weighted_displacement_quotient

    # Displacement: target halves, the buffer rises, the control is flat (counts large enough to be sure).
    # SM = 200/800 − 400/800 = −0.25; BD = 280/800 − 200/800 = 0.10; WDQ = 0.10 / −0.25 = −0.4
    moved = weighted_displacement_quotient((400, 200), (200, 280), (800, 800))
    assert moved.success_measure == pytest.approx(-0.25) and moved.buffer_measure == pytest.approx(0.10)
    assert moved.wdq == pytest.approx(-0.4) and moved.interpretation == "displacement_less_than_direct_effect"
    assert moved.wdq_interval is not None and moved.wdq_interval[0] < -0.4 < moved.wdq_interval[1]
    # Diffusion of benefits: the buffer improves too. BD = 140/800 − 200/800 = −0.075; WDQ = 0.3
    spread = weighted_displacement_quotient((400, 200), (200, 140), (800, 800))
    assert spread.wdq == pytest.approx(0.3) and spread.interpretation == "diffusion_of_benefits"
    # Displacement larger than the effect: BD = 0.35 → WDQ = −1.4
    backfire = weighted_displacement_quotient((400, 200), (200, 480), (800, 800))
    assert backfire.wdq == pytest.approx(-1.4) and backfire.interpretation == "displacement_greater_than_direct_effect"
    # The same proportions on small counts: the buffer's change is not significant, so no label.
    small = weighted_displacement_quotient((100, 50), (50, 70), (200, 200))
    assert small.wdq == pytest.approx(-0.4) and small.interpretation == "no_displacement_or_diffusion"
    assert weighted_displacement_quotient((50, 60), (10, 10), (100, 100)).interpretation == "no_success"
    assert weighted_displacement_quotient((5, 1), (1, 1), (0, 3)).interpretation == "no_control_data"


def test_wdq_is_read_only_after_a_significant_reduction() -> None:
    from geo.evaluation import weighted_displacement_quotient

    # The outside check's case: target 9 → 9, buffer 50 → 47, control 1,122 → 1,139 gave WDQ 27.6.
    null = weighted_displacement_quotient((9, 9), (50, 47), (1122, 1139))
    assert null.interpretation == "no_success" and null.wdq is None
    # A fall from 6 to 2 is too few events to say anything.
    assert weighted_displacement_quotient((6, 2), (50, 80), (1000, 1000)).interpretation == "too_few_events"
    # 20 → 12 against a flat control is not significant (Fisher one-sided p ≈ 0.1).
    weak = weighted_displacement_quotient((20, 12), (50, 80), (1000, 1000))
    assert weak.interpretation == "no_success" and weak.target_p is not None and weak.target_p > 0.05
