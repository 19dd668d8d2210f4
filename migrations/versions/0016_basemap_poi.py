"""Points of interest in the street base (stations, schools, bars, restaurants, shops): the cause
analysis' risk factors from an OpenStreetMap extract or any vector file (issue #24).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("basemap_features", sa.Column("subkind", sa.String(32)))
    op.drop_constraint("basemap_kind", "basemap_features", type_="check")
    op.create_check_constraint("basemap_kind", "basemap_features",
                               "kind IN ('street', 'building', 'water', 'green', 'poi')")


def downgrade() -> None:
    op.execute("DELETE FROM basemap_features WHERE kind = 'poi'")
    op.drop_constraint("basemap_kind", "basemap_features", type_="check")
    op.create_check_constraint("basemap_kind", "basemap_features",
                               "kind IN ('street', 'building', 'water', 'green')")
    op.drop_column("basemap_features", "subkind")
