"""An index on incidents (municipality_code, occurred_at): the row-level security policy of migration 0021
becomes an index condition, so one municipality's analysis reads its own rows, not the whole county's or
country's (bench/county.py: 15 million incidents over 290 municipalities).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_incidents_municipality_time", "incidents", ["municipality_code", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_incidents_municipality_time", "incidents")
