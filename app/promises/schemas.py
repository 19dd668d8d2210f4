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
