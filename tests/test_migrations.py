"""Schema changes go through Alembic only: upgrade head and downgrade base both work."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from app.migrate import current_revision, downgrade, head_revision, upgrade
from app.seed import seed
from tests.conftest import scratch_database_url

TABLES = {"categories", "organisations", "places", "incidents", "api_tokens"}


def test_upgrade_head_then_downgrade_base_then_upgrade_again() -> None:
    url = scratch_database_url("lagesbild_migrations_test")
    engine = create_engine(url)
    try:
        upgrade("head", url=url)
        insp = inspect(engine)
        assert set(insp.get_table_names()) >= TABLES
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            gist = conn.execute(text(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'incidents' AND indexdef LIKE '%gist%'"
            )).scalars().all()
            assert gist == ["idx_incidents_geom"]
            assert conn.execute(text("SELECT Find_SRID('public', 'incidents', 'geom')")).scalar() == 4326
        with Session(engine) as s:
            seed(s)
            assert s.execute(text("SELECT count(*) FROM places")).scalar() >= 10

        downgrade("base", url=url)
        assert TABLES.isdisjoint(inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert current_revision(conn) is None

        upgrade("head", url=url)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_seed_is_idempotent(session: Session) -> None:
    snapshot = "SELECT count(*), md5(string_agg(p::text, ',' ORDER BY id)) FROM places p"
    before = session.execute(text(snapshot)).one()
    result = seed(session)
    after = session.execute(text(snapshot)).one()
    assert (result.categories, result.organisations, result.places) == (0, 0, 0)
    assert before == after


def test_places_file_has_every_named_place_with_source_and_confidence() -> None:
    import json

    from app.paths import DATA

    features = json.loads((DATA / "places.geojson").read_text())["features"]
    names = " ".join(f["properties"]["name"] for f in features)
    for expected in ("Resecentrum", "Gästisparken", "Galleri", "Skänninge station", "Mantorp station",
                     "Lagmansskolan", "Blåklintskolan", "Vifolkaskolan", "Bjälbotullskolan"):
        assert expected in names
    for f in features:
        assert f["properties"]["source"] and f["properties"]["confidence"]
        if f["properties"]["kind"] in {"park", "schoolyard", "station", "travel_centre", "shopping"}:
            assert f["geometry"]["type"] in {"Polygon", "MultiPolygon"}


def test_models_describe_every_table_column_and_index_of_the_migrations() -> None:
    """`alembic revision --autogenerate` on a migrated database must propose nothing: the ORM describes
    the whole schema (before, it described 11 of 24 tables and autogenerate proposed dropping 14)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from geoalchemy2 import alembic_helpers

    from app.db import get_engine
    from app.models import Base

    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": alembic_helpers.include_object,
                                                         "compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    with get_engine().connect() as conn:
        tables = set(inspect(conn).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
    assert tables == set(Base.metadata.tables)
