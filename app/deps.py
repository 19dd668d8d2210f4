"""Request dependencies: session, caller, permission checks and small typed query parsers."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth.roles import allowed
from app.auth.service import Principal, TokenCache, authenticate
from app.auth.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches, session_principal
from app.bbox import BBox, parse_bbox
from app.config import Settings, get_settings
from app.db import act_as, get_session
from app.errors import InvalidInput
from app.times import IsoDateTime

SessionDep = Annotated[Session, Depends(get_session)]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _settings() -> Settings:
    """Async on purpose: FastAPI runs a plain function dependency on the thread pool, a hand-off that
    costs more than reading the cached settings."""
    return get_settings()


SettingsDep = Annotated[Settings, Depends(_settings)]


def credential(header: str) -> str | None:
    """The token in an Authorization header: `Bearer <token>`, or HTTP Basic with the token as the password
    (any user name; or as the user name with an empty password), which is all QGIS 3.22, older ArcGIS and
    FME can send."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return (password or user).strip() or None
    return None


async def current_principal(request: Request, session: SessionDep) -> Principal | None:
    """The caller from `Authorization: Bearer <token>` (or Basic, or `X-API-Key`), else from the browser session
    cookie, else None for the public. Cookie-authenticated writes must carry the session's CSRF token in
    `X-CSRF-Token`: a cookie alone never authorises a write (cross-site request forgery).

    Async so that a recently seen token costs no thread-pool hand-off; database look-ups still run on
    the thread pool."""
    token = credential(request.headers.get("authorization", "")) or request.headers.get("x-api-key")
    if token:
        cache: TokenCache | None = getattr(request.app.state, "tokens", None)
        principal = (cache.get(token) if cache else None) or await run_in_threadpool(authenticate, session, token,
                                                                                      cache)
        if principal is None:
            raise HTTPException(401, "Invalid or revoked token.", headers={"WWW-Authenticate": "Bearer"})
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        principal = await run_in_threadpool(session_principal, session, cookie) if cookie else None
        if principal is None:  # the public: one municipality's view (?municipality=0583, else the default)
            from app.municipalities.service import public_view

            await run_in_threadpool(public_view, session, request.query_params.get("municipality") or None)
            return None
        if request.method not in SAFE_METHODS and not csrf_matches(principal, request.headers.get(CSRF_HEADER)):
            raise HTTPException(403, "This write came with the sign-in cookie but without the page's CSRF token "
                                     "(X-CSRF-Token); reload the page and try again.")
    request.state.principal = principal
    # From here on the request's transactions run under the caller's municipality role (row-level security);
    # `?municipality=0583` narrows a county account to one of its municipalities (never widens).
    only = request.query_params.get("municipality")
    if only is not None:
        from app.municipalities.service import narrow

        await run_in_threadpool(narrow, session, principal.db_role, only)
        request.state.municipality_only = only  # the audit row is that municipality's too
    elif session.in_transaction():
        await run_in_threadpool(act_as, session, principal.db_role)
    else:
        act_as(session, principal.db_role)
    return principal


PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


def require(permission: str) -> Callable[[Principal | None], Awaitable[Principal]]:
    """Dependency factory: 401 without a token, 403 when the role may not do `permission`."""

    async def check(principal: PrincipalDep) -> Principal:  # no I/O: kept off the thread pool
        if principal is None:
            raise HTTPException(401, "This needs a token (Authorization: Bearer ...).",
                                headers={"WWW-Authenticate": "Bearer"})
        if not allowed(principal.role, permission):
            raise HTTPException(403, f"Role '{principal.role}' may not {permission.replace(':', ' ')}.")
        return principal

    return check


def bbox_query(bbox: Annotated[str | None, Query(
        description="min_lon,min_lat,max_lon,max_lat (WGS84)", examples=["15.10,58.31,15.16,58.34"])] = None,
) -> BBox | None:
    return parse_bbox(bbox, extent=get_settings().position_box)


@dataclass(frozen=True)
class TimeRange:
    start: datetime | None
    end: datetime | None


def require_aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(
            f"{field} has no timezone; give an offset, e.g. 2025-06-07T19:30:00+02:00 or ...Z",
            loc=("query", field),
        )
    return value


def time_range_query(
    start: Annotated[IsoDateTime | None, Query(description="Inclusive start, ISO 8601 with offset")] = None,
    end: Annotated[IsoDateTime | None, Query(description="Exclusive end, ISO 8601 with offset")] = None,
) -> TimeRange:
    require_aware(start, "start")
    require_aware(end, "end")
    if start and end and end <= start:
        raise InvalidInput("end must be after start (the range is empty)", loc=("query", "end"),
                           sv="Slutet måste vara efter starten (perioden är tom).")
    return TimeRange(start, end)


BBoxDep = Annotated[BBox | None, Depends(bbox_query)]
MAX_INT = 2**31 - 1
TimeRangeDep = Annotated[TimeRange, Depends(time_range_query)]


def audit_read(what: str, *, only_if: tuple[str, str] | None = None) -> Any:
    """Declare that a route returns incident detail or units' free text: each call leaves an audit row
    (app/audit/middleware.py follows the declaration). Give it in the route decorator's `dependencies`,
    which run before the signature's, so a refused read is recorded too. `only_if=(param, value)`: only
    when that path parameter has that value (the incidents layer of the tile route, not its hotspots).

    tests/test_audit.py walks every GET route: each either declares a read or is listed as free of
    personal detail, so a new route cannot be forgotten."""

    async def declared_read(request: Request) -> None:
        if only_if is None or request.path_params.get(only_if[0]) == only_if[1]:
            request.state.audit_read = what

    declared_read.audit_what = what  # type: ignore[attr-defined]
    return Depends(declared_read)
