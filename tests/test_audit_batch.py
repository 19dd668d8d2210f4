"""The batch writer behind the audit rows of reads: nothing lost to an outage, one bad row holds back
nothing, flush() means committed, and the row says when the read arrived."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.audit.batch import BatchWriter, Row
from app.audit.middleware import reads
from tests.conftest import auth


class Outage(Exception):
    pass


class Store:
    """Stands in for the database: commits whole batches, or fails them."""

    def __init__(self, outages: int = 0, refuse: object = None) -> None:
        self.rows: list[Row] = []
        self.batches: list[int] = []
        self.outages, self.refuse = outages, refuse
        self.lock = threading.Lock()

    def insert(self, batch: list[Row]) -> None:
        with self.lock:
            if self.outages:
                self.outages -= 1
                raise Outage("database away")
            if any(row["n"] == self.refuse for row in batch):
                raise ValueError("value too long")
            self.rows.extend(batch)
            self.batches.append(len(batch))


def writer(store: Store, **kwargs: float) -> BatchWriter:
    return BatchWriter(store.insert, transient=lambda exc: isinstance(exc, Outage), retry_after=0.01, **kwargs)


def test_rows_gather_into_batches_and_flush_means_written() -> None:
    store = Store()
    w = writer(store, wait=0.2)
    for n in range(50):
        w.put({"n": n})
    assert w.flush(timeout=5) and w.unwritten == 0
    assert [r["n"] for r in store.rows] == list(range(50))
    assert len(store.batches) <= 2  # not fifty transactions


def test_an_outage_loses_no_row_and_keeps_the_order() -> None:
    store = Store(outages=3)
    w = writer(store, wait=0.0)
    for n in range(20):
        w.put({"n": n})
    assert w.flush(timeout=5)
    assert [r["n"] for r in store.rows] == list(range(20))


def test_a_refused_row_does_not_hold_back_the_others() -> None:
    store = Store(refuse=7)
    w = writer(store, wait=0.1)
    for n in range(10):
        w.put({"n": n})
    assert w.flush(timeout=5)
    assert [r["n"] for r in store.rows] == [n for n in range(10) if n != 7]


def test_a_full_queue_drops_new_rows_instead_of_growing(caplog: object) -> None:
    store = Store(outages=10_000)  # the database stays away
    w = writer(store, wait=0.0, max_queued=5)
    for n in range(8):
        w.put({"n": n})
    assert w.unwritten == 5 and not w.flush(timeout=0.05)
    store.outages = 0
    assert w.flush(timeout=5) and [r["n"] for r in store.rows] == [0, 1, 2, 3, 4]


def test_a_read_row_is_stamped_with_its_arrival(client: TestClient, tokens: dict[str, str],
                                                session: Session) -> None:
    before = datetime.now(UTC)
    assert client.get("/api/v1/incidents", headers=auth(tokens["planner"]), params={"limit": 1}).status_code == 200
    answered = datetime.now(UTC)
    assert reads.flush(timeout=5)
    at, actor = session.execute(text("SELECT at, actor FROM audit_log ORDER BY id DESC LIMIT 1")).one()
    assert actor == "test-planner" and before <= at <= answered
