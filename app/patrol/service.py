"""Patrol plans: hotspots × shifts ranked by expected incidents, with dosage, evidence and near-repeat alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis import coverage
from app.analysis import service as analysis
from app.analysis.schemas import HOTSPOT_DAYS, ClusterParams, NearRepeatParams, Scope
from app.config import get_settings
from app.errors import InvalidInput
from geo.crs import to_sweref, to_wgs84
from geo.patrol import (
    DEFAULT_SHIFTS,
    Shift,
    busiest_when,
    expected_per_shift,
    koper_dosage,
    parse_shifts,
    poisson_interval,
)


def shifts_from(text_value: str | None) -> tuple[Shift, ...]:
    if not text_value:
        return DEFAULT_SHIFTS
    try:
        return parse_shifts(text_value)
    except ValueError as exc:
        raise InvalidInput(str(exc), loc=("query", "shifts")) from None


def patrol_plan(session: Session, *, start: date | None = None, days: int = 14, shifts: str | None = None,
                history_days: int = HOTSPOT_DAYS, category: list[str] | None = None, top: int = 15) -> dict[str, Any]:
    if not 1 <= days <= 60:
        raise InvalidInput("days must be between 1 and 60", loc=("query", "days"),
                           sv="Antal dagar i planen ska vara mellan 1 och 60.")
    if not 28 <= history_days <= 730:
        raise InvalidInput("history_days must be between 28 and 730", loc=("query", "history_days"),
                           sv="Underlagets längd ska vara mellan 28 och 730 dagar.")
    plan_shifts = shifts_from(shifts)
    first_day = start or datetime.now(UTC).date()
    history_end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    history_start = history_end - timedelta(days=history_days)
    scope = Scope(start=history_start, end=history_end, category=category)
    hotspots = analysis.clusters(session, scope, ClusterParams())
    # Rates over the time the data covers: a file that starts half-way into the history would halve them.
    covered = coverage.covered_days(session, history_start, history_end)
    weeks = covered / 7
    category_totals: dict[str, int] = dict(session.execute(text(
        "SELECT category, count(*) FROM incidents WHERE occurred_at >= :a AND occurred_at < :b GROUP BY 1"),
        {"a": history_start, "b": history_end}).all())
    rows: list[dict[str, Any]] = []
    for feature in hotspots.features if covered > 0 else []:
        props = feature.properties
        matrix = np.asarray(props.hour_weekday)
        weekday, hour = np.nonzero(matrix)
        counts = matrix[weekday, hour]
        expected = expected_per_shift(np.repeat(weekday, counts), np.repeat(hour, counts), weeks, first_day, days,
                                      plan_shifts)
        top_cat = props.categories[0] if props.categories else None
        for shift in plan_shifts:
            value = expected[shift.name]
            if value <= 0:
                continue
            per_day = value / days
            dosage = koper_dosage(per_day, busiest_when(matrix, list(shift.hours)))
            low, high = poisson_interval(int(matrix[:, list(shift.hours)].sum()), value)
            why = (f"{props.count} händelser senaste {covered:.0f} dagarna med data "
                   f"({props.share * 100:.1f} % av alla)".replace(".", ","))
            if top_cat:
                share_of_cat = top_cat.count / max(category_totals.get(top_cat.code, 1), 1)
                why += f"; {top_cat.label.lower()}: {top_cat.count} ({share_of_cat * 100:.0f} % av kategorin)"
            why += f"; {props.trend.text_sv}"
            rows.append({
                "hotspot": props.rank, "name": props.name, "shift": shift.name,
                "hours": f"{shift.start_hour:02d}–{shift.end_hour:02d}",
                "expected": round(value, 2), "expected_interval": [round(low, 2), round(high, 2)],
                "expected_per_day": round(per_day, 3),
                "categories": [c.model_dump() for c in props.categories[:3]], "trend": props.trend.model_dump(),
                "active_hour_ranges": [list(r) for r in props.active_hour_ranges],
                "dosage": {"visits_per_shift": dosage.visits_per_shift, "minutes_per_visit": dosage.minutes_per_visit,
                           "text": dosage.text_sv},
                "why": why, "geometry": feature.geometry,
            })
    rows.sort(key=lambda r: -r["expected"])
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return {
        "parameters": {"start": first_day.isoformat(), "days": days,
                       "shifts": [{"name": s.name, "start_hour": s.start_hour, "end_hour": s.end_hour}
                                  for s in plan_shifts],
                       "history_start": history_start.isoformat(), "history_end": history_end.isoformat(),
                       "history_days": history_days, "covered_days": round(covered, 1), "category": category,
                       "hotspot_method": "dbscan (CSR threshold)"},
        "plan": rows[:top],
        "alerts": near_repeat_alerts(session, history_end),
    }


MIN_EXPECTED_ON_SHEET = 0.5  # a shift expecting fewer incidents over the whole plan is left off the sheet


def by_hotspot(plan: dict[str, Any], min_expected: float = MIN_EXPECTED_ON_SHEET) -> tuple[list[dict[str, Any]], int]:
    """The plan's rows as the printed sheet shows them: one entry per hotspot (its number is the
    hotspot's rank, the same as on the maps) with its shifts inside, busiest first; shifts expecting
    fewer than `min_expected` incidents over the plan are left off and counted."""
    grouped: dict[int, dict[str, Any]] = {}
    left_off = 0
    for row in plan["plan"]:
        if row["expected"] < min_expected:
            left_off += 1
            continue
        entry = grouped.setdefault(row["hotspot"], {**{k: row[k] for k in (
            "hotspot", "name", "categories", "trend", "active_hour_ranges", "why", "geometry")}, "shifts": []})
        entry["shifts"].append({k: row[k] for k in ("shift", "hours", "expected", "expected_interval",
                                                    "expected_per_day", "dosage")})
    entries = sorted(grouped.values(), key=lambda e: -max(s["expected"] for s in e["shifts"]))
    return entries, left_off


def near_repeat_alerts(session: Session, now: datetime) -> dict[str, Any]:
    """Areas around recent burglary/vandalism-like events where the Knox test says risk stays elevated."""
    knox = analysis.near_repeat(session, Scope(start=now - timedelta(days=365), end=now),
                                NearRepeatParams(permutations=99))
    elevated = knox.elevated
    features: list[dict[str, Any]] = []
    if elevated:
        radius, days = elevated.within_m, elevated.for_days
        rows = session.execute(text("""
            SELECT i.id, i.category, c.label_sv, ST_X(i.geom), ST_Y(i.geom), i.occurred_at
            FROM incidents i JOIN categories c ON c.code = i.category
            WHERE c.near_repeat AND i.occurred_at >= :since AND i.occurred_at < :now
              AND i.location_precision NOT IN ('municipality', 'area')
            ORDER BY i.occurred_at DESC LIMIT 200"""), {"since": now - timedelta(days=days), "now": now}).all()
        for incident_id, code, label, lon, lat, occurred in rows:
            x, y = to_sweref([lon], [lat])
            ring = np.asarray(shapely.Point(x[0], y[0]).buffer(radius, quad_segs=8).exterior.coords)
            rlon, rlat = to_wgs84(ring[:, 0], ring[:, 1])
            until = occurred + timedelta(days=days)
            features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
                np.round(np.column_stack([rlon, rlat]), 6).tolist()]}, "properties": {
                "incident": incident_id, "category": code,
                "valid_until": until.isoformat(),
                "text": f"{label} {occurred.astimezone(_tz()).strftime('%Y-%m-%d %H:%M')}: förhöjd risk inom "
                        f"{radius:.0f} m till {until.astimezone(_tz()).strftime('%Y-%m-%d')}"}})
    return {"type": "FeatureCollection", "features": features, "knox": {
        "elevated": elevated.model_dump() if elevated else None, "summary_sv": knox.summary_sv,
        "incidents": knox.incidents}}


def _tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_settings().timezone)
