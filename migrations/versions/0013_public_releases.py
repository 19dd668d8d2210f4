"""Public releases: each public table (period × category group) is computed once, after its period has
closed, and stored; it is served from here and never changes afterwards.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_releases",
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("group_code", sa.String(64), nullable=False),  # '' for all groups together
        sa.Column("released_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("cells", postgresql.JSONB, nullable=False),      # [[cell index, published count], …]
        sa.PrimaryKeyConstraint("period", "group_code"),
    )


def downgrade() -> None:
    op.drop_table("public_releases")
