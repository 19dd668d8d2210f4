"""Analysis parameters: typed, bounded, echoed back with every result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, model_validator

from app.config import get_settings
from app.errors import InvalidInput
from app.times import IsoDateTime

MAX_OFFSET = timedelta(hours=15, minutes=59)
# The period behind every hotspot a page shows by default (start page, maps, patrol sheet, lägesbild):
# half a year, so the same hotspot has the same number and count on each of them.
HOTSPOT_DAYS = 182  # PostgreSQL's limit for a time zone offset


class Scope(BaseModel):
    """Which incidents: time range (default the last `default_days`), categories, area, sources."""

    start: IsoDateTime | None = None
    end: IsoDateTime | None = None
    category: list[str] | None = None
    source: list[str] | None = None
    place: int | None = None
    bbox: str | None = None
    hour: list[Annotated[int, Field(ge=0, le=23)]] | None = Field(
        None, max_length=24, description="Only these local hours of the day (0–23), e.g. hour=20&hour=21")
    weekday: list[Annotated[int, Field(ge=1, le=7)]] | None = Field(
        None, max_length=7, description="Only these local weekdays, 1 = Monday … 7 = Sunday")
    include_imprecise: bool = Field(False, description="Include positions known only to a place, an area or the "
                                                        "municipality (police feed): time profiles and comparisons "
                                                        "only; hotspot analyses refuse it")

    def period(self, default_days: int) -> tuple[datetime, datetime]:
        for name, value in (("start", self.start), ("end", self.end)):
            offset = abs(value.utcoffset() or timedelta()) if value is not None else timedelta()
            if value is not None and not (1900 <= value.year <= 2200 and offset <= MAX_OFFSET):
                raise InvalidInput(f"{name} must lie between the years 1900 and 2200 with an offset of at most "
                                   "±15:59", loc=("query", name),
                                   sv=f"{'Startdatum' if name == 'start' else 'Slutdatum'} ska ligga mellan år 1900 "
                                      "och 2200.")
        end = self.end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        start = self.start or end - timedelta(days=default_days)
        if end <= start:
            raise InvalidInput("end must be after start (the range is empty)", loc=("query", "end"),
                               sv="Slutdatum ligger före startdatum; välj ett slut efter starten.")
        if end - start > timedelta(days=366 * 20):
            raise InvalidInput("the time range may span at most 20 years", loc=("query", "start"),
                               sv="Perioden får vara högst 20 år lång.")
        return start, end


def scope_from_text(start: str | None, end: str | None, category: list[str] | None, default_days: int,
                    hour: list[int] | None = None, weekday: list[int] | None = None) -> Scope:
    """A scope from a page's or the command line's text: dates without a zone are local dates
    (LAGESBILD_TIMEZONE); empty means the last `default_days`."""
    def parse(value: str | None, name: str) -> datetime | None:
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"{name} must be a date such as 2025-06-01", loc=("query", name),
                               sv="Ange datum som 2025-06-01.") from None
        if not 1900 <= moment.year <= 2200:
            raise InvalidInput(f"{name} must lie between the years 1900 and 2200", loc=("query", name),
                               sv=f"{'Startdatum' if name == 'start' else 'Slutdatum'} ska ligga mellan år 1900 "
                                  "och 2200.")
        if moment.tzinfo is None:  # a date picked in the form is a local date
            moment = moment.replace(tzinfo=ZoneInfo(get_settings().timezone))
        return moment

    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    bad_hour = [h for h in hour or [] if not 0 <= h <= 23]
    bad_day = [d for d in weekday or [] if not 1 <= d <= 7]
    if bad_hour or bad_day:
        raise InvalidInput("hour must be 0–23 and weekday 1–7", loc=("query", "hour" if bad_hour else "weekday"),
                           sv="Timme ska vara 0–23 och veckodag 1 (måndag) – 7 (söndag).")
    scope = Scope(start=parse(start, "start") or now - timedelta(days=default_days), end=parse(end, "end") or now,
                  category=[c for c in category or [] if c] or None, hour=sorted(set(hour or [])) or None,
                  weekday=sorted(set(weekday or [])) or None)
    scope.period(default_days)
    return scope


class ClusterParams(BaseModel):
    method: Literal["dbscan", "hdbscan"] = "dbscan"
    eps: float = Field(100.0, ge=5, le=5000, description="Neighbourhood radius in metres")
    min_samples: int | None = Field(None, ge=1, le=1_000_000, description="Default: derived from CSR")
    alpha: float = Field(0.05, ge=1e-6, le=0.5, description="Significance for the CSR-derived threshold")


class GiStarParams(BaseModel):
    cell: float = Field(100.0, ge=10, le=5000, description="Grid cell size in metres")
    band: float | None = Field(None, gt=0, le=50_000, description="Distance band in metres (default 2 × cell)")
    permutations: int = Field(0, ge=0, le=999)
    seed: int = 0
    fdr: bool = True
    only_significant: bool = False
    min_confidence: int = Field(
        90, description="90, 95 or 99. "
                        "Lowest class reported: 90 as Esri; the map pages use 99, where no stray cell appeared beside "
                        "planted hotspots in bench/validity.py (at 90 % one did in a third of runs)")

    @model_validator(mode="after")
    def _band(self) -> GiStarParams:
        if self.band is None:
            self.band = 2 * self.cell
        if self.band < self.cell:
            raise ValueError("band must be at least one cell wide")
        if self.band > 20 * self.cell:
            raise ValueError("band may be at most 20 cells wide")
        if self.min_confidence not in (90, 95, 99):
            raise ValueError("min_confidence must be 90, 95 or 99 (per cent)")
        return self


class DensityParams(BaseModel):
    bandwidth: float = Field(250.0, ge=10, le=10_000, description="Kernel radius in metres")
    cell: float = Field(25.0, ge=5, le=2000, description="Output cell size in metres")
    kernel: Literal["quartic", "epanechnikov", "gaussian"] = "quartic"

    @model_validator(mode="after")
    def _ratio(self) -> DensityParams:
        if self.bandwidth < self.cell:
            raise ValueError("bandwidth must be at least one cell wide")
        return self


class EmergingParams(BaseModel):
    cell: float = Field(200.0, ge=25, le=5000)
    band: float | None = Field(None, gt=0, le=50_000)
    slice_days: int = Field(28, ge=1, le=366, description="Length of each time slice in days")
    slices: int = Field(12, ge=4, le=60, description="Number of slices, ending at `end`")

    @model_validator(mode="after")
    def _band(self) -> EmergingParams:
        if self.band is None:
            self.band = 2 * self.cell
        if not self.cell <= self.band <= 20 * self.cell:
            raise ValueError("band must be between one and twenty cells wide")
        return self


class NearRepeatParams(BaseModel):
    space_bands: str = Field("100,200,400", description="Upper edges in metres, increasing")
    time_bands: str = Field("7,14,30", description="Upper edges in days, increasing")
    permutations: int = Field(99, ge=9, le=999)
    seed: int = 0

    def bands(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return _bands(self.space_bands, "space_bands"), _bands(self.time_bands, "time_bands")


def _bands(text: str, name: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise InvalidInput(f"{name} must be comma-separated numbers", loc=("query", name)) from None
    if not values or len(values) > 10 or any(v <= 0 for v in values) or list(values) != sorted(set(values)):
        raise InvalidInput(f"{name} must be 1–10 positive, increasing numbers", loc=("query", name))
    return values


class EvaluateParams(BaseModel):
    method: Literal["gistar", "dbscan", "density"] = "gistar"
    cell: float = Field(100.0, ge=10, le=5000)
    eps: float = Field(100.0, ge=5, le=5000)
    top_share: float = Field(0.05, gt=0, le=0.5, description="Density: flag the densest share of the area")
