"""Unit reports (rapporter): each unit's events and place observations for a reporting period.

Events are stored as incidents (source = the unit) so every analysis sees them; the link table says
which report they came from, so replacing a report replaces its events and nothing else.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REPORTING_UNITS = ("kultur_fritid", "service_teknik", "utbildning", "socialtjansten", "raddningstjansten",
                   "polisen", "bostadsbolaget")


def upgrade() -> None:
    op.add_column("organisations", sa.Column("reports", sa.Boolean, nullable=False, server_default=sa.false()))
    op.execute(sa.text("UPDATE organisations SET reports = TRUE WHERE code = ANY(:codes)")
               .bindparams(codes=list(REPORTING_UNITS)))
    op.create_table(
        "unit_reports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE"),
                  nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("summary", sa.Text),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("period_end >= period_start AND period_end - period_start <= 62", name="report_period"),
        sa.UniqueConstraint("organisation", "period_start", name="report_unit_period"),
    )
    op.create_table(
        "unit_report_observations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("unit_reports.id", ondelete="CASCADE"), nullable=False),
        sa.Column("place_id", sa.Integer, sa.ForeignKey("places.id", ondelete="SET NULL")),
        sa.Column("text", sa.Text, nullable=False),
        sa.CheckConstraint("length(text) BETWEEN 1 AND 4000", name="observation_text"),
    )
    op.create_index("unit_report_observations_report", "unit_report_observations", ["report_id"])
    op.create_table(
        "unit_report_incidents",
        sa.Column("report_id", sa.Integer, sa.ForeignKey("unit_reports.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("incident_id", sa.BigInteger, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("unit_report_incidents_incident", "unit_report_incidents", ["incident_id"])


def downgrade() -> None:
    op.drop_table("unit_report_incidents")
    op.drop_table("unit_report_observations")
    op.drop_table("unit_reports")
    op.drop_column("organisations", "reports")
