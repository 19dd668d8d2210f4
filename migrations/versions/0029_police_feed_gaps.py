"""The police feed's gaps, kept until an admin has seen them (issue #34).

A gap (the oldest event of an answer newer than the newest of the answer before: events passed through
the feed's ~500-event window unseen) was forgotten after one good fetch. Each fetch now keeps its
answer's newest publication and the gap it found; the start page shows the gaps until an admin
acknowledges them.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("newest", "gap_from", "gap_to", "gap_acknowledged_at")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("police_feed_fetches", sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column("police_feed_fetches", sa.Column("gap_acknowledged_by", sa.Text(), nullable=True))


def downgrade() -> None:
    for name in (*COLUMNS, "gap_acknowledged_by"):
        op.drop_column("police_feed_fetches", name)
