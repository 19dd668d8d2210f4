"""Reference statistics: reported crimes (Brå) and population (SCB) per area and year, side by side."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class AreaStatistic(Base):
    """One area in one year. `area_key` is SCB's code (0586 Mjölby, 05 Östergötlands län, 00 the country)
    where the files give or imply one, else `name:` and the name as normalised."""

    __tablename__ = "area_statistics"
    __table_args__ = (
        UniqueConstraint("year", "area_key", name="area_statistic_year_area"),
        CheckConstraint("level IN ('municipality', 'county', 'country')", name="area_statistic_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    area_key: Mapped[str] = mapped_column(String(120))
    area_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16))
    reported_crimes: Mapped[int | None] = mapped_column(Integer)
    per_100k_given: Mapped[float | None] = mapped_column(Float)  # as Brå's file states it
    population: Mapped[int | None] = mapped_column(Integer)
    crime_source: Mapped[str | None] = mapped_column(Text)
    population_source: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(),
                                                 onupdate=func.now())


class SurveyIndex(Base):
    """The police's trygghetsmätning: a problem index from 0 (no problem) to 6 (a great problem) per area and
    year, as residents answered it. `place_id` links an area that is one of the places, by name."""

    __tablename__ = "survey_indices"
    __table_args__ = (
        UniqueConstraint("year", "area", "problem", name="survey_index_year_area_problem"),
        CheckConstraint("value >= 0 AND value <= 6", name="survey_index_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    area: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(String(300))
    value: Mapped[float] = mapped_column(Float)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id", ondelete="SET NULL"))
    source: Mapped[str | None] = mapped_column(Text)


class PopulationSquare(Base):
    """Residents of one square of a population grid (SCB's 250 m or 1 km squares, "befolkning på rutor"),
    by its lower-left corner in SWEREF 99 TM metres. Shared reference data: the cause analysis compares a
    factor only with positions near as many residents (app/analysis/service.py); tenants read it only."""

    __tablename__ = "population_squares"
    __table_args__ = (
        UniqueConstraint("x0", "y0", "size_m", name="population_square_corner"),
        CheckConstraint("population >= 0", name="population_square_nonnegative"),
        CheckConstraint("size_m IN (100, 250, 500, 1000)", name="population_square_size"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    size_m: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
