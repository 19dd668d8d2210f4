"""Where counts rose and fell between two periods: a map of change that claims only what random data
rarely produces.

Each grid cell holds `a` events in the current period and `b` in the one before. If the cell's share of
the area's events did not change, then given the cell's total n = a + b the current count is binomial,
a ~ Bin(n, s) with s = N_now / (N_now + N_before) the current period's share of all events (both margins
fixed, as in the space-time permutation scan, Kulldorff et al. 2005): a town-wide rise or fall, or a
season, marks no cell; the whole area's own change is the caller's to state, once. With
`condition_on_total=False`, s = T_now / (T_now + T_before), the share of the exposure time: the exact
conditional test of two Poisson rates (Przyborowski & Wileński 1940; Krishnamoorthy & Thomson 2004, "A more
powerful test for comparing two Poisson means", J. Stat. Planning & Inference 119:23–35, discuss it
and its power). The two-sided p-value doubles the smaller tail. Every cell with at least one event in
either period is a test; the tests of one map are corrected together with Benjamini & Hochberg (1995)
at `alpha`, so on a map with no change at all the chance that any cell is marked is at most `alpha`
(the discrete test is conservative: a cell needs at least six events to reach p < 0.05 at all).

Cells that changed but not significantly are returned too (`direction` None) so a map may shade them
pale and say that chance alone can make such changes; only `significant` cells are claims.

Measured by `bench/validity.py --only change`: the share of random maps with any marked cell, and the
recall of a planted rise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import binom

from geo.grid import Grid
from geo.hotspots import benjamini_hochberg


@dataclass(frozen=True)
class ChangeCell:
    index: int               # flattened cell index in the grid
    current: int
    previous: int
    p_value: float
    significant: bool
    direction: str | None    # "up" / "down" when significant, else None


@dataclass(frozen=True)
class ChangeMap:
    grid: Grid
    cells: list[ChangeCell]  # every cell with an event in either period
    tests: int               # how many cells were tested (the BH family)
    alpha: float

    @property
    def claims(self) -> list[ChangeCell]:
        return [c for c in self.cells if c.significant]


def two_sided_binomial_p(a: NDArray[np.int64], n: NDArray[np.int64], share: float) -> NDArray[np.float64]:
    """P-value of a ~ Bin(n, share), two-sided by doubling the smaller tail (capped at 1)."""
    lower = binom.cdf(a, n, share)          # P(A ≤ a)
    upper = binom.sf(a - 1, n, share)       # P(A ≥ a)
    return np.asarray(np.minimum(1.0, 2.0 * np.minimum(lower, upper)), dtype=float)


def change_map(x_now: NDArray[np.float64], y_now: NDArray[np.float64], x_before: NDArray[np.float64],
               y_before: NDArray[np.float64], grid: Grid, *, days_now: float = 1.0, days_before: float = 1.0,
               alpha: float = 0.05, condition_on_total: bool = True) -> ChangeMap:
    """Test every cell of `grid` for a change of its share of the events (default) or of its rate between
    two periods (points in grid metres)."""
    if days_now <= 0 or days_before <= 0:
        raise ValueError("both periods need a positive length")
    now = grid.counts(np.asarray(x_now, float), np.asarray(y_now, float)).ravel().astype(np.int64)
    before = grid.counts(np.asarray(x_before, float), np.asarray(y_before, float)).ravel().astype(np.int64)
    total = now + before
    tested = np.nonzero(total > 0)[0]
    both = int(now.sum() + before.sum())
    share = float(now.sum()) / both if condition_on_total and both else days_now / (days_now + days_before)
    p = two_sided_binomial_p(now[tested], total[tested], share)
    significant = benjamini_hochberg(p, alpha) if tested.size else np.zeros(0, dtype=bool)
    cells = []
    for k, index in enumerate(tested):
        a, b = int(now[index]), int(before[index])
        expected_now = (a + b) * share
        direction = ("up" if a > expected_now else "down") if significant[k] else None
        cells.append(ChangeCell(int(index), a, b, float(p[k]), bool(significant[k]), direction))
    return ChangeMap(grid, cells, int(tested.size), alpha)
