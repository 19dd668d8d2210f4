"""The map of change (geo/change.py): the exact conditional test per cell, corrected for the map."""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

from geo.change import change_map, two_sided_binomial_p
from geo.grid import Grid

GRID = Grid(0.0, 0.0, 250.0, 8, 8)


def test_p_value_equals_scipy_binomtest_for_equal_periods() -> None:
    for a, n in ((0, 6), (6, 6), (3, 10), (12, 14), (1, 1)):
        ours = float(two_sided_binomial_p(np.array([a]), np.array([n]), 0.5)[0])
        assert abs(ours - binomtest(a, n, 0.5).pvalue) < 1e-12


def test_a_rise_in_one_cell_is_marked_up_and_nothing_else() -> None:
    rng = np.random.default_rng(1)
    bx, by = rng.uniform(0, 2000, 80), rng.uniform(0, 2000, 80)
    ax, ay = rng.uniform(0, 2000, 80), rng.uniform(0, 2000, 80)
    px, py = rng.normal(625, 20, 25), rng.normal(625, 20, 25)
    result = change_map(np.concatenate([ax, px]), np.concatenate([ay, py]), bx, by, GRID)
    assert [(c.index, c.direction) for c in result.claims] == [(2 * 8 + 2, "up")]
    assert result.tests == len(result.cells) > 40


def test_a_fall_is_marked_down() -> None:
    px, py = np.full(20, 100.0), np.full(20, 100.0)
    result = change_map(np.array([100.0]), np.array([100.0]), px, py, GRID, condition_on_total=False)
    assert [(c.current, c.previous, c.direction) for c in result.claims] == [(1, 20, "down")]
    # as a share of the whole, a cell that holds every event in both periods has not changed
    assert not change_map(np.array([100.0]), np.array([100.0]), px, py, GRID).claims


def test_a_longer_current_period_is_not_a_rise() -> None:
    """28 days against 14: twice the events is what an unchanged rate gives."""
    now, before = np.full(40, 100.0), np.full(20, 100.0)
    assert not change_map(now, now, before, before, GRID, days_now=28, days_before=14,
                          condition_on_total=False).claims
    assert change_map(now, now, before, before, GRID, condition_on_total=False).claims  # equal periods: a rise


def test_a_town_wide_doubling_marks_no_cell_but_a_local_one_does() -> None:
    """Every cell at twice its rate is the whole area's change, not a place's (the share of each is steady);
    one cell tripling while the rest stay is a place's."""
    rng = np.random.default_rng(2)
    centres = rng.uniform(0, 2000, (30, 2))
    def draw(rate: float) -> tuple[np.ndarray, np.ndarray]:
        pick = centres[rng.integers(0, 30, rng.poisson(rate))]
        return pick[:, 0] + rng.normal(0, 20, len(pick)), pick[:, 1] + rng.normal(0, 20, len(pick))
    (bx, by), (ax, ay) = draw(300), draw(600)
    assert not change_map(ax, ay, bx, by, GRID).claims
    assert change_map(ax, ay, bx, by, GRID, condition_on_total=False).claims  # as rates, every busy cell rose
    px, py = rng.normal(625, 20, 40), rng.normal(625, 20, 40)
    local = change_map(np.concatenate([bx, px]), np.concatenate([by, py]), *draw(300), GRID)
    assert (2 * 8 + 2, "up") in [(c.index, c.direction) for c in local.claims]


def test_five_events_can_never_be_a_claim() -> None:
    now = np.full(5, 100.0)
    result = change_map(now, now, np.array([]), np.array([]), GRID)
    assert result.tests == 1 and not result.claims and result.cells[0].p_value > 0.05
