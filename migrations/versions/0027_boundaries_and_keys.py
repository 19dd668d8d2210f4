"""Every municipality's real boundary, and keys that are per municipality (issue #34).

- Each municipality already added gets its boundary, county and localities from data/ (scripts/
  build_municipalities.py, sources in data/SOURCES.md) where they are missing, and its extent becomes
  the boundary's box: where a row belongs is decided by the boundary from here on, never by a box.
- Natural keys that were global become per municipality: a unit's report for a period, a place's slug,
  a lamp's id, an incident's (source, external_id). Motala's kultur_fritid report no longer blocks
  Mjölby's (a 500 that also told Mjölby the report existed), and two municipalities' CSV files may both
  number their rows from 1.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, old constraint, its columns, the new constraint
KEYS = (
    ("unit_reports", "report_unit_period", "organisation, period_start", "report_municipality_unit_period"),
    ("places", "places_slug_key", "slug", "places_municipality_slug"),
    ("lamps", "lamps_external_id_key", "external_id", "lamps_municipality_external_id"),
    ("incidents", "incident_source_external_id", "source, external_id", "incident_municipality_source_external_id"),
)


def upgrade() -> None:
    import orjson
    from sqlalchemy import text

    from app.municipalities import reference

    connection = op.get_bind()
    for code in connection.scalars(text("SELECT code FROM municipalities")).all():
        found = reference.get(code)
        if found is None:
            continue
        connection.execute(text("""
            UPDATE municipalities SET
                boundary = coalesce(boundary, ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4326))),
                county_code = coalesce(county_code, :county),
                localities = CASE WHEN localities = '[]'::jsonb THEN CAST(:loc AS jsonb) ELSE localities END
            WHERE code = :code"""), {
            "g": orjson.dumps(found.boundary.__geo_interface__).decode(), "county": found.county_code,
            "loc": orjson.dumps([{"name": n, "lat": la, "lon": lo} for n, la, lo in found.localities]).decode(),
            "code": code})
    op.execute("UPDATE municipalities SET extent = ST_Envelope(boundary) WHERE boundary IS NOT NULL")
    for table, old, columns, new in KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {old}, "
                   f"ADD CONSTRAINT {new} UNIQUE (municipality_code, {columns})")


def downgrade() -> None:
    for table, old, columns, new in KEYS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {new}, ADD CONSTRAINT {old} UNIQUE ({columns})")
