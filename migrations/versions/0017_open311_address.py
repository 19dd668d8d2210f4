"""Open311 GeoReport v2 completeness (issue #21): a fault report keeps the address its reporter gave,
how its position was found (the reporter's position, or the named place or street) and a photo link.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("lighting_reports", sa.Column("address", sa.Text()))
    op.add_column("lighting_reports", sa.Column("media_url", sa.Text()))
    op.add_column("lighting_reports", sa.Column("located_by", sa.String(16), nullable=False,
                                                server_default="position"))
    op.create_check_constraint("lighting_report_located_by", "lighting_reports",
                               "located_by IN ('position', 'place', 'street')")


def downgrade() -> None:
    op.drop_constraint("lighting_report_located_by", "lighting_reports", type_="check")
    for column in ("located_by", "media_url", "address"):
        op.drop_column("lighting_reports", column)
