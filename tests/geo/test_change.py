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
    result = change_map(np.array([100.0]), np.array([100.0]), px, py, GRID)
    assert [(c.current, c.previous, c.direction) for c in result.claims] == [(1, 20, "down")]


def test_a_longer_current_period_is_not_a_rise() -> None:
    """28 days against 14: twice the events is what an unchanged rate gives."""
    now, before = np.full(40, 100.0), np.full(20, 100.0)
    assert not change_map(now, now, before, before, GRID, days_now=28, days_before=14).claims
    assert change_map(now, now, before, before, GRID).claims  # the same counts over equal periods do rise


def test_five_events_can_never_be_a_claim() -> None:
    now = np.full(5, 100.0)
    result = change_map(now, now, np.array([]), np.array([]), GRID)
    assert result.tests == 1 and not result.claims and result.cells[0].p_value > 0.05
