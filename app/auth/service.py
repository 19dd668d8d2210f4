"""Token creation and lookup. Tokens are 256-bit random strings, so a plain SHA-256 digest suffices."""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.record import record
from app.auth.models import ApiToken
from app.auth.roles import Role
from app.errors import InvalidInput

TOKEN_PREFIX = "lgb_"
log = logging.getLogger("lagesbild.auth")


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
    municipality: str | None = None  # SCB code; None only for internal callers (the demo loader)
    sees_group: str | None = None  # a county or police region: sees each of its municipalities

    @property
    def db_role(self) -> str | None:
        """The database role this caller's transactions run under (row-level security, migration 0021)."""
        if self.sees_group:
            return f"lagesbild_g{self.sees_group}"
        return f"lagesbild_m{self.municipality}" if self.municipality else None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, role: str, name: str, organisation: str | None = None,
                 actor: str | None = None, municipality: str | None = None, sees_group: str | None = None) -> str:
    """Store a new token's digest and return the token itself (shown once). Audited with the change."""
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; allowed: {', '.join(r.value for r in Role)}", loc=("role",)
        ) from None
    if organisation:
        from app.reference.service import check_organisation

        organisation = check_organisation(session, organisation, ("organisation",))
    if role_value is Role.reporter and not organisation:
        raise InvalidInput("a reporter token belongs to a unit: give --organisation", loc=("organisation",),
                           sv="En rapportörs nyckel hör till en enhet: ange --organisation.")
    if municipality is not None or sees_group is not None:
        from app.municipalities.service import check_scope

        check_scope(session, municipality, sees_group)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role_value.value, organisation=organisation, token_hash=_digest(token),
                   sees_group=sees_group)
    if municipality is not None:  # else the database's default: the creator's municipality or the install's
        row.municipality_code = municipality
    session.add(row)
    record(session, actor=actor, action="token_create", what=f"token {name}",
           detail={"name": name, "role": role_value.value, "organisation": organisation,
                   "municipality": municipality, "sees_group": sees_group})
    session.commit()
    return token


AUTH_CACHE_SECONDS = 10.0
REVOKED_CHANNEL = "lagesbild_tokens"  # NOTIFY'd by every revocation, in the revoking transaction


class TokenCache:
    """Principals of recently seen tokens, so a busy client does not pay a database round trip (and a
    thread-pool hand-off) per request. Created by the app's lifespan and held on `app.state.tokens`.

    A revocation empties it at once, in every server process: `revoke_token` NOTIFYs REVOKED_CHANNEL in
    its transaction and each cache's listener (a thread with its own connection) clears on the
    notification. While the listener is not connected nothing is cached, so a revoked token is never
    served from memory (it worked for up to 10 s before)."""

    def __init__(self, seconds: float = AUTH_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._items: dict[str, tuple[float, Principal]] = {}
        self._listening = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def get(self, token: str) -> Principal | None:
        """The token's principal if seen in the last `seconds` (no I/O: safe on the event loop)."""
        if not self._listening.is_set():
            return None
        cached = self._items.get(_digest(token))
        if cached and time.monotonic() - cached[0] < self.seconds:
            return cached[1]
        return None

    def put(self, token: str, principal: Principal) -> None:
        if self._listening.is_set():
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[_digest(token)] = (time.monotonic(), principal)

    def clear(self) -> None:
        self._items.clear()

    def start(self, url: Callable[[], str]) -> None:
        """Listen for revocations in a daemon thread; returns at once. `url()` gives the libpq URL; it is
        asked in the thread, so a server that starts before its database (or a schema read at start-up)
        does not fail: until the listener connects, nothing is cached."""
        self._thread = threading.Thread(target=self._listen, args=(url,), name="token-revocations", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._listening.clear()
        self.clear()

    def _listen(self, url: Callable[[], str]) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(url(), autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {REVOKED_CHANNEL}")
                    self.clear()  # anything revoked while not listening
                    self._listening.set()
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.clear()
            except Exception:  # the database is away: cache nothing until listening again
                if self._listening.is_set():  # say so once an outage, not every second
                    log.warning("token revocation listener lost its connection; tokens are not cached meanwhile")
            self._listening.clear()
            self.clear()
            self._stop.wait(1.0)


def authenticate(session: Session, token: str, cache: TokenCache | None = None) -> Principal | None:
    """The token's principal, or None for an unknown or revoked token."""
    if cache is not None and (principal := cache.get(token)) is not None:
        return principal
    principal = _lookup(session, _digest(token))
    if principal is not None and cache is not None:
        cache.put(token, principal)
    return principal


def revoke_token(session: Session, token_id: int, *, actor: str | None = None) -> str:
    """Revoke a token now: its requests are refused from the next one on, in every server process, and
    the browser sessions it opened end. Returns the token's name; audited."""
    from sqlalchemy import text

    from app.errors import NotFound

    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist", loc=("token_id",), sv=f"Nyckel {token_id} finns inte.")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
    session.execute(text("DELETE FROM web_sessions WHERE token_id = :id"), {"id": token_id})
    session.execute(text(f"NOTIFY {REVOKED_CHANNEL}"))
    record(session, actor=actor, action="token_revoke", what=f"token {row.name}", detail={"id": token_id})
    session.commit()
    return row.name


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def _lookup(session: Session, digest: str) -> Principal | None:
    row = session.scalars(
        select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        return None
    return Principal(token_id=row.id, name=row.name, role=Role(row.role), organisation=row.organisation,
                     municipality=row.municipality_code, sees_group=row.sees_group)


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
