"""The self-started PostGIS: start, start again, stop, and start after a crash left a stale pid file.

These run a server of their own in a temporary folder, whatever DATABASE_URL the other tests use.
"""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from app.localdb import LocalDbError, LocalServer
from tests.conftest import _free_port


def test_start_twice_stop_and_recover_from_a_stale_pid_file(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    server = LocalServer(home=tmp_path / "home", port=_free_port())
    try:
        server.start(("lifecycle",))
        assert server.is_running()
        server.start(("lifecycle",))  # a second start reuses the running server
        with psycopg.connect(server.url("lifecycle").replace("+psycopg", "")) as conn:
            assert conn.execute("SELECT postgis_lib_version()").fetchone()[0].startswith("3")  # type: ignore[index]
        assert server.stop()
        assert not server.is_running()
        # a crash leaves postmaster.pid behind, naming a process that no longer exists
        (server.data / "postmaster.pid").write_text("999999\n" + str(server.data) + "\n")
        server.start(("lifecycle",))
        assert server.is_running()
    finally:
        server.stop()


def test_a_port_taken_by_something_else_is_a_clear_error(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        server = LocalServer(home=tmp_path / "home", port=blocker.getsockname()[1])
        with pytest.raises(LocalDbError, match="LAGESBILD_DB_PORT"):
            server.start(())
