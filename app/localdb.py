"""A PostGIS server that starts itself in a project-local folder.

With no ``DATABASE_URL`` the service runs its own PostgreSQL + PostGIS from Debian's packages, so a
newcomer needs nothing set up beforehand. PostgreSQL refuses to run as root, so when we are root the
server runs as Debian's ``postgres`` system user. It listens on its own port (default 55432) on the
loopback address only, and uses scram passwords kept in the data folder, so it never collides with
(or is reachable like) a system server on 5432.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "lagesbild"
APT_PACKAGES = ["postgresql-15", "postgresql-15-postgis-3"]


class LocalDbError(RuntimeError):
    """The local database could not be installed, started or reached; the message says how to fix it."""


def _is_root() -> bool:
    return os.geteuid() == 0


def find_pg_bin() -> Path | None:
    """Newest PostgreSQL ``bin`` folder whose version also has the PostGIS extension installed."""
    candidates = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        version = bindir.parent.name
        has_postgis = any(Path(f"/usr/share/postgresql/{version}/extension").glob("postgis.control"))
        if (bindir / "pg_ctl").exists() and has_postgis:
            with contextlib.suppress(ValueError):
                candidates.append((float(version), bindir))
    return max(candidates)[1] if candidates else None


def install_packages() -> Path:
    """Install PostgreSQL + PostGIS from Debian's packages when root; else say the exact command."""
    bindir = find_pg_bin()
    if bindir:
        return bindir
    command = ["apt-get", "install", "-y", "-q", *APT_PACKAGES]
    if not _is_root() or not shutil.which("apt-get"):
        raise LocalDbError(
            "PostgreSQL with PostGIS is not installed. Run:\n"
            f"  sudo apt-get update && sudo {' '.join(command)}\n"
            "or set DATABASE_URL to an existing PostGIS 3 server."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    bindir = find_pg_bin()
    if not bindir:
        raise LocalDbError(f"Installed {' '.join(APT_PACKAGES)} but found no PostGIS-enabled PostgreSQL.")
    return bindir


@dataclass(frozen=True)
class LocalServer:
    """Paths and port of the project-local server."""

    home: Path
    port: int

    @cached_property
    def root(self) -> Path:
        """Folder holding the cluster; falls back to /var/lib when `postgres` cannot reach `home`."""
        preferred = self.home / "pg"
        if not _is_root() or _postgres_can_enter(self.home):
            return preferred
        digest = hashlib.sha1(str(self.home).encode()).hexdigest()[:12]
        return Path("/var/lib/lagesbild") / digest

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def password_file(self) -> Path:
        return self.home / "db-password"

    def url(self, dbname: str) -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql+psycopg://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{dbname}"

    def _conninfo(self, dbname: str) -> str:
        password = self.password_file.read_text().strip()
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} password={password} dbname={dbname}"

    # -- lifecycle ---------------------------------------------------------------------------------

    def _run(self, bindir: Path, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if _is_root() else []
        return subprocess.run(  # type: ignore[call-overload]
            [*prefix, str(bindir / args[0]), *args[1:]], text=True, capture_output=True, **kwargs
        )

    def _chown(self, path: Path) -> None:
        if _is_root():
            shutil.chown(path, "postgres", "postgres")

    def initialise(self, bindir: Path) -> None:
        """Create the cluster once; later starts reuse it."""
        if (self.data / "PG_VERSION").exists():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24))
            self.password_file.chmod(0o600)
        for folder in (self.root, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
            self._chown(folder)
        pwfile = self.root / ".initdb-pw"
        pwfile.write_text(self.password_file.read_text())
        self._chown(pwfile)
        try:
            result = self._run(
                bindir,
                [
                    "initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=scram-sha-256",
                    f"--pwfile={pwfile}", "-E", "UTF8", "--locale=C.UTF-8",
                ],
            )
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            raise LocalDbError(f"initdb failed:\n{result.stderr.strip()}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# Lägesbild local server\n"
                f"port = {self.port}\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "shared_buffers = 256MB\nwork_mem = 32MB\nmaintenance_work_mem = 256MB\n"
                "max_connections = 200\njit = off\n"
                "max_wal_size = 2GB\n"
            )

    def _clear_stale_pid(self) -> None:
        """Remove postmaster.pid left by a crash when its process is gone (or is not postgres)."""
        pidfile = self.data / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().splitlines()[0])
        except (ValueError, IndexError):
            pidfile.unlink()
            return
        cmdline = Path(f"/proc/{pid}/cmdline")
        alive = cmdline.exists() and b"postgres" in cmdline.read_bytes()
        if not alive:
            pidfile.unlink()

    def is_running(self) -> bool:
        bindir = find_pg_bin()
        if bindir is None or not (self.data / "PG_VERSION").exists():
            return False
        return self._run(bindir, ["pg_ctl", "-D", str(self.data), "status"]).returncode == 0

    def start(self, dbnames: tuple[str, ...] = ("lagesbild",)) -> None:
        """Install if needed, initialise once, start unless running, and make sure the databases exist."""
        bindir = install_packages()
        self.initialise(bindir)
        if not self.is_running():
            if _port_in_use(self.port):
                raise LocalDbError(
                    f"port {self.port} is taken by another program, not this project's database "
                    f"({self.data}); set LAGESBILD_DB_PORT to a free port or stop the other server"
                )
            self._clear_stale_pid()
            result = self._run(
                bindir, ["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"]
            )
            if result.returncode != 0 and not self.is_running():
                tail = self.log.read_text()[-2000:] if self.log.exists() else result.stderr
                raise LocalDbError(f"PostgreSQL did not start (log {self.log}):\n{tail}")
        self.wait_ready()
        for name in dbnames:
            self.ensure_database(name)

    def stop(self) -> bool:
        bindir = find_pg_bin()
        if bindir is None or not self.is_running():
            return False
        self._run(bindir, ["pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"])
        return True

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self._conninfo("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise LocalDbError(f"PostgreSQL on port {self.port} is not answering: {exc}") from exc
                time.sleep(0.2)

    def ensure_database(self, name: str, *, fresh: bool = False) -> None:
        """Create database ``name`` with PostGIS unless it exists (``fresh`` drops it first)."""
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as conn:
            if fresh:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        with psycopg.connect(self._conninfo(name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def _port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _postgres_can_enter(path: Path) -> bool:
    """Whether Debian's `postgres` user may traverse to ``path`` (e.g. not inside /root)."""
    probe = path if path.exists() else path.parent
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(probe)], capture_output=True
    )
    return result.returncode == 0


def server_from_settings() -> LocalServer:
    from app.config import get_settings

    settings = get_settings()
    return LocalServer(home=settings.home_dir, port=settings.db_port)
