"""Dates and times as the API accepts them: ISO 8601 text only, within the years 1900–2200.

Pydantic also reads a bare number as a Unix time, so `start=0` meant 1970 and `start=0.5` half a second
after; and a year such as 0001 or 10000 (9999-12-31T23:59:59-23:59 in UTC) reached the database.
Every date and time a request carries goes through these types.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator

FIRST_YEAR, LAST_YEAR = 1900, 2200
_ISO_DATE = re.compile(r"\s*\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("give a date or datetime in ISO 8601, e.g. 2025-06-07 or 2025-06-07T19:30:00+02:00, "
                         "not a number")
    return value


def _in_years(value: Any) -> Any:
    years = {value.year}
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:  # 9999-12-31T23:59:59-23:59 is year 10000 in UTC, where it is stored
            years.add(value.astimezone(UTC).year)
        except OverflowError:
            raise ValueError(f"the year must lie between {FIRST_YEAR} and {LAST_YEAR}") from None
    if not all(FIRST_YEAR <= y <= LAST_YEAR for y in years):
        raise ValueError(f"the year must lie between {FIRST_YEAR} and {LAST_YEAR}")
    return value


IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_in_years)]
IsoDate = Annotated[date, BeforeValidator(_iso_text), AfterValidator(_in_years)]
