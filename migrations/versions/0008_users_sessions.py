"""People who sign in: users with argon2 password hashes, per-account lock-out, and server-side sessions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('admin', 'analyst', 'planner', 'technician', 'reporter')"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(200), nullable=False),
        sa.Column("display_name", sa.String(200)),
        sa.Column("password_hash", sa.Text),  # NULL: signs in through OIDC only
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("organisation", sa.String(64), sa.ForeignKey("organisations.code", onupdate="CASCADE")),
        sa.Column("oidc_subject", sa.String(255), unique=True),
        sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("disabled_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(ROLES, name="user_role"),
        sa.CheckConstraint("username = lower(username) AND length(username) BETWEEN 2 AND 200", name="user_name"),
    )
    op.create_index("users_username", "users", ["username"], unique=True)
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),  # sha256 of the cookie value
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("token_id", sa.Integer, sa.ForeignKey("api_tokens.id", ondelete="CASCADE")),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="web_session_owner"),
    )
    op.create_index("web_sessions_user", "web_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("users")
