"""Reference statistics bodies: an import's report, and the rates year by year."""

from __future__ import annotations

from pydantic import BaseModel


class StatisticsReportOut(BaseModel):
    kind: str
    year: int | None
    rows: int
    areas: int
    years: list[int]
    skipped: list[str]


class RateOut(BaseModel):
    year: int
    area_key: str
    area_name: str
    level: str
    reported_crimes: int | None
    population: int | None
    per_100k: float | None
    basis: str


class YearRatesOut(BaseModel):
    year: int
    municipality: RateOut | None
    county: RateOut | None
    country: RateOut | None
