"""The county comparison's test (geo.temporal.compare_many): how often unchanged rates are called a change,
and how often a real doubling is found, on simulated counties of 13 municipalities."""

from __future__ import annotations

import numpy as np

from geo.temporal import compare_many


def _flagged(rng: np.random.Generator, rates: np.ndarray, factor: np.ndarray) -> list[bool]:
    before = rng.poisson(rates).tolist()
    after = rng.poisson(rates * factor).tolist()
    return [c.significant for c in compare_many(after, before, current_days=28, previous_days=28)]


def test_unchanged_rates_rarely_show_a_change_in_any_municipality() -> None:
    rng = np.random.default_rng(2026)
    counties = 2000
    any_flagged = 0
    for _ in range(counties):
        rates = rng.uniform(5, 400, 13)
        any_flagged += any(_flagged(rng, rates, np.ones(13)))
    # Benjamini–Hochberg under the complete null keeps the chance of any false change at about 5 %; 13
    # uncorrected tests would give about 1 - 0.95**13 = 49 %.
    assert any_flagged / counties <= 0.07, any_flagged / counties


def test_a_doubling_in_one_municipality_is_found_and_the_others_stay_unchanged() -> None:
    rng = np.random.default_rng(7)
    found = others = 0
    trials = 500
    for _ in range(trials):
        rates = rng.uniform(60, 400, 13)
        factor = np.ones(13)
        factor[3] = 2.0
        flags = _flagged(rng, rates, factor)
        found += flags[3]
        others += sum(flags[:3] + flags[4:])
    assert found / trials >= 0.95
    assert others / (trials * 12) <= 0.01
