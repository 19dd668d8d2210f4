"""Failover drill: lose the primary database under load and report what the clients saw.

Starts, on loopback ports of this machine, a pg_auto_failover monitor, a primary and a streaming standby
(Debian's ``postgresql-15-auto-failover``), migrates and seeds the database, starts two app instances
(``lagesbild serve``) behind nginx (deploy/nginx.conf.template), then drives a bounded load through nginx:
writers that report incidents (POST /api/v1/incidents, each with its own external id) and readers of the
incident list, a route that may read from the standby. After ``--before`` seconds it kills the primary's
keeper and PostgreSQL outright (SIGKILL, as a lost machine), keeps the load running until writes have
been accepted again for ``--after`` seconds, and reports:

- writes acknowledged (201) and writes lost: acknowledged ids missing on the new primary (must be 0;
  pg_auto_failover keeps a synchronous standby, so a commit is acknowledged only once the standby has it);
- seconds without writes: the longest gap between two acknowledged writes around the kill;
- reads served while the primary was down (from the kill to the first acknowledged write after it),
  which only the standby can have answered;
- every error a client saw, and whether it was a clear 503 (a JSON body naming the problem and a
  Retry-After header) rather than a hang, a 500 or a dropped connection.

Run: ``.venv/bin/python deploy/failover_drill.py`` (root, or a user that may run PostgreSQL; about two
minutes). tests/test_failover.py runs it with a shorter load and asserts the outcome.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
DBNAME = "lagesbild"

# Tighter than pg_auto_failover's defaults (5 s checks, 20 s unhealthy, 30 s demote), so a lost primary
# is replaced within seconds. primary_demote_timeout must stay above the keepers' network_partition_timeout:
# a primary cut off from the monitor and its standby stops itself before the standby may be promoted.
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "1000",
    "pgautofailover.health_check_max_retries": "1",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "3000",
    "pgautofailover.primary_demote_timeout": "6000",
}
NETWORK_PARTITION_TIMEOUT_S = 4


class DrillError(RuntimeError):
    """The drill could not set up its cluster; the message says which part and shows its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bindir() -> Path:
    from app.localdb import find_pg_bin

    bindir = find_pg_bin()
    if bindir is None or (not (bindir / "pg_autoctl").exists() and not shutil.which("pg_autoctl")):
        raise DrillError("PostgreSQL with PostGIS and pg_auto_failover are needed: "
                         "apt-get install postgresql-15-postgis-3 postgresql-15-auto-failover (make system-deps)")
    return bindir


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Cluster:
    """A monitor and two PostgreSQL nodes run by pg_autoctl in `base`."""

    base: Path
    bindir: Path
    monitor_port: int = field(default_factory=free_port)
    ports: dict[str, int] = field(default_factory=lambda: {"a": free_port(), "b": free_port()})
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _env(self) -> dict[str, str]:
        return {"PATH": f"{self.bindir}:/usr/bin:/bin", "XDG_CONFIG_HOME": str(self.base / "config"),
                "XDG_DATA_HOME": str(self.base / "share"), "XDG_RUNTIME_DIR": str(self.base / "run"),
                "PG_AUTOCTL_DEBUG": "", "LANG": "C.UTF-8"}

    def _cmd(self, args: list[str]) -> list[str]:
        env = [f"{k}={v}" for k, v in self._env().items()]
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        return [*prefix, "env", *env, "pg_autoctl", *args]

    def autoctl(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(self._cmd(list(args)), capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise DrillError(f"pg_autoctl {' '.join(args)} failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.base / f"{name}.log", "ab")  # noqa: SIM115  (closed when the process ends)
        self.procs[name] = subprocess.Popen(self._cmd(args), stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def monitor_uri(self) -> str:
        return f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover?sslmode=disable"

    def url(self, attrs: str) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.ports.values())
        return f"postgresql://postgres@{hosts}/{DBNAME}?target_session_attrs={attrs}&connect_timeout=2"

    def node_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[name]}/{DBNAME}?connect_timeout=2"

    def start(self) -> None:
        for sub in ("config", "share", "run"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        if self.as_root:
            subprocess.run(["chown", "-R", "postgres", str(self.base)], check=True)
        self._spawn("monitor", ["create", "monitor", "--pgdata", str(self.base / "monitor"), "--pgport",
                                str(self.monitor_port), "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl",
                                "--run"])
        self._wait(lambda: self._monitor_sql("SELECT 1"), 60, "the monitor", "monitor")
        for name, value in MONITOR_SETTINGS.items():
            self._monitor_sql(f"ALTER SYSTEM SET {name} = {value}")
        self._monitor_sql("SELECT pg_reload_conf()")
        self._start_node("a")
        self._wait(lambda: self.states().get("a") == ("single", "single"), 90, "the primary", "a")
        self._start_node("b")
        # pg_basebackup waits for a checkpoint, which PostgreSQL spreads over minutes unless asked now.
        def standby_ready() -> bool:
            with contextlib.suppress(psycopg.Error), psycopg.connect(self.node_url("a"), autocommit=True) as conn:
                conn.execute("CHECKPOINT")
            states = self.states()
            return states.get("a") == ("primary", "primary") and states.get("b") == ("secondary", "secondary")

        self._wait(standby_ready, 120, "the standby", "b")
        for name in self.ports:
            self.autoctl("config", "set", "--pgdata", str(self.base / name), "timeout.network_partition_timeout",
                         str(NETWORK_PARTITION_TIMEOUT_S))

    def _start_node(self, name: str) -> None:
        self._spawn(name, ["create", "postgres", "--pgdata", str(self.base / name), "--pgport",
                           str(self.ports[name]), "--hostname", "127.0.0.1", "--name", name, "--monitor",
                           self.monitor_uri, "--auth", "trust", "--no-ssl", "--dbname", DBNAME, "--run"])

    def _wait(self, ready: Any, timeout: float, what: str, log: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(psycopg.Error):
                if ready():
                    return
            if self.procs[log].poll() is not None:
                break
            time.sleep(0.5)
        raise DrillError(f"{what} did not come up within {timeout:.0f} s:\n{tail(self.base / f'{log}.log')}")

    def _monitor_sql(self, sql: str) -> list[tuple[Any, ...]]:
        url = f"postgresql://postgres@127.0.0.1:{self.monitor_port}/pg_auto_failover?connect_timeout=2"
        with psycopg.connect(url, autocommit=True) as conn:
            cur = conn.execute(sql)  # type: ignore[arg-type]  # the drill's own constants
            return cur.fetchall() if cur.description else []

    def states(self) -> dict[str, tuple[str, str]]:
        """Each node's (reported state, assigned state) as the monitor sees them."""
        rows = self._monitor_sql("SELECT nodename, reportedstate::text, goalstate::text FROM pgautofailover.node")
        return {row[0]: (row[1], row[2]) for row in rows}

    def primary(self) -> str:
        return next(name for name, (reported, _goal) in self.states().items() if reported in ("primary",
                                                                                              "wait_primary"))

    def kill(self, name: str) -> None:
        """SIGKILL the node's keeper and every PostgreSQL process of it: a lost machine, not a shutdown."""
        pidfile = self.base / name / "postmaster.pid"
        postmaster = int(pidfile.read_text().split()[0])
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(postmaster)], capture_output=True,
                                  text=True).stdout.split()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.procs[name].pid, signal.SIGKILL)
        for pid in [postmaster, *map(int, children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
        # A postmaster whose keeper died may still run: stop what is left of each data folder.
        for name in ("monitor", *self.ports):
            pidfile = self.base / name / "postmaster.pid"
            with contextlib.suppress(OSError, ValueError, ProcessLookupError):
                os.kill(int(pidfile.read_text().split()[0]), signal.SIGKILL)


@dataclass
class Apps:
    """Two app instances and nginx in front of them."""

    base: Path
    write_url: str
    read_url: str
    ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    nginx_port: int = field(default_factory=free_port)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    token: str = ""

    def env(self) -> dict[str, str]:
        return {**os.environ, "DATABASE_URL": self.write_url, "LAGESBILD_DATABASE_READ_URL": self.read_url,
                "LAGESBILD_HOME": str(self.base / "home"), "LAGESBILD_RATE_LIMIT": "false",
                "LAGESBILD_ENVIRONMENT": "local"}

    def cli(self, *args: str) -> str:
        exe = Path(sys.executable).parent / "lagesbild"
        done = subprocess.run([str(exe), *args], env=self.env(), capture_output=True, text=True, timeout=300,
                              cwd=ROOT)
        if done.returncode != 0:
            raise DrillError(f"lagesbild {' '.join(args)} failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
        return done.stdout

    def start(self) -> None:
        self.cli("migrate")
        self.cli("seed")
        self.token = self.cli("token", "create", "--role", "analyst", "--name", "failover drill").strip()
        exe = Path(sys.executable).parent / "lagesbild"
        for i, port in enumerate(self.ports):
            log = open(self.base / f"app{i + 1}.log", "ab")  # noqa: SIM115
            self.procs.append(subprocess.Popen([str(exe), "serve", "--port", str(port)], env=self.env(), cwd=ROOT,
                                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        prefix = self.base / "nginx"
        prefix.mkdir(exist_ok=True)
        values = {"NGINX_PREFIX": str(prefix), "NGINX_LISTEN": f"127.0.0.1:{self.nginx_port}",
                  "LAGESBILD_APP_1": f"127.0.0.1:{self.ports[0]}", "LAGESBILD_APP_2": f"127.0.0.1:{self.ports[1]}"}
        conf = NGINX_TEMPLATE.read_text()
        for name, value in values.items():
            conf = conf.replace("${" + name + "}", value)
        (prefix / "nginx.conf").write_text(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        log = open(self.base / "nginx.log", "ab")  # noqa: SIM115
        self.procs.append(subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                                            "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT,
                                           start_new_session=True))
        deadline = time.monotonic() + 60
        pending = [f"http://127.0.0.1:{port}/health" for port in self.ports]
        pending.append(f"{self.url}/health")
        while pending and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(pending[0], timeout=2).status_code == 200:
                    pending.pop(0)
                    continue
            time.sleep(0.3)
        if pending:
            raise DrillError(f"{pending[0]} did not answer within 60 s:\n{tail(self.base / 'app1.log')}\n"
                             f"{tail(self.base / 'nginx' / 'error.log')}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"

    def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Outcome:
    kind: str  # "write" or "read"
    sent: float
    done: float
    status: int  # 0: no answer (connection error or client timeout)
    clear: bool  # an error answered as a 503 with a JSON body naming the problem and Retry-After
    external_id: str | None = None
    message: str = ""


def _clear_503(response: httpx.Response) -> tuple[bool, str]:
    if response.status_code != 503:
        return False, response.text[:200]
    try:
        detail = response.json()["detail"]
        message = detail[0]["msg"] if isinstance(detail, list) else str(detail)
    except (ValueError, KeyError, IndexError, TypeError):
        return False, response.text[:200]
    return bool(message) and "retry-after" in response.headers, message


def drive(url: str, token: str, stop: threading.Event, outcomes: list[Outcome], kind: str, seed: int) -> None:
    """One client: a write or a read, then a pause of 50–150 ms, until `stop`."""
    import random

    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=15) as client:
        while not stop.is_set():
            external_id = None
            sent = time.monotonic()
            try:
                if kind == "write":
                    external_id = f"drill-{uuid.uuid4()}"
                    response = client.post("/api/v1/incidents", json={
                        "lon": 15.13 + rng.uniform(-0.01, 0.01), "lat": 58.32 + rng.uniform(-0.005, 0.005),
                        "category": "skadegorelse", "occurred_at": "2026-11-30T20:00:00+01:00",
                        "external_id": external_id})
                else:
                    west = 15.10 + rng.uniform(0, 0.04)
                    south = 58.30 + rng.uniform(0, 0.03)
                    response = client.get("/api/v1/incidents", params={
                        "bbox": f"{west:.4f},{south:.4f},{west + 0.02:.4f},{south + 0.01:.4f}", "limit": 50})
                ok = response.status_code == (201 if kind == "write" else 200)
                clear, message = (True, "") if ok else _clear_503(response)
                outcomes.append(Outcome(kind, sent, time.monotonic(), response.status_code, clear, external_id,
                                        message))
            except httpx.HTTPError as exc:
                outcomes.append(Outcome(kind, sent, time.monotonic(), 0, False, external_id, repr(exc)[:200]))
            stop.wait(rng.uniform(0.05, 0.15))


def run_drill(before: float = 5.0, after: float = 5.0, writers: int = 4, readers: int = 4,
              max_outage: float = 60.0, base: Path | None = None) -> dict[str, Any]:
    """Set up, load, kill the primary, report. Everything started is stopped again, whatever happens."""
    tmp = Path(tempfile.mkdtemp(prefix="lagesbild-failover-", dir=base))
    os.chmod(tmp, 0o755)
    cluster = Cluster(tmp, pg_bindir())
    apps: Apps | None = None
    try:
        started = time.monotonic()
        cluster.start()
        apps = Apps(tmp, cluster.url("read-write"), cluster.url("prefer-standby"))
        apps.start()
        setup_s = time.monotonic() - started
        outcomes: list[Outcome] = []
        stop = threading.Event()
        threads = [threading.Thread(target=drive, args=(apps.url, apps.token, stop, outcomes, kind, i), daemon=True)
                   for i, kind in enumerate(["write"] * writers + ["read"] * readers)]
        for thread in threads:
            thread.start()
        time.sleep(before)
        victim = cluster.primary()
        killed_at = time.monotonic()
        cluster.kill(victim)
        # Keep the load on until writes have been accepted again for `after` seconds (or give up).
        back_at = None
        while time.monotonic() - killed_at < max_outage:
            acked = [o.done for o in list(outcomes) if o.kind == "write" and o.status == 201 and o.sent > killed_at]
            if acked:
                back_at = min(acked)
                if time.monotonic() - back_at >= after:
                    break
            time.sleep(0.2)
        stop.set()
        for thread in threads:
            thread.join(20)
        states = cluster.states()
        result = report(cluster, outcomes, victim, killed_at, back_at, setup_s, states)
        result["instances_alike"] = instances_alike(apps)
        return result
    finally:
        if apps is not None:
            apps.stop()
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def instances_alike(apps: Apps) -> bool:
    """Each instance, asked directly (not through nginx) for the same analysis and the same page of incidents
    after the failover, gives the same answer: nothing an answer depends on lives in one instance."""
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    params = {"start": (end - timedelta(days=1)).isoformat(), "end": end.isoformat()}
    headers = {"Authorization": f"Bearer {apps.token}"}
    answers = []
    for port in apps.ports:
        base = f"http://127.0.0.1:{port}/api/v1"
        clusters = httpx.get(f"{base}/analysis/clusters", params=params, headers=headers, timeout=60)
        listed = httpx.get(f"{base}/incidents", params={**params, "limit": 500}, headers=headers, timeout=60)
        if clusters.status_code != 200 or listed.status_code != 200:
            return False
        # links name the host asked (here each instance's own port; behind nginx, the same for both)
        answers.append((clusters.text + listed.text).replace(f"127.0.0.1:{port}", "HOST"))
    if answers[0] != answers[1]:
        first = next(k for k, (a, b) in enumerate(zip(*answers, strict=False)) if a != b)
        print(f"instances differ at {first}: {answers[0][first - 80:first + 80]!r} / "
              f"{answers[1][first - 80:first + 80]!r}", file=sys.stderr)
    return answers[0] == answers[1]


def _read_write(cluster: Cluster, wait: float = 30.0) -> psycopg.Connection[Any]:
    """A connection to whichever node is the primary now. Right after a failover the monitor may still be
    moving the new primary through its states (a fresh clone's run found the one survivor read-only for a
    moment, although writes had come back): try again for up to `wait` seconds before giving up."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return psycopg.connect(cluster.url("read-write"), autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


def report(cluster: Cluster, outcomes: list[Outcome], victim: str, killed_at: float, back_at: float | None,
           setup_s: float, states: dict[str, tuple[str, str]]) -> dict[str, Any]:
    writes = [o for o in outcomes if o.kind == "write"]
    reads = [o for o in outcomes if o.kind == "read"]
    acked = [o.external_id for o in writes if o.status == 201 and o.external_id]
    with _read_write(cluster) as conn:
        found = {row[0] for row in conn.execute("SELECT external_id FROM incidents WHERE external_id = ANY(%s)",
                                                (acked,))}
        new_primary = conn.execute("SELECT inet_server_port()").fetchone()
    done_times = sorted(o.done for o in writes if o.status == 201)
    gaps = [b - a for a, b in itertools.pairwise(done_times)
            if b > killed_at and a < (back_at or killed_at) + 1]
    errors = [o for o in outcomes if o.status not in (200, 201)]
    outage_end = back_at or float("inf")
    during = [o for o in reads if o.sent >= killed_at and o.done <= outage_end]
    by_status: dict[str, int] = {}
    for o in errors:
        key = f"{o.kind} {o.status or 'no answer'}"
        by_status[key] = by_status.get(key, 0) + 1
    return {
        "setup_seconds": round(setup_s, 1),
        "killed": victim,
        "new_primary_port": new_primary[0] if new_primary else None,
        "states_after": {name: list(state) for name, state in states.items()},
        "writes_sent": len(writes),
        "writes_acknowledged": len(acked),
        "writes_lost": len(set(acked) - found),
        "seconds_without_writes": round(max(gaps), 2) if gaps else None,
        "writes_back_after_seconds": round(back_at - killed_at, 2) if back_at else None,
        "reads_sent": len(reads),
        "reads_ok": sum(o.status == 200 for o in reads),
        "reads_ok_while_primary_down": sum(o.status == 200 for o in during),
        "reads_while_primary_down": len(during),
        "errors": len(errors),
        "errors_clear_503": sum(o.clear for o in errors),
        "errors_by_status": by_status,
        "unclear_errors": [f"{o.kind} {o.status}: {o.message}" for o in errors if not o.clear][:10],
        "error_messages": sorted({o.message for o in errors if o.clear})[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=float, default=10.0, help="seconds of load before the kill")
    parser.add_argument("--after", type=float, default=10.0, help="seconds of accepted writes after recovery")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    result = run_drill(args.before, args.after, args.writers, args.readers)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    ok = (result["writes_lost"] == 0 and result["writes_back_after_seconds"] is not None
          and result["writes_back_after_seconds"] <= 30 and result["reads_ok_while_primary_down"] > 0
          and result["errors"] == result["errors_clear_503"])
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
