"""Municipalities as tenants (#22): PostgreSQL's row-level security keeps each municipality's rows apart,
for the app's own queries and for raw SQL alike; a county account sees each of its municipalities."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth.service import create_token
from app.db import act_as, database_url, libpq_url, session_factory
from app.errors import InvalidInput
from app.municipalities.service import add_group, add_municipality
from tests.conftest import auth

MOTALA_EXTENT = (14.75, 58.45, 15.35, 58.70)


@pytest.fixture
def motala(session: Session) -> Iterator[dict[str, str]]:
    """Motala beside Mjölby, both in the county group; three Mjölby and two Motala incidents; a token each."""
    add_municipality(session, code="0583", name="Motala kommun", extent=MOTALA_EXTENT, county_code="05",
                     population=43_000)
    add_group(session, code="lan05", name="Östergötlands län", kind="county", members=["0586", "0583"])
    when = datetime.now(UTC) - timedelta(days=2)
    for lon, lat, code in [(15.13, 58.32, "0586"), (15.131, 58.321, "0586"), (15.132, 58.322, "0586"),
                           (15.03, 58.47, "0583"), (15.031, 58.471, "0583")]:
        session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, municipality_code,
                                                       location_precision)
                                VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'skadegorelse', :t, 'kommunen',
                                        :code, 'exact')"""), {"lon": lon, "lat": lat, "t": when, "code": code})
    session.commit()
    tokens = {
        "mjolby": create_token(session, role="analyst", name="mjölby analytiker", municipality="0586"),
        "motala": create_token(session, role="analyst", name="motala analytiker", municipality="0583"),
        "county": create_token(session, role="analyst", name="länets analytiker", sees_group="lan05"),
    }
    yield tokens
    session.rollback()
    session.execute(text("TRUNCATE incidents CASCADE"))
    session.execute(text("DELETE FROM web_sessions WHERE token_id IN (SELECT id FROM api_tokens WHERE "
                         "municipality_code = '0583' OR sees_group IS NOT NULL)"))
    session.execute(text("DELETE FROM api_tokens WHERE municipality_code = '0583' OR sees_group IS NOT NULL"))
    session.execute(text("DELETE FROM users WHERE municipality_code = '0583'"))
    session.execute(text("DELETE FROM municipality_group_members WHERE municipality_code = '0583'"))
    session.execute(text("DELETE FROM import_batches WHERE municipality_code = '0583'"))
    session.execute(text("DELETE FROM municipalities WHERE code = '0583'"))
    session.commit()


def _counts(rows: list[tuple[str, int]]) -> dict[str, int]:
    return dict(rows)


