"""Audit rows written by the services themselves, in the same transaction as the change they describe:
account and role changes, whether they come from a web page or from the command line."""

from __future__ import annotations

import getpass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session


def cli_actor() -> str:
    try:
        return f"{getpass.getuser()} (cli)"
    except Exception:  # no login name in some containers
        return "cli"


def record(session: Session, *, actor: str | None, action: str, what: str, detail: dict[str, Any],
           method: str = "CLI", role: str | None = None) -> None:
    """Append one row; the caller commits it together with the change."""
    session.execute(text("""INSERT INTO audit_log (actor, role, action, method, path, status, detail)
        VALUES (:actor, :role, :action, :method, :path, 200, CAST(:detail AS jsonb))"""), {
        "actor": actor or cli_actor(), "role": role, "action": action[:16], "method": method[:8], "path": what,
        "detail": orjson.dumps(detail).decode()})
