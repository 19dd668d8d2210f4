"""Request bodies of interventions: shapes and types here; database rules and their wording in the service."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.geojson import Feature, FeatureCollection

Kind = Literal["patrol", "lighting", "vegetation", "cleaning", "cameras", "youth_workers", "other"]
Status = Literal["planned", "active", "completed", "cancelled"]


class InterventionIn(BaseModel):
    """An intervention on a known place (a point place gets a 100 m disc) or a drawn target polygon."""

    model_config = ConfigDict(allow_inf_nan=False)

    title: str = Field(min_length=1, max_length=200, examples=["Förstärkt belysning Järnvägsparken"])
    kind: Kind
    organisation: str = Field(min_length=1, max_length=64, examples=["service_teknik"])
    place_id: int | None = None
    target: dict[str, Any] | None = Field(default=None, description="GeoJSON Polygon or MultiPolygon, WGS84")
    control: dict[str, Any] | None = Field(default=None, description="Comparison area; default a ring around "
                                                                     "the target (buffer + 300 to + 1500 m)")
    start_date: date
    end_date: date | None = None
    buffer_m: int = Field(200, ge=25, le=2000, description="Width of the displacement ring in metres")
    notes: str | None = Field(default=None, max_length=4000)
    responsible: str | None = Field(default=None, max_length=200, description="The person who answers for it")
    due_date: date | None = Field(default=None, description="When it should be done")
    decided_on: date | None = Field(default=None, description="The ESM meeting that decided it")


class InterventionStatusIn(BaseModel):
    status: Status
    notes: str | None = Field(default=None, max_length=4000)


class InterventionProperties(BaseModel):
    title: str
    kind: Kind
    organisation: str
    place_id: int | None
    buffer_m: int
    start_date: date
    end_date: date | None
    status: Status
    notes: str | None
    control: dict[str, Any] | None
    responsible: str | None
    due_date: date | None
    decided_on: date | None


InterventionFeature = Feature[InterventionProperties]
InterventionCollection = FeatureCollection[InterventionProperties]


class BeforeAfter(BaseModel):
    before: int
    after: int


class FollowUpCounts(BaseModel):
    target: BeforeAfter
    buffer: BeforeAfter
    control: BeforeAfter


class FollowUp(BaseModel):
    """Before/after counts in the target, the buffer ring and the control area, with the WDQ."""

    intervention: int
    periods: dict[str, tuple[str, str]]
    control: str
    counts: FollowUpCounts
    success_measure: float | None
    buffer_measure: float | None
    wdq: float | None
    wdq_interval: tuple[float, float] | None
    target_p: float | None
    buffer_p: float | None
    interpretation: str
    interpretation_sv: str
    days: float
    days_asked: float
    note_sv: str | None
    method: str
    method_sv: str
