"""The lägesbild on 1,000,000 stored incidents: HTML and PDF, cold and warm analysis cache.

    .venv/bin/python bench/lagesbild.py [--rows 1000000]

Builds (or reuses) the benchmark database of bench/dataset.py, adds unit reports, a safety walk, a citizen
promise and interventions, then times GET /lagesbild for the last 14 days of the data. The peer figure is
the bare per-category count for the same three periods, so the ratio says what the full report costs
over the one query a minimal report would need. Goal (issue 7): under 10 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PERIOD = {"start": "2026-10-17T00:00:00+02:00", "end": "2026-10-31T00:00:00+01:00"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    from bench.dataset import make

    url = make(args.rows)
    os.environ["DATABASE_URL"] = url
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from app.analysis import cache
    from app.analysis.points import POINTS_CACHE
    from app.auth.service import create_token
    from app.config import get_settings
    from app.db import get_engine, session_factory
    from app.main import create_app

    for cached in (get_settings, get_engine, session_factory):  # make() read the settings before the URL was set
        cached.cache_clear()
    with session_factory()() as session:
        for table in ("unit_reports", "safety_walks", "citizen_promises", "interventions"):
            session.execute(text(f"TRUNCATE {table} CASCADE"))
        session.commit()
        token = create_token(session, role="admin", name="bench")
        count = session.execute(text("SELECT count(*) FROM incidents")).scalar_one()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app()) as client:
        for unit in ("polisen", "kultur_fritid", "bostadsbolaget"):
            client.post("/api/v1/reports", headers=headers, json={
                "organisation": unit, "period_start": "2026-10-13",
                "observations": [{"place_id": 1, "text": f"Iakttagelse från {unit}"}]})
        client.post("/api/v1/walks", headers=headers, json={"walked_on": "2026-10-20", "area": "Centrum", "findings": [
            {"kind": "dark_place", "lon": 15.1318, "lat": 58.3262, "description": "Mörk gångtunnel"}]})
        made = [client.post("/api/v1/interventions", headers=headers, json={
            "title": f"Insats {n}", "kind": "patrol", "organisation": "polisen", "place_id": n,
            "start_date": "2026-06-01"}).json()["id"] for n in (1, 2, 3)]
        client.post("/api/v1/promises", headers=headers, json={
            "title": "Tryggare kvällar", "period_start": "2026-01-01", "period_end": "2026-12-31",
            "categories": ["narkotika"], "place_ids": [1, 2], "intervention_ids": made})
        client.post("/logga-in", data={"token": token}, follow_redirects=False)

        print(f"lägesbild on {count:,} stored incidents, period {PERIOD['start'][:10]} – {PERIOD['end'][:10]}")
        with session_factory()() as session:
            start = time.perf_counter()
            session.execute(text("""SELECT category, count(*) FILTER (WHERE occurred_at >= :s),
                                           count(*) FILTER (WHERE occurred_at < :s)
                FROM incidents WHERE (occurred_at >= :p AND occurred_at < :e) OR
                                     (occurred_at >= :ys AND occurred_at < :ye) GROUP BY 1"""),
                            {"s": PERIOD["start"], "e": PERIOD["end"], "p": "2026-10-03T00:00:00+02:00",
                             "ys": "2025-10-18T00:00:00+02:00", "ye": "2025-11-01T00:00:00+01:00"}).all()
            peer = time.perf_counter() - start
        print(f"  peer: bare per-category counts, 3 periods      {peer:7.3f} s")
        for label, params in (("HTML, cold analysis cache", {}), ("HTML, warm cache", {}),
                              ("PDF, cold analysis cache", {"format": "pdf"})):
            if "cold" in label:
                cache.results.clear()
                POINTS_CACHE.clear()
            start = time.perf_counter()
            response = client.get("/lagesbild", params={**PERIOD, **params})
            seconds = time.perf_counter() - start
            assert response.status_code == 200, response.text[:300]
            print(f"  lägesbild {label:<34} {seconds:7.2f} s  {len(response.content) / 1024:7.0f} KiB"
                  f"  ({seconds / peer:,.0f}× the peer)")


if __name__ == "__main__":
    main()
