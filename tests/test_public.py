"""The public view: aggregated cells only, and no pair of queries recovers a single incident."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

A = (15.13199, 58.32298)   # Resecentrum
B = (15.12716, 58.32503)   # Gästisparken
C = (15.29073, 58.34862)   # Mantorp station


def _add(session: Session, where: tuple[float, float], when: str, category: str, n: int) -> None:
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision, description)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'demo', 'exact', 'Namn Namnsson, hemlig')"""),
        [{"lon": where[0], "lat": where[1], "cat": category, "t": when}] * n)


def test_no_query_pair_reveals_a_small_count(client: TestClient, session: Session) -> None:
    _add(session, A, "2025-01-10T21:00:00+01:00", "vald", 5)
    _add(session, A, "2025-01-11T21:00:00+01:00", "klotter", 1)      # one incident of another group
    _add(session, A, "2025-02-03T22:00:00+01:00", "vald", 1)         # one incident the month after
    _add(session, B, "2025-03-03T22:00:00+01:00", "narkotika", 3)    # a cell that must never show
    _add(session, C, "2025-01-20T23:00:00+01:00", "hansynslos_korning", 12)
    session.commit()
    groups = client.get("/api/v1/public/groups").json()
    assert "vald" in groups and "egendom" in groups
    answers: dict[tuple[str, str | None], dict[int, int]] = {}
    for period, group in itertools.product(["2025", "2025-Q1", "2025-01", "2025-02", "2025-03"], [None, *groups]):
        params = {"period": period} | ({"group": group} if group else {})
        body = client.get("/api/v1/public/cells", params=params).json()
        for feature in body["features"]:
            assert set(feature["properties"]) == {"cell", "count"}  # no times, no text, no categories
        answers[(period, group)] = {f["properties"]["cell"]: f["properties"]["count"] for f in body["features"]}
    published = [count for cells in answers.values() for count in cells.values()]
    assert published and all(count >= 5 and count % 5 == 0 for count in published)
    cells = {cell for a in answers.values() for cell in a}
    assert len(cells) == 2  # Gästisparken's three incidents never show
    for (_, first), (_, second) in itertools.combinations(answers.items(), 2):
        for cell in cells:
            difference = abs(first.get(cell, 0) - second.get(cell, 0))
            assert difference % 5 == 0  # never 1–4: a single incident cannot be isolated
    for period in ["2025", "2025-Q1", "2025-01"]:
        total = answers[(period, None)]
        by_group = [answers[(period, g)] for g in groups]
        for cell in cells:
            assert (total.get(cell, 0) - sum(a.get(cell, 0) for a in by_group)) % 5 == 0
    assert answers[("2025-01", None)] and "hemlig" not in str(answers)


def test_bad_period_and_group(client: TestClient) -> None:
    assert client.get("/api/v1/public/cells", params={"period": "2025-13"}).status_code == 422
    bad = client.get("/api/v1/public/cells", params={"period": "2025", "group": "nope"})
    assert bad.status_code == 422 and "groups:" in bad.json()["detail"][0]["msg"]
