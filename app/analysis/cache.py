"""A small in-process LRU for analysis results, keyed on parameters and the data version.

The data version is a PostgreSQL sequence that every write to incidents or places bumps (migration
0003), so a cached result is never served after the data under it changed.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

MAX_ENTRIES = 64


class ResultCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._running: dict[Hashable, threading.Event] = {}  # keys being computed now
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = compute()
        with self._lock:
            self.misses += 1
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def versioned(self, key: Hashable, version: int, max_staleness: float, compute: Callable[[], Any]) -> Any:
        """Like get_or_compute, keyed on `key` alone: an entry computed for an older data version is still
        served for `max_staleness` seconds. Under a stream of writes, every analysis would otherwise be
        recomputed after each new incident; analysts do not need second-fresh hotspots.

        One computation per key at a time: while it runs, callers get the previous result if there is
        one (stale by at most the computation's duration more), else wait for it. Sixteen analysts
        opening the hotspot map after a write would otherwise run sixteen identical analyses at once."""
        while True:
            now = time.monotonic()
            with self._lock:
                entry = self._items.get(key)
                if entry is not None and (entry[0] == version or now - entry[1] < max_staleness):
                    self._items.move_to_end(key)
                    self.hits += 1
                    return entry[2]
                running = self._running.get(key)
                if running is None:
                    running = self._running[key] = threading.Event()
                    break
                if entry is not None:
                    self.hits += 1
                    return entry[2]
            running.wait()  # then look again: the result is there, or its computation failed and we try
        try:
            value = compute()
            with self._lock:
                self.misses += 1
                self._items[key] = (version, now, value)
                self._items.move_to_end(key)
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)
            return value
        finally:
            with self._lock:
                del self._running[key]
            running.set()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()




results = ResultCache()
