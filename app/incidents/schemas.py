"""Incident request/response schemas. Accepts flat lon/lat or a GeoJSON Point Feature."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.config import get_settings
from app.geojson import Feature, FeatureCollection
from app.incidents.models import LOCATION_PRECISIONS
from app.times import IsoDateTime
from geo.crs import lonlat_problem

Precision = Literal["exact", "address", "street", "place", "area", "municipality"]
assert set(Precision.__args__) == set(LOCATION_PRECISIONS)  # type: ignore[attr-defined]


def _flatten_feature(data: Any) -> Any:
    """A GeoJSON Feature body becomes the flat form: properties + lon/lat from a Point geometry."""
    if not isinstance(data, dict) or data.get("type") != "Feature":
        return data
    geometry = data.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise ValueError("geometry must be a GeoJSON Point: {'type': 'Point', 'coordinates': [lon, lat]}")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list | tuple) or len(coords) not in (2, 3):
        raise ValueError("Point coordinates must be [lon, lat]")
    props = data.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("properties must be an object")
    return {**props, "lon": coords[0], "lat": coords[1]}


class _Position(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    @model_validator(mode="after")
    def _check_position(self) -> Any:
        lon, lat = getattr(self, "lon", None), getattr(self, "lat", None)
        if lon is None and lat is None:
            return self
        if lon is None or lat is None:
            raise ValueError("give both lon and lat")
        problem = lonlat_problem(lon, lat, get_settings().position_box)
        if problem:
            raise ValueError(problem)
        return self


class IncidentCreate(_Position):
    """A new incident. `occurred_at` must carry a timezone offset."""

    lon: float = Field(description="Longitude, WGS84", examples=[15.132])
    lat: float = Field(description="Latitude, WGS84", examples=[58.323])
    category: str = Field(min_length=1, max_length=64, examples=["narkotika"])
    occurred_at: IsoDateTime = Field(examples=["2025-06-07T21:30:00+02:00"])
    source: str | None = Field(default=None, max_length=64, description="Organisation code; default: the caller's")
    external_id: str | None = Field(default=None, max_length=200)
    location_precision: Precision = "exact"
    precision_m: int | None = Field(default=None, ge=0, le=100_000)
    description: str | None = Field(default=None, max_length=5000)
    place_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _feature(cls, data: Any) -> Any:
        return _flatten_feature(data)


class IncidentUpdate(_Position):
    """Partial update: only the fields given change."""

    lon: float | None = None
    lat: float | None = None
    category: str | None = Field(default=None, min_length=1, max_length=64)
    occurred_at: IsoDateTime | None = None
    external_id: str | None = Field(default=None, max_length=200)
    location_precision: Precision | None = None
    precision_m: int | None = Field(default=None, ge=0, le=100_000)
    description: str | None = Field(default=None, max_length=5000)
    place_id: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _feature(cls, data: Any) -> Any:
        return _flatten_feature(data)


class IncidentProperties(BaseModel):
    category: str
    occurred_at: datetime
    reported_at: datetime
    source: str
    external_id: str | None
    location_precision: Precision
    precision_m: int | None
    description: str | None
    place_id: int | None


IncidentFeature = Feature[IncidentProperties]  # as stored: the feature text of migration 0012


class IncidentCollection(FeatureCollection[IncidentProperties]):
    numberReturned: int
    links: list[dict[str, str]] = Field(description="self, and next while there are more (cursor `after`)")
