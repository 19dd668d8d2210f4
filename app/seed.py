"""Reference data and the named places, loaded idempotently: a second run changes nothing.

Existing rows are left as they are (ON CONFLICT DO NOTHING), so corrections the municipality made
through the API survive a re-seed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.paths import DATA


@dataclass(frozen=True)
class SeedResult:
    categories: int
    organisations: int
    places: int


def seed(session: Session) -> SeedResult:
    categories = json.loads((DATA / "categories.json").read_text(encoding="utf-8"))
    organisations = json.loads((DATA / "organisations.json").read_text(encoding="utf-8"))
    places = json.loads((DATA / "places.geojson").read_text(encoding="utf-8"))["features"]
    n_cat = sum(
        session.execute(
            text("""INSERT INTO categories (code, label_sv, label_en, group_code, color, near_repeat, sort_order,
                    description) VALUES (:code, :label_sv, :label_en, :group_code, :color, :near_repeat,
                    :sort_order, :description) ON CONFLICT (code) DO NOTHING"""),
            c,
        ).rowcount  # type: ignore[attr-defined]
        for c in categories
    )
    n_org = sum(
        session.execute(
            text("INSERT INTO organisations (code, name, kind, reports) VALUES (:code, :name, :kind, :reports) "
                 "ON CONFLICT (code) DO NOTHING"),
            {"reports": False, **o},
        ).rowcount  # type: ignore[attr-defined]
        for o in organisations
    )
    police_types = json.loads((DATA / "police_event_types.json").read_text(encoding="utf-8"))
    for row in police_types:
        session.execute(
            text("INSERT INTO police_event_types (type, category, note) VALUES (:type, :category, :note) "
                 "ON CONFLICT (type) DO NOTHING"),
            row,
        )
    n_place = 0
    for feature in places:
        props = feature["properties"]
        n_place += session.execute(
            text("""INSERT INTO places (slug, name, kind, locality, geom, source, confidence, unsafe_share,
                    survey_year, description, geometry_note)
                    VALUES (:slug, :name, :kind, :locality, ST_SetSRID(ST_GeomFromGeoJSON(:geometry), 4326),
                    :source, :confidence, :unsafe_share, :survey_year, :description, :geometry_note)
                    ON CONFLICT (municipality_code, slug) DO NOTHING"""),
            {
                "slug": props["slug"], "name": props["name"], "kind": props["kind"],
                "locality": props.get("locality") or _locality(feature["geometry"]),
                "geometry": orjson.dumps(feature["geometry"]).decode(),
                "source": props["source"], "confidence": props["confidence"],
                "unsafe_share": props.get("unsafe_share"), "survey_year": props.get("survey_year"),
                "description": props.get("description"), "geometry_note": props.get("geometry_note"),
            },
        ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return SeedResult(categories=n_cat, organisations=n_org, places=n_place)


def _locality(geometry: dict[str, object]) -> str:
    """The nearest locality of the municipality a place lies in, for a place file that names none."""
    import shapely.geometry

    from app.municipalities.reference import nearest_locality

    centre = shapely.geometry.shape(geometry).representative_point()
    return nearest_locality(centre.x, centre.y) or ""
