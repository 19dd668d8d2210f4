"""The audit log, for admins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import text

from app.audit.middleware import reads
from app.auth.service import Principal
from app.deps import SessionDep, audit_read, require, require_aware
from app.times import IsoDateTime

router = APIRouter(prefix="/audit", tags=["audit"])
Admin = Annotated[Principal, Depends(require("audit:read"))]


@router.get("", dependencies=[audit_read("audit_log")],
            summary="Audit rows, newest first (by arrival): who, what, when, from where")
def audit_log(session: SessionDep, _: Admin, actor: str | None = None, action: str | None = None,
              since: IsoDateTime | None = None,
              limit: Annotated[int, Query(ge=1, le=10_000)] = 200) -> list[dict[str, Any]]:
    require_aware(since, "since")
    reads.flush(timeout=2.0)  # the reads queued for batch insert belong in the answer too
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {"limit": limit}
    if actor:
        clauses.append("actor = :actor")
        params["actor"] = actor
    if action:
        clauses.append("action = :action")
        params["action"] = action
    if since:
        clauses.append("at >= :since")
        params["since"] = since
    rows = session.execute(text(f"""SELECT id, at, actor, role, action, method, path, query, status, client,
        user_agent FROM audit_log WHERE {' AND '.join(clauses)} ORDER BY at DESC, id DESC LIMIT :limit"""),
        params).mappings().all()
    return [dict(r) for r in rows]
