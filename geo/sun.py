"""Sun elevation and darkness: was it dark when and where an incident happened?

Darkness is astronomical, not a clock rule: at Mjölby's latitude (58.3° N) civil dusk comes after
22:30 at midsummer and before 16:00 in December. The solar position follows NOAA's Solar Calculator
(Meeus, "Astronomical Algorithms", 2nd ed., ch. 25; NOAA ESRL spreadsheet formulas), accurate to
well under a minute in these latitudes; "dark" means the sun's centre is below −6° (civil twilight).
Vectorised over numpy arrays of epoch seconds.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

CIVIL_TWILIGHT_DEG = -6.0


def solar_elevation(epoch_seconds: ArrayLike, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """The sun's elevation in degrees (geometric, no refraction) at UTC epoch seconds and positions."""
    t = np.asarray(epoch_seconds, dtype=float)
    lat_r = np.radians(np.asarray(lat, dtype=float))
    lon_d = np.asarray(lon, dtype=float)
    julian_day = t / 86400.0 + 2440587.5
    jc = (julian_day - 2451545.0) / 36525.0  # Julian century
    mean_lon = np.mod(280.46646 + jc * (36000.76983 + jc * 0.0003032), 360.0)
    mean_anom = 357.52911 + jc * (35999.05029 - 0.0001537 * jc)
    eccent = 0.016708634 - jc * (0.000042037 + 0.0000001267 * jc)
    m = np.radians(mean_anom)
    centre = (np.sin(m) * (1.914602 - jc * (0.004817 + 0.000014 * jc)) + np.sin(2 * m) * (0.019993 - 0.000101 * jc)
              + np.sin(3 * m) * 0.000289)
    true_lon = mean_lon + centre
    omega = np.radians(125.04 - 1934.136 * jc)
    apparent_lon = np.radians(true_lon - 0.00569 - 0.00478 * np.sin(omega))
    mean_obliq = 23 + (26 + (21.448 - jc * (46.815 + jc * (0.00059 - jc * 0.001813))) / 60) / 60
    obliq = np.radians(mean_obliq + 0.00256 * np.cos(omega))
    declination = np.arcsin(np.sin(obliq) * np.sin(apparent_lon))
    y = np.tan(obliq / 2) ** 2
    l0 = np.radians(mean_lon)
    eq_time = 4 * np.degrees(y * np.sin(2 * l0) - 2 * eccent * np.sin(m) + 4 * eccent * y * np.sin(m) * np.cos(2 * l0)
                             - 0.5 * y * y * np.sin(4 * l0) - 1.25 * eccent * eccent * np.sin(2 * m))  # minutes
    minutes_utc = np.mod(t, 86400.0) / 60.0
    true_solar = np.mod(minutes_utc + eq_time + 4 * lon_d, 1440.0)
    hour_angle = np.radians(np.where(true_solar / 4 < 0, true_solar / 4 + 180, true_solar / 4 - 180))
    cos_zenith = np.sin(lat_r) * np.sin(declination) + np.cos(lat_r) * np.cos(declination) * np.cos(hour_angle)
    return 90.0 - np.degrees(np.arccos(np.clip(cos_zenith, -1.0, 1.0)))


def is_dark(epoch_seconds: ArrayLike, lat: ArrayLike, lon: ArrayLike,
            threshold_deg: float = CIVIL_TWILIGHT_DEG) -> NDArray[np.bool_]:
    """True where the sun was below the civil-twilight line (−6°) at that moment and place."""
    return solar_elevation(epoch_seconds, lat, lon) < threshold_deg


def crossing_time(day_start_epoch: float, lat: float, lon: float, *, rising: bool,
                  threshold_deg: float = CIVIL_TWILIGHT_DEG) -> float | None:
    """Epoch second within the 24 h from `day_start_epoch` where elevation crosses the threshold (to 1 s)."""
    grid = day_start_epoch + np.arange(0, 86400, 60.0)
    elevation = solar_elevation(grid, lat, lon) - threshold_deg
    sign = np.sign(elevation)
    changes = np.flatnonzero((sign[:-1] < 0) & (sign[1:] >= 0)) if rising else np.flatnonzero(
        (sign[:-1] >= 0) & (sign[1:] < 0))
    if changes.size == 0:
        return None
    lo, hi = grid[changes[0]], grid[changes[0] + 1]
    for _ in range(20):  # bisection to about a second
        mid = (lo + hi) / 2
        above = solar_elevation(mid, lat, lon) - threshold_deg >= 0
        if above == rising:
            hi = mid
        else:
            lo = mid
    return float((lo + hi) / 2)
