"""Typed analysis results: what app/analysis/service.py returns and pages, maps, reports and exports read.

Each result is built once (in the analysis process when the app serves), cached as it is, and turned
into JSON only at the edge (`Result.to_json`, once per cached result). Readers use attributes, so a
renamed property fails the type check instead of silently reading nothing; the models are frozen
because one cached result is shared by every request that reads it.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from geo.clustering import CsrThreshold

Geometry = dict[str, Any]  # a GeoJSON geometry (WGS84)
Direction = Literal["up", "down", "unchanged", "no_data"]


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, ser_json_inf_nan="null")


class Result(_Part):
    """A whole analysis answer; `parameters` echoes every parameter used, defaults included."""

    parameters: dict[str, Any]
    _json: bytes | None = PrivateAttr(default=None)

    def to_json(self) -> bytes:
        """The result as the API sends it, serialised once."""
        if self._json is None:
            self._json = self.__pydantic_serializer__.to_json(self, by_alias=True, fallback=_plain)
        return self._json


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays left in a parameter echo, as JSON numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


class StudyArea(_Part):
    basis: str
    footprint_m: float
    cells: int
    km2: float
    text_sv: str
    geometry: Geometry


# -- clusters ----------------------------------------------------------------------------------------

class CategoryCount(_Part):
    code: str
    label: str
    count: int


class Trend(_Part):
    current_count: int | None
    previous_count: int | None
    ratio: float | None
    p_value: float | None
    direction: Direction
    text_sv: str


class HotspotProperties(_Part):
    rank: int = Field(description="1 = the most incidents; the same number on every map and list of a page")
    name: str = Field(description="The place it covers, else the nearest named street, else locality and direction")
    count: int
    share: float
    area_ha: float
    categories: list[CategoryCount]
    active_hours: list[int]
    active_hour_ranges: list[tuple[int, int]] = Field(description="Contiguous spans [start, end), wrapping midnight")
    hour_weekday: list[list[int]] = Field(description="7 × 24 counts, Monday first, local time")
    trend: Trend


class HotspotFeature(_Part):
    type: Literal["Feature"] = "Feature"
    id: int = Field(description="The hotspot's rank (1: most incidents), as RFC 7946's feature id")
    geometry: Geometry
    properties: HotspotProperties


class Hotspots(Result):
    """DBSCAN/HDBSCAN hotspot areas, largest first, each with its trend against the previous period."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[HotspotFeature]
    csr_threshold: CsrThreshold | None = Field(description="How the default min_samples was derived")
    incidents: int
    clustered: int
    method_sv: str


# -- Gi* ---------------------------------------------------------------------------------------------

class GiCellProperties(_Part):
    count: int
    z: float
    p: float
    class_: int = Field(alias="class", description="−3…3: cold/hot spot at 99/95/90 %, 0 not significant")
    label: str
    p_sim: float | None = None
    area: str | None = Field(default=None, description="name of the group of touching significant cells of the "
                             "same sign this cell belongs to (a place, a street, or a locality and direction)")


class GiCell(_Part):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: Geometry
    properties: GiCellProperties


class GridInfo(_Part):
    cells: int
    nx: int
    ny: int
    crs: str


class GiStar(Result):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[GiCell]
    grid: GridInfo | None
    study_area: StudyArea | None
    inference: str | None = None
    classes: dict[str, int]
    incidents: int
    method_sv: str


# -- density -----------------------------------------------------------------------------------------

class DensityGrid(_Part):
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    crs: str


class Density(Result):
    unit: str
    grid: DensityGrid | None
    bounds: list[list[float]] | None = Field(description="[[south, west], [north, east]] of the image")
    max: float
    image: str | None = Field(description="PNG data URL, north up")
    incidents: int


# -- time profile and comparison -----------------------------------------------------------------------

class TimeProfile(Result):
    weekdays: list[str]
    matrix: list[list[int]]
    by_hour: list[int]
    by_weekday: list[int]
    incidents: int


