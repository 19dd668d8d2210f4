"""The lägesbild page: Swedish, charts and map present, numbers equal to direct queries, and a PDF."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo import generate, to_csv
from app.imports.service import ImportOptions, run_import
from tests.conftest import sign_in


def test_lagesbild_numbers_match_direct_queries(client: TestClient, people: dict[str, str], session: Session) -> None:
    rows = generate(datetime.now(ZoneInfo("Europe/Stockholm")).date(), days=120, seed=5)
    run_import(session, io.BytesIO(to_csv(rows)), ImportOptions(filename="demo.csv", format="csv", source="demo"))
    cookie = sign_in(client, people["analyst"])
    page = client.get("/lagesbild", headers=cookie)
    assert page.status_code == 200
    html = page.text
    assert "<h1>Lägesbild" in html and "Händelser per veckodag och timme" in html
    assert html.count("data:image/png;base64,") >= 3  # category chart, hotspot map, hour × weekday chart
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    direct = dict(session.execute(text("SELECT category, count(*) FROM incidents WHERE occurred_at >= :s AND "
                                       "occurred_at < :e GROUP BY 1"), {"s": end - timedelta(days=14), "e": end}).all())
    shown = {code: int(n) for code, n in
             re.findall(r'data-code="(\w+)"><td>[^<]*</td><td class="current" data-label="Nu">(\d+)', html)}
    assert shown == direct and sum(shown.values()) > 20
    pdf = client.get("/lagesbild", params={"format": "pdf"}, headers=cookie)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert client.get("/lagesbild", follow_redirects=False).status_code == 303  # sign in first


def test_areas_that_overlap_count_every_incident_once(client: TestClient, tokens: dict[str, str],
                                                      people: dict[str, str], session: Session) -> None:
    """Two localities whose places lie 600 m apart: their 1.5 km areas overlap. Each incident is counted in
    the locality of its nearest place, so the rows add up to every precise incident and "Övriga kommunen"
    never goes negative (it went negative and the lägesbild answered 500)."""
    from tests.conftest import auth

    made = client.post("/api/v1/places", headers=auth(tokens["admin"]), json={
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [15.1400, 58.3240]},
        "properties": {"name": "Grannorten torg", "kind": "square", "locality": "Grannorten", "source": "test",
                       "confidence": "high"}})
    assert made.status_code == 201, made.text
    now = datetime.now(UTC) - timedelta(hours=3)
    for k in range(12):  # between the two: within 1.5 km of both localities' places
        client.post("/api/v1/incidents", headers=auth(tokens["admin"]), json={
            "lon": 15.1330 + k * 0.0005, "lat": 58.3240, "category": "klotter",
            "occurred_at": (now - timedelta(hours=k)).isoformat()})
    page = client.get("/lagesbild", headers=sign_in(client, people["analyst"]))
    client.cookies.clear()
    assert page.status_code == 200, page.text[-500:]
    rows = dict(re.findall(r'data-area="([^"]+)"><td>[^<]*</td><td class="current" data-label="Nu">(-?\d+)', page.text))
    assert "Grannorten" in rows and all(int(n) >= 0 for n in rows.values()), rows
    assert sum(int(n) for n in rows.values()) == 12, rows


def test_a_source_with_an_outage_is_left_out_of_the_comparison_and_named(client: TestClient, people: dict[str, str],
                                                                       session: Session) -> None:
    """Two sources report every day; one of them had nothing for the first 10 days of the fortnight before.
    Its 214 → 664 would be no change but an outage: it is left out of the comparison, and the page names it
    as its unit, not by its code."""
    end = datetime(2026, 5, 15, tzinfo=UTC)
    for source in ("polisen", "raddningstjansten"):
        for day in range(60):
            if source == "raddningstjansten" and 32 <= day < 42:  # the outage: 17–27 April, the fortnight before
                continue
            for k in range(3):
                session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
                    VALUES (ST_SetSRID(ST_MakePoint(15.13 + :d, 58.32), 4326), 'brand', :t, :s, 'exact')"""),
                    {"d": 0.001 * k, "t": end - timedelta(days=60 - day, hours=k), "s": source})
    session.commit()
    cookie = sign_in(client, people["analyst"])
    html = client.get("/lagesbild", params={"start": "2026-05-01", "end": "2026-05-14"}, headers=cookie).text
    client.cookies.clear()
    left_out = re.search(r'data-against="previous">([^<]*)</p>', html)
    assert left_out and "tar inte med Räddningstjänsten" in left_out.group(1), left_out
    assert "raddningstjansten" not in left_out.group(1) and "Polisen" not in left_out.group(1)
