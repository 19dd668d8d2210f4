"""Keeping the police events feed in sync: fetch, import, log, and say when events may have been lost.

The feed (polisen.se/api/events) holds only the latest ~500 events for the whole country, about eight
days, so a municipality that wants them all must fetch it regularly. Each fetch is an import of its own
(app/imports: the event time from the title, county-level events placed at a named locality or left out,
every event type mapped by the editable table), deduplicated by the event's id, so overlapping fetches
store each event once. A fetch that fails (the source down, a timeout, an answer that is no feed) stores
nothing, logs why, and is tried again with back-off; every attempt is kept in `police_feed_fetches`.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput
from app.imports.police import FEED_WINDOW
from app.imports.service import ImportOptions, ImportRejected, run_import
from app.policefeed.models import PoliceFeedFetch

log = logging.getLogger("lagesbild.policefeed")
RETRY_SECONDS = (5.0, 30.0)  # waits before the second and third attempt
LOCK_KEY = 0x7047_0001  # pg advisory lock: one fetch at a time across the app's processes


class FeedUnavailable(Exception):
    """The feed could not be fetched or read; the message says why, in a line fit for a log."""


@dataclass(frozen=True)
class FetchResult:
    ok: bool
    message: str
    events: int = 0
    inserted: int = 0
    duplicates: int = 0
    skipped: int = 0


def fetch(url: str, *, timeout: float | None = None, max_bytes: int | None = None) -> bytes:
    """The feed's body, bounded in time and size; FeedUnavailable when the source is down or odd. `timeout`
    bounds each wait for a byte and the whole answer: a server that trickles a byte every few seconds is cut
    off when the answer has taken `timeout` in all, so a sync never holds its lock for long."""
    settings = get_settings()
    timeout = settings.police_feed_timeout_seconds if timeout is None else timeout
    max_bytes = settings.police_feed_max_bytes if max_bytes is None else max_bytes
    deadline = time.monotonic() + timeout
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True,
                          headers={"Accept": "application/json", "User-Agent": "Lagesbild police-feed sync"}) as reply:
            if reply.status_code != 200:
                raise FeedUnavailable(f"HTTP {reply.status_code} from {url}")
            body = bytearray()
            for chunk in reply.iter_bytes():
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FeedUnavailable(f"the answer from {url} is larger than {max_bytes:,} bytes")
                if time.monotonic() > deadline:
                    raise FeedUnavailable(f"no complete answer from {url} within {timeout:.0f} s")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise FeedUnavailable(f"{type(exc).__name__} fetching {url}: {exc}") from None


FEED = "https://polisen.se/api/events"


def feed_url(session: Session) -> str:
    """The police feed for the install's municipalities and their counties ('Mjölby;Motala;Östergötlands
    län'): since February 2026 the feed locates every event at its county."""
    from urllib.parse import quote

    from app.municipalities import reference

    rows = session.execute(text("SELECT name, county_code FROM municipalities ORDER BY is_default DESC, code")).all()
    names = [name.removesuffix(" kommun") for name, _ in rows]
    counties = sorted({reference.COUNTIES[c] for _, c in rows if c in reference.COUNTIES})
    return f"{FEED}?locationname={quote(';'.join(names + counties), safe=';')}"


def _events(body: bytes) -> list[object]:
    """The answer's events (InvalidInput when it is no JSON list; the import names what is wrong inside)."""
    import orjson

    try:
        events = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"not JSON: {exc}") from None
    if not isinstance(events, list):
        raise InvalidInput("not a JSON list of events")
    return events


def _gap(session: Session, events: list[object]) -> tuple[datetime | None, datetime | None]:
    """(newest seen before, oldest now) when the oldest event of this answer was published after the newest
    event of any earlier answer: the feed holds only its ~500 latest events for the whole country, so the
    events published in between passed through it unseen. (None, None) when the answers overlap."""
    from app.imports.values import ValueProblem, parse_when

    published = []
    for event in events:
        if isinstance(event, dict) and event.get("datetime"):
            try:
                published.append(parse_when(str(event["datetime"]), None, UTC))
            except ValueProblem:
                continue
    before = session.scalar(select(PoliceFeedFetch.newest).where(PoliceFeedFetch.ok)
                            .order_by(PoliceFeedFetch.started_at.desc()).limit(1))
    if not published:
        return None, None
    oldest, newest = min(published), max(published)
    session.info["police_feed_newest"] = newest
    if before is not None and oldest > before:
        return before, oldest
    return None, None


def acknowledge_gaps(session: Session, by: str) -> int:
    """An admin has seen the gaps the start page shows (and knows which events to ask the police for)."""
    from sqlalchemy import update

    from app.db import as_owner

    with as_owner(session):
        done = session.execute(update(PoliceFeedFetch).where(PoliceFeedFetch.gap_from.is_not(None),
                                                             PoliceFeedFetch.gap_acknowledged_at.is_(None))
                               .values(gap_acknowledged_at=datetime.now(UTC), gap_acknowledged_by=by[:200]))
        session.commit()
    return int(done.rowcount)  # type: ignore[attr-defined]


