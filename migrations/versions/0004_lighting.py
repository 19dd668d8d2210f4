"""Lighting: street lamps, street segments, fault and dark-spot reports with a logged status flow.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "lamps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("external_id", sa.String(100), nullable=False, unique=True),
        sa.Column("street", sa.String(200)),
        sa.Column("status", sa.String(16), nullable=False, server_default="ok"),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("geom", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.CheckConstraint("status IN ('ok', 'fault', 'removed')", name="lamp_status"),
    )
    op.create_index("idx_lamps_geom", "lamps", ["geom"], postgresql_using="gist")
    op.create_table(
        "street_segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("geom", geoalchemy2.Geometry("LINESTRING", srid=4326, spatial_index=False), nullable=False),
    )
    op.create_index("idx_street_segments_geom", "street_segments", ["geom"], postgresql_using="gist")
    op.create_table(
        "lighting_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="reported"),
        sa.Column("description", sa.Text),
        sa.Column("reported_by", sa.String(200)),
        sa.Column("source", sa.String(64), nullable=False, server_default="kommunen"),
        sa.Column("lamp_id", sa.Integer, sa.ForeignKey("lamps.id", ondelete="SET NULL")),
        sa.Column("segment_id", sa.Integer, sa.ForeignKey("street_segments.id", ondelete="SET NULL")),
        sa.Column("geom", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('fault', 'dark_spot')", name="lighting_report_kind"),
        sa.CheckConstraint("status IN ('reported', 'confirmed', 'scheduled', 'fixed', 'rejected')",
                           name="lighting_report_status"),
    )
    op.create_index("idx_lighting_reports_geom", "lighting_reports", ["geom"], postgresql_using="gist")
    op.create_table(
        "lighting_report_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("lighting_reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("changed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_index("ix_lighting_report_events_report", "lighting_report_events", ["report_id"])


def downgrade() -> None:
    op.drop_table("lighting_report_events")
    op.drop_table("lighting_reports")
    op.drop_table("street_segments")
    op.drop_table("lamps")
