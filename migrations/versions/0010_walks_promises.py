"""Safety walks (trygghetsvandringar) with their findings, and citizen promises (medborgarlöften).

A finding keeps a link to the intervention or lighting report it became, so the walk's follow-up can
say what happened to each thing people pointed at.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "safety_walks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("walked_on", sa.Date, nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("place_id", sa.Integer, sa.ForeignKey("places.id", ondelete="SET NULL")),
        sa.Column("route", geoalchemy2.Geometry("GEOMETRY", srid=4326, spatial_index=False)),
        sa.Column("participants", sa.Text),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE"),
                  nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.create_table(
        "walk_findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("walk_id", sa.Integer, sa.ForeignKey("safety_walks.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("geom", geoalchemy2.Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("owner", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE"), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False, server_default="medium"),
        sa.Column("deadline", sa.Date),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("photo", sa.LargeBinary),
        sa.Column("photo_type", sa.String(32)),
        sa.Column("intervention_id", sa.Integer, sa.ForeignKey("interventions.id", ondelete="SET NULL")),
        sa.Column("lighting_report_id", sa.Integer, sa.ForeignKey("lighting_reports.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('dark_place', 'vegetation', 'damage', 'other')", name="finding_kind"),
        sa.CheckConstraint("priority IN ('high', 'medium', 'low')", name="finding_priority"),
        sa.CheckConstraint("status IN ('open', 'in_progress', 'done', 'converted')", name="finding_status"),
        sa.CheckConstraint("length(description) BETWEEN 1 AND 4000", name="finding_description"),
    )
    op.create_index("walk_findings_walk", "walk_findings", ["walk_id"])
    op.create_table(
        "citizen_promises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(64)), nullable=False, server_default="{}"),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name="promise_period"),
    )
    op.create_table(
        "promise_places",
        sa.Column("promise_id", sa.Integer, sa.ForeignKey("citizen_promises.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("place_id", sa.Integer, sa.ForeignKey("places.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_table(
        "promise_interventions",
        sa.Column("promise_id", sa.Integer, sa.ForeignKey("citizen_promises.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("intervention_id", sa.Integer, sa.ForeignKey("interventions.id", ondelete="CASCADE"),
                  primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("promise_interventions")
    op.drop_table("promise_places")
    op.drop_table("citizen_promises")
    op.drop_table("walk_findings")
    op.drop_table("safety_walks")
