"""Browser sessions: a random cookie value, stored only as its SHA-256 digest, with its own CSRF token.

Server-side rows (not signed cookies) so that signing out, disabling a user or revoking a token ends the
session at once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.roles import Role
from app.auth.service import Principal
from app.config import get_settings

SESSION_COOKIE = "lagesbild_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_session(session: Session, *, user_id: int | None = None, token_id: int | None = None) -> str:
    """A new session for a user (password or OIDC) or an API token; returns the cookie value."""
    value = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=get_settings().session_hours)
    session.execute(text("""INSERT INTO web_sessions (id_hash, user_id, token_id, csrf, expires_at)
        VALUES (:h, :u, :t, :c, :e)"""), {"h": _digest(value), "u": user_id, "t": token_id,
                                         "c": secrets.token_urlsafe(24), "e": expires})
    session.execute(text("DELETE FROM web_sessions WHERE expires_at < now() - interval '1 day'"))
    session.commit()
    return value


def session_principal(session: Session, value: str) -> Principal | None:
    """The person behind a session cookie, or None when it is unknown, expired, disabled or revoked."""
    row = session.execute(text("""
        SELECT s.csrf, s.user_id, s.token_id, COALESCE(u.username, t.name) AS name,
               COALESCE(u.role, t.role) AS role, COALESCE(u.organisation, t.organisation) AS organisation,
               COALESCE(u.municipality_code, t.municipality_code) AS municipality,
               CASE WHEN u.id IS NOT NULL THEN u.sees_group ELSE t.sees_group END AS sees_group
        FROM web_sessions s LEFT JOIN users u ON u.id = s.user_id AND u.disabled_at IS NULL
             LEFT JOIN api_tokens t ON t.id = s.token_id AND t.revoked_at IS NULL
        WHERE s.id_hash = :h AND s.expires_at > now() AND (u.id IS NOT NULL OR t.id IS NOT NULL)"""),
                          {"h": _digest(value)}).first()
    if row is None:
        return None
    return Principal(token_id=row.token_id, name=row.name, role=Role(row.role), organisation=row.organisation,
                     user_id=row.user_id, csrf=row.csrf, municipality=row.municipality, sees_group=row.sees_group)


def end_session(session: Session, value: str) -> None:
    session.execute(text("DELETE FROM web_sessions WHERE id_hash = :h"), {"h": _digest(value)})
    session.commit()


def csrf_matches(principal: Principal, offered: str | None) -> bool:
    return principal.csrf is not None and offered is not None and secrets.compare_digest(principal.csrf, offered)
