"""Imports: police event type mapping (editable) and a record of every import batch.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "police_event_types",
        sa.Column("type", sa.String(200), primary_key=True),
        sa.Column("category", sa.String(64), sa.ForeignKey("categories.code", onupdate="CASCADE")),
        sa.Column("note", sa.Text),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("source", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE"), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("imported_by", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )
    op.add_column("incidents", sa.Column("import_batch_id", sa.Integer,
                                         sa.ForeignKey("import_batches.id", ondelete="SET NULL")))


def downgrade() -> None:
    op.drop_column("incidents", "import_batch_id")
    op.drop_table("import_batches")
    op.drop_table("police_event_types")
