"""Request body of a citizen promise: shapes and types here; which ids exist is checked by the service."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class PromiseIn(BaseModel):
    title: str = Field(min_length=1, max_length=200, examples=["Tryggare kvällar vid Resecentrum"])
    description: str | None = Field(default=None, max_length=4000)
    period_start: date
    period_end: date
    categories: list[str] = Field(default_factory=list, max_length=100, examples=[["narkotika", "vald"]])
    place_ids: list[int] = Field(default_factory=list, max_length=500)
    intervention_ids: list[int] = Field(default_factory=list, max_length=500)


class PlaceRef(BaseModel):
    id: int
    name: str


class InterventionRef(BaseModel):
    id: int
    title: str
    kind: str
    status: str
    start_date: date
    end_date: date | None


class PromiseOut(BaseModel):
    id: int
    title: str
    description: str | None
    period_start: date
    period_end: date
    categories: list[str]
    places: list[PlaceRef]
    interventions: list[InterventionRef]


class CategoryChange(BaseModel):
    code: str
    label: str
    current: int
    year_before: int
    ratio: float | None
    p_value: float
    notable: bool


class Measure(InterventionRef):
    kind_sv: str
    status_sv: str
    wdq: float | None
    interpretation_sv: str | None


class Months(BaseModel):
    labels: list[str]
    current: list[int]
    year_before: list[int]


class PromiseFollowUp(BaseModel):
    promise: PromiseOut
    half: str
    period: dict[str, date]
    compared_with: dict[str, date]
    total: dict[str, int]
    months: Months
    categories: list[CategoryChange]
    interventions: list[Measure]
    progress: dict[str, int]
