"""Initial schema: categories, organisations, places, incidents, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "categories",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("label_sv", sa.String(200), nullable=False),
        sa.Column("label_en", sa.String(200), nullable=False),
        sa.Column("group_code", sa.String(64), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("near_repeat", sa.Boolean, nullable=False),
        sa.Column("sort_order", sa.Integer, nullable=False),
        sa.Column("description", sa.Text),
    )
    op.create_table(
        "organisations",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
    )
    op.create_table(
        "places",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(100), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("locality", sa.String(100), nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.Geometry("GEOMETRY", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("confidence", sa.String(16), nullable=False),
        sa.Column("unsafe_share", sa.Float),
        sa.Column("survey_year", sa.Integer),
        sa.Column("description", sa.Text),
        sa.Column("geometry_note", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')", name="place_geom_type"),
        sa.CheckConstraint(
            "confidence IN ('high', 'medium-high', 'medium', 'low', 'unverified')", name="place_confidence"
        ),
        sa.CheckConstraint(
            "unsafe_share IS NULL OR (unsafe_share >= 0 AND unsafe_share <= 1)", name="place_unsafe_share_range"
        ),
    )
    op.create_index("idx_places_geom", "places", ["geom"], postgresql_using="gist")
    op.create_table(
        "incidents",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column(
            "geom",
            geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.String(64),
            sa.ForeignKey("categories.code", onupdate="CASCADE"),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column(
            "source",
            sa.String(64),
            sa.ForeignKey("organisations.code", onupdate="CASCADE"),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(200)),
        sa.Column("location_precision", sa.String(16), nullable=False),
        sa.Column("precision_m", sa.Integer),
        sa.Column("description", sa.Text),
        sa.Column("place_id", sa.Integer, sa.ForeignKey("places.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.UniqueConstraint("source", "external_id", name="incident_source_external_id"),
        sa.CheckConstraint(
            "location_precision IN ('exact', 'address', 'street', 'place', 'area', 'municipality')",
            name="incident_location_precision",
        ),
    )
    op.create_index("idx_incidents_geom", "incidents", ["geom"], postgresql_using="gist")
    op.create_index("ix_incidents_occurred_at", "incidents", ["occurred_at"])
    # Partial: most incidents have no explicit place link, and a full index would slow bulk imports.
    op.create_index("ix_incidents_place_id", "incidents", ["place_id"], postgresql_where=sa.text("place_id IS NOT NULL"))
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE")),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "role IN ('admin', 'analyst', 'planner', 'technician', 'reporter')", name="api_token_role"
        ),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")
    op.drop_index("ix_incidents_place_id", table_name="incidents")
    op.drop_index("ix_incidents_occurred_at", table_name="incidents")
    op.drop_index("idx_incidents_geom", table_name="incidents")
    op.drop_table("incidents")
    op.drop_index("idx_places_geom", table_name="places")
    op.drop_table("places")
    op.drop_table("organisations")
    op.drop_table("categories")
