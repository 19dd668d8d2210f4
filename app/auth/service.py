"""Token creation and lookup. Tokens are 256-bit random strings, so a plain SHA-256 digest suffices."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.record import record
from app.auth.models import ApiToken
from app.auth.roles import Role
from app.errors import InvalidInput

TOKEN_PREFIX = "lgb_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token or a signed-in person, with role and organisation.

    `csrf` is set when the caller came through a browser session cookie: unsafe requests must then echo it.
    """

    token_id: int | None
    name: str
    role: Role
    organisation: str | None
    user_id: int | None = None
    csrf: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, role: str, name: str, organisation: str | None = None,
                 actor: str | None = None) -> str:
    """Store a new token's digest and return the token itself (shown once). Audited with the change."""
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; allowed: {', '.join(r.value for r in Role)}", loc=("role",)
        ) from None
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role_value.value, organisation=organisation, token_hash=_digest(token)))
    record(session, actor=actor, action="token_create", what=f"token {name}",
           detail={"name": name, "role": role_value.value, "organisation": organisation})
    session.commit()
    return token


AUTH_CACHE_SECONDS = 10.0
_recent: dict[str, tuple[float, Principal]] = {}


def remembered(token: str) -> Principal | None:
    """The token's principal if it was looked up in the last 10 s (no I/O: safe on the event loop)."""
    cached = _recent.get(_digest(token))
    if cached and time.monotonic() - cached[0] < AUTH_CACHE_SECONDS:
        return cached[1]
    return None


def authenticate(session: Session, token: str) -> Principal | None:
    """The token's principal. Hits are remembered for 10 s (a revoked token stops working within that),
    so a busy client does not pay a database round trip per request."""
    principal = remembered(token)
    if principal is not None:
        return principal
    digest = _digest(token)
    principal = _lookup(session, digest)
    if principal is not None:
        if len(_recent) > 10_000:
            _recent.clear()
        _recent[digest] = (time.monotonic(), principal)
    return principal


def _lookup(session: Session, digest: str) -> Principal | None:
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return Principal(token_id=row.id, name=row.name, role=Role(row.role), organisation=row.organisation)


def writing_unit(session: Session, principal: Principal, wanted: str | None, loc: tuple[str, ...],
                 default: str | None = "kommunen") -> str:
    """The unit a write is stored under: a reporter's own unit, always (naming another is refused);
    for other roles the unit asked for, else their own, else `default`. The one rule for incidents,
    imports, unit reports, walks and lighting reports."""
    from app.errors import Forbidden
    from app.reference.service import check_organisation

    if principal.role is Role.reporter:
        if not principal.organisation:
            raise Forbidden("your account has no unit; ask an administrator to set one", loc=loc,
                            sv="Ditt konto hör inte till någon enhet; be en administratör att ange den.")
        if wanted and wanted != principal.organisation:
            raise Forbidden(f"you write for your own unit ({principal.organisation}) only", loc=loc,
                            sv=f"Du kan bara rapportera för din egen enhet ({principal.organisation}).")
        return principal.organisation
    unit = wanted or principal.organisation or default
    if not unit:
        raise InvalidInput("say which unit this is from (organisation)", loc=loc, sv="Välj vilken enhet det gäller.")
    return check_organisation(session, unit, loc)
