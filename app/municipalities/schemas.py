"""What the API says about municipalities: typed, serialised at the edge."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MunicipalityOut(BaseModel):
    code: str = Field(description="SCB's municipality code (kommunkod)", examples=["0586"])
    name: str = Field(examples=["Mjölby kommun"])
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
