"""Database engine and sessions (SQLAlchemy 2, psycopg 3)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.config import get_settings

F = TypeVar("F", bound=Callable[..., Any])

# A pooled connection idle longer than this is checked with a ping before use (see get_engine).
PING_AFTER_IDLE_S = 1.0


class Base(DeclarativeBase):
    """Declarative base of every ORM model; Alembic compares against its metadata."""


def sqlalchemy_url(url: str) -> str:
    """A libpq URL as SQLAlchemy takes it: the psycopg driver, and a multi-host list
    (`postgresql://u@h1:5432,h2:5432/db?target_session_attrs=read-write`, as pg_auto_failover prints it)
    moved into repeated `host=h:p` parameters, which SQLAlchemy's psycopg dialect hands back to libpq."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if "," not in hosts:
        return url
    query = [("host", host) for host in hosts.split(",")] + parse_qsl(parts.query, keep_blank_values=True)
    return urlunsplit((parts.scheme, userinfo + at, parts.path, urlencode(query, safe=":"), parts.fragment))


def database_url() -> str:
    """The configured DATABASE_URL (for SQLAlchemy), or the URL of the self-started local server."""
    settings = get_settings()
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    from app.localdb import server_from_settings

    return server_from_settings().url(settings.db_name)


def libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq (psycopg.connect, pg_dump) takes it: repeated `host=h:p` parameters become
    libpq's `host=h1,h2&port=p1,p2` lists."""
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    hosts = [value for key, value in query if key == "host"]
    if len(hosts) < 2:
        return url
    names, ports = zip(*(host.rpartition(":")[::2] if ":" in host else (host, "") for host in hosts), strict=True)
    rest = [(key, value) for key, value in query if key != "host"]
    listed = [("host", ",".join(names))] + ([("port", ",".join(ports))] if any(ports) else [])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(listed + rest, safe=":,"), parts.fragment))


@lru_cache
def get_engine() -> Engine:
    """The engine of DATABASE_URL: every write, and every read that must see the latest data."""
    return _make_engine(database_url())


@lru_cache
def get_read_engine() -> Engine:
    """The engine of LAGESBILD_DATABASE_READ_URL (a standby when there is one), else the main engine."""
    url = get_settings().database_read_url
    return _make_engine(sqlalchemy_url(url)) if url else get_engine()


def _make_engine(url: str) -> Engine:
    settings = get_settings()
    engine = create_engine(
        url,
        # 16+ concurrent requests each hold a connection and the audit trail takes another after the
        # answer. Overflow connections are closed on return, and a new connection pays a scram handshake
        # and ~12 ms of cold catalog caches on its first query: keep enough pooled, and hand out the most
        # recently used one (LIFO) so light traffic stays on warm connections. Two workers use at most 80.
        pool_size=30,
        max_overflow=10,
        pool_use_lifo=True,
        pool_timeout=5,
        connect_args={"connect_timeout": 3},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Bound every query a request can run: no analysis may hold a connection forever.
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(settings.statement_timeout_ms)}")
            cur.execute("SET TIME ZONE 'UTC'")
            # psycopg prepares a statement run five times; PostgreSQL may then reuse a generic plan that
            # cannot see the bbox, and a whole-town page sorted 1M rows (2.2 s) instead of walking the
            # key (1.3 ms, bench/features.py). Plan each query with its values: ~0.3 ms of planning.
            cur.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.commit()
        record.info["idle_since"] = time.monotonic()

    # Instead of pool_pre_ping, which pays a round trip on every checkout (two per audited read), ping
    # only connections that sat idle: after a database restart those are the dead ones. A connection
    # that dies while busy fails its statement; SQLAlchemy then recycles the whole pool, and the
    # request gets the 503 it would have got anyway (tests/test_faults.py).
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) <= PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc  # the pool takes a fresh one

    return engine


@lru_cache
def session_factory() -> sessionmaker[Session]:
    import app.models  # noqa: F401  (registers every mapper before the first session)

    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@lru_cache
def read_session_factory() -> sessionmaker[Session]:
    import app.models  # noqa: F401

    return sessionmaker(bind=get_read_engine(), expire_on_commit=False)


def standby_read(endpoint: F) -> F:
    """Mark a GET route whose answer may be a few seconds stale: with LAGESBILD_DATABASE_READ_URL set, its
    request (the caller's sign-in look-up included) reads from the standby, which also keeps answering while
    the primary is down. Only for routes that write nothing: a standby refuses writes."""
    endpoint.__dict__["standby_read"] = True
    return endpoint


