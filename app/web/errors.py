"""Errors on the web pages: a page in the site's layout and the reader's language that names the problem.

The API's handlers (app/errors.py) answer JSON; these wrap them, so a person's browser asking for a page
(not /api, /ogc, /open311, tiles …) gets a page instead: domain errors with their Swedish text,
pydantic's validation errors worded from their type (app/web/messages.py), 404 and unexpected faults
with a plain explanation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.auth.service import Principal
from app.auth.sessions import SESSION_COOKIE, session_principal
from app.db import session_factory
from app.errors import DomainError
from app.i18n import TEXTS, text
from app.messages import validation_error
from app.web.deps import page_language, render_page

# Paths that answer machines (JSON, GeoJSON, tiles): their errors stay JSON whatever the client accepts.
MACHINE_PREFIXES = ("/api/", "/ogc", "/open311", "/health", "/ready", "/static/", "/docs", "/redoc", "/openapi.json",
                    "/karta/data/")


def wants_page(request: Request) -> bool:
    """A person's browser asking for a page."""
    return (not request.url.path.startswith(MACHINE_PREFIXES)
            and "text/html" in request.headers.get("accept", ""))


def error_page(request: Request, status: int, messages: list[str] | None = None) -> Response:
    language = page_language(request)
    key = f"error_{status}" if f"error_{status}" in TEXTS else ("error_400" if status < 500 else "error_500")
    if messages is None:
        messages = [text(f"{key}_text", language).format(path=request.url.path)] if f"{key}_text" in TEXTS else []
    page = render_page(request, "error.html", _signed_in(request), title=text(key, language), messages=messages,
                       back="/")
    page.status_code = status
    return page


def _signed_in(request: Request) -> Principal | None:
    """Who is reading: set by the page's dependency, or (a page that does not exist) from the cookie."""
    principal: Principal | None = getattr(request.state, "principal", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if principal is None and cookie:
        with contextlib.suppress(Exception), session_factory()() as session:  # an error page never fails
            principal = session_principal(session, cookie)
    return principal


def _page_for(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DomainError):
        return error_page(request, 400 if exc.status_code == 422 else exc.status_code,
                          [exc.text(page_language(request))])
    if isinstance(exc, RequestValidationError):
        language = page_language(request)
        return error_page(request, 400, [validation_error(dict(e), language) for e in exc.errors()])
    if isinstance(exc, StarletteHTTPException):
        return error_page(request, exc.status_code)
    return error_page(request, 500)


def install_page_errors(app: FastAPI) -> None:
    """Wrap the API's error handlers (installed first) so pages get pages."""
    for kind in (DomainError, RequestValidationError, StarletteHTTPException, Exception):
        api: Callable[[Request, Any], Awaitable[Response]] = app.exception_handlers[kind]  # type: ignore[assignment]

        async def handler(request: Request, exc: Exception, api: Callable[..., Awaitable[Response]] = api) -> Response:
            return _page_for(request, exc) if wants_page(request) else await api(request, exc)

        app.add_exception_handler(kind, handler)
