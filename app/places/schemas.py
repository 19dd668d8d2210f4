"""Place schemas: a GeoJSON Feature or a flat object with a `geometry` member."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.config import get_settings
from app.geojson import Feature, FeatureCollection
from geo.geometry import GeometryProblem, parse_geometry

PlaceKind = Literal["travel_centre", "park", "shopping", "schoolyard", "station", "square", "landmark", "area", "other"]
Confidence = Literal["high", "medium-high", "medium", "low", "unverified"]
PLACE_GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")


def slugify(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:100] or "plats"


def _flatten(data: Any) -> Any:
    if isinstance(data, dict) and data.get("type") == "Feature":
        props = data.get("properties") or {}
        if not isinstance(props, dict):
            raise ValueError("properties must be an object")
        return {**props, "geometry": data.get("geometry")}
    return data


def _check_geometry(value: Any) -> Any:
    if value is None:
        return value
    try:
        # the boundaries decide the municipality; here only a sanity box
        parse_geometry(value, allowed=PLACE_GEOMETRY_TYPES, extent=get_settings().position_box)
    except GeometryProblem as exc:
        raise ValueError(str(exc)) from None
    return value


class _PlaceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _feature(cls, data: Any) -> Any:
        return _flatten(data)

    @field_validator("geometry", check_fields=False)
    @classmethod
    def _geometry(cls, value: Any) -> Any:
        return _check_geometry(value)


class PlaceCreate(_PlaceBody):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9-]{1,100}$")
    kind: PlaceKind = "other"
    locality: str | None = Field(default=None, max_length=100,
                                 description="Default: the nearest locality of the municipality the place lies in")
    geometry: dict[str, Any] = Field(description="GeoJSON Point, Polygon or MultiPolygon in WGS84")
    source: str = Field(min_length=1, max_length=2000, description="Where the position comes from")
    confidence: Confidence = "unverified"
    unsafe_share: float | None = Field(default=None, ge=0, le=1)
    survey_year: int | None = Field(default=None, ge=1990, le=2100)
    description: str | None = Field(default=None, max_length=5000)
    geometry_note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _default_slug(self) -> PlaceCreate:
        if not self.slug:
            self.slug = slugify(self.name)
        return self


class PlaceUpdate(_PlaceBody):
    """The municipality corrects geometry, scores and labels; only given fields change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: PlaceKind | None = None
    locality: str | None = Field(default=None, max_length=100)
    geometry: dict[str, Any] | None = None
    source: str | None = Field(default=None, min_length=1, max_length=2000)
    confidence: Confidence | None = None
    unsafe_share: float | None = Field(default=None, ge=0, le=1)
    survey_year: int | None = Field(default=None, ge=1990, le=2100)
    description: str | None = Field(default=None, max_length=5000)
    geometry_note: str | None = Field(default=None, max_length=2000)



class SurveyItem(BaseModel):
    year: int
    problem: str
    value: float = Field(ge=0, le=6, description="Problem index: 0 no problem, 6 a great problem")


class PlaceProperties(BaseModel):
    id: int
    slug: str
    name: str
    kind: str
    locality: str
    source: str
    confidence: str
    unsafe_share: float | None
    survey_year: int | None
    description: str | None
    geometry_note: str | None
    updated_at: datetime
    police_survey: list[SurveyItem] | None = Field(default=None, description="The police's trygghetsmätning "
                                                   "for this place, its latest year, the largest problem first")
    incident_count: int | None = Field(default=None, description="In the list, for staff: incidents in the "
                                                                  "place's zone in the time range")


PlaceFeature = Feature[PlaceProperties]
PlaceCollection = FeatureCollection[PlaceProperties]
