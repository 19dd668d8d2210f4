"""A population grid (SCB's residents per 250 m or 1 km square) for the cause analysis (issue #33).

Shared reference data, like the categories: the owner imports it (`lagesbild statistics
import-population-grid`); a tenant's role may read it and nothing more (the default privileges of
migration 0021 would have let every municipality rewrite it).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "population_squares",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("x0", sa.Integer(), nullable=False),
        sa.Column("y0", sa.Integer(), nullable=False),
        sa.Column("size_m", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.UniqueConstraint("x0", "y0", "size_m", name="population_square_corner"),
        sa.CheckConstraint("population >= 0", name="population_square_nonnegative"),
        sa.CheckConstraint("size_m IN (100, 250, 500, 1000)", name="population_square_size"),
    )
    op.execute("""
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON population_squares FROM lagesbild_tenant;
        REVOKE ALL ON SEQUENCE population_squares_id_seq FROM lagesbild_tenant;
        GRANT SELECT ON population_squares TO lagesbild_tenant""")


def downgrade() -> None:
    op.drop_table("population_squares")
