"""Items pages get the plan that fits their box (#23): the primary-key walk for large matches, the
matches' own index and a sort for small ones, chosen from the match count; and every query is planned
with its values (a generic plan cannot see the box)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import session_factory
from app.incidents.service import fetch_page, page_order
from tests.conftest import auth


def _fill(session: Session) -> None:
    # 20,000 incidents over the town, then a dense 2,000 in one block at the end of the id range: a
    # walk in id order must pass all 20,000 before it finds the block, the sort reads only the block
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        SELECT ST_SetSRID(ST_MakePoint(15.08 + random() * 0.10, 58.30 + random() * 0.05), 4326), 'vald',
               '2025-05-01T12:00:00Z', 'kommunen', 'exact' FROM generate_series(1, 20000)"""))
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        SELECT ST_SetSRID(ST_MakePoint(15.2000 + random() * 0.001, 58.3400 + random() * 0.0005), 4326), 'vald',
               '2025-05-01T12:00:00Z', 'kommunen', 'exact' FROM generate_series(1, 2000)"""))
    session.execute(text("ANALYZE incidents"))
    session.commit()


def test_the_order_follows_the_number_of_matches(session: Session) -> None:
    _fill(session)
    small = "i.geom && ST_MakeEnvelope(15.1999, 58.3399, 15.2011, 58.3406, 4326)"
    whole = "i.geom && ST_MakeEnvelope(15.0, 58.2, 15.3, 58.4, 4326)"
    assert page_order(session, small, {}, 1000, None) == "i.id + 0"  # the planner's estimate
    assert page_order(session, small, {}, 1000, 2000) == "i.id + 0"  # a known count
    assert page_order(session, whole, {}, 1000, None) == "i.id"
    assert page_order(session, "TRUE", {}, 100, None) == "i.id"
    # both plans return the same page: the order is the same, only the way to it differs
    sorted_first = fetch_page(session, small, {}, limit=1000, matched=2000)
    walked = fetch_page(session, small, {}, limit=1000, matched=10**9)
    assert sorted_first.features_json == walked.features_json and sorted_first.returned == 1000


def test_connections_plan_each_query_with_its_values(client: TestClient, tokens: dict[str, str],
                                                      session: Session) -> None:
    with session_factory()() as app_session:
        assert app_session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
    _fill(session)
    headers = auth(tokens["analyst"])
    box = "15.1999,58.3399,15.2011,58.3406"
    for _ in range(8):  # past psycopg's prepare threshold (5): still the right answer
        page = client.get("/ogc/collections/incidents/items", params={"bbox": box, "limit": 50}, headers=headers)
        assert page.status_code == 200 and page.json()["numberReturned"] == 50
        assert page.json()["numberMatched"] >= 2000
