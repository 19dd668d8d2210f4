"""Settings: the one place that reads the environment (pydantic-settings)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SWEDEN = (10.5, 55.0, 24.2, 69.1)  # lon/lat box around the country


class Settings(BaseSettings):
    """Configuration from environment variables; every field is documented in the README."""

    model_config = SettingsConfigDict(env_prefix="LAGESBILD_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="PostGIS server to use; unset means run a local one in `home`.",
    )
    database_read_url: str | None = Field(
        default=None,
        description="Where routes that tolerate a few seconds of staleness read (analysis, OGC items, tiles, the "
                    "incident list): typically the same hosts as DATABASE_URL with target_session_attrs="
                    "prefer-standby. Unset: everything goes to DATABASE_URL.",
    )
    home: Path = Field(default=Path(".lagesbild"), description="Project-local data folder.")
    db_port: int = Field(default=55432, description="Port of the self-started local PostGIS.")
    db_name: str = "lagesbild"
    environment: Literal["local", "test", "production"] = "local"
    # NoDecode: the environment's "14.75,58.15,15.45,58.70" reaches the validator as written, not as JSON
    extent: Annotated[tuple[float, float, float, float], NoDecode] = Field(
        default=(14.85, 58.15, 15.45, 58.50),
        description="An optional lon/lat box (min lon, min lat, max lon, max lat) a position must lie in; the "
                    "default is the box an import reads grid coordinates in. Where a row belongs is "
                    "decided by the municipalities' boundaries (data/municipalities.geojson), not by this box. "
                    "Written as four numbers, 14.75,58.15,15.45,58.70, or as a JSON list.",
    )
    timezone: str = "Europe/Stockholm"
    max_body_bytes: int = 2_000_000
    max_upload_bytes: int = 500_000_000
    statement_timeout_ms: int = 20_000
    page_limit_max: int = 10_000
    retention_years: float | None = Field(default=None, description="Reduce incident detail older than this to "
                                          "monthly cell counts (lagesbild retention); unset keeps everything.")
    rate_limit: bool | None = Field(default=None, description="Rate-limit writes and failed sign-ins; default on "
                                    "except in the test environment.")
    writes_per_minute: int = 600
    public_reports_per_hour: int = 10  # /felanmalan, per address: no account, so a tighter bound
    failed_logins_per_15_minutes: int = 10
    analysis_max_staleness_seconds: float = Field(default=30.0, description="An analysis result may be served "
                                                  "this long after the data changed before it is recomputed.")
    map_points_max: int = Field(default=2500, description="Above this many incidents in view, close-up maps "
                                "switch from GeoJSON points to vector tiles.")
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "© OpenStreetMap contributors"
    language: Literal["sv", "en"] = "sv"
    report_period_days: int = Field(default=14, ge=7, le=31, description="Length of the units' reporting "
                                    "period (the ESM rhythm: one or two weeks).")
    report_period_anchor: date = Field(default=date(2025, 1, 6), description="A day on which a reporting "
                                       "period starts (a Monday); periods repeat from it.")
    session_hours: float = Field(default=10.0, description="A web sign-in lasts this long (a working day).")
    login_max_failures: int = Field(default=5, description="Failed passwords in a row before an account locks.")
    login_lockout_minutes: float = Field(default=15.0, description="How long a locked account stays locked.")
    police_feed_url: str | None = Field(default=None, description="Where `lagesbild police-feed sync` and the "
                                        "background job fetch the police events feed. Unset: polisen.se for the "
                                        "install's municipalities and their counties (events are kept where "
                                        "their own words place them in a served municipality).")
    police_feed_interval_minutes: float = Field(default=0, ge=0, description="Fetch the police feed this often "
                                                "while the app runs; 0 (the default) leaves it off. The feed holds "
                                                "about 8 days of events for the whole country.")
    police_feed_max_bytes: int = Field(default=20_000_000, description="A feed answer larger than this is refused.")
    police_feed_timeout_seconds: float = 30.0
    oidc_issuer: str | None = Field(default=None, description="OpenID Connect issuer URL (its "
                                    "/.well-known/openid-configuration is read); unset hides OIDC sign-in.")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_username_claim: str = Field(default="email", description="ID-token claim matched to a user's username "
                                     "on first OIDC sign-in (users must exist; OIDC never creates accounts).")
    oidc_label: str = Field(default="Logga in med kommunens konto", description="Text of the OIDC sign-in button.")

    @field_validator("extent", mode="before")
    @classmethod
    def _parse_extent(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.strip().strip("[]()").replace(";", ",").split(",") if p.strip()]
            if len(parts) != 4:
                raise ValueError("extent needs four numbers: min_lon,min_lat,max_lon,max_lat")
            return tuple(float(p) for p in parts)
        return value

    @property
    def position_box(self) -> tuple[float, float, float, float]:
        """The box a position must lie in before the municipalities' boundaries decide whose it is:
        `LAGESBILD_EXTENT` where the install sets it, else Sweden (a county install needs no setting)."""
        return self.extent if "extent" in self.model_fields_set else SWEDEN

    @property
    def uses_local_db(self) -> bool:
        return not self.database_url

    @property
    def home_dir(self) -> Path:
        return self.home.expanduser().resolve()


@lru_cache
def get_settings() -> Settings:
    return Settings()
