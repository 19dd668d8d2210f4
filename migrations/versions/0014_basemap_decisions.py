"""A street base kept in PostGIS (streets, buildings, water from OpenStreetMap or any GDAL file), and
decisions: an intervention records who answers for it, by when, and at which meeting it was decided.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "basemap_features",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("geom", Geometry(srid=4326, spatial_index=False), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.CheckConstraint("kind IN ('street', 'building', 'water', 'green')", name="basemap_kind"),
    )
    op.create_index("idx_basemap_features_geom", "basemap_features", ["geom"], postgresql_using="gist")
    op.add_column("interventions", sa.Column("responsible", sa.String(200)))
    op.add_column("interventions", sa.Column("due_date", sa.Date))
    op.add_column("interventions", sa.Column("decided_on", sa.Date))


def downgrade() -> None:
    op.drop_column("interventions", "decided_on")
    op.drop_column("interventions", "due_date")
    op.drop_column("interventions", "responsible")
    op.drop_index("idx_basemap_features_geom", table_name="basemap_features")
    op.drop_table("basemap_features")
