"""The police events feed as it really is (#18): event times from the titles, publication kept as the
report time, every type mapped, county-level events placed at a named locality or counted out, and the
sync that survives an outage and a malformed answer."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import session_factory
from app.imports.police import SWEDISH_TIME, named_locality, title_time
from app.imports.service import ImportOptions, run_import
from app.policefeed.service import status, sync
from tests.conftest import sign_in

DATA = Path(__file__).resolve().parent.parent / "data"
MJOLBY_GPS = "58.3245,15.129"  # the feed's centre of Mjölby municipality
COUNTY_GPS = "58.410849,15.621373"  # the feed's "Östergötlands län": central Linköping


def event(ident: int, published: str, title: str, kind: str, where: str = "Mjölby", gps: str = MJOLBY_GPS,
          summary: str = "") -> dict[str, Any]:
    """One event in the feed's own shape (polisen.se/api/events)."""
    return {"id": ident, "datetime": published, "name": title, "summary": summary,
            "url": f"/aktuellt/handelser/2026/{ident}/", "type": kind, "location": {"name": where, "gps": gps}}


def _import(session: Session, events: list[dict[str, Any]]):  # type: ignore[no-untyped-def]
    return run_import(session, io.BytesIO(json.dumps(events).encode()),
                      ImportOptions(filename="events.json", format="police", skip_invalid=True))


def _stored(session: Session, ident: int) -> Any:
    return session.execute(text(
        "SELECT occurred_at, reported_at, category, ST_Y(geom), ST_X(geom), location_precision, precision_m "
        "FROM incidents WHERE source = 'polisen' AND external_id = :id"), {"id": str(ident)}).one_or_none()


def test_title_times_both_clock_styles_and_the_year_nearest_publication() -> None:
    pub = datetime(2026, 8, 22, 7, 48, 12, tzinfo=UTC)
    five_fifty_nine = datetime(2026, 8, 22, 5, 59, tzinfo=UTC)
    assert title_time("22 augusti 07.59, Brand, Kävlinge", pub, SWEDISH_TIME) == five_fifty_nine
    assert title_time("22 augusti 7:59, Brand, Kävlinge", pub, SWEDISH_TIME) == five_fifty_nine
    new_year = datetime(2025, 12, 31, 23, 20, 11, tzinfo=UTC)  # 00.20 on 1 January, Swedish time
    assert title_time("31 december 23.50, Skadegörelse, Mjölby", new_year, SWEDISH_TIME) == \
        datetime(2025, 12, 31, 22, 50, tzinfo=UTC)
    # a title a few minutes ahead of its publication stays in its year
    assert title_time("22 augusti 10.05, Brand, Mjölby", datetime(2026, 8, 22, 8, 0, tzinfo=UTC), SWEDISH_TIME) == \
        datetime(2026, 8, 22, 8, 5, tzinfo=UTC)
    # published on 1 January about an event on 1 January: the new year, not the old
    assert title_time("1 januari 00.05, Brand, Mjölby", datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
                      SWEDISH_TIME) == datetime(2025, 12, 31, 23, 5, tzinfo=UTC)
    assert title_time("Sammanfattning natt, Östergötlands län", pub, SWEDISH_TIME) is None
    assert title_time("22 augusti 25.10, Brand, Mjölby", pub, SWEDISH_TIME) is None
    assert named_locality("Butiksstöld i Skänninge under eftermiddagen", ["Mjölby", "Skänninge"]) == "Skänninge"
    assert named_locality("Skänningebo gripen", ["Skänninge"]) is None  # a word, not a part of one


