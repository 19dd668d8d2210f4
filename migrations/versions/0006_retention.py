"""Retention: incident detail older than the retention period is reduced to monthly cell counts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_aggregates",
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("category", sa.String(64), sa.ForeignKey("categories.code", onupdate="CASCADE"), nullable=False),
        sa.Column("cell_x", sa.Integer, nullable=False, comment="SWEREF 99 TM easting // 250 m"),
        sa.Column("cell_y", sa.Integer, nullable=False, comment="SWEREF 99 TM northing // 250 m"),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "cell_x", "cell_y"),
    )


def downgrade() -> None:
    op.drop_table("incident_aggregates")
