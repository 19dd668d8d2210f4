"""Unit report bodies: the period, events with place and time, and observations per place."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.incidents.schemas import _Position
from app.times import IsoDateTime


class ReportEvent(_Position):
    """Something that happened: a time, a category, and a position or a known place."""

    occurred_at: IsoDateTime = Field(examples=["2025-06-07T21:30:00+02:00"])
    category: str = Field(min_length=1, max_length=64, examples=["skadegorelse"])
    lon: float | None = None
    lat: float | None = None
    place_id: int | None = Field(default=None, description="A known place; its centre is used without lon/lat")
    location_precision: Literal["exact", "address", "street"] | None = Field(
        default=None, description="How exact lon/lat is (default exact); a named place is 'place'")
    description: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _where(self) -> Any:
        if self.lon is None and self.place_id is None:
            raise ValueError("give lon/lat or a place_id for where it happened")
        return self


class ReportObservation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    place_id: int | None = Field(default=None, description="The place it is about; empty for the whole area")
    text: str = Field(min_length=1, max_length=4000, examples=["Många unga samlas vid busshållplatsen efter 21"])


class UnitReportIn(BaseModel):
    """A unit's report for one period. Filing again for the same unit and period replaces the earlier one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    organisation: str | None = Field(default=None, max_length=64,
                                     description="The reporting unit; reporters always file for their own")
    period_start: date | None = Field(default=None, description="Default: the current reporting period")
    period_end: date | None = None
    summary: str | None = Field(default=None, max_length=4000)
    events: list[ReportEvent] = Field(default_factory=list, max_length=500)
    observations: list[ReportObservation] = Field(default_factory=list, max_length=100)


class ObservationOut(BaseModel):
    place_id: int | None
    place: str | None
    text: str


class EventOut(BaseModel):
    incident_id: int
    occurred_at: datetime
    category: str
    place_id: int | None
    description: str | None
    location_precision: str
    lon: float
    lat: float


class UnitReportOut(BaseModel):
    id: int
    organisation: str
    organisation_name: str
    period_start: date
    period_end: date
    summary: str | None
    submitted_by: str
    created_at: datetime
    updated_at: datetime
    observations: list[ObservationOut]
    events: list[EventOut]


class Period(BaseModel):
    start: date
    end: date


class UnitStatus(BaseModel):
    organisation: str
    name: str
    reported: bool
    report_id: int | None
    updated_at: datetime | None
    submitted_by: str | None
    events: int | None
    observations: int | None


class ReportingStatus(BaseModel):
    period: Period
    units: list[UnitStatus]
    missing: list[str]
