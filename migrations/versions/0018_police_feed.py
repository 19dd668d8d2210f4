"""The police events feed kept in sync (issue #18): a log of every fetch (when, from where, what came of
it), so the app can warn when the last good fetch is older than the feed's window; drunk driving and
unlicensed driving now count as reckless driving, which an ESM group follows (only where the shipped
"outside the ESM categories" mapping was never edited).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHIPPED_NOTE = "traffic offence outside the ESM categories"


def upgrade() -> None:
    op.create_table(
        "police_feed_fetches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("events", sa.Integer),
        sa.Column("inserted", sa.Integer),
        sa.Column("duplicates", sa.Integer),
        sa.Column("skipped", sa.Integer),
        sa.Column("message", sa.Text),
        sa.Column("batch_id", sa.Integer, sa.ForeignKey("import_batches.id", ondelete="SET NULL")),
    )
    op.create_index("ix_police_feed_fetches_ok_started", "police_feed_fetches", ["ok", "started_at"])
    op.execute(sa.text("UPDATE police_event_types SET category = 'hansynslos_korning', note = NULL "
                       "WHERE type IN ('Rattfylleri', 'Olovlig körning') AND category IS NULL AND note = :note"
                       ).bindparams(note=SHIPPED_NOTE))


def downgrade() -> None:
    op.execute(sa.text("UPDATE police_event_types SET category = NULL, note = :note "
                       "WHERE type IN ('Rattfylleri', 'Olovlig körning') AND category = 'hansynslos_korning'"
                       ).bindparams(note=SHIPPED_NOTE))
    op.drop_index("ix_police_feed_fetches_ok_started", "police_feed_fetches")
    op.drop_table("police_feed_fetches")