class Change(_Part):
    count: int | None = Field(description="The earlier period's count")
    current: int | None
    ratio: float | None
    p_value: float | None
    notable: bool
    direction: Direction
    text_sv: str


class CategoryComparison(_Part):
    code: str
    label: str
    current: int
    vs_previous: Change
    vs_last_year: Change


class TotalComparison(_Part):
    current: int
    vs_previous: Change
    vs_last_year: Change


class Comparison(Result):
    periods: dict[str, tuple[str, str]]
    total: TotalComparison
    categories: list[CategoryComparison]
    compared_sources: dict[str, list[str]]
    left_out_sources: dict[str, list[str]]
    test_sv: str


# -- map of change -----------------------------------------------------------------------------------

class ChangeCellProperties(_Part):
    current: int
    previous: int
    p: float
    significant: bool
    direction: Literal["up", "down"] | None = Field(description="set only where the change is significant")
    name: str | None = None


class ChangeCell(_Part):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: Geometry
    properties: ChangeCellProperties


class ChangeMap(Result):
    """Cells whose count changed between the period and the one before it, tested (geo/change.py)."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ChangeCell]
    periods: dict[str, tuple[str, str]]
    cell_m: float
    tests: int
    claims: int
    compared_sources: list[str]
    left_out_sources: list[str]
    text_sv: str
    method_sv: str


# -- cause analysis (risk terrain) ---------------------------------------------------------------------

class RiskFactor(_Part):
    code: str
    name: str
    source: str
    distance_m: float | None
    relative_risk: float | None
    interval: tuple[float, float] | None
    p: float
    significant: bool
    cells_near: int


class RiskCellProperties(_Part):
    relative_risk: float
    count: int


class RiskCell(_Part):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: Geometry
    properties: RiskCellProperties


class NotYetHot(_Part):
    name: str
    relative_risk: float
    incidents: int
    geometry: Geometry


class RiskTerrain(Result):
    """Risk factors tested on the incident counts of 100 m cells (geo/rtm.py) and the risk surface."""

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[RiskCell]
    factors: list[RiskFactor]
    not_yet_hot: list[NotYetHot]
    cells: int
    incidents: int
    tests: int
    text_sv: str
    method_sv: str


# -- emerging hot spots ------------------------------------------------------------------------------

class EmergingProperties(_Part):
    pattern: str
    label: str
    count: int
    trend: int
    classes: list[int]


class EmergingCell(_Part):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: Geometry
    properties: EmergingProperties


class TownChange(_Part):
    """The whole area's own change, stated apart from any place: the last weeks against the same weeks a
    year earlier where the data reaches back (seasons repeat), else against the weeks before them."""

    current: int
    earlier: int
    current_period: tuple[str, str]
    earlier_period: tuple[str, str]
    against: Literal["last_year", "before"]
    ratio: float | None
    p_value: float
    direction: Direction
    text_sv: str


class Emerging(Result):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[EmergingCell]
    patterns: dict[str, int]
    incidents: int
    study_area: StudyArea | None = None
    town: TownChange | None = Field(None, description="The whole area's change, never shown as local hot spots")
    change_critical: float | None = Field(None, description="The family-wise critical statistic of the change "
                                                            "tests (by permutation of the incidents' slices)")
    method_sv: str


# -- near repeat and evaluation ------------------------------------------------------------------------

class Elevated(_Part):
    within_m: float
    for_days: float


class NearRepeat(Result):
    incidents: int
    observed: list[list[int]]
    expected: list[list[float]]
    ratio: list[list[float]]
    p_value: list[list[float]]
    sampled_fraction: float
    elevated: Elevated | None
    summary_sv: str


class Evaluation(Result):
    train_incidents: int
    test_incidents: int
    hits: int
    hit_rate: float
    area_share: float
    pai: float | None
