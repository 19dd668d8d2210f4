"""LAGESBILD_TIMEZONE is the clock of hour × weekday profiles and of imported times without an offset."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis.points import load_points
from app.config import get_settings
from app.imports.service import ImportOptions, run_import
from app.incidents.service import build_filter


@pytest.fixture
def helsinki() -> Iterator[None]:
    settings = get_settings()
    before = settings.timezone
    settings.timezone = "Europe/Helsinki"  # one hour ahead of Stockholm all year
    yield
    settings.timezone = before


def test_imports_and_profiles_follow_the_configured_zone(session: Session, helsinki: None) -> None:
    csv = "tidpunkt;kategori;lat;lon\n2025-03-03 21:00;vald;58,322;15,131\n"  # a Monday, no offset
    run_import(session, io.BytesIO(csv.encode()), ImportOptions(filename="a.csv"))
    stored = session.execute(text("SELECT occurred_at FROM incidents")).scalar_one()
    assert stored == datetime(2025, 3, 3, 19, 0, tzinfo=UTC)  # 21:00 in Helsinki (UTC+2), not Stockholm (UTC+1)
    points = load_points(session, build_filter(session, start=datetime(2025, 3, 1, tzinfo=UTC),
                                               end=datetime(2025, 3, 5, tzinfo=UTC)))
    assert (points.hour.tolist(), points.weekday.tolist()) == ([21], [0])
