"""Ingest benchmark: `lagesbild import` beside the tools a user would load the same file with.

    .venv/bin/python bench/ingest.py [--rows 300000] [--rows 1000000 ...] [--rounds 3]

For each size it writes a semicolon CSV as Swedish exports look (headers in Swedish, decimal commas,
category words such as "Våld"), and, for the peers that cannot read those, the same rows with codes and
decimal points. Then, in a fresh database (`lagesbild_bench` on the local server, or BENCH_DATABASE_URL),
in alternating order each round, with `incidents` emptied before each:

  * lagesbild import — the full import: encodings, header guessing, every check, time zones, place
    links, dedupe, all or nothing;
  * table's binary COPY — the typed rows the import stored, sent back with `COPY … (FORMAT binary)`
    straight into `incidents` with everything the table carries (indexes, the stored feature text, the
    reference trigger): the rate the table itself accepts, so no importer can beat it by much;
  * geopandas to_postgis — pandas reads the CSV, geopandas builds the points and appends them to
    `incidents` (its COPY path): what an analyst with a notebook would do. No checks, no dedupe;
  * ogr2ogr append — GDAL 3.6 appends the CSV (COPY) into a table shaped like `incidents`, with its
    indexes and unique key but without the stored feature text and the triggers (see LIKE_INCIDENTS);
  * ogr2ogr new table — the same into a new table without indexes or triggers (the floor of a load).

Each runs in its own child process, so the peak RSS printed is its own. The ratios are taken per round
(same data, same minute), and their spread over the rounds is printed: this 2-core machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
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
CATEGORIES = {"narkotika": "narkotika", "Våld": "vald", "klotter": "klotter", "skadegörelse": "skadegorelse",
              "Stöld/inbrott": "stold_inbrott", "ordningsstörning": "ordningsstorning"}


def bench_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    from app.localdb import server_from_settings

    server = server_from_settings()
    server.start(())
    server.ensure_database(DB_NAME, fresh=True)
    return server.url(DB_NAME)


def write_csv(path: Path, rows: int, seed: int = 1, plain: Path | None = None) -> None:
    """The Swedish export at `path`; with `plain`, the same rows with category codes and decimal points."""
    rng = np.random.default_rng(seed)
    chunk = 100_000
    cats = np.array(list(CATEGORIES))
    with path.open("w", encoding="utf-8") as fh, (plain or Path(os.devnull)).open("w", encoding="utf-8") as pf:
        fh.write("tidpunkt;kategori;latitud;longitud;ärendenummer;beskrivning\n")
        pf.write("occurred_at,category,lat,lon,external_id,description\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            lat = rng.uniform(58.30, 58.35, n)
            lon = rng.uniform(15.08, 15.18, n)
            minutes = rng.integers(0, 2 * 365 * 24 * 60, n)
            times = np.datetime64("2024-01-01T00:00") + minutes.astype("timedelta64[m]")
            cat = cats[rng.integers(0, len(cats), n)]
            rows_out = list(zip(times, cat, lat, lon, strict=True))
            fh.write("".join(
                f"{str(t).replace('T', ' ')};{c};{a:.6f};{b:.6f};R-{start + i};Händelse {start + i}\n".replace(".", ",")
                for i, (t, c, a, b) in enumerate(rows_out)))
            if plain:
                pf.write("".join(f"{str(t).replace('T', ' ')},{CATEGORIES[c]},{a:.6f},{b:.6f},R-{start + i},"
                                 f"Händelse {start + i}\n" for i, (t, c, a, b) in enumerate(rows_out)))


def _connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def empty(url: str) -> None:
    with _connect(url) as conn:
        conn.execute("TRUNCATE incidents, import_batches CASCADE")
        conn.execute("DROP TABLE IF EXISTS bench_new, bench_like")
        conn.commit()


def stored(url: str, table: str = "incidents") -> int:
    with _connect(url) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def phase_import(url: str, path: Path) -> dict[str, float]:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    import app.models  # noqa: F401
    from app.imports.service import ImportOptions, run_import

    engine = create_engine(url)
    with Session(engine) as session:
        start = time.perf_counter()
        with path.open("rb") as fh:
            report = run_import(session, fh, ImportOptions(filename=path.name, format="csv"))
        seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": report.inserted}


STORED = ("geom, category, occurred_at, reported_at, source, external_id, location_precision, precision_m, "
          "description, place_id, import_batch_id")


def dump_typed(url: str, path: Path) -> None:
    """The rows an import stored, as a binary COPY file (run once, after an import)."""
    with _connect(url) as conn, conn.cursor().copy(
            f"COPY (SELECT {STORED.replace('import_batch_id', 'NULL::int')} FROM incidents ORDER BY occurred_at) "
            "TO STDOUT (FORMAT binary)") as copy, \
            path.open("wb") as fh:
        for block in copy:
            fh.write(block)


def phase_copy(url: str, path: Path) -> dict[str, float]:
    with _connect(url) as conn:
        start = time.perf_counter()
        with conn.cursor().copy(f"COPY incidents ({STORED}) FROM STDIN (FORMAT binary)") as copy, \
                path.open("rb") as fh:
            while block := fh.read(1 << 20):
                copy.write(block)
        conn.commit()
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": stored(url)}


def phase_geopandas(url: str, path: Path) -> dict[str, float]:
    import geopandas as gpd
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    start = time.perf_counter()
    frame = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8")
    gdf = gpd.GeoDataFrame({
        "category": frame["kategori"].map(CATEGORIES),
        "occurred_at": pd.to_datetime(frame["tidpunkt"]).dt.tz_localize("Europe/Stockholm", ambiguous=False,
                                                                          nonexistent="shift_forward"),
        "source": "kommunen", "external_id": frame["ärendenummer"], "location_precision": "exact",
        "description": frame["beskrivning"],
    }, geometry=gpd.points_from_xy(frame["longitud"], frame["latitud"]), crs=4326).rename_geometry("geom")
    gdf.to_postgis("incidents", engine, if_exists="append", index=False, chunksize=50_000)
    seconds = time.perf_counter() - start
    engine.dispose()
    return {"seconds": seconds, "rows": stored(url)}


def _ogr2ogr(url: str, path: Path, table: str, append: bool) -> dict[str, float]:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    pg = f"PG:host={u.host} port={u.port} dbname={u.database} user={u.username} password={u.password}"
    command = ["ogr2ogr", "-f", "PostgreSQL", pg, str(path), "-nln", table, "-a_srs", "EPSG:4326",
               "-oo", "X_POSSIBLE_NAMES=lon", "-oo", "Y_POSSIBLE_NAMES=lat", "-oo", "KEEP_GEOM_COLUMNS=NO",
               "-oo", "AUTODETECT_TYPE=YES", "-gt", "65536", "--config", "PG_USE_COPY", "YES"]
    if append:
        with _connect(url) as conn:
            conn.execute(LIKE_INCIDENTS)
            conn.commit()
        command += ["-append", "-unsetFid", "-sql", "SELECT occurred_at, occurred_at AS reported_at, category, "
                    f"external_id, description, 'kommunen' AS source, 'exact' AS location_precision FROM {path.stem}"]
    else:
        command += ["-lco", "GEOMETRY_NAME=geom", "-lco", "SPATIAL_INDEX=NONE"]
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": stored(url, table)}


# `incidents` itself, without the stored feature text and the triggers: GDAL 3.6 takes the generated column
# for a column with a default and then writes every row with its own INSERT (2.9–3.0k rows/s measured),
# which is no fair picture of ogr2ogr.
LIKE_INCIDENTS = """CREATE TABLE bench_like (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, geom geometry(Point, 4326) NOT NULL,
    category varchar(64) NOT NULL, occurred_at timestamptz NOT NULL, reported_at timestamptz NOT NULL,
    source varchar(64) NOT NULL, external_id varchar(200), location_precision varchar(16) NOT NULL,
    precision_m int, description text, place_id int, import_batch_id int, UNIQUE (source, external_id));
