"""The public view: counts per 250 m cell for a calendar month, quarter or year, by category group.

No exact points, times or free text ever leave here; cells are protected by geo.privacy (suppressed
below the minimum count, rounded to fives), whatever the filter.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput
from geo.crs import to_sweref
from geo.grid import Grid
from geo.privacy import protect_counts

CELL_M = 250.0
MIN_COUNT = 5
BASE = 5


def parse_period(period: str) -> tuple[datetime, datetime]:
    """'2025' (year), '2025-Q2' (quarter) or '2025-06' (month), in local time."""
    tz = ZoneInfo(get_settings().timezone)
    if m := re.fullmatch(r"(\d{4})", period):
        year = _year(m[1])
        return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", period):
        year, quarter = _year(m[1]), int(m[2])
        start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
        end = datetime(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1, tzinfo=tz)
        return start, end
    if m := re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", period):
        year, month = _year(m[1]), int(m[2])
        return datetime(year, month, 1, tzinfo=tz), datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    raise InvalidInput("period must be a year (2025), a quarter (2025-Q2) or a month (2025-06)",
                       loc=("query", "period"))


def _year(text: str) -> int:
    """A period's year, within the years any date in Lägesbild may have."""
    year = int(text)
    if not 1900 <= year <= 2200:
        raise InvalidInput("the period's year must lie between 1900 and 2200", loc=("query", "period"),
                           sv="Periodens år måste ligga mellan 1900 och 2200.")
    return year


def groups(session: Session) -> list[str]:
    return list(session.scalars(text("SELECT DISTINCT group_code FROM categories ORDER BY 1")))


def public_cells(session: Session, *, period: str, group: str | None) -> dict[str, Any]:
    start, end = parse_period(period)
    known = groups(session)
    if group is not None and group not in known:
        raise InvalidInput(f"unknown group {group!r}; groups: {', '.join(known)}", loc=("query", "group"))
    extent = get_settings().extent
    rows = session.execute(text("""
        SELECT ST_X(i.geom), ST_Y(i.geom) FROM incidents i JOIN categories c ON c.code = i.category
        WHERE i.occurred_at >= :start AND i.occurred_at < :end
          AND i.location_precision NOT IN ('municipality', 'area')
          AND (CAST(:grp AS text) IS NULL OR c.group_code = :grp)"""),
        {"start": start, "end": end, "grp": group}).all()
    # One fixed grid over the configured extent: cells never shift with the filter.
    x0, y0 = to_sweref([extent[0]], [extent[1]])
    x1, y1 = to_sweref([extent[2]], [extent[3]])
    grid = Grid.covering(float(x0[0]), float(y0[0]), float(x1[0]), float(y1[0]), CELL_M)
    lon = np.array([r[0] for r in rows], dtype=float)
    lat = np.array([r[1] for r in rows], dtype=float)
    x, y = to_sweref(lon, lat)
    counts = grid.counts(x, y).ravel().astype(np.int64)
    published = protect_counts(counts, min_count=MIN_COUNT, base=BASE)
    index = np.flatnonzero(published)
    rings = grid.cell_polygons_wgs84(index).round(6)
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [rings[k].tolist()]},
                      "properties": {"cell": int(i), "count": int(published[i])}}
                     for k, i in enumerate(index.tolist())],
        "parameters": {"period": period, "group": group, "cell_m": CELL_M, "min_count": MIN_COUNT,
                       "rounded_to": BASE},
        "note_sv": f"Antal per ruta om {CELL_M:.0f} m, avrundat till närmaste {BASE}; rutor med färre än "
                   f"{MIN_COUNT} händelser visas inte.",
    }
