"""Single values as Swedish exports write them."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.imports.values import ValueProblem, parse_number, parse_when

TZ = ZoneInfo("Europe/Stockholm")
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("58,3245", 58.3245), ("15.13", 15.13), ("6 467 123,5", 6467123.5), ("6\u00a0467\u00a0123", 6467123.0),
    ("1.234,5", 1234.5), ("1,234.5", 1234.5), ("-0,5", -0.5),
])
def test_numbers(text: str, expected: float) -> None:
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "nan", "inf", "1,2,3"])
def test_bad_numbers(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_number(text)


@pytest.mark.parametrize(("date_text", "clock", "expected_utc"), [
    ("2025-06-07T21:30:00+02:00", None, datetime(2025, 6, 7, 19, 30)),
    ("2025-06-07 21:30", None, datetime(2025, 6, 7, 19, 30)),          # summer: UTC+2
    ("2025-01-07 21:30", None, datetime(2025, 1, 7, 20, 30)),          # winter: UTC+1
    ("2025-06-07 21.30", None, datetime(2025, 6, 7, 19, 30)),          # Swedish dotted clock
    ("2025-06-07", "kl. 21.30", datetime(2025, 6, 7, 19, 30)),
    ("07/06/2025", "21:30", datetime(2025, 6, 7, 19, 30)),
    ("7.6.2025", "21:30", datetime(2025, 6, 7, 19, 30)),
    ("20250607", "2130", datetime(2025, 6, 7, 19, 30)),
    ("2025-06-07 7:32:06 +02:00", None, datetime(2025, 6, 7, 5, 32, 6)),  # police feed, unpadded hour
    ("2025-06-07T19:30:00Z", None, datetime(2025, 6, 7, 19, 30)),
    ("45815,8958333", None, datetime(2025, 6, 7, 19, 30)),             # Excel serial day (local)
    ("2025-06-07 kl. 21.30", None, datetime(2025, 6, 7, 19, 30)),      # 'kl.' inside one column
    ("7 juni 2025 21:30", None, datetime(2025, 6, 7, 19, 30)),         # month in words
    ("lördag 7 juni 2025 kl 21.30", None, datetime(2025, 6, 7, 19, 30)),
    ("den 7 jun. 2025, kl. 21.30", None, datetime(2025, 6, 7, 19, 30)),
    ("7-Jun-2025 21:30", None, datetime(2025, 6, 7, 19, 30)),
    ("3 mars 2025", "21:30", datetime(2025, 3, 3, 20, 30)),
])
def test_times(date_text: str, clock: str | None, expected_utc: datetime) -> None:
    got = parse_when(date_text, clock, TZ, now=NOW)
    assert abs((got - expected_utc.replace(tzinfo=UTC)).total_seconds()) < 1


@pytest.mark.parametrize("text", ["2025-13-07 21:30", "igår", "2030-01-01 10:00", "1970-01-01 10:00", "",
                                  "7 smurf 2025 21:30", "31 juni 2025 21:30"])
def test_bad_times(text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_when(text, None, TZ, now=NOW)


@pytest.mark.parametrize(("text", "expected"), [
    ("58°19′25″N", 58.323611), ("58° 19.417' N", 58.323617), ("N 58°19'25\"", 58.323611),
    ("15°7'50\"Ö", 15.130556), ("15°07′50″E", 15.130556), ("58.3236° N", 58.3236), ("58,3236", 58.3236),
    ("33°52′S", -33.866667),
])
def test_coordinates_in_degrees_minutes_seconds(text: str, expected: float) -> None:
    from app.imports.values import parse_coordinate

    assert parse_coordinate(text) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("text", ["abc", "58°70'", "N 58° S", ""])
def test_bad_coordinates_say_what_is_wrong(text: str) -> None:
    from app.imports.values import parse_coordinate

    with pytest.raises(ValueProblem):
        parse_coordinate(text)
