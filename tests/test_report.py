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
