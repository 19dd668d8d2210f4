"""Statistical disclosure control for the public view: suppression and rounding of cell counts.

Cells with fewer than `min_count` incidents are withheld, and published counts are rounded to the
nearest multiple of `base` (as national statistics offices round small-area counts). Because every
published number is a multiple of the base, subtracting any two published answers — two periods,
all categories minus some groups — gives a multiple of the base too, and can never reveal a count
between 1 and base − 1: one incident cannot be recovered by differencing queries.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def protect_counts(counts: NDArray[np.int64], *, min_count: int = 5, base: int = 5) -> NDArray[np.int64]:
    """Published counts: 0 where withheld (count < min_count), else rounded to the nearest multiple of base."""
    if base < 1 or min_count < base:
        raise ValueError("need base ≥ 1 and min_count ≥ base")
    counts = np.asarray(counts, dtype=np.int64)
    rounded = (np.floor(counts / base + 0.5) * base).astype(np.int64)
    return np.where(counts >= min_count, rounded, 0)