def test_raw_sql_under_a_municipality_role_sees_and_writes_only_that_municipality(motala: dict[str, str]) -> None:
    """The app's own connection, switched to Mjölby's role as a request of a Mjölby analyst is: a query with
    no filter at all still returns Mjölby's rows only, and no write reaches Motala's."""
    with session_factory()() as session:
        act_as(session, "lagesbild_m0586")
        rows = session.execute(text("SELECT municipality_code, count(*) FROM incidents GROUP BY 1")).all()
        assert _counts(rows) == {"0586": 3}  # type: ignore[arg-type]
        moved = session.execute(text("UPDATE incidents SET category = 'brand' WHERE municipality_code = '0583'"))
        assert moved.rowcount == 0  # type: ignore[attr-defined]
        deleted = session.execute(text("DELETE FROM incidents WHERE true"))
        assert deleted.rowcount == 3  # type: ignore[attr-defined]  # its own only
        session.rollback()
        # the role stays across transactions
        assert session.execute(text("SELECT current_user")).scalar_one() == "lagesbild_m0586"
        with pytest.raises(Exception, match="row-level security"):
            session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, municipality_code,
                                                           location_precision)
                                    VALUES (ST_SetSRID(ST_MakePoint(15.03, 58.54), 4326), 'brand', now(),
                                            'kommunen', '0583', 'exact')"""))
        session.rollback()
        act_as(session, "lagesbild_glan05")
        rows = session.execute(text("SELECT municipality_code, count(*) FROM incidents GROUP BY 1")).all()
        assert _counts(rows) == {"0586": 3, "0583": 2}  # type: ignore[arg-type]


def test_a_database_login_of_one_municipality_cannot_reach_another(motala: dict[str, str],
                                                                  session: Session) -> None:
    """A person given their own PostgreSQL login (QGIS straight on PostGIS) that is a member of Motala's role:
    whatever SQL they write, they see Motala's rows, cannot switch to Mjölby's role, and cannot turn the
    policy off."""
    name, password = f"rls_probe_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    session.execute(text(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' IN ROLE lagesbild_m0583"))
    session.commit()
    url = make_url(libpq_url(database_url()).replace("postgresql://", "postgresql+psycopg://", 1))
    conninfo = libpq_url(url.set(username=name, password=password).render_as_string(hide_password=False))
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            rows = conn.execute("SELECT municipality_code, count(*) FROM incidents GROUP BY 1").fetchall()
            assert _counts(rows) == {"0583": 2}  # type: ignore[arg-type]
            assert conn.execute("SELECT count(*) FROM incidents WHERE municipality_code = '0586'").fetchone() == (0,)
            for attempt in ("SET ROLE lagesbild_m0586", "SET ROLE lagesbild", "ALTER TABLE incidents DISABLE ROW "
                            "LEVEL SECURITY", "SET row_security = off; SELECT count(*) FROM incidents",
                            "INSERT INTO municipality_group_members VALUES ('lan05', '0586')"):
                with pytest.raises(psycopg.Error):
                    conn.execute(attempt)  # type: ignore[arg-type]
            updated = conn.execute("UPDATE incidents SET municipality_code = '0583' WHERE municipality_code = '0586'")
            assert updated.rowcount == 0
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                conn.execute("UPDATE incidents SET municipality_code = '0586'")  # moving its own rows out
            # Issue #34: nothing shared can be touched (migration 0028). The outside attack turned its own web
            # session into a county admin's, rewrote categories, deleted Mjölby's public releases (a fresh
            # noise draw each time) and reset the data version.
            sequences = [r[0] for r in conn.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'S' AND n.nspname = 'public'").fetchall()]
            assert "data_version_seq" in sequences and "incidents_id_seq" in sequences
            attacks = [
                "UPDATE web_sessions SET token_id = token_id", "UPDATE categories SET code = code",
                "INSERT INTO categories (code, label_sv, label_en) VALUES ('x', 'x', 'x')",
                "DELETE FROM public_releases", "UPDATE public_releases SET cells = cells",
                "UPDATE organisations SET code = code", "UPDATE police_event_types SET type = type",
                "DELETE FROM area_statistics", "DELETE FROM alembic_version",
                *(f"SELECT setval('{name}', 1)" for name in sequences)]
            for attack in attacks:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(attack)  # type: ignore[arg-type]
            assert conn.execute("SELECT count(*) FROM web_sessions").fetchone() == (0,)  # none of its users'
    finally:
        session.execute(text(f"DROP OWNED BY {name}"))
        session.execute(text(f"DROP ROLE {name}"))
        session.commit()


def test_the_api_shows_each_caller_its_municipality(client: TestClient, motala: dict[str, str],
                                                    session: Session) -> None:
    def listed(token: str) -> list[dict[str, object]]:
        answer = client.get("/api/v1/incidents", headers=auth(token))
        assert answer.status_code == 200, answer.text
        return answer.json()["features"]  # type: ignore[no-any-return]

    mjolby, motala_rows, county = listed(motala["mjolby"]), listed(motala["motala"]), listed(motala["county"])
    assert (len(mjolby), len(motala_rows), len(county)) == (3, 2, 5)
    # a Mjölby incident is simply not there for Motala's analyst
    other = client.get(f"/api/v1/incidents/{mjolby[0]['id']}", headers=auth(motala["motala"]))
    assert other.status_code == 404
    # the OGC count is cached per filter and data version: and per tenant, or Motala would get Mjölby's count
    counts = [client.get("/ogc/collections/incidents/items", headers=auth(motala[who]),
                         params={"limit": 1}).json()["numberMatched"] for who in ("mjolby", "motala", "county")]
    assert counts == [3, 2, 5]
    shown = client.get("/api/v1/municipalities", headers=auth(motala["county"])).json()
    assert [m["code"] for m in shown] == ["0586", "0583"]
    assert [m["code"] for m in client.get("/api/v1/municipalities", headers=auth(motala["motala"])).json()] == ["0583"]
    # a write lands in the writer's municipality
    created = client.post("/api/v1/incidents", headers=auth(motala["motala"]), json={
        "lon": 15.05, "lat": 58.48, "category": "brand", "occurred_at": datetime.now(UTC).isoformat()})
    assert created.status_code == 201, created.text
    stored = session.execute(text("SELECT municipality_code FROM incidents WHERE id = :i"),
                             {"i": created.json()["id"]}).scalar_one()
    assert stored == "0583"


def test_an_import_lands_in_the_importers_municipality(client: TestClient, motala: dict[str, str],
                                                       session: Session) -> None:
    when = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    csv = f"tid;kategori;lat;lon;id\n{when};brand;58,47;15,03;m1\n{when};brand;58,471;15,031;m2\n".encode()
    done = client.post("/api/v1/imports", headers=auth(motala["motala"]),
                       files={"file": ("motala.csv", io.BytesIO(csv), "text/csv")},
                       data={"mapping": '{"time": "tid", "category": "kategori", "lat": "lat", "lon": "lon", '
                                        '"external_id": "id"}'})
    assert done.status_code in (200, 201), done.text
    rows = session.execute(text("SELECT municipality_code, count(*) FROM incidents WHERE external_id LIKE 'm_' "
                                "GROUP BY 1")).all()
    assert _counts(rows) == {"0583": 2}  # type: ignore[arg-type]
    refused = client.post("/api/v1/imports", headers=auth(motala["county"]),
                          files={"file": ("lan.csv", io.BytesIO(csv.replace(b"m1", b"c1").replace(b"m2", b"c2")),
                                          "text/csv")},
                          data={"mapping": '{"time": "tid", "category": "kategori", "lat": "lat", "lon": "lon", '
                                           '"external_id": "id"}'})
    assert refused.status_code == 403
    assert "several municipalities" in refused.text


def test_municipality_input_is_checked(session: Session) -> None:
    with pytest.raises(InvalidInput, match="four digits"):
        add_municipality(session, code="586", name="Mjölby", extent=(14.85, 58.15, 15.45, 58.5))
    with pytest.raises(InvalidInput, match="extent"):
        add_municipality(session, code="0999", name="X", extent=(15.0, 58.0, 14.0, 59.0))
    with pytest.raises(Exception, match="no such municipality"):
        add_group(session, code="grupp", name="G", kind="group", members=["0586", "9999"])


def test_bbox_queries_under_the_policy_still_use_the_spatial_index(motala: dict[str, str]) -> None:
    """The policy is evaluated first, and a query's own condition may only use an index if its function is
    LEAKPROOF: migration 0021 marks PostGIS's comparison functions so, or every bbox page became a full scan."""
    with session_factory()() as session:
        assert session.execute(text("SELECT proleakproof FROM pg_proc WHERE oid = "
                                    "'st_intersects(geometry,geometry)'::regprocedure")).scalar_one()
        # On the fixture's five rows the planner may as well take the (municipality, time) index for the
        # policy; without it (dropped in this transaction only) the question is whether the spatial index
        # may serve the query's own condition under the policy at all.
        session.execute(text("DROP INDEX ix_incidents_municipality_time"))
        act_as(session, "lagesbild_m0586")
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(session.execute(text(
            "EXPLAIN SELECT id FROM incidents WHERE ST_Intersects(geom, ST_MakeEnvelope(15.1, 58.3, 15.2, 58.4, "
            "4326))")).scalars())
        session.rollback()
        assert "idx_incidents_geom" in plan, plan


