"""Causes the ESM group records per hotspot (its evidence: factors and observations, and its own words),
linked to the interventions chosen against them; every lägesbild shows cause → intervention → effect."""

from __future__ import annotations

from datetime import date
from typing import Any

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import InvalidInput

MAX_CAUSE_CHARS = 4000


def record(session: Session, *, decided_on: date, hotspot: str, geometry: dict[str, Any] | None,
           factors: list[str], cause: str, intervention_ids: list[int], created_by: str) -> int:
    """Store a cause with its evidence and interventions in one transaction."""
    cause = cause.strip()
    if not cause:
        raise InvalidInput("cause is required", loc=("body", "cause"),
                           sv="Skriv vilken orsak gruppen tror på (med egna ord).")
    if len(cause) > MAX_CAUSE_CHARS:
        raise InvalidInput("cause too long", loc=("body", "cause"), sv="Orsaken får vara högst 4 000 tecken.")
    known = set(session.scalars(text("SELECT id FROM interventions WHERE id = ANY(:ids)"), {"ids": intervention_ids}))
    if set(intervention_ids) - known:
        raise InvalidInput("no such intervention", loc=("body", "intervention_ids"),
                           sv="En av de valda insatserna finns inte längre; ladda om sidan.")
    wkb = shapely.to_wkb(shapely.geometry.shape(geometry)) if geometry else None
    cause_id = session.execute(text("""
        INSERT INTO hotspot_causes (decided_on, hotspot, geom, factors, cause, created_by)
        VALUES (:d, :h, CASE WHEN CAST(:g AS bytea) IS NULL THEN NULL ELSE ST_SetSRID(ST_GeomFromWKB(:g), 4326) END,
                :f, :c, :by) RETURNING id"""),
        {"d": decided_on, "h": hotspot[:200], "g": wkb, "f": [f[:200] for f in factors][:50], "c": cause,
         "by": created_by}).scalar_one()
    session.execute(text("INSERT INTO cause_interventions SELECT :c, unnest(CAST(:ids AS int[]))"),
                    {"c": cause_id, "ids": sorted(set(intervention_ids))})
    session.commit()
    return int(cause_id)


def recorded(session: Session, *, up_to: date, limit: int = 30) -> list[dict[str, Any]]:
    """The causes recorded up to `up_to`, newest first, with their interventions' ids."""
    rows = session.execute(text("""
        SELECT c.id, c.decided_on, c.hotspot, c.factors, c.cause, c.created_by,
               COALESCE(array_agg(ci.intervention_id ORDER BY ci.intervention_id)
                        FILTER (WHERE ci.intervention_id IS NOT NULL), '{}')
        FROM hotspot_causes c LEFT JOIN cause_interventions ci ON ci.cause_id = c.id
        WHERE c.decided_on <= :d GROUP BY c.id ORDER BY c.decided_on DESC, c.id DESC LIMIT :n"""),
                           {"d": up_to, "n": limit}).all()
    return [{"id": r[0], "decided_on": r[1], "hotspot": r[2], "factors": list(r[3]), "cause": r[4],
             "created_by": r[5], "intervention_ids": list(r[6])} for r in rows]
