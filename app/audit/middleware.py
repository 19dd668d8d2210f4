"""Audit trail: who did what, when and from where — every write and every read of incident detail.

A pure ASGI middleware, so no endpoint can forget it: after the response it appends one row to the
append-only `audit_log` (migration 0005) with the caller resolved by the auth dependency.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import get_engine
from app.limits import StatusRecorder

log = logging.getLogger("lagesbild.audit")

DETAIL_READS = ("/api/v1/incidents", "/api/v1/exports/incidents", "/ogc/collections/incidents/items",
                "/karta/data/incidents", "/api/v1/tiles/incidents", "/api/v1/audit")
NOT_AUDITED = ("/health", "/ready", "/static/")
ACTIONS = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
# sign-in attempts (successful or not) and sign-outs are security events: record them under their own names
SIGN_IN_PATHS = {"/logga-in": "sign_in", "/logga-in/oidc/callback": "sign_in", "/logga-ut": "sign_out"}


def audited(method: str, path: str) -> bool:
    if path.startswith(NOT_AUDITED):
        return False
    if path in SIGN_IN_PATHS:
        return method == "POST" or path.endswith("/callback")
    return method in ACTIONS or (method in ("GET", "HEAD") and path.startswith(DETAIL_READS))


class AuditTrail:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not audited(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            await run_in_threadpool(_write, scope, recorder.status)


def _write(scope: Scope, status: int) -> None:
    principal = (scope.get("state") or {}).get("principal")
    headers = dict(scope.get("headers") or [])
    client = scope.get("client")
    row: dict[str, Any] = {
        "actor": getattr(principal, "name", None), "role": getattr(getattr(principal, "role", None), "value", None),
        "token_id": getattr(principal, "token_id", None),
        "action": SIGN_IN_PATHS.get(scope["path"]) or ACTIONS.get(scope["method"], "read"),
        "method": scope["method"], "path": scope["path"][:2000],
        "query": scope.get("query_string", b"").decode("latin-1")[:2000] or None, "status": status,
        "client": client[0] if client else None,
        "user_agent": headers.get(b"user-agent", b"").decode("latin-1")[:500] or None,
        "detail": orjson.dumps({"route": getattr(scope.get("route"), "path", None),
                                **((scope.get("state") or {}).get("audit_detail") or {})}).decode(),
    }
    try:
        with get_engine().begin() as conn:
            conn.execute(text("""INSERT INTO audit_log (actor, role, token_id, action, method, path, query, status,
                                 client, user_agent, detail)
                                 VALUES (:actor, :role, :token_id, :action, :method, :path, :query, :status,
                                 :client, :user_agent, CAST(:detail AS jsonb))"""), row)
    except Exception:  # the answer was already sent; losing an audit row must be loud, not fatal
        log.exception("could not write the audit row for %s %s", scope["method"], scope["path"])
