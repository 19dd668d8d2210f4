"""`lagesbild token revoke` takes effect at once, in a running server that had the token cached."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.service import TokenCache, authenticate, create_token


def test_revoked_token_is_refused_by_the_running_server_at_once(live_server: str, session: Session) -> None:
    token = create_token(session, role="analyst", name="revoke-test")
    token_id = session.execute(text("SELECT id FROM api_tokens WHERE name = 'revoke-test'")).scalar_one()
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_server, timeout=10) as client:
        for _ in range(3):  # the server has it cached now
            assert client.get("/api/v1/categories", headers=headers).status_code == 200
            assert client.get("/api/v1/incidents?limit=1", headers=headers).status_code == 200
        done = subprocess.run([sys.executable, "-m", "app.cli", "token", "revoke", str(token_id)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "revoked" in done.stdout + done.stderr
        refused_after = None
        start = time.monotonic()
        while time.monotonic() - start < 2.0:
            if client.get("/api/v1/incidents?limit=1", headers=headers).status_code == 401:
                refused_after = time.monotonic() - start
                break
        assert refused_after is not None and refused_after < 0.25, refused_after  # was up to 10 s
        listed = subprocess.run([sys.executable, "-m", "app.cli", "token", "list"], capture_output=True, text=True,
                                timeout=120)
        assert f"{token_id}\trevoke-test\tanalyst" in listed.stdout and "revoked" in listed.stdout


def test_cache_serves_nothing_without_its_listener(session: Session) -> None:
    """Outside a running server (no revocation listener) every look-up asks the database."""
    token = create_token(session, role="planner", name="uncached")
    cache = TokenCache()
    assert authenticate(session, token, cache) is not None
    assert cache.get(token) is None


def test_revoking_an_unknown_token_says_so() -> None:
    done = subprocess.run([sys.executable, "-m", "app.cli", "token", "revoke", "987654"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "987654 does not exist" in done.stdout + done.stderr
