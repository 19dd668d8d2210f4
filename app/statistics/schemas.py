"""Reference statistics results: an import's report, and the rates year by year. The service returns these
typed objects; the router serialises them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class StatisticsReport(BaseModel):
    kind: str
    year: int | None = None
    rows: int = 0
    areas: int = 0
    years: list[int] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)  # lines that are no area (notes, footers), quoted


class Rate(BaseModel):
    model_config = ConfigDict(frozen=True)

    year: int
    area_key: str
    area_name: str
    level: str
    reported_crimes: int | None
    population: int | None
    per_100k: float | None
    basis: str  # 'SCB population' (computed), 'Brå' (as the file states), 'summed' (from the municipalities), ''


class YearRatesOut(BaseModel):
    year: int
    municipality: Rate | None
    county: Rate | None
    country: Rate | None
