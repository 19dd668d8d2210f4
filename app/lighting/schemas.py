"""Lighting bodies: a fault or dark-place report in, a report with its history and the work list out."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.geojson import Feature


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["fault", "dark_spot"]
    lon: float
    lat: float
    description: str | None = Field(default=None, max_length=2000)
    lamp_id: str | None = Field(default=None, max_length=100, description="The lamp's id, if known")


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: str
    note: str | None = Field(default=None, max_length=2000)


class StatusStep(BaseModel):
    from_: str | None = Field(alias="from")
    to: str
    by: str
    at: datetime
    note: str | None


class LightingReportProperties(BaseModel):
    kind: Literal["fault", "dark_spot"]
    status: str
    description: str | None
    lamp: str | None = Field(description="The lamp's id, when the report names one")
    street: str | None
    segment_id: int | None
    created_at: datetime
    history: list[StatusStep] | None


LightingReportFeature = Feature[LightingReportProperties]


class PriorityComponents(BaseModel):
    dark_incidents: int
    daylight_incidents: int
    open_faults: int
    dark_spots: int
    unsafety: float


class WorkItem(BaseModel):
    """A street segment on the relighting work list, with what its priority is made of."""

    rank: int
    segment_id: int
    street: str
    geometry: dict[str, Any]
    length_m: int
    priority: float
    components: PriorityComponents
