"""What the API says about municipalities: typed, serialised at the edge."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MunicipalityOut(BaseModel):
    code: str = Field(description="SCB's municipality code (kommunkod)", examples=["0586"])
    name: str = Field(examples=["Motala kommun"])
    county_code: str | None = Field(default=None, examples=["05"])
    timezone: str
    extent: list[float] = Field(description="min lon, min lat, max lon, max lat (WGS84)")
    population: int | None = None
    is_default: bool


class MunicipalityGroupOut(BaseModel):
    code: str = Field(examples=["lan05"])
    name: str = Field(examples=["Östergötlands län"])
    kind: str = Field(description="county, police_region or group")
    members: list[str]


class MunicipalityChange(BaseModel):
    """One municipality's incidents in the period beside the period before it, per 100,000 inhabitants."""

    code: str
    name: str
    population: int | None = None
    current: int
    previous: int
    per_100k: float | None = Field(default=None, description="incidents in the period per 100,000 inhabitants")
    ratio: float | None = Field(default=None, description="rate ratio, the period over the one before")
    p_value: float
    change: str = Field(description="ökning, minskning or ingen säkerställd förändring (after FDR over the "
                                    "municipalities)")


class MunicipalityComparison(BaseModel):
    start: str
    end: str
    previous_start: str
    sources: list[str] = Field(description="sources whose data covers both periods; the others are left out")
    left_out_sources: list[str]
    municipalities: list[MunicipalityChange]
    method: str
