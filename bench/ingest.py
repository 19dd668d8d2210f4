"""Ingest benchmark: the full CSV import against a raw COPY of the same rows, in one run.

    .venv/bin/python bench/ingest.py [--rows 1000000] [--rows 100000 ...]

For each size it writes a semicolon CSV (Swedish headers, decimal commas), then in a fresh database
(`lagesbild_bench` on the local server, or BENCH_DATABASE_URL) times:
  * raw COPY: `COPY bare FROM STDIN (FORMAT csv)` into an unindexed table of typed columns;
  * full import: `lagesbild import` (parse, validate, COPY to staging, INSERT into `incidents` with
    its GIST/B-tree indexes and foreign keys, dedupe, place linking);
  * COPY into incidents: the rows the import stored, already typed (binary COPY, no parsing, no
    checks), straight into `incidents` with everything the table carries: its indexes, the stored
    feature text (migration 0012), foreign keys and the data-version trigger. No import can be faster
    than this; it shows how much of the gap to raw COPY is the table's, not the importer's;
each in its own child process, so the peak RSS printed is that phase's alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DB_NAME = "lagesbild_bench"


def bench_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from app.localdb import server_from_settings

    server = server_from_settings()
    server.start(())
    server.ensure_database(DB_NAME, fresh=True)
    return server.url(DB_NAME)


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    chunk = 100_000
    cats = np.array(["narkotika", "Våld", "klotter", "skadegörelse", "Stöld/inbrott", "ordningsstörning"])
    with path.open("w", encoding="utf-8") as fh:
        fh.write("tidpunkt;kategori;latitud;longitud;ärendenummer;beskrivning\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            lat = rng.uniform(58.30, 58.35, n)
            lon = rng.uniform(15.08, 15.18, n)
            minutes = rng.integers(0, 2 * 365 * 24 * 60, n)
            times = np.datetime64("2024-01-01T00:00") + minutes.astype("timedelta64[m]")
            cat = cats[rng.integers(0, len(cats), n)]
            lines = [
                f"{str(t).replace('T', ' ')};{c};{a:.6f};{b:.6f};R-{start + i};Händelse {start + i}\n"
                for i, (t, c, a, b) in enumerate(zip(times, cat, lat, lon, strict=True))
            ]
            fh.write("".join(_decimal_comma(line) for line in lines))


def _decimal_comma(line: str) -> str:
    parts = line.split(";")
    parts[2] = parts[2].replace(".", ",")
    parts[3] = parts[3].replace(".", ",")
    return ";".join(parts)


def phase_raw_copy(url: str, path: Path) -> dict[str, float]:
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        conn.execute("DROP TABLE IF EXISTS bare")
        conn.execute("CREATE TABLE bare (t timestamp, category text, lat text, lon text, ref text, description text)")
        conn.commit()
        result = timed_copy(conn, "COPY bare FROM STDIN WITH (FORMAT csv, DELIMITER ';', HEADER true)", path, "bare")
        conn.execute("DROP TABLE bare")
        conn.commit()
    return result


def timed_copy(conn: Any, statement: str, path: Path, table: str) -> dict[str, float]:
    """Stream `path` through COPY and commit; the seconds that took and the rows the table then holds."""
    start = time.perf_counter()
    with conn.cursor().copy(statement) as copy, path.open("rb") as fh:
        while block := fh.read(1 << 20):
            copy.write(block)
    conn.commit()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]}


def phase_import(url: str, path: Path) -> dict[str, float]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    import app.models  # noqa: F401
    from app.imports.service import ImportOptions, run_import
    from app.migrate import upgrade
    from app.seed import seed

    upgrade(url=url)
    engine = create_engine(url)
    with Session(engine) as session:
        seed(session)
        session.execute(text("TRUNCATE incidents, import_batches CASCADE"))
        session.commit()
        start = time.perf_counter()
        with path.open("rb") as fh:
            report = run_import(session, fh, ImportOptions(filename=path.name, format="csv"))
        seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": report.inserted}


STORED = ("geom, category, occurred_at, reported_at, source, external_id, location_precision, precision_m, "
          "description, place_id, import_batch_id")


def phase_table_copy(url: str, path: Path) -> dict[str, float]:
    """COPY what the full import stored back into an emptied `incidents` (run after phase_import)."""
    import psycopg

    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        with conn.cursor().copy(f"COPY (SELECT {STORED} FROM incidents) TO STDOUT (FORMAT binary)") as copy, \
                path.open("wb") as fh:
            for block in copy:
                fh.write(block)
        conn.execute("TRUNCATE incidents CASCADE")
        conn.commit()
        return timed_copy(conn, f"COPY incidents ({STORED}) FROM STDIN (FORMAT binary)", path, "incidents")


def run_child(phase: str, url: str, path: Path) -> dict[str, float]:
    """Run one phase in a child process, which reports its own peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--url", url, "--file", str(path)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per run (repeatable)")
    parser.add_argument("--phase", choices=list(PHASES))
    parser.add_argument("--url")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args.url, args.file)
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    url = bench_url()
    print(f"{'rows':>10} {'phase':<20} {'seconds':>8} {'rows/s':>10} {'peak RSS MB':>12}")
    for rows in args.rows or [100_000, 1_000_000]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "incidents.csv"
            write_csv(path, rows)
            raw = run_child("raw", url, path)
            full = run_child("import", url, path)
            table = run_child("table", url, Path(tmp) / "incidents.bin")
        for name, result in (("raw COPY", raw), ("full import", full), ("COPY into incidents", table)):
            print(f"{rows:>10} {name:<20} {result['seconds']:>8.2f} {result['rows'] / result['seconds']:>10.0f} "
                  f"{result['peak_rss_mb']:>12.0f}")
        print(f"{rows:>10} {'ratio':<20} full import runs at {raw['seconds'] / full['seconds']:.1%} of raw COPY's "
              f"rows/s; COPY into incidents itself at {raw['seconds'] / table['seconds']:.1%}, and the import at "
              f"{table['seconds'] / full['seconds']:.1%} of that")


PHASES = {"raw": phase_raw_copy, "import": phase_import, "table": phase_table_copy}


if __name__ == "__main__":
    main()
