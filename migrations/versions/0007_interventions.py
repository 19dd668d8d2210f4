"""Interventions (insatser): what was done where, by whom, and when — the base of the follow-up.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "interventions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE"),
                  nullable=False),
        sa.Column("place_id", sa.Integer, sa.ForeignKey("places.id", ondelete="SET NULL")),
        sa.Column("target", geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("control", geoalchemy2.Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
        sa.Column("buffer_m", sa.Integer, nullable=False, server_default="200"),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("status", sa.String(16), nullable=False, server_default="planned"),
        sa.Column("notes", sa.Text),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('patrol', 'lighting', 'vegetation', 'cleaning', 'cameras', 'youth_workers', "
                           "'other')", name="intervention_kind"),
        sa.CheckConstraint("status IN ('planned', 'active', 'completed', 'cancelled')", name="intervention_status"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="intervention_dates"),
        sa.CheckConstraint("buffer_m BETWEEN 25 AND 2000", name="intervention_buffer"),
    )


def downgrade() -> None:
    op.drop_table("interventions")
