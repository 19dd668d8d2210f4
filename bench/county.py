"""Many municipalities in one database: one municipality's analyses beside a database of its own.

    .venv/bin/python bench/county.py [--rows 15000000] [--municipalities 290] [--county 13]

Builds (once; kept for the next run) a database of `--rows` synthetic incidents spread evenly over
`--municipalities` municipalities, each with its own extent, half of its incidents uniform over a
town-sized box and half in 40 Gaussian clusters, over two years (as bench/dataset.py makes Mjölby's).
Mjölby (0586) and 12 neighbours form the county group `lan05`. A second database holds one
municipality's share alone (rows ÷ municipalities, the same generator): today's one-municipality install.

Then every /api/v1/analysis endpoint and the municipalities' comparison are timed through the app (cold
cache, the analysis process as in production): in the one-municipality database, in the big one as
Mjölby's analyst (row-level security
keeps the other 289 municipalities' rows out), as the county's analyst (13 municipalities), and as the
county's analyst narrowed to Mjölby (`?municipality=0586`). Prints
seconds per analysis side by side; the goals are < 5 s per analysis for one municipality and < 30 s for
the county.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTY = ["0580", "0581", "0582", "0583", "0584", "0585", "0586", "0587", "0588", "0589", "0590", "0591", "0592"]
MJOLBY_EXTENT = (14.85, 58.15, 15.45, 58.50)
CHUNK = 1_000_000


def codes(n: int) -> list[str]:
    others = [f"{1000 + k:04d}" for k in range(n - len(COUNTY))]
    return COUNTY + others


def build(name: str, rows: int, municipalities: int, only: str | None = None) -> str:
    """The database `name` with `rows` incidents over `municipalities` (or only `only`'s share)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    import app.models  # noqa: F401
    from app.localdb import server_from_settings
    from app.migrate import upgrade
    from app.seed import seed as seed_db

    server = server_from_settings()
    server.start(())
    server.ensure_database(name)
    url = server.url(name)
    upgrade(url=url)
    engine = create_engine(url)
    all_codes = codes(municipalities)
    wanted = rows // municipalities if only else rows
    with Session(engine) as session:
        seed_db(session)
        existing = session.execute(text("SELECT count(*) FROM incidents")).scalar_one()
        if existing == wanted:
            return url
        session.execute(text("TRUNCATE incidents CASCADE"))
        # Extents on a 17 × 18 grid over Sweden's latitudes; the county's within Östergötland; Mjölby its own.
        for k, code in enumerate(all_codes):
            if code == "0586":
                west, south, east, north = MJOLBY_EXTENT
            elif code in COUNTY:  # Östergötland-sized: 5 × 3 boxes within about 2.4° × 1.2°
                j = COUNTY.index(code)
                west, south = 14.5 + (j % 5) * 0.48, 57.75 + (j // 5) * 0.40
                east, north = west + 0.45, south + 0.35
            else:
                west, south = 11.0 + (k % 17) * 0.76, 55.3 + (k // 17) * 0.70
                east, north = west + 0.6, south + 0.35
            session.execute(text("""
                INSERT INTO municipalities (code, name, county_code, extent, population)
                VALUES (:c, :n, :county, ST_MakeEnvelope(:w, :s, :e, :nn, 4326), 50000)
                ON CONFLICT (code) DO NOTHING"""),
                {"c": code, "n": f"Kommun {code}" if code != "0586" else "Mjölby kommun",
                 "county": "05" if code in COUNTY else None, "w": west, "s": south, "e": east, "nn": north})
        session.execute(text("DELETE FROM municipality_group_members WHERE group_code = 'lan05'"))
        session.execute(text("INSERT INTO municipality_group_members SELECT 'lan05', unnest(CAST(:m AS text[]))"),
                        {"m": COUNTY})
        session.commit()
        used = [only] if only else all_codes
        session.execute(text("SELECT setseed(0.42)"))
        session.execute(text("""CREATE TEMP TABLE towns AS
            SELECT ord - 1 AS m, code, ST_X(ST_Centroid(extent)) AS lon, ST_Y(ST_Centroid(extent)) AS lat
            FROM municipalities JOIN unnest(CAST(:used AS text[])) WITH ORDINALITY AS u(code2, ord) ON code = code2"""),
            {"used": used})
        session.execute(text("""CREATE TEMP TABLE centres AS
            SELECT t.m, g AS k, t.lon - 0.05 + random() * 0.06 AS lon, t.lat - 0.013 + random() * 0.025 AS lat
            FROM towns t, generate_series(0, 39) g"""))
        session.execute(text("CREATE INDEX ON centres (m, k)"))
        session.commit()
        n = len(used)
        start = time.perf_counter()
        for first in range(1, wanted + 1, CHUNK):
            last = min(first + CHUNK - 1, wanted)
            session.execute(text("""
                INSERT INTO incidents (geom, category, occurred_at, source, external_id, location_precision,
                                       municipality_code)
                SELECT CASE WHEN i % 2 = 0
                            THEN ST_SetSRID(ST_MakePoint(t.lon - 0.05 + random() * 0.10,
                                                         t.lat - 0.025 + random() * 0.05), 4326)
                            ELSE ST_SetSRID(ST_MakePoint(
                                 c.lon + (sqrt(-2 * ln(random())) * cos(2 * pi() * random())) * 0.0009,
                                 c.lat + (sqrt(-2 * ln(random())) * cos(2 * pi() * random())) * 0.0005), 4326) END,
                       (ARRAY['narkotika','vald','skadegorelse','klotter','stold_inbrott','ordningsstorning'])
                           [1 + (i / CAST(:n AS int)) % 6],
                       timestamptz '2024-11-01 00:00+01' + random() * interval '730 days',
                       'demo', 'county-' || i, 'exact', t.code
                FROM generate_series(CAST(:first AS int), CAST(:last AS int)) i
                JOIN towns t ON t.m = i % CAST(:n AS int)
                JOIN centres c ON c.m = t.m AND c.k = (i / CAST(:n AS int)) % 40"""),
                {"first": first, "last": last, "n": n})
            session.commit()
            print(f"  {name}: {last:,} of {wanted:,} rows ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
        session.execute(text("ANALYZE incidents"))
        session.commit()
    engine.dispose()
    return url


ANALYSES = (("clusters", {}), ("clusters", {"method": "hdbscan"}), ("gistar", {}), ("density", {}),
            ("time-profile", {}), ("compare", {}), ("emerging", {"slices": 12, "slice_days": 28}),
            ("near-repeat", {"permutations": 99}), ("risk-terrain", {}),
            ("evaluate", {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}),
            ("../municipalities/comparison", {"start": "2026-10-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}))


def time_analyses(url: str, callers: dict[str, dict[str, str | None]]) -> dict[str, dict[str, tuple[int, float]]]:
    """Seconds per analysis per caller, each on a cold cache, through the app in a process of its own."""
    import json
    import subprocess

    script = f"""
import json, os, sys, time
os.environ["DATABASE_URL"] = {url!r}
sys.path.insert(0, {str(ROOT)!r})
from fastapi.testclient import TestClient
from app.auth.service import create_token
from app.db import session_factory
from app.main import create_app
callers = json.loads({json.dumps(json.dumps(callers))})
analyses = json.loads({json.dumps(json.dumps(ANALYSES))})
params = {{"start": "2024-11-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}}
out = {{}}
with session_factory()() as session:
    tokens = {{who: create_token(session, role="analyst", name="bench " + who, municipality=c["municipality"],
                                 sees_group=c["group"]) for who, c in callers.items()}}
with TestClient(create_app()) as client:
    for who, token in tokens.items():
        out[who] = {{}}
        for path, extra in analyses:
            start = time.perf_counter()
            narrowed = {{"municipality": callers[who]["only"]}} if callers[who].get("only") else {{}}
            r = client.get("/api/v1/analysis/" + path, params={{**params, **extra, **narrowed}},
                           headers={{"Authorization": "Bearer " + token}})
            label = path.replace("../", "") + (" (" + extra["method"] + ")" if "method" in extra else "")
            out[who][label] = (r.status_code, time.perf_counter() - start, r.text[:160] if r.status_code != 200 else "")
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LAGESBILD_ANALYSIS_MAX_STALENESS_SECONDS": "0"})
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=15_000_000)
    parser.add_argument("--municipalities", type=int, default=290)
    args = parser.parse_args()
    start = time.perf_counter()
    big = build("lagesbild_bench_county", args.rows, args.municipalities)
    one = build("lagesbild_bench_one", args.rows, args.municipalities, only="0586")
    print(f"databases ready in {time.perf_counter() - start:.0f} s: {args.rows:,} incidents over "
          f"{args.municipalities} municipalities, and {args.rows // args.municipalities:,} of one alone")
    alone = time_analyses(one, {"mjolby": {"municipality": "0586", "group": None}})["mjolby"]
    shared = time_analyses(big, {"mjolby": {"municipality": "0586", "group": None},
                                 "county": {"municipality": None, "group": "lan05"},
                                 "narrowed": {"municipality": None, "group": "lan05", "only": "0586"}})
    print(f"{'analysis':<22} {'alone':>14} {'in ' + format(args.rows, ',') + ' (Mjölby)':>26} "
          f"{'county (13)':>14} {'county → Mjölby':>16}")
    worst_one = worst_county = 0.0
    for label in alone:
        cells = []
        for table in (alone, shared["mjolby"], shared["county"], shared["narrowed"]):
            status, seconds, error = table[label]
            cells.append(f"{seconds:6.2f} s" + ("" if status == 200 else f" [{status}]"))
        worst_one = max(worst_one, shared["mjolby"][label][1], shared["narrowed"][label][1])
        worst_county = max(worst_county, shared["county"][label][1])
        print(f"{label:<22} {cells[0]:>14} {cells[1]:>26} {cells[2]:>14} {cells[3]:>16}")
    for who, table in (("Mjölby", shared["mjolby"]), ("county", shared["county"]), ("county → Mjölby",
                                                                                   shared["narrowed"])):
        for label, (status, _seconds, error) in table.items():
            if status != 200:
                print(f"  {who} {label}: {status} {error}")
    print(f"slowest one-municipality analysis {worst_one:.2f} s (goal < 5 s); slowest county analysis "
          f"{worst_county:.2f} s (goal < 30 s)")


if __name__ == "__main__":
    main()
