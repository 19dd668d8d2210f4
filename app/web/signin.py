"""Signing in and out on the web pages: username + password (argon2, lock-out), API token, or OIDC."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.auth import oidc
from app.auth.service import authenticate
from app.auth.sessions import CSRF_FIELD, SESSION_COOKIE, csrf_matches, end_session, start_session
from app.auth.users import LoginRefused, user_for_oidc, verify_login
from app.config import get_settings
from app.deps import SessionDep
from app.web.deps import page_user, render_page

router = APIRouter(include_in_schema=False)
OIDC_COOKIE = "lagesbild_oidc"


def _signed_in(session: SessionDep, target: str, *, user_id: int | None = None,
               token_id: int | None = None) -> Response:
    response = RedirectResponse(_safe_next(target), status_code=303)
    response.set_cookie(SESSION_COOKIE, start_session(session, user_id=user_id, token_id=token_id), httponly=True,
                        samesite="strict", secure=get_settings().environment == "production",
                        max_age=int(get_settings().session_hours * 3600))
    return response


def _refused(request: Request, next_path: str, message_key: str, status: int = 401, **extra: str) -> Response:
    page = render_page(request, "login.html", None, next=_safe_next(next_path), failed=message_key, failed_args=extra,
                 oidc_label=get_settings().oidc_label if oidc.enabled(get_settings()) else None)
    page.status_code = status
    return page


@router.get("/logga-in", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: str = "/") -> HTMLResponse:
    settings = get_settings()
    return render_page(request, "login.html", page_user(request, session), next=_safe_next(next), failed=None,
                 oidc_label=settings.oidc_label if oidc.enabled(settings) else None)


@router.post("/logga-in", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    """Password sign-in; an API token pasted into the token field also works (for service accounts)."""
    # which account was tried (never the password): a burst of failures against one name shows in the trail
    request.state.audit_detail = {"username": username.strip().lower()[:200]} if username.strip() else {"via": "token"}
    if token.strip():
        principal = authenticate(session, token.strip())
        if principal is None or principal.token_id is None:
            return _refused(request, next, "login_failed_token")
        request.state.principal = principal  # the audit trail records whose token signed in
        return _signed_in(session, next, token_id=principal.token_id)
    try:
        user = verify_login(session, username, password)
    except LoginRefused:
        # One answer for a wrong password, an unknown name and a locked account: saying "locked" only
        # for accounts that exist told anyone which usernames do.
        return _refused(request, next, "login_failed")
    request.state.principal = user  # the audit trail records who signed in
    return _signed_in(session, next, user_id=user.id)


@router.post("/logga-ut")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    principal = page_user(request, session)
    cookie = request.cookies.get(SESSION_COOKIE)
    if principal is not None and cookie and not csrf_matches(principal, csrf):
        return Response("Utloggningen saknade sidans CSRF-nyckel; ladda om sidan.", status_code=403)
    if cookie:
        end_session(session, cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/logga-in/oidc")
def oidc_start(request: Request, next: str = "/") -> Response:
    settings = get_settings()
    if not oidc.enabled(settings):
        return Response("OIDC-inloggning är inte konfigurerad (LAGESBILD_OIDC_ISSUER).", status_code=404)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    try:
        url = oidc.authorization_url(settings, redirect_uri=str(request.url_for("oidc_callback")),
                                     state=state, nonce=nonce)
    except oidc.OidcError as exc:
        return _refused(request, next, "login_oidc_failed", status=502, reason=str(exc))
    response = RedirectResponse(url, status_code=303)
    # lax, not strict: the provider sends the browser back here with a top-level GET
    response.set_cookie(OIDC_COOKIE, f"{state}.{nonce}.{_safe_next(next)}", httponly=True, samesite="lax",
                        secure=settings.environment == "production", max_age=600)
    return response


@router.get("/logga-in/oidc/callback", name="oidc_callback")
def oidc_callback(request: Request, session: SessionDep, code: str = "", state: str = "") -> Response:
    settings = get_settings()
    saved = (request.cookies.get(OIDC_COOKIE) or "").split(".", 2)
    if len(saved) != 3 or not state or not secrets.compare_digest(saved[0], state):
        return _refused(request, "/", "login_oidc_failed", status=400,
                        reason="the sign-in took too long or was started elsewhere; try again")
    try:
        identity = oidc.identity_from_code(settings, code=code, nonce=saved[1],
                                           redirect_uri=str(request.url_for("oidc_callback")))
    except oidc.OidcError as exc:
        return _refused(request, saved[2], "login_oidc_failed", status=401, reason=str(exc))
    user = user_for_oidc(session, identity.subject, identity.username)
    if user is None:
        return _refused(request, saved[2], "login_no_account", status=403, who=identity.username or identity.subject)
    request.state.principal = user
    response = _signed_in(session, saved[2], user_id=user.id)
    response.delete_cookie(OIDC_COOKIE)
    return response


def _safe_next(target: str) -> str:
    """Only same-site paths: never redirect a signed-in user to another host."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"
