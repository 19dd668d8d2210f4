"""People who sign in with a password: argon2id hashes (argon2-cffi, RFC 9106) and per-account lock-out.

The lock-out counts failed passwords in a row per account; the per-address limiter in app/limits.py covers
guessing across many accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.audit.record import record
from app.auth.roles import Role
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotFound
from app.reference.service import check_organisation

MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# verified against when the username is unknown, so a miss costs the same time as a wrong password
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    organisation: str | None
    display_name: str | None

    @property
    def name(self) -> str:
        """What the audit trail records as the actor."""
        return self.username


class LoginRefused(Exception):
    """Wrong username/password, or a locked or disabled account; `locked_until` set when locked."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("sign-in refused")
        self.locked_until = locked_until


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInput(f"unknown role {role!r}; allowed: {', '.join(r.value for r in Role)}",
                           loc=("role",), sv=f"Okänd roll {role!r}.") from None


def _check_role_and_unit(session: Session, role: str, organisation: str | None,
                         how_to_give: str) -> tuple[Role, str | None]:
    """A known role, a known unit if one is given, and a unit for a reporter (who files for it)."""
    role_value = _check_role(role)
    if organisation:
        organisation = check_organisation(session, organisation, ("organisation",))
    if role_value is Role.reporter and not organisation:
        raise InvalidInput(f"a reporter belongs to a unit: give {how_to_give}", loc=("organisation",),
                           sv="En rapportör hör till en enhet: välj enhet.")
    return role_value, organisation


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password needs at least {MIN_PASSWORD_LENGTH} characters", loc=("password",),
                           sv=f"Lösenordet behöver minst {MIN_PASSWORD_LENGTH} tecken.")


def create_user(session: Session, *, username: str, role: str, organisation: str | None = None,
                password: str | None = None, display_name: str | None = None, actor: str | None = None,
                via: str = "CLI", municipality: str | None = None, sees_group: str | None = None) -> int:
    """A new account; without a password it can only sign in through OIDC. Audited with the change. Its
    municipality is `municipality`, else the creator's (the database default); `sees_group` makes it a
    county or police-region account that sees each municipality of the group."""
    name = username.strip().lower()
    if not 2 <= len(name) <= 200 or any(c.isspace() for c in name):
        raise InvalidInput("username must be 2-200 characters without spaces (e.g. an e-mail address)",
                           loc=("username",), sv="Användarnamnet ska vara 2–200 tecken utan mellanslag "
                                                 "(till exempel en e-postadress).")
    role_value, organisation = _check_role_and_unit(session, role, organisation, "--organisation")
    if password is not None:
        _check_password(password)
    if municipality is not None or sees_group is not None:
        from app.municipalities.service import check_scope

        check_scope(session, municipality, sees_group)
    exists = session.execute(text("SELECT 1 FROM users WHERE username = :u"), {"u": name}).first()
    conflict = Conflict(f"user {name!r} already exists", loc=("username",), sv=f"Användaren {name!r} finns redan.")
    if exists:
        raise conflict
    try:
        # Under a municipality's role the check above cannot see another municipality's accounts, but the
        # unique index does: a savepoint turns that into the same clear refusal.
        with session.begin_nested():
            new_id = session.execute(text("""
                INSERT INTO users (username, display_name, password_hash, role, organisation, municipality_code,
                                   sees_group)
                VALUES (:u, :d, :h, :r, :o, coalesce(:m, lagesbild_current_municipality()), :g) RETURNING id"""), {
                "u": name, "d": display_name, "h": _hasher.hash(password) if password else None,
                "r": role_value.value, "o": organisation, "m": municipality, "g": sees_group}).scalar_one()
    except IntegrityError as exc:
        if "users_username" in str(exc.orig):
            raise conflict from None
        raise
    record(session, actor=actor, action="user_create", what=f"user {name}", method=via,
           detail={"username": name, "role": role_value.value, "organisation": organisation,
                   "password": password is not None, "municipality": municipality, "sees_group": sees_group})
    session.commit()
    return int(new_id)


def set_role(session: Session, username: str, role: str, organisation: str | None, *, actor: str | None = None,
             via: str = "CLI") -> None:
    """Change what a person may do; the old and new role go into the audit trail with the change."""
    role_value, organisation = _check_role_and_unit(session, role, organisation, "an organisation")
    name = username.strip().lower()
    old = session.execute(text("SELECT role, organisation FROM users WHERE username = :u FOR UPDATE"),
                          {"u": name}).first()
    if old is None:
        session.rollback()
        raise NotFound(f"no user {username!r}", loc=("username",))
    session.execute(text("UPDATE users SET role = :r, organisation = :o WHERE username = :u"),
                    {"r": role_value.value, "o": organisation, "u": name})
    record(session, actor=actor, action="role_change", what=f"user {name}", method=via,
           detail={"username": name, "from": {"role": old.role, "organisation": old.organisation},
                   "to": {"role": role_value.value, "organisation": organisation}})
    session.commit()


