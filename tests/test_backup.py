"""Backup and restore round trip on a scratch database: everything comes back exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.backup import BackupError, backup, restore
from app.migrate import upgrade
from app.seed import seed
from tests.conftest import scratch_database_url

SNAPSHOT = """SELECT (SELECT md5(string_agg(i::text, ',' ORDER BY id)) FROM incidents i),
                     (SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p),
                     (SELECT count(*) FROM audit_log)"""


def test_backup_restore_round_trip(tmp_path: Path) -> None:
    url = scratch_database_url("lagesbild_backup_test")
    upgrade(url=url)
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            seed(s)
            s.execute(text("""
                INSERT INTO incidents (geom, category, occurred_at, source, location_precision, description)
                SELECT ST_SetSRID(ST_MakePoint(15.10 + g * 0.0001, 58.32), 4326), 'vald',
                       timestamptz '2025-01-01 20:00+01' + g * interval '1 hour', 'demo', 'exact', 'nr ' || g
                FROM generate_series(1, 500) g"""))
            s.execute(text("INSERT INTO audit_log (action, method, path, status) VALUES ('read', 'GET', '/x', 200)"))
            s.commit()
            before = s.execute(text(SNAPSHOT)).one()
        dump = tmp_path / "lagesbild.dump"
        assert backup(url, dump) > 1000
        with Session(engine) as s:
            s.execute(text("DELETE FROM incidents WHERE id % 2 = 0"))
            s.execute(text("UPDATE places SET name = 'ändrad'"))
            s.commit()
        engine.dispose()
        restore(url, dump)
        with Session(engine) as s:
            assert s.execute(text(SNAPSHOT)).one() == before
            assert s.execute(text("SELECT count(*) FROM incidents")).scalar() == 500
        with pytest.raises(BackupError, match="no backup file"):
            restore(url, tmp_path / "missing.dump")
    finally:
        engine.dispose()