def _reads_from_standby(request: Request) -> bool:
    route = request.scope.get("route")
    return (request.method in ("GET", "HEAD") and get_settings().database_read_url is not None
            and getattr(getattr(route, "endpoint", None), "standby_read", False))


# The roles of migration 0021: one per municipality, one per group of municipalities.
TENANT_ROLE = re.compile(r"lagesbild_(m[0-9]{4}|g[a-z0-9_]{1,40})")


MUNICIPALITY_CODE = re.compile(r"[0-9]{4}")


def act_as(session: Session, role: str | None, only: str | None = None) -> None:
    """Run `session`'s transactions under the tenant `role` from now on: PostgreSQL's row-level security
    then shows and accepts only that municipality's (or group's) rows, whatever the queries ask. Called
    with the caller's role once the request knows who calls (app.deps.current_principal); `None` leaves
    the login role (the owner: command line, background jobs). `only` narrows a county role to one of its
    municipalities (`lagesbild.municipality`, migration 0024): it can narrow what the role sees, never widen
    it."""
    if role is None:
        return
    if not TENANT_ROLE.fullmatch(role):
        raise ValueError(f"not a tenant role: {role!r}")
    if only is not None and not MUNICIPALITY_CODE.fullmatch(only):
        raise ValueError(f"not a municipality code: {only!r}")
    session.info["db_role"] = role
    session.info["db_only"] = only
    if session.in_transaction():
        _set_tenant(session.connection(), role, only, reset=True)


def tenant(session: Session) -> str | None:
    """The tenant role (and the one municipality it is narrowed to) the session runs under: part of every
    cache key of data it reads, and what an analysis process is handed (`act_as_tenant`)."""
    role: str | None = session.info.get("db_role")
    only = session.info.get("db_only")
    return f"{role}/{only}" if role and only else role


def act_as_tenant(session: Session, key: str | None) -> None:
    """`act_as` from what `tenant` returned."""
    if key is None:
        return
    role, _, only = key.partition("/")
    act_as(session, role, only or None)


@contextmanager
def as_owner(session: Session) -> Iterator[None]:
    """Shared reference data (Brå's and SCB's statistics) is the install's: a tenant's role may only read it
    (migration 0028). A caller the app has allowed to change it (statistics:write) changes it through the
    app, under the owner's role, for this block only; a transaction that goes on afterwards is the
    caller's again."""
    role, only = session.info.get("db_role"), session.info.get("db_only")
    if role:
        session.connection().exec_driver_sql("SET LOCAL ROLE NONE")
    try:
        yield
    finally:
        if role and session.in_transaction():
            _set_tenant(session.connection(), role, only, reset=True)


def _set_tenant(connection: Any, role: str, only: str | None, *, reset: bool = False) -> None:
    # Both are checked against fixed patterns before they reach here (act_as). A transaction starts with the
    # setting unset (SET LOCAL ends with its transaction), so it is sent only when it narrows, or when the
    # running transaction may already have been narrowed.
    connection.exec_driver_sql(f"SET LOCAL ROLE {role}")
    if only or reset:
        connection.exec_driver_sql(f"SET LOCAL lagesbild.municipality = '{only or ''}'")


@event.listens_for(Session, "after_begin")
def _begin_as_tenant(session: Session, _transaction: Any, connection: Any) -> None:
    role = session.info.get("db_role")
    if role:
        _set_tenant(connection, role, session.info.get("db_only"))


def commit_unique(session: Session, constraint: str, conflict: Exception) -> None:
    """Commit; a violation of the unique `constraint` rolls back and raises `conflict` instead."""
    from sqlalchemy.exc import IntegrityError

    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        if constraint in str(exc.orig):
            raise conflict from None
        raise


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: one session per request, rolled back unless the service committed.

    Async on purpose: FastAPI would hand a plain generator to the thread pool twice (open and close).
    Making a session does no I/O (it connects on first use), so only closing one that holds a
    connection, which rolls back, goes to the thread pool."""
    session = (read_session_factory() if _reads_from_standby(request) else session_factory())()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


# Bumped by every write to incidents or places (migration 0003); a query may select it beside its own rows.
DATA_VERSION_SQL = "SELECT last_value + (CASE WHEN is_called THEN 1 ELSE 0 END) FROM data_version_seq"


def data_version(session: Session) -> int:
    """The version of the incident and place data: cached results keyed on it are never served stale."""

    return int(session.execute(text(DATA_VERSION_SQL)).scalar_one())
