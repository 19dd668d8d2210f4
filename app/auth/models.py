"""API tokens (stored as SHA-256 digests, never in clear), people's accounts and their web sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base
from app.municipalities.models import TenantOwned


class ApiToken(TenantOwned, Base):
    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'analyst', 'planner', 'technician', 'reporter')", name="api_token_role"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set: the token sees every municipality of this group (a county analyst); else its own municipality.
    sees_group: Mapped[str | None] = mapped_column(Text, ForeignKey("municipality_groups.code"))


class User(TenantOwned, Base):
    """A person who signs in with a password or through the municipality's identity provider (OIDC)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'analyst', 'planner', 'technician', 'reporter')", name="user_role"),
        CheckConstraint("username = lower(username) AND length(username) BETWEEN 2 AND 200", name="user_name"),
        Index("users_username", "username", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(ForeignKey("organisations.code", onupdate="CASCADE"))
    oidc_subject: Mapped[str | None] = mapped_column(String(255), unique=True)
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sees_group: Mapped[str | None] = mapped_column(Text, ForeignKey("municipality_groups.code"))


class WebSession(Base):
    """A signed-in browser: the cookie's SHA-256 digest, owned by a user or by a token."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (token_id IS NULL)", name="web_session_owner"),
        Index("web_sessions_user", "user_id"),
    )

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