def test_web_pages_show_a_signed_in_user_their_municipality(client: TestClient, motala: dict[str, str],
                                                           session: Session) -> None:
    """The pages resolve the user from the session cookie themselves: they too switch to the user's role."""
    from app.auth.users import create_user
    from tests.conftest import PASSWORD, sign_in

    create_user(session, username="motala.analytiker@example.se", role="analyst", password=PASSWORD)
    session.execute(text("UPDATE users SET municipality_code = '0583' WHERE username = 'motala.analytiker@example.se'"))
    session.commit()
    headers = sign_in(client, "motala.analytiker@example.se")
    answer = client.get("/karta/data/incidents", headers=headers,
                        params={"zoom": 13, "start": "2020-01-01", "end": "2030-01-01"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    shown = body["count"] if body["kind"] == "tiles" else sum(item[2] if body["kind"] == "cells" else 1
                                                               for item in body["items"])
    assert shown == 2, body


def test_the_county_compares_its_municipalities(client: TestClient, motala: dict[str, str],
                                                session: Session) -> None:
    """Per 100,000 where the population is known; a change only where unchanged rates rarely give one."""
    now = datetime.now(UTC).replace(microsecond=0)
    start, end = now - timedelta(days=28), now
    for k in range(60):  # Motala: 10 in the earlier four weeks, 50 in the last four, spread over both
        # (a source with nothing for two of the four weeks has an outage there and is left out of comparisons)
        when = (start - timedelta(days=1 + 2.6 * k)) if k < 10 else (start + timedelta(days=0.5 + 0.54 * (k - 10)))
        session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, municipality_code,
                                                       location_precision)
                                VALUES (ST_SetSRID(ST_MakePoint(15.04, 58.48), 4326), 'brand', :t, 'kommunen',
                                        '0583', 'exact')"""), {"t": when})
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
                            VALUES (ST_SetSRID(ST_MakePoint(15.13, 58.32), 4326), 'brand', :t, 'kommunen',
                                    'exact')"""), {"t": start - timedelta(days=40)})  # the source covers both
    # Mjölby's population from SCB's statistics (Motala's is the municipality's own figure)
    session.execute(text("""INSERT INTO area_statistics (year, area_key, area_name, level, population)
                            VALUES (2025, '0586', 'Mjölby', 'municipality', 33000)"""))
    session.commit()
    params = {"start": start.isoformat(), "end": end.isoformat()}
    try:
        county = client.get("/api/v1/municipalities/comparison", headers=auth(motala["county"]), params=params)
    finally:
        session.execute(text("DELETE FROM area_statistics WHERE area_key = '0586' AND year = 2025"))
        session.commit()
    assert county.status_code == 200, county.text
    rows = {m["code"]: m for m in county.json()["municipalities"]}
    assert set(rows) == {"0586", "0583"}
    motala_row = rows["0583"]
    assert (motala_row["current"], motala_row["previous"]) == (52, 10)  # the fixture's two are two days old
    assert motala_row["change"] == "ökning"
    assert motala_row["per_100k"] == round(52 / 43_000 * 100_000, 1)
    assert rows["0586"]["change"] == "ingen säkerställd förändring"
    assert (rows["0586"]["current"], rows["0586"]["per_100k"]) == (3, round(3 / 33000 * 100_000, 1))
    own = client.get("/api/v1/municipalities/comparison", headers=auth(motala["mjolby"]), params=params).json()
    assert [m["code"] for m in own["municipalities"]] == ["0586"]
    default = client.get("/api/v1/municipalities/comparison", headers=auth(motala["county"]))  # the last 28 days
    assert default.status_code == 200 and len(default.json()["municipalities"]) == 2
    wrong = client.get("/api/v1/municipalities/comparison", headers=auth(motala["county"]),
                       params={"start": end.isoformat(), "end": (end - timedelta(days=1)).isoformat()})
    assert wrong.status_code == 422 and "end must be after start" in wrong.text, wrong.text


