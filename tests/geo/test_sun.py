"""Darkness agrees with an independent implementation (astral) at Mjölby within two minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from astral import LocationInfo
from astral.sun import dawn, dusk

from geo.sun import crossing_time, is_dark, solar_elevation

MJOLBY = LocationInfo("Mjölby", "Sweden", "Europe/Stockholm", 58.3245, 15.1290)


@pytest.mark.parametrize("day", [date(2025, 6, 21), date(2025, 12, 21), date(2025, 3, 20), date(2025, 9, 23),
                                 date(2026, 2, 1)])
def test_civil_dusk_and_dawn_match_astral(day: date) -> None:
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    ours_dusk = crossing_time(midnight, MJOLBY.latitude, MJOLBY.longitude, rising=False)
    ours_dawn = crossing_time(midnight, MJOLBY.latitude, MJOLBY.longitude, rising=True)
    theirs_dusk = dusk(MJOLBY.observer, day, tzinfo=UTC).timestamp()
    theirs_dawn = dawn(MJOLBY.observer, day, tzinfo=UTC).timestamp()
    assert ours_dusk is not None and ours_dawn is not None
    assert abs(ours_dusk - theirs_dusk) < 120
    assert abs(ours_dawn - theirs_dawn) < 120


def test_darkness_is_astronomical_not_clock_hours() -> None:
    # 22:00 local: light at midsummer, dark in December
    june = datetime(2025, 6, 21, 20, 0, tzinfo=UTC).timestamp()
    december = datetime(2025, 12, 21, 21, 0, tzinfo=UTC).timestamp()
    afternoon_dec = datetime(2025, 12, 21, 15, 30, tzinfo=UTC).timestamp()  # 16:30 local
    dark = is_dark(np.array([june, december, afternoon_dec]), 58.3245, 15.129)
    assert dark.tolist() == [False, True, True]
    noon = solar_elevation(datetime(2025, 6, 21, 11, 10, tzinfo=UTC).timestamp(), 58.3245, 15.129)
    assert noon == pytest.approx(90 - 58.3245 + 23.44, abs=0.3)