def test_a_feed_sample_goes_in_with_title_times_and_nothing_dropped_without_a_count(session: Session) -> None:
    types = json.loads((DATA / "police_event_types.json").read_text(encoding="utf-8"))
    events = [
        event(1, "2026-08-22 9:48:12 +02:00", "22 augusti 07.59, Brand, Mjölby", "Brand"),
        event(2, "2025-06-16 18:02:00 +02:00", "16 juni 16:19, Misshandel, Mjölby", "Misshandel"),
        event(3, "2026-01-01 0:20:11 +01:00", "31 december 23.50, Skadegörelse, Mjölby", "Skadegörelse"),
        event(4, "2026-03-03 15:02:40 +01:00", "3 mars 14.10, Stöld, Östergötlands län", "Stöld",
              "Östergötlands län", COUNTY_GPS, "Butiksstöld i Skänninge. En person gripen."),
        event(5, "2026-03-03 16:00:00 +01:00", "3 mars 15.30, Stöld, Östergötlands län", "Stöld",
              "Östergötlands län", COUNTY_GPS, "Stöld ur bil på en parkering."),
        event(6, "2026-03-04 12:00:00 +01:00", "4 mars 11.00, Rymning från vårdinrättning, Mjölby",
              "Rymning från vårdinrättning"),
        event(7, "2026-08-22 10:00:00 +02:00", "22 augusti 10.05, Rattfylleri, Mjölby", "Rattfylleri"),
        event(8, "2026-04-01 9:15:00 +02:00", "Klotter, Mjölby", "Klotter"),
    ]
    events += [event(100 + k, "2026-05-10 22:31:00 +02:00", f"10 maj 21.{k % 60:02d}, {t['type']}, Mjölby", t["type"])
               for k, t in enumerate(types)]
    report = _import(session, events)
    assert report.rows_read == len(events) == report.inserted + report.skipped + report.rejected
    assert report.rejected == 0, report.errors

    brand = _stored(session, 1)
    assert brand.occurred_at == datetime(2026, 8, 22, 5, 59, tzinfo=UTC)  # the title's time, not publication
    assert brand.reported_at == datetime(2026, 8, 22, 7, 48, 12, tzinfo=UTC)  # publication kept as reported
    assert _stored(session, 2).occurred_at == datetime(2025, 6, 16, 14, 19, tzinfo=UTC)
    assert _stored(session, 3).occurred_at == datetime(2025, 12, 31, 22, 50, tzinfo=UTC)  # the year before
    skanninge = _stored(session, 4)
    assert (skanninge.st_y, skanninge.st_x) == pytest.approx((58.3955, 15.0868))  # not Linköping
    assert (skanninge.location_precision, skanninge.precision_m) == ("municipality", 10_000)
    assert _stored(session, 5) is None and _stored(session, 6) is None
    assert report.skipped_reasons["placed only at Östergötlands län, and the text names no municipality or "
                                  "locality served here"] == 1
    assert report.skipped_reasons["no category for police event type 'Rymning från vårdinrättning' "
                                  "(add it to police_event_types)"] == 1
    assert _stored(session, 7).category == "hansynslos_korning"
    assert _stored(session, 7).occurred_at == datetime(2026, 8, 22, 8, 5, tzinfo=UTC)
    klotter = _stored(session, 8)
    assert klotter.category == "klotter" and klotter.occurred_at == datetime(2026, 4, 1, 7, 15, tzinfo=UTC)
    assert report.notes["time of publication (the title gives no time)"] == 1
    assert report.notes["placed at Skänninge, which the text names (the feed gives Östergötlands län)"] == 1

    for k, t in enumerate(types):  # every type of the table: stored with its category, or counted out
        row = _stored(session, 100 + k)
        if t["category"] is None:
            assert row is None, t["type"]
        else:
            assert row is not None and row.category == t["category"], t["type"]
            assert row.occurred_at == datetime(2026, 5, 10, 19, k % 60, tzinfo=UTC)
    assert sum(report.skipped_reasons.values()) == report.skipped


def test_each_event_is_placed_by_its_own_words_never_by_a_box(session: Session) -> None:
    """Issue #34, with the real feed's shapes: an event located "Boxholm" (its point inside the old extent
    box) and a county-level "…, Vadstena" are not Mjölby's; "…, Mjölby" at the county's point and a
    county-level event naming Skänninge are, at Mjölby's centre and at Skänninge; with Motala added (a
    county install), a county-level "…, Motala" is Motala's."""
    from app.municipalities.service import add_municipality

    boxholm_gps = "58.1976,15.0546"  # inside 14.85,58.15,15.45,58.50, Mjölby's old box
    add_municipality(session, code="0583", name="Motala kommun", extent=(14.75, 58.45, 15.35, 58.70), county_code="05")
    try:
        report = _import(session, [
            event(1, "2026-11-20 10:00:00 +01:00", "20 november 09.10, Ofredande/förargelse, Boxholm",
                  "Ofredande/förargelse",
                  "Boxholm", boxholm_gps),
            event(2, "2026-11-20 11:00:00 +01:00", "20 november 10.10, Stöld, Vadstena", "Stöld",
                  "Östergötlands län", COUNTY_GPS),
            event(3, "2026-11-20 12:00:00 +01:00", "20 november 11.10, Misshandel, Mjölby", "Misshandel",
                  "Östergötlands län", COUNTY_GPS),
            event(4, "2026-11-20 13:00:00 +01:00", "20 november 12.10, Stöld, Östergötlands län", "Stöld",
                  "Östergötlands län", COUNTY_GPS, "Butiksstöld i Skänninge."),
            event(5, "2026-11-20 14:00:00 +01:00", "20 november 13.10, Skadegörelse, Motala kommun",
                  "Skadegörelse",
                  "Östergötlands län", COUNTY_GPS),
        ])
        assert report.rejected == 0, report.errors
        assert report.skipped_reasons == {"in Boxholm kommun, which this install does not serve": 1,
                                          "in Vadstena kommun, which this install does not serve": 1}
        rows = dict(session.execute(text("SELECT external_id, municipality_code FROM incidents "
                                         "WHERE source = 'polisen'")).all())
        assert rows == {"3": "0586", "4": "0586", "5": "0583"}
        assert (_stored(session, 3).st_y, _stored(session, 3).st_x) == pytest.approx((58.325, 15.13))
        assert (_stored(session, 4).st_y, _stored(session, 4).st_x) == pytest.approx((58.3955, 15.0868))
        assert report.notes["placed at Mjölby, which the text names (the feed gives Östergötlands län)"] == 1
        assert (_stored(session, 5).st_y, _stored(session, 5).st_x) == pytest.approx((58.54204, 15.04126))
    finally:
        session.rollback()
        session.execute(text("DELETE FROM incidents WHERE municipality_code = '0583'"))
        session.execute(text("DELETE FROM municipality_group_members WHERE municipality_code = '0583'"))
        session.execute(text("DELETE FROM municipalities WHERE code = '0583'"))
        session.commit()