def test_a_username_taken_in_another_municipality_is_refused_clearly(motala: dict[str, str],
                                                                     session: Session) -> None:
    """Usernames are unique across the install (sign-in needs that), but a Motala admin cannot see Mjölby's
    accounts: the unique index's refusal becomes the same message as a visible duplicate."""
    from app.auth.users import create_user
    from app.errors import Conflict

    create_user(session, username="delad@example.se", role="analyst", password="korrekt-hast-batteri-17")
    with session_factory()() as motala_session:
        act_as(motala_session, "lagesbild_m0583")
        with pytest.raises(Conflict, match="already exists"):
            create_user(motala_session, username="delad@example.se", role="analyst",
                        password="korrekt-hast-batteri-17")
        motala_session.rollback()
        assert create_user(motala_session, username="motala.ny@example.se", role="analyst",
                           password="korrekt-hast-batteri-17") > 0
    assert session.execute(text("SELECT municipality_code FROM users WHERE username = 'motala.ny@example.se'")
                           ).scalar_one() == "0583"
    session.execute(text("DELETE FROM users WHERE username = 'delad@example.se'"))
    session.commit()


def test_rows_hanging_off_a_tenant_row_follow_its_municipality(motala: dict[str, str], session: Session) -> None:
    """A walk's findings are as visible as the walk: Motala's role sees none of Mjölby's (migration 0023)."""
    walk = session.execute(text("""INSERT INTO safety_walks (walked_on, area, organisation, created_by)
                                   VALUES (current_date, 'Centrum', 'kommunen', 'test') RETURNING id""")).scalar()
    session.execute(text("INSERT INTO walk_findings (walk_id, kind, description, owner, geom) VALUES "
                         "(:w, 'dark_place', 'Trasig lampa', 'kommunen', ST_SetSRID(ST_MakePoint(15.13, 58.32), "
                         "4326))"), {"w": walk})
    session.commit()
    with session_factory()() as other:
        act_as(other, "lagesbild_m0583")
        assert other.execute(text("SELECT count(*) FROM walk_findings")).scalar_one() == 0
        assert other.execute(text("UPDATE walk_findings SET description = 'x'")).rowcount == 0  # type: ignore[attr-defined]
        act_as(other, "lagesbild_m0586")
        assert other.execute(text("SELECT count(*) FROM walk_findings")).scalar_one() == 1


