"""Analyses run in a child process while the app serves: its errors arrive as the same answers, and a
child that dies gives one clear 503, after which a fresh child takes over."""

from __future__ import annotations

import os
import pickle
import signal

from fastapi.testclient import TestClient

from app.analysis import cache, runner
from app.errors import InvalidInput
from tests.conftest import auth


def test_domain_errors_cross_the_process_boundary_whole() -> None:
    error = pickle.loads(pickle.dumps(InvalidInput("cell too small", ("query", "cell"), sv="för liten cell", limit=5)))
    assert isinstance(error, InvalidInput)
    assert (error.msg, error.loc, error.sv, error.context) == ("cell too small", ("query", "cell"),
                                                                "för liten cell", {"limit": 5})


def _child_pid() -> int:
    pool = runner._pool
    assert pool is not None, "the analysis ran in the API process"
    return next(iter(pool._processes))  # the one child's pid


def _where_am_i(_session: object) -> bytes:
    return f"{os.getpid()} {os.nice(0)}".encode()


def test_analyses_run_in_a_lower_priority_child(client: TestClient, tokens: dict[str, str]) -> None:
    pid, nice = map(int, runner.run(None, _where_am_i).split())  # type: ignore[arg-type]  (no session needed)
    assert pid != os.getpid() and pid == _child_pid()
    assert nice >= os.nice(0) + runner.NICE
    cache.results.clear()
    empty = {"bbox": "15.40,58.45,15.41,58.46"}  # inside the municipality, no incidents: refused in the child
    refused = client.get("/api/v1/analysis/evaluate", headers=auth(tokens["analyst"]), params=empty)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["loc"] == ["query", "start"]
    assert "both periods" in refused.json()["detail"][0]["msg"]


def test_a_dead_analysis_process_is_replaced(client: TestClient, tokens: dict[str, str]) -> None:
    cache.results.clear()
    assert client.get("/api/v1/analysis/clusters", headers=auth(tokens["analyst"])).status_code == 200
    os.kill(_child_pid(), signal.SIGKILL)
    cache.results.clear()
    first = client.get("/api/v1/analysis/clusters", headers=auth(tokens["analyst"]))
    if first.status_code != 200:  # the pool noticed the death on this call
        assert first.status_code == 503 and "analysis process" in first.json()["detail"][0]["msg"]
    again = client.get("/api/v1/analysis/clusters", headers=auth(tokens["analyst"]))
    assert again.status_code == 200
