"""The police's trygghetsmätning (issue #18): problem indices from 0 to 6 per area and year, linked to the
place an area names, as survey input beside the municipality's own unsafe shares.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_indices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("problem", sa.String(300), nullable=False),
        sa.Column("value", sa.Float, nullable=False),
        sa.Column("place_id", sa.Integer, sa.ForeignKey("places.id", ondelete="SET NULL")),
        sa.Column("source", sa.Text),
        sa.UniqueConstraint("year", "area", "problem", name="survey_index_year_area_problem"),
        sa.CheckConstraint("value >= 0 AND value <= 6", name="survey_index_range"),
    )


def downgrade() -> None:
    op.drop_table("survey_indices")