def test_a_county_account_narrows_to_one_municipality_and_never_widens(client: TestClient, motala: dict[str, str],
                                                                      session: Session) -> None:
    """`?municipality=` (API) and `?kommun=` (pages) narrow a county account to one of its municipalities
    through the database's own setting (migration 0024), which can only narrow: Motala's analyst asking for
    Mjölby gets a clear 404, and a raw-SQL session of Motala's role that sets it to Mjölby sees nothing."""
    def count(token: str, **params: str) -> int:
        answer = client.get("/ogc/collections/incidents/items", headers=auth(token), params={"limit": 1, **params})
        assert answer.status_code == 200, answer.text
        return int(answer.json()["numberMatched"])

    assert (count(motala["county"]), count(motala["county"], municipality="0583"),
            count(motala["county"], municipality="0586")) == (5, 2, 3)
    refused = client.get("/api/v1/incidents", headers=auth(motala["motala"]), params={"municipality": "0586"})
    assert refused.status_code == 404 and "0586" in refused.text, refused.text
    bad = client.get("/api/v1/incidents", headers=auth(motala["county"]), params={"municipality": "Motala"})
    assert bad.status_code == 422 and "four digits" in bad.text, bad.text
    with session_factory()() as raw:
        act_as(raw, "lagesbild_glan05", only="0583")
        assert _counts(raw.execute(text("SELECT municipality_code, count(*) FROM incidents GROUP BY 1")).all()
                       ) == {"0583": 2}  # type: ignore[arg-type]
        raw.rollback()
        act_as(raw, "lagesbild_m0583", only="0586")  # cannot widen
        assert raw.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 0
        raw.rollback()
        act_as(raw, "lagesbild_m0583")
        raw.execute(text("SET LOCAL lagesbild.municipality = '0586'"))  # as a database login could
        assert raw.execute(text("SELECT count(*) FROM incidents")).scalar_one() == 0
    # narrowed, the county account may import into that municipality
    when = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    csv = f"tid;kategori;lat;lon;id\n{when};brand;58,47;15,03;n1\n".encode()
    done = client.post("/api/v1/imports", headers=auth(motala["county"]), params={"municipality": "0583"},
                       files={"file": ("lan.csv", io.BytesIO(csv), "text/csv")},
                       data={"mapping": '{"time": "tid", "category": "kategori", "lat": "lat", "lon": "lon", '
                                        '"external_id": "id"}'})
    assert done.status_code in (200, 201), done.text
    assert session.execute(text("SELECT municipality_code FROM incidents WHERE external_id = 'n1'")
                           ).scalar_one() == "0583"


def test_a_new_incident_belongs_to_the_municipality_it_lies_in(client: TestClient, motala: dict[str, str],
                                                              session: Session) -> None:
    """A county account's incident goes to the municipality whose area holds it; a municipality's own
    account cannot file one outside its municipality."""
    now = datetime.now(UTC).isoformat()

    def create(token: str, lon: float, lat: float) -> tuple[int, str]:
        answer = client.post("/api/v1/incidents", headers=auth(token),
                             json={"lon": lon, "lat": lat, "category": "brand", "occurred_at": now})
        if answer.status_code != 201:
            return answer.status_code, answer.text
        return 201, session.execute(text("SELECT municipality_code FROM incidents WHERE id = :i"),
                                    {"i": answer.json()["id"]}).scalar_one()

    assert create(motala["county"], 15.13, 58.32) == (201, "0586")   # Mjölby's town centre
    assert create(motala["county"], 15.03, 58.47) == (201, "0583")   # inside Motala's boundary
    # Issue #34: the Motala position a Mjölby account once filed as Mjölby's (inside a widened box)
    status, message = create(motala["mjolby"], 15.0365, 58.5377)
    assert status == 422 and "ligger i Motala kommun, som inte ingår här" in message, message
    # and a position in Boxholm, inside Mjölby's old box (14.85–15.45, 58.15–58.50): in no one's here
    status, message = create(motala["county"], 15.13, 58.20)
    assert status == 422 and "Boxholm kommun" in message, message


def test_the_public_view_is_per_municipality(client: TestClient, motala: dict[str, str], session: Session) -> None:
    """Anonymous pages read under the chosen municipality's role (the install's default without a choice);
    each municipality's public figures are released and stored apart."""
    from app.public.service import latest_released_quarter

    start = client.get("/")
    assert start.status_code == 200
    assert 'name="kommun"' in start.text and "Motala kommun" in start.text  # the choice, two municipalities
    chosen = client.get("/", params={"kommun": "0583"})
    assert chosen.status_code == 200 and "karta.html?kommun=0583" in chosen.text
    assert client.get("/", params={"kommun": "9999"}).status_code == 404
    assert client.get("/", params={"kommun": "x"}).status_code == 422
    period = latest_released_quarter()
    for code in ("0586", "0583"):
        cells = client.get("/api/v1/public/cells", params={"period": period, "municipality": code})
        assert cells.status_code == 200, cells.text
        assert cells.json()["parameters"]["municipality"] == code
    stored = session.execute(text("SELECT municipality_code FROM public_releases WHERE period = :p ORDER BY 1"),
                             {"p": period}).scalars().all()
    assert stored == ["0583", "0586"]
    # Motala's public map opens on Motala (its main locality, data/localities_se.csv), not on Mjölby's centre
    document = client.get("/karta/publik/karta.html", params={"kommun": "0583"})
    assert document.status_code == 200 and "[58.54204, 15.04126]" in document.text, document.text[:2000]
    assert "[58.54204, 15.04126]" in client.get("/karta/publik/karta.html").text  # the choice is remembered
    assert "[58.54204, 15.04126]" not in client.get("/karta/publik/karta.html", params={"kommun": ""}).text
    client.cookies.clear()
    session.execute(text("DELETE FROM public_releases WHERE municipality_code = '0583'"))
    session.commit()


