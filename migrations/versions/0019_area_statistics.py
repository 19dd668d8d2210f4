"""Reference statistics (issue #18): Brå's reported crimes and SCB's population per area and year, so the
lägesbild reads Mjölby's rate per 100,000 beside the county's and the country's.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "area_statistics",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("area_key", sa.String(120), nullable=False),
        sa.Column("area_name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("reported_crimes", sa.Integer),
        sa.Column("per_100k_given", sa.Float),
        sa.Column("population", sa.Integer),
        sa.Column("crime_source", sa.Text),
        sa.Column("population_source", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("year", "area_key", name="area_statistic_year_area"),
        sa.CheckConstraint("level IN ('municipality', 'county', 'country')", name="area_statistic_level"),
    )


def downgrade() -> None:
    op.drop_table("area_statistics")
