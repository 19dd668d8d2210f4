"""Citizen promises (medborgarlöften): what the municipality and the police promise residents for a period,
for which places and categories, served by which interventions — followed up every half year."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.bodies import text_list
from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.interventions import service as interventions
from app.places.zones import PLACE_ZONE_SQL
from app.reference.service import resolve_categories
from app.times import FIRST_YEAR, LAST_YEAR
from geo import temporal

HALF = re.compile(r"^(\d{4})[Hh]([12])$")


def _dates(body: dict[str, Any]) -> tuple[date, date]:
    try:
        start = date.fromisoformat(str(body.get("period_start")))
        end = date.fromisoformat(str(body.get("period_end")))
    except ValueError:
        raise InvalidInput("period_start and period_end must be dates such as 2026-01-01",
                           loc=("body", "period_start"),
                           sv="Ange löftets första och sista dag som datum, till exempel 2026-01-01.") from None
    if end < start:
        raise InvalidInput("period_end is before period_start", loc=("body", "period_end"),
                           sv="Löftets sista dag ligger före dess första dag.")
    return start, end


def _ids(session: Session, body: dict[str, Any], field: str, table: str) -> list[int]:
    values = body.get(field) or []
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        raise InvalidInput(f"{field} must be a list of ids", loc=("body", field), sv="Ogiltigt val i listan.")
    known = set(session.scalars(text(f"SELECT id FROM {table} WHERE id = ANY(:ids)"), {"ids": values}))
    missing = [v for v in values if v not in known]
    if missing:
        raise InvalidInput(f"{field}: no such id {', '.join(map(str, missing))}", loc=("body", field),
                           sv="Något av de valda finns inte längre; ladda om sidan.")
    return list(dict.fromkeys(values))


def save(session: Session, body: dict[str, Any], created_by: str, promise_id: int | None = None) -> int:
    """Create or replace a promise with its places, categories and interventions (one transaction)."""
    title = str(body.get("title") or "").strip()
    if not title or len(title) > 200:
        raise InvalidInput("title is required (at most 200 characters)", loc=("body", "title"),
                           sv="Skriv vad som lovas (högst 200 tecken).")
    start, end = _dates(body)
    categories = resolve_categories(session, text_list(body, "categories"), ("body", "categories"))
    places = _ids(session, body, "place_ids", "places")
    measures = _ids(session, body, "intervention_ids", "interventions")
    values = {"t": title, "d": body.get("description"), "s": start, "e": end, "c": categories, "by": created_by}
    if promise_id is None:
        promise_id = session.execute(text("""INSERT INTO citizen_promises (title, description, period_start,
            period_end, categories, created_by) VALUES (:t, :d, :s, :e, :c, :by) RETURNING id"""), values).scalar_one()
    else:
        done = session.execute(text("""UPDATE citizen_promises SET title = :t, description = :d, period_start = :s,
            period_end = :e, categories = :c WHERE id = :id"""), {**values, "id": promise_id}).rowcount  # type: ignore[attr-defined]
        if not done:
            session.rollback()
            raise NotFound(f"promise {promise_id} does not exist", loc=("path", "promise_id"),
                       sv=f"Medborgarlöfte {promise_id} finns inte.")
        session.execute(text("DELETE FROM promise_places WHERE promise_id = :id"), {"id": promise_id})
        session.execute(text("DELETE FROM promise_interventions WHERE promise_id = :id"), {"id": promise_id})
    session.execute(text("INSERT INTO promise_places SELECT :id, unnest(CAST(:p AS int[]))"),
                    {"id": promise_id, "p": places})
    session.execute(text("INSERT INTO promise_interventions SELECT :id, unnest(CAST(:v AS int[]))"),
                    {"id": promise_id, "v": measures})
    session.commit()
    return int(promise_id)


def get(session: Session, promise_id: int) -> dict[str, Any]:
    found = get_all(session, "c.id = :id", {"id": promise_id})
    if not found:
        raise NotFound(f"promise {promise_id} does not exist", loc=("path", "promise_id"),
                       sv=f"Medborgarlöfte {promise_id} finns inte.")
    return found[0]


def get_all(session: Session, where: str = "TRUE", params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows = session.execute(text(f"""
        SELECT json_build_object('id', c.id, 'title', c.title, 'description', c.description,
            'period_start', c.period_start, 'period_end', c.period_end, 'categories', c.categories,
            'places', COALESCE((SELECT json_agg(json_build_object('id', p.id, 'name', p.name) ORDER BY p.name)
                FROM promise_places pp JOIN places p ON p.id = pp.place_id WHERE pp.promise_id = c.id), '[]'::json),
            'interventions', COALESCE((SELECT json_agg(json_build_object('id', v.id, 'title', v.title,
                'kind', v.kind, 'status', v.status, 'start_date', v.start_date, 'end_date', v.end_date)
                ORDER BY v.start_date) FROM promise_interventions pv JOIN interventions v ON v.id = pv.intervention_id
                WHERE pv.promise_id = c.id), '[]'::json))
        FROM citizen_promises c WHERE {where} ORDER BY c.period_start DESC, c.id DESC LIMIT 200"""),
                           params or {}).scalars().all()
    return [dict(r) for r in rows]


def current(session: Session, day: date) -> list[dict[str, Any]]:
    return get_all(session, "c.period_start <= :d AND c.period_end >= :d", {"d": day})


def parse_half(value: str | None, today: date | None = None) -> tuple[int, int]:
    """'2026H1' → (2026, 1); default: the last half-year that has ended."""
    if not value:
        today = today or date.today()
        return (today.year - 1, 2) if today.month <= 6 else (today.year, 1)
    match = HALF.match(value.strip())
    if not match:
        raise InvalidInput("half must look like 2026H1 (January–June) or 2026H2 (July–December)",
                           sv="Halvår skrivs som 2026H1 (januari–juni) eller 2026H2 (juli–december).",
                           loc=("query", "half"))
    year = int(match.group(1))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"the half-year's year must lie between {FIRST_YEAR} and {LAST_YEAR}", loc=("query", "half"),
                           sv=f"Halvårets år ska ligga mellan {FIRST_YEAR} och {LAST_YEAR}.")
    return year, int(match.group(2))


def _half_bounds(year: int, half: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = date(year, 1 if half == 1 else 7, 1)
    end = date(year, 7, 1) if half == 1 else date(year + 1, 1, 1)
    return datetime.combine(start, time(0), tz), datetime.combine(end, time(0), tz)


def follow_up(session: Session, promise_id: int, half: str | None = None) -> dict[str, Any]:
    """The half-year follow-up: incidents in the promise's places and categories against the same half a
    year earlier (with the Poisson test the lägesbild uses), month by month, and its interventions with
    their status and displacement check."""
    promise = get(session, promise_id)
    year, which = parse_half(half)
    tz = ZoneInfo(get_settings().timezone)
    start, end = _half_bounds(year, which, tz)
    before_start, before_end = _half_bounds(year - 1, which, tz)
    place_ids = [p["id"] for p in promise["places"]]
    categories = promise["categories"] or None
    rows = session.execute(text(f"""
        WITH zone AS (SELECT ST_Union({PLACE_ZONE_SQL}) AS g FROM places p WHERE p.id = ANY(:places))
        SELECT i.category, date_trunc('month', i.occurred_at AT TIME ZONE :tz) AS month, count(*)
        FROM incidents i, zone
        WHERE ((i.occurred_at >= :s AND i.occurred_at < :e) OR (i.occurred_at >= :bs AND i.occurred_at < :be))
          AND (CAST(:cats AS text[]) IS NULL OR i.category = ANY(CAST(:cats AS text[])))
          AND (cardinality(CAST(:places AS int[])) = 0 OR ST_Intersects(i.geom, zone.g))
        GROUP BY 1, 2"""), {"places": place_ids, "cats": categories, "tz": str(tz), "s": start, "e": end,
                            "bs": before_start, "be": before_end}).all()
    labels: dict[str, str] = {code: label for code, label in
                              session.execute(text("SELECT code, label_sv FROM categories")).all()}
    per_category: dict[str, list[int]] = {}
    months_now, months_before = [0] * 6, [0] * 6
    for category, month, n in rows:
        slot = per_category.setdefault(category, [0, 0])
        index = (month.month - 1) % 6
        if month.year == year and (month.month <= 6) == (which == 1):
            slot[0] += n
            months_now[index] += n
        else:
            slot[1] += n
            months_before[index] += n
    days = (end - start).days
    categories_out = []
    for code, (now, before) in sorted(per_category.items(), key=lambda kv: -kv[1][0]):
        test = temporal.compare_counts(now, before, current_days=days, previous_days=days)
        categories_out.append({"code": code, "label": labels.get(code, code), "current": now, "year_before": before,
                               "ratio": None if test.ratio is None else round(float(test.ratio), 2),
                               "p_value": round(float(test.p_value), 4), "notable": bool(test.significant)})
    measures = []
    for item in promise["interventions"]:
        try:
            follow = interventions.follow_up(session, item["id"])
        except (InvalidInput, NotFound):
            follow = None
        measures.append({**item, "kind_sv": interventions.KIND_SV.get(item["kind"], item["kind"]),
                         "status_sv": interventions.STATUS_SV.get(item["status"], item["status"]),
                         "wdq": follow and follow["wdq"],
                         "interpretation_sv": follow and follow["interpretation_sv"]})
    total_now, total_before = sum(months_now), sum(months_before)
    done = sum(1 for m in promise["interventions"] if m["status"] == "completed")
    return {
        "promise": promise, "half": f"{year}H{which}",
        "period": {"start": start.date().isoformat(), "end": end.date().isoformat()},
        "compared_with": {"start": before_start.date().isoformat(), "end": before_end.date().isoformat()},
        "total": {"current": total_now, "year_before": total_before},
        "months": {"labels": _month_labels(which), "current": months_now, "year_before": months_before},
        "categories": categories_out, "interventions": measures,
        "progress": {"interventions": len(promise["interventions"]), "completed": done,
                     "active": sum(1 for m in promise["interventions"] if m["status"] == "active")},
    }


def _month_labels(half: int) -> list[str]:
    names = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    return names[:6] if half == 1 else names[6:]