class Feed:
    """A local HTTP server answering with recorded responses, one per request, in turn."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []
        self.requests = 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                feed.requests += 1
                code, body = feed.answers.pop(0) if feed.answers else (503, b"Service Unavailable")
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/events?locationname=Mjölby"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, code: int, body: bytes | list[dict[str, Any]]) -> None:
        self.answers.append((code, json.dumps(body).encode() if isinstance(body, list) else body))


@pytest.fixture
def feed() -> Iterator[Feed]:
    server = Feed()
    yield server
    server.server.shutdown()


def _events(*idents: int) -> list[dict[str, Any]]:
    return [event(i, f"2026-11-2{i % 9} 12:0{i % 10}:00 +01:00", f"2{i % 9} november 11.{i % 60:02d}, Misshandel, "
                  "Mjölby", "Misshandel") for i in idents]


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM incidents WHERE source = 'polisen'")).scalar_one())


def test_sync_stores_each_event_once_and_survives_an_outage_and_garbage(
        session: Session, feed: Feed, caplog: pytest.LogCaptureFixture) -> None:
    factory = session_factory()
    feed.answer(200, _events(1, 2, 3))
    first = sync(factory, feed.url, retry_seconds=())
    assert first.ok and (first.inserted, _count(session)) == (3, 3)
    feed.answer(200, _events(2, 3, 4))  # the next fetch overlaps the last
    second = sync(factory, feed.url, retry_seconds=())
    assert (second.inserted, second.duplicates, _count(session)) == (1, 2, 4)

    feed.answer(503, b"Service Unavailable")
    down = sync(factory, feed.url, retry_seconds=())
    assert not down.ok and "HTTP 503" in down.message and _count(session) == 4
    feed.answer(200, b"<html><body>Underh\xc3\xa5ll p\xc3\xa5g\xc3\xa5r</body></html>")
    garbage = sync(factory, feed.url, retry_seconds=())
    assert not garbage.ok and "no events feed" in garbage.message and _count(session) == 4
    feed.answer(200, [{"id": 9}])  # half an event: read, found wanting, counted, nothing half-written
    feed.answer(200, b'[{"id": 10, "datetime": "2026-11-20 1')  # cut off mid-answer
    assert sync(factory, feed.url, retry_seconds=()).ok
    cut = sync(factory, feed.url, retry_seconds=())
    assert not cut.ok and _count(session) == 4
    assert "police feed failed: HTTP 503" in caplog.text

    waits: list[float] = []
    feed.answer(503, b"")
    feed.answer(200, _events(5))
    retried = sync(factory, feed.url, retry_seconds=(7.0,), sleep=waits.append)
    assert retried.ok and waits == [7.0] and _count(session) == 5

    log = session.execute(text("SELECT ok, inserted, message FROM police_feed_fetches ORDER BY id")).all()
    assert [r.ok for r in log] == [True, True, False, False, True, False, False, True]
    assert log[2].message.startswith("HTTP 503") and log[0].inserted == 3


def test_a_stale_feed_warns_on_the_start_page(client: TestClient, people: dict[str, str], session: Session) -> None:
    headers = sign_in(client, people["analyst"])
    assert "feed-warning" not in client.get("/", headers=headers).text  # never used: nothing to warn about
    session.execute(text("INSERT INTO police_feed_fetches (started_at, url, ok, message) VALUES "
                         "(now() - interval '10 days', 'http://feed', true, '3 events'), "
                         "(now() - interval '1 hour', 'http://feed', false, 'HTTP 503 from http://feed')"))
    session.commit()
    assert status(session).stale
    page = client.get("/", headers=headers).text
    assert 'data-testid="feed-warning"' in page and "för mer än 7 dygn sedan" in page and "HTTP 503" in page
    session.execute(text("INSERT INTO police_feed_fetches (started_at, url, ok) VALUES (now(), 'http://feed', true)"))
    session.commit()
    assert not status(session).stale
    assert "feed-warning" not in client.get("/", headers=headers).text
    assert status(session, datetime.now(UTC) + timedelta(days=8)).stale


def test_the_background_job_fetches_on_its_interval_and_stops(session: Session, feed: Feed) -> None:
    import time

    from app.policefeed.service import SyncJob

    feed.answer(200, _events(1, 2))
    feed.answer(200, _events(2, 3))
    job = SyncJob(session_factory(), minutes=0.005, url=feed.url)  # every 0.3 s
    job.start()
    deadline = time.monotonic() + 20
    while _count(session) < 3 and time.monotonic() < deadline:
        session.rollback()
        time.sleep(0.05)
    job.stop()
    assert not job.thread.is_alive()
    assert _count(session) == 3 and feed.requests >= 2


def test_a_gap_is_recorded_shown_until_acknowledged_and_an_empty_answer_warns(
        client: TestClient, people: dict[str, str], session: Session, feed: Feed) -> None:
    """Issue #34: a gap (every event of an answer published after the newest of the answer before: the
    ones in between passed through the feed's ~500-event window unseen) is kept and shown on the start page
    until an admin acknowledges it; an empty answer is a warning, not a good fetch; every left-out event's
    reason is in the fetch log."""
    from app.policefeed.service import sync_once

    feed.answer(200, _events(1, 2, 3))
    first = sync_once(session, feed.url)
    assert first.ok and "gap" not in first.message
    later = [event(50 + k, "2026-12-01 12:00:00 +01:00", f"1 december 11.0{k}, Misshandel, Mjölby", "Misshandel")
             for k in range(2)]
    later.append(event(60, "2026-12-01 12:30:00 +01:00", "1 december 11.10, Stöld, Boxholm", "Stöld", "Boxholm",
                       "58.1976,15.0546"))
    feed.answer(200, later)
    second = sync_once(session, feed.url)
    assert second.ok and "a gap: events published between" in second.message, second.message
    assert "left out 1: in Boxholm kommun, which this install does not serve" in second.message
    [(start, end)] = status(session).gaps
    assert start == datetime(2026, 11, 23, 11, 3, tzinfo=UTC) and end == datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    analyst = sign_in(client, people["analyst"])
    page = client.get("/", headers=analyst).text
    assert 'data-testid="feed-gaps"' in page and "2026-11-23 12:03" in page and "2026-12-01 12:00" in page
    assert 'action="/polisflode/kvittera"' not in page  # shown to staff, acknowledged by an admin
    refused = client.post("/polisflode/kvittera", data={"csrf": analyst["X-CSRF-Token"]}, headers=analyst,
                          follow_redirects=False)
    assert refused.status_code != 303 and status(session).gaps
    client.cookies.clear()
    headers = sign_in(client, people["admin"])
    assert 'action="/polisflode/kvittera"' in client.get("/", headers=headers).text
    done = client.post("/polisflode/kvittera", data={"csrf": headers["X-CSRF-Token"]}, headers=headers,
                       follow_redirects=False)
    assert done.status_code == 303 and status(session).gaps == ()
    assert 'data-testid="feed-gaps"' not in client.get("/", headers=headers).text

    feed.answer(200, [])
    empty = sync_once(session, feed.url)
    assert not empty.ok and "holds no events" in empty.message


def test_a_trickling_feed_ends_by_its_deadline_with_its_log_row_closed(session: Session) -> None:
    """A server that sends a byte every 0.2 s never trips a per-read timeout; the fetch's total deadline
    ends it, and the fetch's log row is finished, not left open."""
    import time as clock

    from app.policefeed.service import fetch

    class Trickle(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    clock.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api/events"
    try:
        began = clock.monotonic()
        result = sync_once_with(session, url, lambda u: fetch(u, timeout=1.5))
        assert clock.monotonic() - began < 6
        assert not result.ok and "no complete answer" in result.message
        row = session.execute(text("SELECT ok, finished_at FROM police_feed_fetches ORDER BY id DESC LIMIT 1")).one()
        assert row.ok is False and row.finished_at is not None
    finally:
        server.shutdown()


def sync_once_with(session: Session, url: str, fetcher: Any) -> Any:
    from app.policefeed.service import sync_once

    return sync_once(session, url, fetcher)
