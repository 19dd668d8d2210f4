"""Audit rows of reads, inserted in batches by one background thread.

Every read of incident detail leaves a row, and reads are the busiest requests there are (QGIS pans,
map pages, exports). Writing each row in its own transaction cost a thread-pool hand-off, a pooled
connection, an INSERT and a synchronous commit per read: about 1.5 ms of CPU and several ms of waiting
on a 1,000-feature page (bench/features.py). Here a read only appends its row to a queue; a daemon
thread inserts whatever gathered in the last `wait` seconds in one transaction.

What this trades: a process killed outright (SIGKILL, power loss) loses the read rows of its last
`wait` seconds; a clean shutdown flushes them (the app's lifespan). A database outage loses none: rows
stay queued, up to `max_queued`, and are retried until the database answers. Writes, sign-ins and
role changes are not batched; their rows go in as before.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger("lagesbild.audit")

Row = dict[str, Any]


class BatchWriter:
    def __init__(self, insert: Callable[[list[Row]], None], *, transient: Callable[[Exception], bool],
                 wait: float = 0.05, max_batch: int = 2000, max_queued: int = 100_000,
                 retry_after: float = 1.0) -> None:
        self._insert, self._transient = insert, transient
        self.wait, self.max_batch, self.max_queued, self.retry_after = wait, max_batch, max_queued, retry_after
        self._queue: deque[Row] = deque()
        self._unwritten = 0  # queued plus in flight; flush() waits for zero
        self._flushing = 0
        self._dropped = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    def put(self, row: Row) -> None:
        with self._lock:
            if self._unwritten >= self.max_queued:
                # Only during a long outage; say so loudly rather than grow without bound.
                self._dropped += 1
                if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                    log.error("audit queue full (%d rows unwritten): %d read rows dropped so far",
                              self._unwritten, self._dropped)
                return
            self._queue.append(row)
            self._unwritten += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every row put so far is committed; False if that took longer than `timeout`."""
        with self._lock:
            self._flushing += 1
            self._lock.notify_all()
            try:
                return self._lock.wait_for(lambda: self._unwritten == 0, timeout)
            finally:
                self._flushing -= 1

    @property
    def unwritten(self) -> int:
        return self._unwritten

    def _run(self) -> None:
        while True:
            with self._lock:
                self._lock.wait_for(lambda: bool(self._queue))
                # let a batch gather, unless somebody is waiting for the rows
                self._lock.wait_for(lambda: self._flushing > 0, self.wait)
                batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
            try:
                self._insert(batch)
            except Exception as exc:
                if self._transient(exc):  # the database is away: keep the rows, try again shortly
                    log.warning("could not write %d audit rows (%s); retrying", len(batch), exc.__class__.__name__)
                    with self._lock:
                        self._queue.extendleft(reversed(batch))
                    time.sleep(self.retry_after)
                    continue
                self._one_by_one(batch)
            with self._lock:
                self._unwritten -= len(batch)
                self._lock.notify_all()

    def _one_by_one(self, batch: list[Row]) -> None:
        """A row the database refuses (not an outage) must not hold back the others."""
        for row in batch:
            try:
                self._insert([row])
            except Exception:
                log.exception("audit row refused by the database, dropped: %r", row)