def test_the_county_lagesbild_compares_and_each_municipality_has_its_own(client: TestClient,
                                                                         motala: dict[str, str],
                                                                         session: Session) -> None:
    from app.auth.users import create_user
    from tests.conftest import PASSWORD, sign_in

    create_user(session, username="lan.analytiker@example.se", role="analyst", password=PASSWORD, sees_group="lan05")
    create_user(session, username="motala.ana@example.se", role="analyst", password=PASSWORD, municipality="0583")
    with pytest.raises(Exception, match="no municipality group"):
        create_user(session, username="x@example.se", role="analyst", password=PASSWORD, sees_group="lan99")
    try:
        county = sign_in(client, "lan.analytiker@example.se")
        whole = client.get("/lagesbild", headers=county)
        assert whole.status_code == 200, whole.text
        assert "Kommunerna i Östergötlands län" in whole.text
        assert 'data-municipality="0583"' in whole.text and 'data-municipality="0586"' in whole.text
        assert 'action="/lagesbild/beslut' not in whole.text  # decisions belong to one municipality
        one = client.get("/lagesbild", headers=county, params={"kommun": "0583"})
        assert one.status_code == 200
        assert "Motala kommun · ESM" in one.text and "Kommunerna i" not in one.text
        assert 'action="/lagesbild/beslut?kommun=0583"' in one.text
        assert "lagesbild_kommun=0583" in one.headers.get("set-cookie", "")  # remembered for the next page
        plan = client.get("/patrull/plan", headers={**county, "Cookie": county["Cookie"] + "; lagesbild_kommun=0583"})
        assert plan.status_code == 200 and "Motala kommun · Underlag" in plan.text
        every = client.get("/lagesbild", headers={**county, "Cookie": county["Cookie"] + "; lagesbild_kommun=0583"},
                           params={"kommun": ""})  # "Alla kommuner": forgets the choice
        assert "Kommunerna i Östergötlands län" in every.text and 'lagesbild_kommun=""' in every.headers["set-cookie"]
        stale = client.get("/lagesbild", headers={**county, "Cookie": county["Cookie"] + "; lagesbild_kommun=9999"})
        assert stale.status_code == 200 and "Kommunerna i Östergötlands län" in stale.text
        own = sign_in(client, "motala.ana@example.se")
        assert client.get("/lagesbild", headers=own, params={"kommun": "0586"}).status_code == 404
        mine = client.get("/lagesbild", headers=own)
        assert "Motala kommun · ESM" in mine.text and 'name="kommun"' not in mine.text
        # the start page's rates are Motala's for Motala's analyst, Mjölby's nowhere (issue #34)
        session.execute(text("""INSERT INTO area_statistics (year, area_key, area_name, level, reported_crimes,
                                                             population) VALUES
            (2025, '0583', 'Motala', 'municipality', 4300, 43000),
            (2025, '0586', 'Mjölby', 'municipality', 2700, 27000)"""))
        session.commit()
        start = client.get("/", headers=own).text
        rates = start[start.index('data-testid="rates"'):]
        assert "<th scope=\"col\">Motala</th>" in rates and "10\u00a0000,0" in rates, rates[:600]
        assert "Mjölby" not in rates
    finally:
        session.execute(text("DELETE FROM web_sessions WHERE user_id IN (SELECT id FROM users WHERE username IN "
                             "('lan.analytiker@example.se', 'motala.ana@example.se'))"))
        session.execute(text("DELETE FROM users WHERE username IN ('lan.analytiker@example.se', "
                             "'motala.ana@example.se')"))
        session.execute(text("DELETE FROM area_statistics WHERE year = 2025 AND area_key IN ('0583', '0586')"))
        session.commit()


