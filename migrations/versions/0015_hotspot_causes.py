"""Causes the ESM group records for a hotspot: the factors and observations it takes as evidence, its own
words, and the interventions chosen against that cause (the cause analysis, issue #24).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hotspot_causes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("decided_on", sa.Date, nullable=False),
        sa.Column("hotspot", sa.String(200), nullable=False),
        sa.Column("geom", Geometry(srid=4326, spatial_index=False)),
        sa.Column("factors", postgresql.ARRAY(sa.String(200)), nullable=False, server_default="{}"),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "cause_interventions",
        sa.Column("cause_id", sa.Integer, sa.ForeignKey("hotspot_causes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("intervention_id", sa.Integer, sa.ForeignKey("interventions.id", ondelete="CASCADE"),
                  primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("cause_interventions")
    op.drop_table("hotspot_causes")
