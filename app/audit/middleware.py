"""Audit trail: who did what, when and from where — every write and every read of incident detail.

A pure ASGI middleware: after the response it appends one row to the append-only `audit_log`
(migration 0005) with the caller resolved by the auth dependency — for every write, and for every
read whose route declared what it reads (`app.deps.audit_read`). Rows of
writes and sign-ins are inserted at once; rows of reads are queued and inserted in batches
(app/audit/batch.py says why and what that trades). `at` is when the request arrived either way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import orjson
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.audit.batch import BatchWriter, Row
from app.db import get_engine
from app.limits import StatusRecorder

log = logging.getLogger("lagesbild.audit")

NOT_AUDITED = ("/health", "/ready", "/static/")
ACTIONS = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
# sign-in attempts (successful or not) and sign-outs are security events: record them under their own names
SIGN_IN_PATHS = {"/logga-in": "sign_in", "/logga-in/oidc/callback": "sign_in", "/logga-ut": "sign_out"}
INSERT = text("""INSERT INTO audit_log (at, actor, role, token_id, action, method, path, query, status, client,
                 user_agent, detail, municipality_code, group_code)
                 VALUES (:at, :actor, :role, :token_id, :action, :method, :path, :query, :status, :client,
                 :user_agent, CAST(:detail AS jsonb), :municipality_code, :group_code)""")


def watched(method: str, path: str) -> bool:
    """Whether the request may need a row: writes, sign-ins, and reads (a read gets one only when its route
    declared it with `app.deps.audit_read`, which the route itself decides)."""
    if path.startswith(NOT_AUDITED):
        return False
    if path in SIGN_IN_PATHS:
        return method == "POST" or path.endswith("/callback")
    return method in ACTIONS or method in ("GET", "HEAD")


def insert_rows(rows: list[Row]) -> None:
    with get_engine().begin() as conn:
        conn.execute(INSERT, rows)


# One per process: uvicorn's workers are processes of their own.
reads = BatchWriter(insert_rows, transient=lambda exc: isinstance(exc, OperationalError | InterfaceError))


class AuditTrail:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not watched(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        arrived = datetime.now(UTC)
        recorder = StatusRecorder(send)
        try:
            await self.app(scope, receive, recorder)
        finally:
            state = scope.get("state") or {}
            is_read = scope["method"] in ("GET", "HEAD") and scope["path"] not in SIGN_IN_PATHS
            if not is_read:
                await run_in_threadpool(_write, audit_row(scope, recorder.status, arrived))
            elif state.get("audit_read"):
                reads.put(audit_row(scope, recorder.status, arrived))


def audit_row(scope: Scope, status: int, at: datetime) -> Row:
    state = scope.get("state") or {}
    principal = state.get("principal")
    headers = dict(scope.get("headers") or [])
    client = scope.get("client")
    return {
        "at": at, "actor": getattr(principal, "name", None),
        "role": getattr(getattr(principal, "role", None), "value", None),
        "token_id": getattr(principal, "token_id", None),
        "action": SIGN_IN_PATHS.get(scope["path"]) or ACTIONS.get(scope["method"], "read"),
        "method": scope["method"], "path": scope["path"][:2000],
        "query": scope.get("query_string", b"").decode("latin-1")[:2000] or None, "status": status,
        "client": client[0] if client else None,
        "user_agent": headers.get(b"user-agent", b"").decode("latin-1")[:500] or None,
        # whose row (migration 0025): the municipality a county account narrowed to, else the caller's own
        "municipality_code": state.get("municipality_only") or getattr(principal, "municipality", None)
        if not getattr(principal, "sees_group", None) or state.get("municipality_only") else None,
        "group_code": getattr(principal, "sees_group", None),
        "detail": orjson.dumps({"route": getattr(scope.get("route"), "path", None),
                                **({"reads": state["audit_read"]} if state.get("audit_read") else {}),
                                **(state.get("audit_detail") or {})}).decode(),
    }


def _write(row: Row) -> None:
    try:
        insert_rows([row])
    except Exception:  # the answer was already sent; losing an audit row must be loud, not fatal
        log.exception("could not write the audit row for %s %s", row["method"], row["path"])