CREATE INDEX ON bench_like USING gist (geom); CREATE INDEX ON bench_like (occurred_at);
CREATE INDEX ON bench_like (place_id) WHERE place_id IS NOT NULL"""


def phase_ogr_append(url: str, path: Path) -> dict[str, float]:
    return _ogr2ogr(url, path, "bench_like", append=True)


def phase_ogr_new(url: str, path: Path) -> dict[str, float]:
    return _ogr2ogr(url, path, "bench_new", append=False)


PHASES = {"import": phase_import, "copy": phase_copy, "geopandas": phase_geopandas,
          "ogr_append": phase_ogr_append, "ogr_new": phase_ogr_new}
NAMES = {"import": "lagesbild import", "copy": "table's binary COPY", "geopandas": "geopandas to_postgis",
         "ogr_append": "ogr2ogr append (like)", "ogr_new": "ogr2ogr new table"}


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM). Not getrusage: on Linux its ru_maxrss survives
    exec, so a child would report its parent's peak when that was higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(phase: str, url: str, path: Path) -> dict[str, float]:
    """Run one phase in a child process, which reports its own peak RSS."""
    empty(url)
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--url", url, "--file", str(path)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{phase} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def spread(values: list[float], fmt: str = "{:,.0f}") -> str:
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per run (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--phases", default=",".join(PHASES), help="comma list of " + ", ".join(PHASES))
    parser.add_argument("--phase", choices=list(PHASES))
    parser.add_argument("--url")
    parser.add_argument("--file", type=Path)
    args = parser.parse_args()
    if args.phase:
        result = PHASES[args.phase](args.url, args.file)
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    url = bench_url()
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    import app.models  # noqa: F401
    from app.migrate import upgrade
    from app.seed import seed

    upgrade(url=url)
    engine = create_engine(url)
    with Session(engine) as session:
        seed(session)
        session.commit()
    engine.dispose()
    phases = [p for p in args.phases.split(",") if p]
    for rows in args.rows or [300_000, 1_000_000]:
        results: dict[str, list[dict[str, float]]] = {p: [] for p in phases}
        with tempfile.TemporaryDirectory() as tmp:
            swedish, plain, typed = Path(tmp) / "incidents.csv", Path(tmp) / "plain.csv", Path(tmp) / "typed.bin"
            write_csv(swedish, rows, plain=plain)
            run_child("import", url, swedish)
            dump_typed(url, typed)
            files = {"import": swedish, "copy": typed, "geopandas": swedish, "ogr_append": plain, "ogr_new": plain}
            for round_no in range(args.rounds):
                order = phases[round_no % len(phases):] + phases[:round_no % len(phases)]
                for phase in order:
                    results[phase].append(run_child(phase, url, files[phase]))
        print(f"\n{rows:,} rows, {args.rounds} rounds (median, min–max)")
        print(f"{'':<24} {'rows/s':>28} {'peak RSS MB':>14}  stored")
        for phase in phases:
            rates = [r["rows"] / r["seconds"] for r in results[phase]]
            print(f"{NAMES[phase]:<24} {spread(rates):>28} {max(r['peak_rss_mb'] for r in results[phase]):>14.0f}"
                  f"  {int(results[phase][-1]['rows']):,}")
        if "import" in results:
            for peer in (p for p in phases if p != "import"):
                ratios = [p["seconds"] / i["seconds"] for i, p in zip(results["import"], results[peer], strict=True)]
                print(f"import ÷ {NAMES[peer]:<22} {spread(ratios, '{:.2f}×')}")


if __name__ == "__main__":
    main()
