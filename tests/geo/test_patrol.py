"""The patrol plan's words never contradict its numbers (issue #35): a shift's visits are timed by the
hours and weekdays that hold that shift's own events, not by the hotspot's active hours elsewhere."""

from __future__ import annotations

import numpy as np

from geo.patrol import Shift, busiest_when, koper_dosage


def _matrix(cells: dict[tuple[int, int], int]) -> np.ndarray:
    m = np.zeros((7, 24), dtype=np.int64)  # weekday × hour, Monday first
    for (day, hour), n in cells.items():
        m[day, hour] = n
    return m


def test_a_shift_is_timed_by_its_own_events_and_names_its_weekdays() -> None:
    # Resecentrum as the ESM group described it: active 23–03 on Friday and Saturday nights, a little in the evening
    # (calendar days: Friday night after midnight is Saturday)
    resecentrum = _matrix({(4, 23): 6, (4, 22): 4, (5, 23): 7, (5, 22): 3, (6, 1): 2, (2, 19): 3, (3, 20): 4})
    night, evening = Shift("natt", 22, 6), Shift("kväll", 15, 23)
    assert busiest_when(resecentrum, night.hours) == "kl. 23–00, främst fre–lör"
    text = koper_dosage(0.4, busiest_when(resecentrum, evening.hours)).text_sv
    assert "aktiva timmarna" not in text and text.endswith("kl. 22–23, främst tors–fre")  # the evening's own
    # a handful of events names no hours
    assert busiest_when(_matrix({(2, 19): 1, (3, 20): 1}), evening.hours) == "under passet"
    # events on every day of the week: no weekday named
    everywhere = _matrix({(d, 20): 3 for d in range(7)})
    assert busiest_when(everywhere, evening.hours) == "kl. 20–21"
    assert busiest_when(_matrix({}), night.hours) == "under passet"
