"""The public view: counts per 250 m cell for a calendar month, quarter or year, by category group.

Private by design, in one sentence a data-protection officer can check: every public table is
released once, a week after its period has closed, with differentially private noise (ε = 0.5 per
table) drawn once and stored, and each incident is counted in at most six tables (its month, quarter
and year, each for its group and for all groups), so whatever anyone combines, the published figures
are ε = 3 differentially private for every single incident. No exact points, times or free text ever
leave here; only cells within 1.5 km of the named places (a fixed, public area) can be published.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.municipalities.schemas import MunicipalityOut
from app.times import FIRST_YEAR, LAST_YEAR
from geo.crs import to_sweref
from geo.grid import Grid
from geo.privacy import false_cell_rate, private_counts

CELL_M = 250.0
EPSILON = 0.5              # per table
TABLES_PER_INCIDENT = 6    # month, quarter, year × (its group, all groups)
THRESHOLD = 15             # noisy counts below this are withheld (a noise-only cell: 0.03 % of empty cells)
BASE = 5
RELEASE_LAG_DAYS = 7       # late reports arrive during the week after a period closes
AREA_RADIUS_M = 1500.0     # publishable cells: within this of a named place


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
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"the period's year must lie between {FIRST_YEAR} and {LAST_YEAR}", loc=("query", "period"),
                           sv=f"Periodens år måste ligga mellan {FIRST_YEAR} och {LAST_YEAR}.")
    return year


def groups(session: Session) -> list[str]:
    return list(session.scalars(text("SELECT DISTINCT group_code FROM categories ORDER BY 1")))


def release_day(end: datetime) -> date:
    """The day a period's figures are published: a week after it closed (local time)."""
    return end.astimezone(ZoneInfo(get_settings().timezone)).date() + timedelta(days=RELEASE_LAG_DAYS)


def latest_released_quarter(today: date | None = None) -> str:
    """The newest quarter whose figures are out, e.g. '2026-Q3' from 2026-10-08 on."""
    today = today or datetime.now(ZoneInfo(get_settings().timezone)).date()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    for _ in range(8):
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
        period = f"{year}-Q{quarter}"
        if release_day(parse_period(period)[1]) <= today:
            return period
    raise AssertionError("unreachable")  # pragma: no cover


def public_cells(session: Session, *, period: str, group: str | None,
                 municipality: MunicipalityOut | None = None) -> dict[str, Any]:
    """The released table of a municipality (the install's default when None) for a period and group;
    released (computed and stored) on its first request after the release day, and never changed
    afterwards. The session reads under the municipality's role (`public_view`), so the release counts its
    incidents near its places and nothing else."""
    from app.municipalities.service import public_view

    if municipality is None:
        municipality = public_view(session, None)
    start, end = parse_period(period)
    known = groups(session)
    if group is not None and group not in known:
        raise InvalidInput(f"unknown group {group!r}; groups: {', '.join(known)}", loc=("query", "group"))
    published_on = release_day(end)
    if datetime.now(ZoneInfo(get_settings().timezone)).date() < published_on:
        raise NotFound(f"{period} is not released yet: public figures for a period are published on "
                       f"{published_on.isoformat()}, a week after it closes", loc=("query", "period"),
                       sv=f"{period} är inte publicerad ännu: siffrorna publiceras {published_on.isoformat()}, "
                          "en vecka efter periodens slut.")
    key = {"period": period, "grp": group or "", "m": municipality.code}
    select = text("""SELECT cells, released_at FROM public_releases
                     WHERE municipality_code = :m AND period = :period AND group_code = :grp""")
    grid = _grid(municipality.extent)
    row = session.execute(select, key).first()
    if row is None:
        cells = _release(session, start, end, group, grid)
        session.execute(text("""INSERT INTO public_releases (municipality_code, period, group_code, epsilon, cells)
            VALUES (:m, :period, :grp, :eps, CAST(:cells AS jsonb)) ON CONFLICT DO NOTHING"""),
                        {**key, "eps": EPSILON, "cells": orjson.dumps(cells).decode()})
        session.commit()
        row = session.execute(select, key).one()  # a concurrent first request may have released it
    cells, released_at = row
    index = np.array([c for c, _ in cells], dtype=np.intp)
    rings = grid.cell_polygons_wgs84(index).round(6)
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [rings[k].tolist()]},
                      "properties": {"cell": int(c), "count": int(n)}} for k, (c, n) in enumerate(cells)],
        "parameters": {"municipality": municipality.code, "municipality_name": municipality.name,
                       "period": period, "group": group, "cell_m": CELL_M, "threshold": THRESHOLD,
                       "rounded_to": BASE, "epsilon_per_table": EPSILON,
                       "epsilon_per_incident": EPSILON * TABLES_PER_INCIDENT,
                       "noise_only_cell_rate": round(false_cell_rate(EPSILON, THRESHOLD), 5),
                       "released_at": released_at.isoformat()},
        "note_sv": f"Antal per ruta om {CELL_M:.0f} m inom {AREA_RADIUS_M / 1000:.1f} km från ortens platser, med "
                   f"slumpbrus som skyddar varje enskild händelse (differentiell integritet, ε = {EPSILON} per "
                   f"tabell), avrundat till närmaste {BASE}; rutor under {THRESHOLD} visas inte. Siffrorna "
                   f"publiceras en vecka efter periodens slut och ändras aldrig.",
    }


def _grid(extent: list[float] | tuple[float, float, float, float]) -> Grid:
    """One fixed grid over the municipality's extent: cells never shift with the filter."""
    x0, y0 = to_sweref([extent[0]], [extent[1]])
    x1, y1 = to_sweref([extent[2]], [extent[3]])
    return Grid.covering(float(x0[0]), float(y0[0]), float(x1[0]), float(y1[0]), CELL_M)


def _release(session: Session, start: datetime, end: datetime, group: str | None, grid: Grid) -> list[list[int]]:
    rows = session.execute(text("""
        SELECT ST_X(i.geom), ST_Y(i.geom) FROM incidents i JOIN categories c ON c.code = i.category
        WHERE i.occurred_at >= :start AND i.occurred_at < :end
          AND i.location_precision NOT IN ('municipality', 'area')
          AND (CAST(:grp AS text) IS NULL OR c.group_code = :grp)"""),
        {"start": start, "end": end, "grp": group}).all()
    xy = np.array(rows, dtype=float).reshape(-1, 2)
    x, y = to_sweref(xy[:, 0], xy[:, 1])
    counts = grid.counts(x, y).ravel().astype(np.int64)
    rng = np.random.default_rng(secrets.randbits(128))  # never seeded: a known seed would undo the noise
    published = private_counts(counts, publishable=_publishable(session, grid), epsilon=EPSILON,
                               threshold=THRESHOLD, base=BASE, rng=rng)
    return [[int(i), int(published[i])] for i in np.flatnonzero(published)]


def _publishable(session: Session, grid: Grid) -> np.ndarray:
    """Cells whose centre is within AREA_RADIUS_M of a named place: public knowledge, not the data."""
    from scipy.spatial import cKDTree

    points = np.array(session.execute(text(
        "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM places")).all(),
                      dtype=float).reshape(-1, 2)
    if points.size == 0:
        return np.zeros(grid.nx * grid.ny, dtype=bool)
    px, py = to_sweref(points[:, 0], points[:, 1])
    cx, cy = grid.centres()
    distance, _ = cKDTree(np.column_stack([px, py])).query(np.column_stack([cx, cy]))
    return np.asarray(distance <= AREA_RADIUS_M)

