"""The validity harness (bench/validity.py), reduced and seeded: the goals of issues #15 and #33 as assertions.

Random data, a steady uneven town, a town-wide rise and a yearly season must rarely produce a claim; planted
patterns must be found. The full run with 200 seeds is `.venv/bin/python bench/validity.py`; these use fewer
seeds and the same code, with the pages' own parameters (bench/validity.py imports them from app/).

Power of the realistic-null tests: each claim is allowed at most MAX_HITS of RUNS runs (7 %). At the goal's
false-alarm rate of 5 % that bound fails in 5 % of seed sets, at the rates measured (0–3 %) in under 0.1 %;
a doubled rate (10 %) passes it with probability 4 % (binomial, n = 300, k ≤ 21): a doubled false-alarm rate
fails the test.
"""

from __future__ import annotations

import numpy as np
import pytest
from esda.getisord import G_Local
from libpysal.weights import W
from scipy.stats import binom

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
    per_hotspot = rates["trend: claimed per hotspot"]
    assert per_hotspot.runs >= 60 and per_hotspot.share <= 0.05
    assert 0.9 <= per_hotspot.extra[0] <= 1.1
    assert rates["trend: runs with any hotspot claimed"].share <= 0.05


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


def test_the_map_of_change_rarely_marks_a_cell_on_random_data_and_finds_a_planted_rise() -> None:
    rates = validity.change_rates(60)
    for name, rate in rates.items():
        if "no change" in name:
            assert rate.share <= 0.05, (name, str(rate))
    found = rates["change map, planted rise of 20 events (σ 25 m) in 14 d: marked there"]
    assert found.share >= 0.9 and float(np.mean(found.extra)) < 0.1, str(found)


def test_the_risk_terrain_model_rarely_keeps_a_random_factor_and_recovers_a_planted_one() -> None:
    """Complete spatial randomness, 5 random factors. The goal is 5 %; the moved-layer test measures 6–8.5 %
    (bench/validity.py, 200 seeds), so the bound here is that figure, not the goal (issue #33 stays open on
    it). A planted factor (×3 within 100 m) is found with an interval that holds 3."""
    rates = validity.rtm_rates(60)
    assert rates["RTM, CSR and 5 random factors: any factor kept"].share <= 0.09
    recovered = rates["RTM, risk ×3 within 100 m of 8 sites: recovered, interval holds 3"]
    assert recovered.share >= 0.85, str(recovered)
    assert rates["RTM, same: a random factor kept beside it"].share <= 0.09


def test_the_cause_analysis_names_unrelated_factors_of_an_uneven_town_rarely() -> None:
    """Random, clustered, central and people-following factors on a steady uneven town (60 runs: a smoke
    check of bench/validity.py's 200-seed figures of 2.5–5.5 %)."""
    rates = validity.rtm_uneven_rates(60)
    for name, rate in rates.items():
        if "any factor named" in name:
            assert rate.share <= 0.1, (name, str(rate))


RUNS, MAX_HITS = 300, 21
assert binom.cdf(MAX_HITS, RUNS, 0.10) < 0.05 and binom.sf(MAX_HITS, RUNS, 0.05) <= 0.06  # the power above


@pytest.fixture(scope="module")
def steady() -> dict[str, validity.Rate]:
    return validity.null_rates(RUNS, "steady")


@pytest.fixture(scope="module")
def rise() -> dict[str, validity.Rate]:
    return validity.null_rates(RUNS, "rise")


@pytest.fixture(scope="module")
def season() -> dict[str, validity.Rate]:
    return validity.null_rates(RUNS, "season")


def test_a_steady_uneven_town_makes_no_claim_of_change(steady: dict[str, validity.Rate]) -> None:
    """Incidents follow people and the same places stay busy: no new, growing or fading place, no ▲/▼, no
    hotspot trend, no marked cell of the map of change and no change of the whole municipality."""
    assert len(steady) >= 12
    for claim, rate in steady.items():
        assert rate.runs == RUNS and rate.hits <= MAX_HITS, (claim, str(rate))


def test_a_town_wide_rise_is_stated_for_the_town_and_never_as_new_places(rise: dict[str, validity.Rate]) -> None:
    for name in validity.EMERGING_VIEWS:
        local = rise[f"emerging {name}: local new/consecutive/intensifying"]
        assert local.hits <= MAX_HITS, (name, str(local))
        assert rise[f"emerging {name}: any change class"].hits <= MAX_HITS
        assert rise[f"emerging {name}: whole municipality ▲/▼"].share >= 0.95
    assert rise["hotspot trends (half-year): any"].hits <= MAX_HITS
    assert rise["map of change (14 d): any cell"].hits <= MAX_HITS


def test_a_season_that_repeats_every_year_makes_no_trend_or_last_year_claim(season: dict[str, validity.Rate]) -> None:
    for claim, rate in season.items():
        if "vs previous" in claim:  # the season itself, against the fortnight before: a true change
            continue
        assert rate.hits <= MAX_HITS, (claim, str(rate))


def test_a_place_whose_share_triples_is_classed_new_or_growing_and_alone() -> None:
    rates = validity.emergence_rates(60)
    for name in validity.EMERGING_VIEWS:
        found = rates[f"emerging {name}: share ×3 in the last 3 slices classed new/consecutive/intensifying"]
        assert found.share >= 0.9, (name, str(found))


def test_no_effect_interventions_on_a_steady_hotspot_claim_nothing() -> None:
    rates = validity.steady_intervention_rates(RUNS)
    rate = rates["WDQ, no effect on a steady hotspot: success, displacement or diffusion"]
    assert rate.hits <= MAX_HITS, str(rate)
