"""Backups with PostgreSQL's own tools: pg_dump (custom format) and pg_restore --clean."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """pg_dump or pg_restore failed; the message carries their stderr."""


def _tool(name: str) -> str:
    from app.localdb import find_pg_bin

    bindir = find_pg_bin()
    if bindir is not None and (bindir / name).exists():
        return str(bindir / name)
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} not found: install postgresql-client-15")
    return found


def libpq_url(sqlalchemy_url: str) -> str:
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def backup(database_url: str, out: Path) -> int:
    """Write a consistent snapshot (pg_dump runs in one transaction) to `out`; returns its size in bytes."""
    result = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={out}",
                             f"--dbname={libpq_url(database_url)}"], capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip())
    return out.stat().st_size


def restore(database_url: str, source: Path) -> None:
    """Replace the database's objects and data with the backup's, in one transaction."""
    if not source.exists():
        raise BackupError(f"no backup file at {source}")
    result = subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                             "--exit-on-error", f"--dbname={libpq_url(database_url)}", str(source)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip())
