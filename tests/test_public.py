"""The public view: released once per period and never changed, differentially private, no detail."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.public.service import EPSILON, THRESHOLD
from geo.privacy import private_counts
from tests.conftest import auth

A = (15.13199, 58.32298)   # Resecentrum
B = (15.12716, 58.32503)   # Gästisparken
C = (15.29073, 58.34862)   # Mantorp station
PERIODS = ["2025", "2025-Q1", "2025-01", "2025-02", "2025-03"]


def _add(session: Session, where: tuple[float, float], when: str, category: str, n: int) -> None:
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision, description)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'demo', 'exact', 'Namn Namnsson, hemlig')"""),
        [{"lon": where[0], "lat": where[1], "cat": category, "t": when}] * n)


def _everything(client: TestClient, groups: list[str]) -> dict[tuple[str, str | None], dict[int, int]]:
    answers = {}
    for period, group in itertools.product(PERIODS, [None, *groups]):
        body = client.get("/api/v1/public/cells", params={"period": period} | ({"group": group} if group else {}))
        assert body.status_code == 200, body.text
        for feature in body.json()["features"]:
            assert set(feature["properties"]) == {"cell", "count"}  # no times, no text, no categories
        answers[(period, group)] = {f["properties"]["cell"]: f["properties"]["count"] for f in body.json()["features"]}
    return answers


def test_released_tables_never_change_and_show_no_small_count(client: TestClient, session: Session,
                                                              tokens: dict[str, str]) -> None:
    _add(session, A, "2025-01-10T21:00:00+01:00", "vald", 40)
    _add(session, A, "2025-01-11T21:00:00+01:00", "klotter", 1)      # one incident of another group
    _add(session, B, "2025-03-03T22:00:00+01:00", "narkotika", 4)    # a withheld cell
    _add(session, C, "2025-01-20T23:00:00+01:00", "hansynslos_korning", 30)
    session.commit()
    groups = client.get("/api/v1/public/groups").json()
    first = _everything(client, groups)
    published = [count for cells in first.values() for count in cells.values()]
    assert published and all(count >= THRESHOLD and count % 5 == 0 for count in published)
    assert first[("2025-01", None)] and "hemlig" not in str(first)
    # The reporter's attack: file k events into a cell, read, withdraw, read again. Released tables are
    # stored, so neither a filing nor anything else changes what the public sees afterwards.
    filed = client.post("/api/v1/incidents", headers=auth(tokens["reporter"]), json={
        "lon": B[0], "lat": B[1], "category": "narkotika", "occurred_at": "2025-03-04T22:00:00+01:00"})
    assert filed.status_code == 201
    _add(session, B, "2025-03-05T22:00:00+01:00", "narkotika", 20)
    session.commit()
    assert _everything(client, groups) == first
    assert client.delete(f"/api/v1/incidents/{filed.json()['id']}", headers=auth(tokens["admin"])).status_code == 204
    assert _everything(client, groups) == first


def test_a_period_is_published_only_a_week_after_it_closes(client: TestClient) -> None:
    today = date.today()
    month = client.get("/api/v1/public/cells", params={"period": today.strftime("%Y-%m")})
    assert month.status_code == 404 and month.json()["detail"][0]["loc"] == ["query", "period"]
    assert "not released yet" in month.json()["detail"][0]["msg"]
    year = client.get("/api/v1/public/cells", params={"period": str(today.year)})
    assert year.status_code == 404
    closed = (datetime.now() - timedelta(days=70)).strftime("%Y-%m")
    assert client.get("/api/v1/public/cells", params={"period": closed}).status_code == 200


def test_the_noise_is_differentially_private() -> None:
    """Neighbouring data (a cell with 4 incidents or 5) give each published value with probabilities
    within a factor e^ε of each other: what any published number says about one incident is bounded."""
    rng = np.random.default_rng(1)
    draws = 200_000
    publishable = np.ones(draws, dtype=bool)
    a = private_counts(np.full(draws, 14), publishable=publishable, epsilon=EPSILON, threshold=THRESHOLD, base=5,
                       rng=rng)
    b = private_counts(np.full(draws, 15), publishable=publishable, epsilon=EPSILON, threshold=THRESHOLD, base=5,
                       rng=rng)
    for value in (0, 15, 20):
        pa, pb = (a == value).mean(), (b == value).mean()
        assert pa > 0.005 and pb > 0.005
        assert max(pa / pb, pb / pa) <= np.exp(EPSILON) * 1.1, (value, pa, pb)


def test_bad_period_and_group(client: TestClient) -> None:
    assert client.get("/api/v1/public/cells", params={"period": "2025-13"}).status_code == 422
    bad = client.get("/api/v1/public/cells", params={"period": "2025", "group": "nope"})
    assert bad.status_code == 422 and "groups:" in bad.json()["detail"][0]["msg"]
