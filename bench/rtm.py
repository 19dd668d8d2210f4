"""The cause analysis' model at scale: 1,000,000 incidents and 20 factor layers on 100 m cells.

    .venv/bin/python bench/rtm.py [--incidents 1000000] [--factors 20] [--rounds 3]

Times geo.rtm.fit (screening 20 factors × 3 distances, then the joint model) against the peer a user
would write by hand: one statsmodels NB2 fit of all 60 factor × distance columns at once. Each round
draws a new town (the grid of the municipality's populated area, ~16,000 cells) and new factor sites;
rounds alternate which of the two runs first. Prints each time and the ratio, with the spread.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import rtm  # noqa: E402
from geo.grid import Grid  # noqa: E402


def town(rng: np.random.Generator, incidents: int, factors: int) -> tuple[np.ndarray, ...]:
    grid = Grid(0.0, 0.0, 100.0, 160, 100)  # 16 × 10 km: the populated parts of a municipality
    cx, cy = grid.centres()
    layers = [rtm.FactorLayer(f"f{k}", f"Faktor {k}", rng.uniform(0, 16_000, 30), rng.uniform(0, 10_000, 30))
              for k in range(factors)]
    risk = np.ones(cx.size)
    for layer, factor in zip(layers[:3], (3.0, 2.0, 1.5), strict=True):  # three real factors
        risk *= np.where(rtm.proximity(cx, cy, layer, 100.0) > 0, factor, 1.0)
    counts = rng.poisson(incidents * risk / risk.sum() * rng.gamma(2.0, 0.5, cx.size)).astype(float)
    return counts, cx, cy, layers  # type: ignore[return-value]


def by_hand(counts: np.ndarray, cx: np.ndarray, cy: np.ndarray, layers: list[rtm.FactorLayer]) -> None:
    import statsmodels.api as sm

    design = np.column_stack([np.ones(cx.size)] + [rtm.proximity(cx, cy, layer, d) for layer in layers
                                                   for d in rtm.DISTANCES_M])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sm.NegativeBinomial(counts, design).fit(disp=False, maxiter=200)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--factors", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ours, peer = [], []
    for r in range(args.rounds):
        counts, cx, cy, layers = town(np.random.default_rng(r), args.incidents, args.factors)
        data = (counts, cx, cy, layers)
        runs = [("ours", rtm.fit), ("peer", by_hand)]
        for name, run in runs if r % 2 == 0 else runs[::-1]:
            began = time.perf_counter()
            result = run(*data)  # type: ignore[operator]
            (ours if name == "ours" else peer).append(time.perf_counter() - began)
            if name == "ours":
                kept = [f.code for f in result.significant]  # type: ignore[union-attr]
        print(f"round {r + 1}: {int(counts.sum()):,} incidents, {cx.size:,} cells, kept {kept}; "
              f"geo.rtm.fit {ours[-1]:.2f} s, one statsmodels NB2 of all columns {peer[-1]:.2f} s")
    ratio = np.array(ours) / np.array(peer)
    print(f"geo.rtm.fit median {np.median(ours):.2f} s (min {min(ours):.2f}, max {max(ours):.2f}); "
          f"ratio to the hand-written fit {np.median(ratio):.2f} (spread {ratio.min():.2f}–{ratio.max():.2f}); "
          f"goal < 10 s")


if __name__ == "__main__":
    main()