def test_areas_far_from_places_are_named_after_their_own_municipalitys_localities(motala: dict[str, str],
                                                                                 session: Session) -> None:
    """A hotspot in Motala with no place near is "Motala, 7,4 km NO om centrum", not named from Mjölby's
    localities (data/localities.json), which stay the default municipality's."""
    import shapely

    from app.places.naming import name_areas

    with pytest.raises(InvalidInput, match="within the extent"):
        add_municipality(session, code="0583", name="Motala kommun", extent=MOTALA_EXTENT,
                         localities=[("Motala", 57.0, 15.03)])
    add_municipality(session, code="0583", name="Motala kommun", extent=MOTALA_EXTENT,
                     localities=[("Motala", 58.5377, 15.0365), ("Borensberg", 58.5627, 15.2806)])
    motala_area, mjolby_area = shapely.Point(15.05, 58.60).buffer(0.002), shapely.Point(15.20, 58.17).buffer(0.002)
    motala_name, mjolby_name = name_areas(session, [motala_area, mjolby_area])
    assert motala_name.startswith("Motala, ") and motala_name.endswith("om centrum"), motala_name
    assert not mjolby_name.startswith(("Motala", "Borensberg")), mjolby_name
    # and a printed overview around Motala names Motala's localities
    from app.maps.service import sheet_minimap

    overview = sheet_minimap(session, shapely.geometry.mapping(motala_area), size_px=300, margin_m=9000)
    assert "Motala" in overview.places and "Mjölby" not in overview.places, overview.places


def test_an_admin_reads_the_audit_trail_of_their_own_municipality(client: TestClient, motala: dict[str, str],
                                                                  session: Session) -> None:
    """Motala's admin sees who did what in Motala and nothing of Mjölby's; a county account's reads narrowed
    to Mjölby are Mjölby's rows too (migration 0025)."""
    admins = {code: create_token(session, role="admin", name=f"admin {code}", municipality=code)
              for code in ("0586", "0583")}
    now = datetime.now(UTC).isoformat()
    for who, lon, lat in (("motala", 15.05, 58.48), ("mjolby", 15.13, 58.32)):
        made = client.post("/api/v1/incidents", headers=auth(motala[who]),
                           json={"lon": lon, "lat": lat, "category": "brand", "occurred_at": now})
        assert made.status_code == 201, made.text
    assert client.get("/api/v1/incidents", headers=auth(motala["county"]),
                      params={"municipality": "0586"}).status_code == 200

    def actors(code: str) -> set[str]:
        answer = client.get("/api/v1/audit", headers=auth(admins[code]), params={"since": now, "limit": 1000})
        assert answer.status_code == 200, answer.text
        return {row["actor"] for row in answer.json()}

    motala_seen, mjolby_seen = actors("0583"), actors("0586")
    assert "motala analytiker" in motala_seen and "mjölby analytiker" not in motala_seen, motala_seen
    assert "länets analytiker" not in motala_seen
    assert {"mjölby analytiker", "länets analytiker"} <= mjolby_seen and "motala analytiker" not in mjolby_seen
    session.execute(text("DELETE FROM api_tokens WHERE name = 'admin 0586'"))
    session.commit()


def test_an_install_wide_import_puts_each_row_in_its_municipality(motala: dict[str, str], session: Session) -> None:
    """The command line and the police feed import as the owner: each row goes to the municipality whose
    boundary holds it, never to a box (issue #34); a row in a municipality the install does not serve
    (Boxholm, inside Mjölby's old box) is refused with the municipality named, in Swedish too; the same
    file imported by Motala's own account refuses Mjölby's row."""
    from app.imports.service import ImportOptions, ImportRejected, run_import
    from app.messages import row_reason

    when = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    mapping = {"time": "tid", "category": "kategori", "lat": "lat", "lon": "lon", "external_id": "id"}
    boxholm = f"{when};brand;58,20;15,13;w0\n"
    csv = (f"tid;kategori;lat;lon;id\n{when};brand;58,47;15,03;w1\n{when};brand;58,32;15,13;w2\n"
           f"{when};brand;58,471;15,031;w3\n").encode()
    with pytest.raises(ImportRejected) as refused:
        run_import(session, io.BytesIO(csv + boxholm.encode()), ImportOptions(filename="hela.csv", format="csv",
                                                                              mapping=mapping))
    [error] = refused.value.report.errors
    assert error.reason == "lon=15.13000, lat=58.20000 lies in Boxholm kommun, which this install does not serve"
    assert row_reason(error.reason, "sv") == "positionen lon=15.13000, lat=58.20000 ligger i Boxholm kommun, som " \
                                             "inte ingår här"
    report = run_import(session, io.BytesIO(csv), ImportOptions(filename="hela.csv", format="csv", mapping=mapping))
    assert report.inserted == 3, report
    rows = dict(session.execute(text("SELECT external_id, municipality_code FROM incidents "
                                     "WHERE external_id LIKE 'w_'")).all())
    assert rows == {"w1": "0583", "w2": "0586", "w3": "0583"}
    with session_factory()() as motala_session:
        act_as(motala_session, "lagesbild_m0583")
        with pytest.raises(ImportRejected) as refused:
            run_import(motala_session, io.BytesIO(csv.replace(b"w", b"m")), ImportOptions(
                filename="motala.csv", format="csv", mapping=mapping))
        [error] = refused.value.report.errors
        assert error.reason == "lon=15.13000, lat=58.32000 lies in Mjölby kommun, not in Motala kommun"


