"""The validity harness (bench/validity.py), reduced and seeded: the goals of issue #15 as assertions.

Random data must rarely produce a claim; planted patterns must be found. The full run with 200 seeds
is `.venv/bin/python bench/validity.py`; these use fewer seeds and the same code.
"""

from __future__ import annotations

import numpy as np
import pytest
from esda.getisord import G_Local
from libpysal.weights import W

from bench import validity
from geo.grid import Grid, disk_offsets
from geo.hotspots import gi_star


@pytest.fixture(scope="module")
def csr() -> dict[str, validity.Rate]:
    return validity.csr_rates(40)


@pytest.mark.parametrize("claim", [
    "Gi* map (cell 100 m, band 200 m): any significant cell",
    "Gi* cell 50 m, band 100 m: any significant cell",
    "Gi* cell 250 m, band 500 m: any significant cell",
    "DBSCAN eps 100 m (every page): any cluster",
    "DBSCAN eps 100 m (pages' half-year, 182 d, ~997 events): any cluster",
    "HDBSCAN (API method=hdbscan): any cluster",
    "emerging API (200 m, 28 d × 12): any pattern",
    "emerging lägesbild (200 m, 14 d × 12): any pattern",
])
def test_random_points_rarely_make_a_claim(csr: dict[str, validity.Rate], claim: str) -> None:
    assert csr[claim].runs == 40 and csr[claim].share <= 0.05, (claim, str(csr[claim]))


def test_lagesbild_tables_with_no_change_rarely_mark_one() -> None:
    rates = validity.table_rates(200)
    assert rates["lägesbild categories (26 tests, BH): any notable"].share <= 0.05
    assert rates["lägesbild areas (8 tests, BH): any notable"].share <= 0.05
    assert rates["  before: categories uncorrected"].share > 0.3  # what the correction is for


def test_planted_hotspots_are_found_and_two_close_ones_stay_two() -> None:
    rates = validity.planted_rates(20)
    for label in ("40 events σ 50 m", "40 events σ 25 m", "80 events σ 50 m"):
        assert rates[f"DBSCAN recall, {label}"].share == 1.0
        assert rates[f"Gi* map recall at 99 %, {label}"].share == 1.0
        assert rates[f"DBSCAN false clusters, {label}"].share <= 0.1
        assert rates[f"Gi* map false hot groups at 99 %, {label}"].share <= 0.1
    assert rates["DBSCAN: two hotspots 130 m apart (40 events, σ 25 m) reported as two"].share >= 0.9


def test_planted_space_time_cubes_are_classed_right() -> None:
    rates = validity.cube_rates(20)
    for name in [*validity.CUBES, "historical_hot (14 d × 24)"]:
        assert rates[f"cube {name}"].share >= 0.9, (name, str(rates[f"cube {name}"]))
    assert rates["cube: patterns farther than 600 m from every site"].hits == 0


def test_interventions_claim_an_effect_only_when_there_is_one() -> None:
    rates = validity.intervention_rates(400)
    assert rates["WDQ none (10/50/1,100 → same): any effect claimed"].share <= 0.05
    assert rates["WDQ none, larger (40/80/1,100 → same): any effect claimed"].share <= 0.05
    assert rates["WDQ displacement (40 → 15, buffer 80 → 130): recognised"].share >= 0.8
    assert rates["WDQ diffusion (40 → 15, buffer 80 → 40): recognised"].share >= 0.8


def test_hotspot_trends_on_stationary_data() -> None:
    rates = validity.trend_rates(20)
    pooled = rates["trend, pooled region (now): claimed up or down per hotspot"]
    assert pooled.runs >= 60 and pooled.share <= 0.05
    assert 0.9 <= pooled.extra[0] <= 1.1


def test_active_hours_are_one_window() -> None:
    assert validity.hours_rates(20)["active hours 18–24: one window inside 18–24"].share == 1.0


def test_gi_star_on_a_study_area_equals_esda_on_its_cells() -> None:
    """Cells outside the study area take no part: the z-scores equal esda run on the study cells alone."""
    rng = np.random.default_rng(4)
    counts = rng.poisson(1.5, (18, 22)).astype(float)
    study = np.ones(counts.shape, dtype=bool)
    study[:, :5] = False          # a lake
    study[12:, 15:] = False       # fields
    counts[~study] = 0
    grid = Grid(x0=500_000, y0=6_460_000, cell=100.0, nx=22, ny=18)
    cx, cy = grid.centres()
    inside = np.flatnonzero(study.ravel())
    kernel_reach = disk_offsets(200.0, 100.0).shape[0] // 2
    assert kernel_reach == 2
    points = np.column_stack([cx[inside], cy[inside]])
    distance = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    neighbours = {i: [j for j in np.flatnonzero(distance[i] <= 200.0 + 1e-6) if j != i] for i in range(inside.size)}
    weights = W(neighbours, silence_warnings=True)
    oracle = G_Local(counts.ravel()[inside], weights, transform="B", star=True, permutations=0)
    ours = gi_star(counts, cell=100.0, band=200.0, study_area=study)
    np.testing.assert_allclose(ours.z[inside], oracle.Zs, rtol=0, atol=1e-9)
    assert np.all(ours.z[~study.ravel()] == 0) and np.all(ours.classes[~study.ravel()] == 0)


def test_padding_outside_the_study_area_changes_nothing() -> None:
    rng = np.random.default_rng(8)
    counts = rng.poisson(2.0, (20, 20)).astype(float)
    padded = np.zeros((30, 30))
    padded[5:25, 5:25] = counts
    study = np.zeros((30, 30), dtype=bool)
    study[5:25, 5:25] = True
    plain = gi_star(counts, cell=100, band=200)
    masked = gi_star(padded, cell=100, band=200, study_area=study)
    np.testing.assert_allclose(masked.z.reshape(30, 30)[5:25, 5:25].ravel(), plain.z, atol=1e-12)
    np.testing.assert_array_equal(masked.classes.reshape(30, 30)[5:25, 5:25].ravel(), plain.classes)


def test_the_harness_measures_the_period_the_pages_use() -> None:
    from app.analysis.schemas import HOTSPOT_DAYS

    assert f"{HOTSPOT_DAYS} d" in "pages' half-year, 182 d"  # bench/validity.py's CSR row for the pages


def test_the_map_of_change_rarely_marks_a_cell_on_random_data_and_finds_a_planted_rise() -> None:
    rates = validity.change_rates(60)
    for name, rate in rates.items():
        if "no change" in name:
            assert rate.share <= 0.05, (name, str(rate))
    found = rates["change map, planted rise of 20 events (σ 25 m) in 14 d: marked there"]
    assert found.share >= 0.9 and float(np.mean(found.extra)) < 0.1, str(found)


def test_the_harness_measures_the_cells_the_lagesbild_uses() -> None:
    from app.analysis.service import CHANGE_CELL_M

    assert validity.CHANGE_CELL_M == CHANGE_CELL_M


def test_the_risk_terrain_model_rarely_keeps_a_random_factor_and_recovers_a_planted_one() -> None:
    rates = validity.rtm_rates(60)
    assert rates["RTM, CSR and 5 random factors: any factor kept"].share <= 0.05
    recovered = rates["RTM, risk ×3 within 100 m of 8 sites: recovered, interval holds 3"]
    assert recovered.share >= 0.9, str(recovered)
    assert rates["RTM, same: a random factor kept beside it"].share <= 0.05


def test_the_harness_measures_the_cells_the_cause_analysis_uses() -> None:
    from app.analysis.service import RTM_CELL_M

    assert validity.RTM_CELL_M == RTM_CELL_M
