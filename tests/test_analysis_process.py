"""Analyses run in a child process while the app serves: its errors arrive as the same answers, and a
child that dies gives one clear 503, after which a fresh child takes over."""

from __future__ import annotations

import contextlib
import os
import pickle
import signal

import pytest
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


def _processes_in_group(pgid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append(int(entry))
    return found


@pytest.mark.parametrize("after", [1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 6.0])
def test_a_server_stopped_during_start_up_leaves_no_process(database: None, after: float) -> None:
    """A TERM a few seconds after `lagesbild serve` starts (a supervisor restarting a failing service)
    orphaned the analysis child: 240 MB that never exited."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cli = Path(sys.executable).with_name("lagesbild")
    server = subprocess.Popen([str(cli), "serve", "--port", str(port)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(after)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
        deadline = time.monotonic() + 5
        while _processes_in_group(server.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_in_group(server.pid) == [], f"left behind after a TERM at {after} s"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)


def test_a_full_analysis_queue_answers_503_with_retry_after(client: TestClient, tokens: dict[str, str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cache.results.clear()
    monkeypatch.setattr(runner, "MAX_WAITING", 0)
    r = client.get("/api/v1/analysis/clusters", headers=auth(tokens["analyst"]), params={"eps": 123})
    assert r.status_code == 503 and r.headers["retry-after"] == str(runner.RETRY_AFTER_S)
    assert "busy" in r.json()["detail"][0]["msg"]
    assert client.get("/health").json() == {"status": "ok"}