def sync_once(session: Session, url: str | None = None,
              fetcher: Callable[[str], bytes] | None = None) -> FetchResult:
    """One fetch and import, logged in police_feed_fetches; nothing of a failed fetch is stored."""
    url = url or get_settings().police_feed_url or feed_url(session)
    record = PoliceFeedFetch(url=url, ok=False)
    session.add(record)
    session.commit()
    try:
        body = (fetcher or fetch)(url)
        events = _events(body)
        if not events:  # a working feed always holds its ~500 latest events: an empty one is a fault upstream
            raise FeedUnavailable(f"the answer from {url} holds no events (an empty list): a warning, not a good "
                                  "fetch")
        record.gap_from, record.gap_to = _gap(session, events)
        report = run_import(session, io.BytesIO(body), ImportOptions(
            filename="polisen-api-events.json", format="police", source="polisen", skip_invalid=True,
            imported_by="police-feed sync"))
    except (FeedUnavailable, InvalidInput, ImportRejected) as exc:
        session.rollback()
        record.gap_from = record.gap_to = None
        message = str(exc) if isinstance(exc, FeedUnavailable) else f"the answer from {url} is no events feed: {exc}"
        result = FetchResult(ok=False, message=message)
    else:
        result = FetchResult(ok=True, message=f"{report.rows_read} events: {report.inserted} new, "
                             f"{report.duplicates} already stored, {report.skipped} left out, "
                             f"{report.rejected} unreadable" + "".join(
                                 f"; left out {n}: {why}" for why, n in sorted(report.skipped_reasons.items())),
                             events=report.rows_read, inserted=report.inserted,
                             duplicates=report.duplicates, skipped=report.skipped)
        record.batch_id = report.batch_id
        record.newest = session.info.pop("police_feed_newest", None)
        if record.gap_from is not None:
            result = FetchResult(ok=True, message=f"{result.message}; a gap: events published between "
                                 f"{record.gap_from.isoformat()} and {record.gap_to.isoformat()} passed "  # type: ignore[union-attr]
                                 "through the feed unseen", events=result.events, inserted=result.inserted,
                                 duplicates=result.duplicates, skipped=result.skipped)
    record.ok, record.message, record.finished_at = result.ok, result.message[:2000], datetime.now(UTC)
    record.events, record.inserted = result.events, result.inserted
    record.duplicates, record.skipped = result.duplicates, result.skipped
    session.commit()
    (log.info if result.ok else log.warning)("police feed %s: %s", "fetched" if result.ok else "failed", result.message)
    return result


def sync(session_factory: Callable[[], Session], url: str | None = None, *,
         retry_seconds: tuple[float, ...] = RETRY_SECONDS, sleep: Callable[[float], object] = time.sleep,
         fetcher: Callable[[str], bytes] | None = None) -> FetchResult:
    """sync_once, tried again after each wait in `retry_seconds` while it fails; one fetch at a time across
    the app's processes (a session advisory lock, held on a connection of its own for the whole run)."""
    from app.db import get_engine

    with get_engine().connect() as lock:
        if not lock.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar():
            return FetchResult(ok=False, message="another fetch of the police feed is under way")
        lock.commit()
        try:
            with session_factory() as session:
                for wait in (*retry_seconds, None):
                    result = sync_once(session, url, fetcher)
                    if result.ok or wait is None:
                        return result
                    log.warning("police feed: trying again in %.0f s", wait)
                    sleep(wait)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
            lock.commit()


@dataclass(frozen=True)
class FeedStatus:
    last_ok: datetime | None
    last_attempt: datetime | None
    last_message: str | None
    stale: bool  # events may have been lost: the last good fetch is older than the feed's window
    gaps: tuple[tuple[datetime, datetime], ...] = ()  # spans that passed unseen, not yet acknowledged


def status(session: Session, now: datetime | None = None) -> FeedStatus:
    """How current the police feed is. Stale when the sync is switched on or has run before, and the last
    good fetch (or none) is older than the feed's window of about eight days."""
    now = now or datetime.now(UTC)
    last_ok = session.scalar(select(PoliceFeedFetch.started_at).where(PoliceFeedFetch.ok)
                             .order_by(PoliceFeedFetch.started_at.desc()).limit(1))
    last = session.execute(select(PoliceFeedFetch.started_at, PoliceFeedFetch.message)
                           .order_by(PoliceFeedFetch.started_at.desc()).limit(1)).first()
    in_use = get_settings().police_feed_interval_minutes > 0 or last is not None
    stale = in_use and (last_ok is None or now - last_ok > FEED_WINDOW)
    gaps = tuple((a, b) for a, b in session.execute(
        select(PoliceFeedFetch.gap_from, PoliceFeedFetch.gap_to).where(
            PoliceFeedFetch.gap_from.is_not(None), PoliceFeedFetch.gap_acknowledged_at.is_(None))
        .order_by(PoliceFeedFetch.gap_from)).all() if a is not None and b is not None)
    return FeedStatus(last_ok=last_ok, last_attempt=last[0] if last else None, last_message=last[1] if last else None,
                      stale=stale, gaps=gaps)


class SyncJob:
    """The served app's background fetch, every `police_feed_interval_minutes` (off when 0). With several
    app processes, the advisory lock in `sync` lets one fetch at a time."""

    def __init__(self, session_factory: Callable[[], Session], minutes: float, url: str | None = None) -> None:
        self.session_factory = session_factory
        self.url = url  # None: LAGESBILD_POLICE_FEED_URL, read at each fetch
        self.interval = timedelta(minutes=minutes).total_seconds()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="police-feed-sync", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                sync(self.session_factory, self.url, sleep=self.stopping.wait)
            except Exception:  # a broken database must not end the job: log it and try at the next interval
                log.exception("police feed sync failed")
            self.stopping.wait(self.interval)
