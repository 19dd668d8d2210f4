"""Test fixtures: a real PostGIS (the self-started local server, database `lagesbild_test`).

With DATABASE_URL set, the tests use that server as is: point it at a throwaway database.
"""

from __future__ import annotations

import os

os.environ.setdefault("LAGESBILD_DB_NAME", "lagesbild_test")
os.environ.setdefault("LAGESBILD_ENVIRONMENT", "test")
os.environ.setdefault("LAGESBILD_ANALYSIS_MAX_STALENESS_SECONDS", "0")  # tests check fresh results
os.environ.setdefault("LAGESBILD_POLICE_FEED_URL", "http://127.0.0.1:9/api/events")  # nothing listens: no internet

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.auth.roles import Role
from app.auth.service import create_token
from app.config import get_settings
from app.db import get_engine, session_factory
from app.main import create_app
from app.migrate import upgrade
from app.seed import seed


@pytest.fixture(scope="session", autouse=True)
def database() -> Iterator[None]:
    settings = get_settings()
    if settings.uses_local_db:
        from app.localdb import server_from_settings

        server = server_from_settings()
        server.start(())
        server.ensure_database(settings.db_name, fresh=True)
    upgrade()
    with session_factory()() as session:
        seed(session)
    yield
    get_engine().dispose()


@pytest.fixture
def session() -> Iterator[Session]:
    with session_factory()() as s:
        yield s


@pytest.fixture(autouse=True)
def clean_tables(database: None) -> Iterator[None]:
    """Each test starts from the seeded reference data and places, with no incidents."""
    yield
    with session_factory()() as s:
        s.execute(text("TRUNCATE incidents, places, import_batches, lamps, street_segments, lighting_reports, "
                       "interventions, unit_reports, safety_walks, citizen_promises, public_releases, "
                       "basemap_features, hotspot_causes, police_feed_fetches RESTART IDENTITY CASCADE"))
        s.commit()
        seed(s)


@pytest.fixture(scope="session")
def client(database: None) -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture(scope="session")
def tokens(database: None) -> dict[str, str]:
    """One token per role, plus the organisation `polisen` for the reporter."""
    with session_factory()() as s:
        return {
            role.value: create_token(
                s, role=role.value, name=f"test-{role.value}",
                organisation="polisen" if role is Role.reporter else None,
            )
            for role in Role
        }


PASSWORD = "korrekt-hast-batteri-17"


@pytest.fixture(scope="session")
def people(database: None) -> dict[str, str]:
    """One person per role (password PASSWORD); the reporter works at kultur_fritid. Returns usernames."""
    from app.auth.users import create_user

    with session_factory()() as s:
        names = {role.value: f"{role.value}@mjolby.test" for role in Role}
        for role, name in names.items():
            create_user(s, username=name, role=role, password=PASSWORD,
                        organisation="kultur_fritid" if role == "reporter" else "kommunen")
        return names


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Sign in through the web form; returns the headers a browser would send afterwards (cookie + CSRF)."""
    import re

    r = client.post("/logga-in", data={"username": username, "password": password}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = r.cookies["lagesbild_session"]
    client.cookies.clear()  # the shared test client must not carry this session into other tests
    page = client.get("/", headers={"Cookie": f"lagesbild_session={cookie}"}).text
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, "the signed-in page has no CSRF token"
    return {"Cookie": f"lagesbild_session={cookie}", "X-CSRF-Token": match.group(1)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(database: None) -> Iterator[str]:
    settings = get_settings()
    previous_tiles = settings.tile_url
    settings.tile_url = ""  # no tile server in tests: every request must stay on this machine
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    settings.tile_url = previous_tiles


def scratch_database_url(name: str) -> str:
    """A fresh, empty PostGIS database beside the test database (for migration tests)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from app.db import database_url

    settings = get_settings()
    if settings.uses_local_db:
        from app.localdb import server_from_settings

        server = server_from_settings()
        server.ensure_database(name, fresh=True)
        return server.url(name)
    url = make_url(database_url())
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    scratch = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(scratch, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    return scratch


@pytest.fixture
def mid_period() -> Iterator[datetime]:
    """The clock (Python's, ticking) at noon on the fourth day of a reporting period, up to two weeks ahead:
    the lägesbild and the unit reports then agree on "this period" whatever day the suite runs. A fresh
    clone's `make test` failed on 2026-12-07, the first day of a period. Ahead, never back: PostgreSQL's
    own now() (sign-in expiry) is not frozen and must not pass the frozen clock."""
    import time_machine

    from app.reports.service import period_for

    zone = ZoneInfo(get_settings().timezone)
    today = datetime.now(zone).date()
    start, _ = period_for(today)
    if today > start + timedelta(days=3):
        start, _ = period_for(start + timedelta(days=get_settings().report_period_days))
    moment = datetime.combine(start + timedelta(days=3), dtime(12), tzinfo=zone)
    with time_machine.travel(moment, tick=True):
        yield moment


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
