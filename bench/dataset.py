"""A benchmark database with N synthetic incidents over Mjölby, made inside PostgreSQL (fast).

    .venv/bin/python bench/dataset.py --rows 1000000   # prints the database URL

Half the incidents are spread over the town, half in a few dozen Gaussian clusters with evening
peaks, two years long. Used by bench/hotspots.py and the other analysis benchmarks.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "lagesbild_bench_data"


def make(rows: int, seed: float = 0.42) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    import app.models  # noqa: F401
    from app.localdb import server_from_settings
    from app.migrate import upgrade
    from app.seed import seed as seed_db

    if os.environ.get("BENCH_DATABASE_URL"):
        url = os.environ["BENCH_DATABASE_URL"]
    else:
        server = server_from_settings()
        server.start(())
        server.ensure_database(DB_NAME)
        url = server.url(DB_NAME)
    upgrade(url=url)
    engine = create_engine(url)
    with Session(engine) as session:
        seed_db(session)
        existing = session.execute(text("SELECT count(*) FROM incidents")).scalar_one()
        if existing == rows:
            return url
        session.execute(text("TRUNCATE incidents CASCADE"))
        session.execute(text("SELECT setseed(:s)"), {"s": seed})
        session.execute(text("""
            CREATE TEMP TABLE centres AS
            SELECT g AS k, 15.10 + random() * 0.06 AS lon, 58.312 + random() * 0.025 AS lat
            FROM generate_series(1, 40) g"""))
        session.execute(text("""
            INSERT INTO incidents (geom, category, occurred_at, source, external_id, location_precision)
            SELECT CASE WHEN i % 2 = 0
                        THEN ST_SetSRID(ST_MakePoint(15.08 + random() * 0.10, 58.30 + random() * 0.05), 4326)
                        ELSE ST_SetSRID(ST_MakePoint(
                             c.lon + (sqrt(-2 * ln(random())) * cos(2 * pi() * random())) * 0.0009,
                             c.lat + (sqrt(-2 * ln(random())) * cos(2 * pi() * random())) * 0.0005), 4326) END,
                   (ARRAY['narkotika','vald','skadegorelse','klotter','stold_inbrott','ordningsstorning'])
                       [1 + (i % 6)],
                   timestamptz '2024-11-01 00:00+01' + random() * interval '730 days'
                       + CASE WHEN random() < 0.5 THEN interval '0' ELSE interval '0' END,
                   'demo', 'bench-' || i, 'exact'
            FROM generate_series(1, :rows) i
            JOIN centres c ON c.k = 1 + (i % 40)"""), {"rows": rows})
        session.execute(text("ANALYZE incidents"))
        session.commit()
    engine.dispose()
    return url


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    start = time.perf_counter()
    print(make(args.rows))
    print(f"ready in {time.perf_counter() - start:.1f} s", file=sys.stderr)