def test_lighting_and_open311_reports_land_where_their_boundary_says(client: TestClient, motala: dict[str, str],
                                                                     session: Session) -> None:
    """Issue #34: Motala's lighting reports at Mjölby's positions were stored as Motala's, and Open311 had no
    boundary check. Now a report lands in the municipality whose boundary holds it, of those the caller
    sees; one outside them is refused with the municipality named."""
    def lighting(token: str, lon: float, lat: float) -> tuple[int, str]:
        made = client.post("/api/v1/lighting/reports", headers=auth(token),
                           json={"kind": "dark_spot", "lon": lon, "lat": lat, "description": "Mörkt"})
        if made.status_code != 201:
            return made.status_code, made.text
        return 201, session.execute(text("SELECT municipality_code FROM lighting_reports WHERE id = :i"),
                                    {"i": made.json()["id"]}).scalar_one()

    assert lighting(motala["county"], 15.05, 58.48) == (201, "0583")
    assert lighting(motala["county"], 15.13, 58.32) == (201, "0586")
    status, message = lighting(motala["motala"], 15.13, 58.32)
    assert status == 422 and "Mjölby kommun" in message, message
    status, message = lighting(motala["mjolby"], 15.13, 58.20)  # Boxholm, inside Mjölby's old box
    assert status == 422 and "Boxholm kommun" in message, message

    def open311(token: str, lon: float, lat: float) -> int:
        return client.post("/open311/v2/requests.json", data={
            "api_key": token, "service_code": "streetlight", "lat": str(lat), "long": str(lon),
            "description": "Lampan är släckt"}).status_code

    before = session.execute(text("SELECT count(*) FROM lighting_reports WHERE municipality_code = '0583'")).scalar()
    assert open311(motala["motala"], 15.05, 58.48) == 200
    assert open311(motala["motala"], 15.13, 58.32) == 400  # Mjölby's street, from Motala's key
    after = session.execute(text("SELECT count(*) FROM lighting_reports WHERE municipality_code = '0583'")).scalar()
    assert after == before + 1
    session.execute(text("DELETE FROM lighting_reports WHERE municipality_code = '0583'"))
    session.commit()


def test_unit_reports_of_two_municipalities_do_not_clash(client: TestClient, motala: dict[str, str],
                                                        session: Session) -> None:
    """Issue #34: the key (organisation, period) was global, so Motala's kultur_fritid report made Mjölby's
    kultur_fritid POST answer 500, blocking the unit and telling it the report existed. It is per
    municipality now (migration 0027)."""
    from datetime import date

    from app.reports.service import period_for

    start = period_for(period_for(date(2026, 11, 18))[0] - timedelta(days=1))[0].isoformat()
    reporters = {code: create_token(session, role="reporter", name=f"kultur {code}", organisation="kultur_fritid",
                                    municipality=code) for code in ("0583", "0586")}
    for code in ("0583", "0586"):
        made = client.post("/api/v1/reports", headers=auth(reporters[code]),
                           json={"period_start": start, "summary": f"Lugnt i {code}"})
        assert made.status_code == 201, made.text
    rows = session.execute(text("SELECT municipality_code, summary FROM unit_reports WHERE organisation = "
                                "'kultur_fritid' ORDER BY 1")).all()
    assert [tuple(r) for r in rows] == [("0583", "Lugnt i 0583"), ("0586", "Lugnt i 0586")]
    session.execute(text("DELETE FROM unit_reports WHERE municipality_code = '0583'"))
    session.commit()


def test_municipality_add_by_code_alone_and_an_update_keeps_the_public_grid(session: Session) -> None:
    """`municipality add --code 0583` is enough (name, county, boundary, localities from data/); adding the
    default again to set its population keeps its stored extent, over which the public figures' grid is
    laid (a new box would move every released cell)."""
    before = session.execute(text("SELECT ST_AsText(extent) FROM municipalities WHERE code = '0586'")).scalar_one()
    add_municipality(session, code="0586", population=27_000)
    after = session.execute(text("SELECT ST_AsText(extent), population FROM municipalities WHERE code = '0586'")).one()
    assert after == (before, 27_000)
    try:
        added = add_municipality(session, code="0583")
        assert (added.name, added.county_code) == ("Motala kommun", "05")
        row = session.execute(text("SELECT boundary IS NOT NULL, localities->0->>'name' FROM municipalities "
                                   "WHERE code = '0583'")).one()
        assert tuple(row) == (True, "Motala")
        with pytest.raises(InvalidInput, match="not a Swedish municipality"):
            add_municipality(session, code="0999")
    finally:
        session.rollback()
        session.execute(text("UPDATE municipalities SET population = NULL WHERE code = '0586'"))
        session.execute(text("DELETE FROM municipalities WHERE code = '0583'"))
        session.commit()
