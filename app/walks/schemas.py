"""Request bodies of safety walks: shapes and types here; the rules that need the database (the place
exists, the unit may write) and the Swedish wording of each refusal stay in the service."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.geojson import Feature

FindingKind = Literal["dark_place", "vegetation", "damage", "other"]
Priority = Literal["high", "medium", "low"]


class _Body(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)


class FindingIn(_Body):
    kind: FindingKind | None = Field(default=None, description="dark_place, vegetation, damage or other")
    lon: float | None = Field(default=None, examples=[15.1318])
    lat: float | None = Field(default=None, examples=[58.3262])
    description: str | None = Field(default=None, max_length=4000, examples=["Trasig lampa i gångtunneln"])
    owner: str | None = Field(default=None, max_length=64, description="Unit that acts on it; default the walk's")
    priority: Priority | None = None
    deadline: date | None = None


class WalkIn(_Body):
    walked_on: date | None = Field(default=None, examples=["2025-09-18"])
    area: str | None = Field(default=None, max_length=200, examples=["Centrum – Resecentrum till Gästisparken"])
    place_id: int | None = None
    route: dict[str, Any] | None = Field(default=None, description="GeoJSON LineString or Polygon, WGS84")
    participants: str | None = Field(default=None, max_length=4000)
    organisation: str | None = Field(default=None, max_length=64,
                                     description="The walk's unit; reporters always record for their own")
    notes: str | None = Field(default=None, max_length=4000)
    findings: list[FindingIn] = Field(default_factory=list, max_length=200)


class FindingStatusIn(_Body):
    status: Literal["open", "in_progress", "done"]


class ConvertIn(_Body):
    to: Literal["intervention", "lighting_fault"]
    radius_m: int | None = Field(default=None, ge=10, le=500, description="Intervention: radius of its target")
    title: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=32,
                             description="Intervention kind, or 'fault' for a lamp fault (default: a dark spot)")
    organisation: str | None = Field(default=None, max_length=64)
    start_date: date | None = None
    end_date: date | None = None


class FindingProperties(BaseModel):
    kind: FindingKind
    description: str
    owner: str
    priority: Priority
    deadline: date | None
    status: Literal["open", "in_progress", "done", "converted"]
    has_photo: bool
    intervention_id: int | None
    lighting_report_id: int | None
    overdue: bool | None = Field(description="Past its deadline and not done")


FindingFeature = Feature[FindingProperties]


class WalkOut(BaseModel):
    id: int
    walked_on: date
    area: str
    place_id: int | None
    participants: str | None
    organisation: str
    notes: str | None
    route: dict[str, Any] | None
    created_by: str
    findings: list[FindingFeature]


class ConvertOut(BaseModel):
    finding: int
    to: Literal["intervention", "lighting_fault"]
    id: int = Field(description="The new intervention's or lighting report's id")
