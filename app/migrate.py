"""Alembic from code: upgrade/downgrade and "is the schema at head?" for /ready."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from app.paths import ALEMBIC_INI


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["configure_logger"] = False
    if url:
        config.attributes["url"] = url
    return config


def upgrade(revision: str = "head", url: str | None = None) -> None:
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        sync_default_extent(url)


def sync_default_extent(url: str | None = None) -> None:
    """A default municipality with no boundary (one not in data/municipalities.geojson) takes the install's
    configured extent (`LAGESBILD_EXTENT`). One with a boundary keeps its boundary's box (migration 0027):
    widening the setting for a county install no longer rewrites the default municipality's own extent."""
    from sqlalchemy import create_engine, text

    from app.config import get_settings
    from app.db import get_engine, sqlalchemy_url

    engine = create_engine(sqlalchemy_url(url)) if url else get_engine()
    west, south, east, north = get_settings().extent
    with engine.begin() as connection:
        connection.execute(text("""
            UPDATE municipalities SET extent = ST_MakeEnvelope(:w, :s, :e, :n, 4326)
            WHERE is_default AND boundary IS NULL AND NOT ST_Equals(extent, ST_MakeEnvelope(:w, :s, :e, :n, 4326))"""),
                           {"w": west, "s": south, "e": east, "n": north})
    if url:
        engine.dispose()


def downgrade(revision: str = "base", url: str | None = None) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
