"""The `lagesbild` command line (Typer)."""

from __future__ import annotations

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from app.config import get_settings

app = typer.Typer(help="Lägesbild: incident mapping and hotspot analysis for ESM work.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The database: a self-started local PostGIS unless DATABASE_URL is set.")
token_app = typer.Typer(help="API tokens.")
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
console = Console(stderr=True)


def _ensure_database() -> None:
    """Start the local server when no DATABASE_URL is set; do nothing otherwise."""
    settings = get_settings()
    if not settings.uses_local_db:
        return
    from app.localdb import LocalDbError, server_from_settings

    try:
        server_from_settings().start((settings.db_name,))
    except LocalDbError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None


def _session() -> Session:
    from app.db import session_factory

    return session_factory()()


@db_app.command("start")
def db_start() -> None:
    """Install (if needed and root), initialise and start the local PostGIS; reuse it next time."""
    settings = get_settings()
    if not settings.uses_local_db:
        console.print("DATABASE_URL is set: using that server, nothing to start.")
        return
    _ensure_database()
    from app.localdb import server_from_settings

    server = server_from_settings()
    console.print(f"PostGIS running on 127.0.0.1:{server.port}, data in {server.data}")


@db_app.command("stop")
def db_stop() -> None:
    """Stop the local PostGIS."""
    from app.localdb import server_from_settings

    stopped = server_from_settings().stop()
    console.print("stopped" if stopped else "not running")


@db_app.command("status")
def db_status() -> None:
    """Say whether the database answers and which migration it is at."""
    from sqlalchemy import text

    from app.db import get_engine
    from app.migrate import current_revision, head_revision

    settings = get_settings()
    if settings.uses_local_db:
        from app.localdb import server_from_settings

        server = server_from_settings()
        if not server.is_running():
            console.print(f"local PostGIS: not running (data folder {server.data})")
            raise typer.Exit(1)
        console.print(f"local PostGIS: running on 127.0.0.1:{server.port}")
    with get_engine().connect() as conn:
        version = conn.execute(text("SELECT postgis_lib_version()")).scalar()
        console.print(f"PostGIS {version}; schema at {current_revision(conn)} "
                      f"(head {head_revision()})")


@app.command()
def migrate(
    revision: str = typer.Argument("head", help="Target revision"),
    down: bool = typer.Option(False, "--down", help="Downgrade to REVISION (e.g. base) instead"),
) -> None:
    """Apply Alembic migrations (the only way the schema changes)."""
    from app.migrate import downgrade, upgrade

    _ensure_database()
    if down:
        downgrade(revision)
    else:
        upgrade(revision)
    console.print(f"schema {'downgraded' if down else 'upgraded'} to {revision}")


@app.command()
def seed() -> None:
    """Load categories, organisations and data/places.geojson (idempotent)."""
    from app.migrate import upgrade
    from app.seed import seed as run_seed

    _ensure_database()
    upgrade()
    with _session() as session:
        result = run_seed(session)
    console.print(
        f"added {result.categories} categories, {result.organisations} organisations, {result.places} places"
    )


@token_app.command("create")
def token_create(
    role: str = typer.Option(..., "--role", help="admin, analyst, planner, technician or reporter"),
    name: str = typer.Option("cli", "--name", help="Who or what the token is for"),
    organisation: str | None = typer.Option(None, "--organisation", help="Organisation code, e.g. polisen"),
) -> None:
    """Create an API token and print it once (only its digest is stored)."""
    from app.auth.service import create_token
    from app.errors import DomainError

    _ensure_database()
    with _session() as session:
        try:
            token = create_token(session, role=role, name=name, organisation=organisation)
        except DomainError as exc:
            console.print(f"[red]{exc.msg}[/red]")
            raise typer.Exit(2) from None
    typer.echo(token)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
    workers: int = typer.Option(1, help="Worker processes"),
) -> None:
    """Serve the API and web pages (starts the local database and migrates first)."""
    import uvicorn

    from app.migrate import upgrade

    _ensure_database()
    upgrade()
    console.print(f"Lägesbild on http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@app.command()
def up(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
) -> None:
    """Everything a first run needs: database, schema, places, demo data; then serve."""
    seed()
    serve(host=host, port=port, workers=1)


if __name__ == "__main__":
    app()