def set_password(session: Session, username: str, password: str, *, actor: str | None = None,
                 via: str = "CLI") -> None:
    _check_password(password)
    name = username.strip().lower()
    done = session.execute(text("""UPDATE users SET password_hash = :h, failed_logins = 0, locked_until = NULL
        WHERE username = :u"""), {"h": _hasher.hash(password), "u": name}).rowcount  # type: ignore[attr-defined]
    if not done:
        session.rollback()
        raise NotFound(f"no user {username!r}", loc=("username",))
    record(session, actor=actor, action="password_set", what=f"user {name}", method=via, detail={"username": name})
    session.commit()


def set_disabled(session: Session, username: str, disabled: bool, *, actor: str | None = None,
                 via: str = "CLI") -> None:
    """Disabling also ends the user's open sessions."""
    name = username.strip().lower()
    row = session.execute(text("""UPDATE users SET disabled_at = CASE WHEN :d THEN now() END
        WHERE username = :u RETURNING id"""), {"d": disabled, "u": name}).first()
    if row is None:
        session.rollback()
        raise NotFound(f"no user {username!r}", loc=("username",))
    session.execute(text("DELETE FROM web_sessions WHERE user_id = :id"), {"id": row[0]})
    record(session, actor=actor, action="user_disable" if disabled else "user_enable", what=f"user {name}",
           method=via, detail={"username": name})
    session.commit()


def verify_login(session: Session, username: str, password: str) -> User:
    """The user when the password is right; LoginRefused otherwise. Failures in a row lock the account."""
    settings = get_settings()
    row = session.execute(text("""SELECT id, username, role, organisation, display_name, password_hash,
               failed_logins, locked_until, disabled_at FROM users WHERE username = :u FOR UPDATE"""),
                          {"u": username.strip().lower()}).first()
    now = datetime.now(UTC)
    if row is None or row.password_hash is None:
        _matches(_DUMMY_HASH, password)
        session.rollback()
        raise LoginRefused()
    if row.locked_until is not None and row.locked_until > now:
        session.rollback()
        raise LoginRefused(locked_until=row.locked_until)
    if row.disabled_at is not None or not _matches(row.password_hash, password):
        failures = row.failed_logins + 1
        locked = now + timedelta(minutes=settings.login_lockout_minutes) \
            if failures >= settings.login_max_failures else None
        session.execute(text("UPDATE users SET failed_logins = :f, locked_until = :l WHERE id = :id"),
                        {"f": 0 if locked else failures, "l": locked, "id": row.id})
        session.commit()
        raise LoginRefused(locked_until=locked)
    rehash = _hasher.hash(password) if _hasher.check_needs_rehash(row.password_hash) else row.password_hash
    session.execute(text("""UPDATE users SET failed_logins = 0, locked_until = NULL, password_hash = :h
        WHERE id = :id"""), {"id": row.id, "h": rehash})
    session.commit()
    return User(row.id, row.username, Role(row.role), row.organisation, row.display_name)


def _matches(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def user_for_oidc(session: Session, subject: str, username: str | None) -> User | None:
    """The account an OIDC identity signs in as: linked by subject, or on first use by username."""
    row = session.execute(text("""SELECT id, username, role, organisation, display_name FROM users
        WHERE disabled_at IS NULL AND (oidc_subject = :s OR (oidc_subject IS NULL AND username = :u))
        ORDER BY (oidc_subject = :s) DESC NULLS LAST LIMIT 1"""),
                          {"s": subject, "u": (username or "").strip().lower()}).first()
    if row is None:
        return None
    session.execute(text("UPDATE users SET oidc_subject = :s WHERE id = :id AND oidc_subject IS NULL"),
                    {"s": subject, "id": row.id})
    session.commit()
    return User(row.id, row.username, Role(row.role), row.organisation, row.display_name)


def list_users(session: Session) -> list[dict[str, object]]:
    rows = session.execute(text("""SELECT username, display_name, role, organisation, password_hash IS NOT NULL
        AS has_password, oidc_subject IS NOT NULL AS oidc_linked, locked_until, disabled_at FROM users
        ORDER BY username""")).mappings().all()
    return [dict(r) for r in rows]


def change_own_password(session: Session, user_id: int, current: str, new: str) -> None:
    """A person changes their own password: the current one must be right (same lock-out as signing in)."""
    username = session.execute(text("SELECT username FROM users WHERE id = :id"), {"id": user_id}).scalar()
    if username is None:
        raise NotFound("no such user", loc=("user",))
    _check_password(new)
    try:
        verify_login(session, username, current)
    except LoginRefused:
        raise InvalidInput("the current password is wrong", loc=("current_password",),
                           sv="Nuvarande lösenord stämmer inte.") from None
    set_password(session, username, new, actor=username, via="POST")
