"""Analyses run in a child process of their own, at a lower CPU priority, when the app serves.

A hotspot analysis over 100,000 incidents is ~350 ms of mostly Python work (the emerging-hotspot cube
takes seconds at a million). Run in a thread of the API process it held the interpreter lock, so
every map page, QGIS read and report that worker was serving waited behind it. In a child process the
API's event loop never waits for it, and at `nice` 5 the operating system gives the API and
PostgreSQL the CPU first; the cache (app/analysis/cache.py) keeps serving the previous result
meanwhile. Measured with analyses recomputed every 2 s beside 64 clients pausing ~1 s between
requests (bench/load.py's clients, 3 alternating rounds): bbox-read p99 457/224/202 ms in a thread,
279/138/171 ms in the child.

The command line and scripts run analyses in their own process, as before: `enable()` is called by the
app's lifespan only.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy.orm import Session

from app.db import tenant
from app.errors import ServiceUnavailable

log = logging.getLogger("lagesbild.analysis")

NICE = 5

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_enabled = False

Compute = Callable[..., Any]


def enable() -> None:
    """Send analyses to the child process from now on. It starts now, in the background, so the first
    analysis does not also wait for the child to import the app; it lives as long as this process."""
    global _enabled
    _enabled = True
    _executor().submit(_ready)


MAX_WAITING = 8      # analyses queued for the child at once; more are told to come back
RETRY_AFTER_S = 10
_waiting = 0


def run(session: Session, compute: Compute, *args: Any) -> Any:
    """`compute(session, *args)`: here with the caller's session, or in the child with one of its own.
    `compute` must be a module-level function and `args` picklable.

    A request waiting for the child holds no database connection (its read transaction ends first), and
    at most MAX_WAITING wait: 100 distinct analyses at once held the pool until other requests got
    "the database is unavailable" while it was up."""
    global _waiting
    if not _enabled:
        return compute(session, *args)
    with _lock:
        if _waiting >= MAX_WAITING:
            raise ServiceUnavailable(f"the analysis is busy; try again in {RETRY_AFTER_S} s", loc=("query",),
                                     sv=f"Analysen är upptagen, försök igen om {RETRY_AFTER_S} s.",
                                     retry_after=RETRY_AFTER_S)
        _waiting += 1
    try:
        if session is not None and not (session.new or session.dirty or session.deleted):
            session.rollback()  # a read-only transaction: hand its connection back while the child works
        return _executor().submit(_in_child, compute, args, tenant(session) if session is not None else None).result()
    except BrokenProcessPool:
        _reset()
        log.exception("the analysis process died; a new one starts with the next analysis")
        raise ServiceUnavailable("the analysis process stopped unexpectedly; try again",
                                 sv="Analysprocessen avbröts oväntat; försök igen") from None
    finally:
        with _lock:
            _waiting -= 1


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the parent has threads (the thread pool, the audit writer) and open sockets
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_child_start, initargs=(os.getpid(),))
        return _pool


def _reset() -> None:
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _child_start(parent: int) -> None:
    """First thing in the child: die with the parent. The parent's pid comes from the parent itself; a
    child that asked for its own parent's pid after a TERM during start-up got 1 (init, which adopted
    it) and watched init forever (240 MB that never exited)."""
    _die_with_parent()
    if os.getppid() != parent:  # the server is already gone
        os._exit(0)
    with contextlib.suppress(OSError):  # where lowering the priority is not permitted, run as is
        os.nice(NICE)
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()


def _die_with_parent() -> None:
    """Linux: the kernel sends SIGKILL to this process when its parent exits (prctl PR_SET_PDEATHSIG)."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG = 1


def _exit_with(parent: int) -> None:
    """A server stopped by a signal may not stop its pool: never outlive the parent by more than a second."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> None:
    import app.analysis.service  # noqa: F401  (the import is most of a child's start-up)


def _in_child(compute: Compute, args: tuple[Any, ...], role: str | None = None) -> Any:
    """Analyses only read, and their results are cached with a staleness allowance (app/analysis/cache.py):
    with LAGESBILD_DATABASE_READ_URL set they read from the standby. They run under the caller's tenant
    role, as the request would."""
    from app.db import act_as_tenant, read_session_factory

    with read_session_factory()() as session:
        act_as_tenant(session, role)
        return compute(session, *args)
