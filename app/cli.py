"""The `lagesbild` command line (Typer)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import DomainError

app = typer.Typer(help="Lägesbild: incident mapping and hotspot analysis for ESM work.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="The database: a self-started local PostGIS unless DATABASE_URL is set.")
token_app = typer.Typer(help="API tokens.")
user_app = typer.Typer(help="People who sign in on the web pages (argon2 passwords, optional OIDC).")
app.add_typer(db_app, name="db")
app.add_typer(token_app, name="token")
basemap_app = typer.Typer(help="The street base for printed maps and maps without internet.")
app.add_typer(user_app, name="user")
app.add_typer(basemap_app, name="basemap")
police_app = typer.Typer(help="The police's public events feed (polisen.se/api/events).")
app.add_typer(police_app, name="police-feed")
statistics_app = typer.Typer(help="Reference statistics: Brå's reported crimes and SCB's population per area.")
app.add_typer(statistics_app, name="statistics")
municipality_app = typer.Typer(help="Municipalities as tenants, and groups (a county) that see several.")
app.add_typer(municipality_app, name="municipality")
console = Console(stderr=True)


@contextmanager
def _refused_in_red() -> Iterator[None]:
    """A DomainError (bad role, unknown user, short password …) becomes its message in red and exit code 2."""
    try:
        yield
    except DomainError as exc:
        console.print(f"[red]{exc.msg}[/red]")
        raise typer.Exit(2) from None


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


def _ensure_schema() -> None:
    """The database, with its schema at the newest migration: say so instead of failing on a missing table."""
    _ensure_database()
    from app.db import get_engine
    from app.migrate import current_revision, head_revision

    with get_engine().connect() as connection:
        current = current_revision(connection)
    if current != head_revision():
        console.print(f"[red]The database schema is at {current or 'nothing'}, not the newest "
                      f"({head_revision()}): run `lagesbild migrate` first.[/red]")
        raise typer.Exit(1)


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


@db_app.command("backup")
def db_backup(out: Path = typer.Argument(..., help="Backup file to write (pg_dump custom format)")) -> None:
    """Write a consistent backup of the whole database."""
    from app.backup import BackupError, backup
    from app.db import database_url

    _ensure_database()
    try:
        size = backup(database_url(), out)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"wrote {out} ({size / 1e6:.1f} MB)")


@db_app.command("restore")
def db_restore(source: Path = typer.Argument(..., exists=True, dir_okay=False, help="A file from db backup"),
               yes: bool = typer.Option(False, "--yes", help="Do not ask; replace the current data")) -> None:
    """Replace the database with a backup (all or nothing)."""
    from app.backup import BackupError, restore
    from app.db import database_url

    if not yes and not typer.confirm("Replace ALL current data with the backup?"):
        raise typer.Exit(1)
    _ensure_database()
    try:
        restore(database_url(), source)
    except BackupError as exc:
        console.print(f"[red]restore failed, nothing changed: {exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"restored {source}")


@app.command()
def retention(
    years: float | None = typer.Option(None, help="Keep detail this many years (default LAGESBILD_RETENTION_YEARS)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be reduced"),
) -> None:
    """Reduce incident detail older than the retention period to monthly counts per 250 m cell, and clear
    older free text and photos (report observations, walk participants and photos, lamp-case texts)."""
    from app.retention import apply_retention

    years = years or get_settings().retention_years
    if not years:
        console.print("[red]give --years or set LAGESBILD_RETENTION_YEARS[/red]")
        raise typer.Exit(2)
    _ensure_database()
    with _session() as session:
        result = apply_retention(session, years=years, dry_run=dry_run)
    verb = "would reduce" if result.dry_run else "reduced"
    console.print(f"{verb} {result.incidents} incidents before {result.cutoff:%Y-%m-%d} to "
                  f"{result.aggregates if not result.dry_run else '…'} monthly cell counts")
    cleared = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in result.cleared.items() if n)
    console.print(f"{'would clear' if result.dry_run else 'cleared'}: {cleared or 'no older free text or photos'}")


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
    municipality: str | None = typer.Option(None, "--municipality",
                                            help="SCB code of the token's municipality (default: the install's)"),
    group: str | None = typer.Option(None, "--group", help="Sees every municipality of this group, e.g. lan05"),
) -> None:
    """Create an API token and print it once (only its digest is stored)."""
    from app.auth.service import create_token

    _ensure_schema()
    with _session() as session, _refused_in_red():
        token = create_token(session, role=role, name=name, organisation=organisation, municipality=municipality,
                             sees_group=group)
    typer.echo(token)


@token_app.command("list")
def token_list() -> None:
    """Every token: id, name, role, unit, created, revoked (never the token itself)."""
    from app.auth.service import list_tokens

    _ensure_schema()
    with _session() as session:
        for t in list_tokens(session):
            revoked = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            typer.echo(f"{t.id}\t{t.name}\t{t.role}\t{t.organisation or '-'}\t{t.created_at:%Y-%m-%d}\t{revoked}")


@token_app.command("revoke")
def token_revoke(token_id: int = typer.Argument(..., help="The token's id (see `lagesbild token list`)")) -> None:
    """Revoke a token: refused from the next request on, in every server process."""
    from app.auth.service import revoke_token

    _ensure_schema()
    with _session() as session, _refused_in_red():
        name = revoke_token(session, token_id, actor="cli")
    console.print(f"token {token_id} ({name}) revoked")


@police_app.command("sync")
def police_feed_sync(
    url: str | None = typer.Option(None, help="Feed address (default: LAGESBILD_POLICE_FEED_URL)"),
    retries: bool = typer.Option(True, help="Try again after 5 and 30 s when the fetch fails"),
) -> None:
    """Fetch the police events feed once and store the new events (each event once, however often run).
    The feed holds about 8 days of events: run it at least daily (cron), or set
    LAGESBILD_POLICE_FEED_INTERVAL_MINUTES for the served app to do it."""
    from app.db import session_factory
    from app.policefeed.service import RETRY_SECONDS, sync

    _ensure_schema()
    result = sync(session_factory(), url, retry_seconds=RETRY_SECONDS if retries else ())
    if not result.ok:
        console.print(f"[red]polisens händelser kunde inte hämtas: {result.message}[/red]")
        raise typer.Exit(1)
    console.print(f"polisens händelser: {result.events} lästa, {result.inserted} nya, {result.duplicates} redan "
                  f"sparade, {result.skipped} utelämnade")


@statistics_app.command("import-bra")
def statistics_import_bra(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Brå's CSV of reported crimes per kommun"),
    year: int | None = typer.Option(None, help="The year the file covers, when it does not say"),
) -> None:
    """Reported crimes per municipality from Brå (Kommun;Antal;Per 100 000 inv.), one year per file."""
    from app.statistics.service import import_bra

    _ensure_schema()
    with _session() as session, _refused_in_red(), file.open("rb") as stream:
        report = import_bra(session, stream, year)
    console.print(f"Brå: {report.areas} områden för {', '.join(map(str, report.years))}"
                  + (f"; {len(report.skipped)} rader utan område hoppades över" if report.skipped else ""))


@statistics_app.command("import-survey")
def statistics_import_survey(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV: Område;Problem;Index (0–6)"),
    year: int | None = typer.Option(None, help="The year of the survey, when the file does not say"),
) -> None:
    """The police's trygghetsmätning; areas named like a place are linked to it (its map popup shows them)."""
    from app.statistics.service import import_survey

    _ensure_schema()
    with _session() as session, _refused_in_red(), file.open("rb") as stream:
        report = import_survey(session, stream, year)
    console.print(f"trygghetsmätning: {report.rows} index för {report.areas} områden, "
                  f"{', '.join(map(str, report.years))}")


@statistics_app.command("import-population")
def statistics_import_population(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="SCB's CSV of population per region"),
) -> None:
    """Population per region and year from SCB (region as '0586 Mjölby', a column per year)."""
    from app.statistics.service import import_population

    _ensure_schema()
    with _session() as session, _refused_in_red(), file.open("rb") as stream:
        report = import_population(session, stream)
    console.print(f"SCB: folkmängd för {report.areas} områden, {', '.join(map(str, report.years))}")


@statistics_app.command("import-population-grid")
def statistics_import_population_grid(
    file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                help="SCB's population per square: CSV (Rutid;Befolkning) or GeoPackage/Shapefile"),
    size: int | None = typer.Option(None, help="The squares' side in metres (default: read from the file)"),
    year: int | None = typer.Option(None, help="The year the counts are for"),
    source: str | None = typer.Option(None, help="Where it comes from, named on the pages (default: the file name)"),
) -> None:
    """Residents per 250 m or 1 km square: the cause analysis then compares a factor only with positions near
    as many residents. Replaces the grid imported before."""
    from app.statistics.grid import import_population_grid

    _ensure_schema()
    with _session() as session, _refused_in_red():
        report = import_population_grid(session, file, size=size, year=year, source=source)
    console.print(f"befolkningsrutor: {report.squares} rutor om {report.size_m} m, {report.population} invånare")


@basemap_app.command("import")
def basemap_import(
    file: Path = typer.Argument(..., help="OpenStreetMap extract (.osm.pbf, .osm) or a GeoPackage, GeoJSON, "
                                          "Shapefile …"),
    source: str | None = typer.Option(None, help="Where it comes from, shown on maps (default: the file name)"),
) -> None:
    """Replace the street base with the streets, buildings, water and green areas of FILE (inside the extent)."""
    from app.basemap.service import import_file

    _ensure_schema()
    with _session() as session, _refused_in_red():
        report = import_file(session, file, source=source)
    words = {"street": "gator", "building": "byggnader", "water": "vatten", "green": "grönytor"}
    done = ", ".join(f"{n} {words[k]}" for k, n in sorted(report.counts.items())) or "inget"
    console.print(f"gatukartan: {done}; {report.skipped} andra objekt hoppades över")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Lösenord (minst 12 tecken)", hide_input=True, confirmation_prompt=True))


@user_app.command("create")
def user_create(
    username: str = typer.Option(..., "--username", help="Usually the work e-mail address"),
    role: str = typer.Option(..., "--role", help="admin, analyst, planner, technician or reporter"),
    organisation: str | None = typer.Option(None, "--organisation", help="Unit code, e.g. kultur_fritid"),
    display_name: str | None = typer.Option(None, "--display-name"),
    oidc_only: bool = typer.Option(False, "--oidc-only", help="No password: signs in through OIDC only"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
    municipality: str | None = typer.Option(None, "--municipality",
                                            help="SCB code of the user's municipality (default: the install's)"),
    group: str | None = typer.Option(None, "--group", help="A county or police region the user sees, e.g. lan05"),
) -> None:
    """Create a user; the password is asked for twice (never given on the command line)."""
    from app.auth.users import create_user

    _ensure_schema()
    password = None if oidc_only else _password(password_stdin)
    with _session() as session, _refused_in_red():
        create_user(session, username=username, role=role, organisation=organisation, password=password,
                    display_name=display_name, municipality=municipality, sees_group=group)
    console.print(f"Användaren {username.strip().lower()} ({role}) är skapad.")


@user_app.command("role")
def user_role(username: str = typer.Argument(...),
              role: str = typer.Option(..., "--role", help="admin, analyst, planner, technician or reporter"),
              organisation: str | None = typer.Option(None, "--organisation", help="Unit code")) -> None:
    """Change a user's role and unit (recorded in the audit trail)."""
    from app.auth.users import set_role

    _ensure_schema()
    with _session() as session, _refused_in_red():
        set_role(session, username, role, organisation)
    console.print(f"{username.strip().lower()} är nu {role}.")


@user_app.command("password")
def user_password(username: str = typer.Argument(...),
                  password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Set a new password (also unlocks a locked account)."""
    from app.auth.users import set_password

    _ensure_schema()
    with _session() as session, _refused_in_red():
        set_password(session, username, _password(password_stdin))
    console.print("Lösenordet är bytt.")


@user_app.command("disable")
def user_disable(username: str = typer.Argument(...),
                 enable: bool = typer.Option(False, "--enable", help="Re-enable instead")) -> None:
    """Disable a user (their open sessions end at once), or re-enable with --enable."""
    from app.auth.users import set_disabled

    _ensure_schema()
    with _session() as session, _refused_in_red():
        set_disabled(session, username, not enable)
    console.print("Aktiverad." if enable else "Inaktiverad; öppna sessioner är avslutade.")


@user_app.command("list")
def user_list() -> None:
    from rich.table import Table

    from app.auth.users import list_users

    _ensure_schema()
    table = Table("användare", "roll", "enhet", "lösenord", "OIDC", "låst till", "inaktiverad")
    with _session() as session:
        for u in list_users(session):
            table.add_row(str(u["username"]), str(u["role"]), str(u["organisation"] or ""),
                          "ja" if u["has_password"] else "nej", "ja" if u["oidc_linked"] else "nej",
                          str(u["locked_until"] or ""), str(u["disabled_at"] or ""))
    console.print(table)


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
    # A TERM ends the server within 10 s even while a long import or analysis runs: the import's one
    # transaction is then never committed, and PostgreSQL rolls it back (nothing half-written).
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False, timeout_graceful_shutdown=10)


@app.command("demo-data")
def demo_data(
    seed: int = typer.Option(42, help="Random seed: the same seed and end date give the same data"),
    days: int = typer.Option(730, min=7, max=3650, help="How many days of history"),
    end: str | None = typer.Option(None, help="Last day (YYYY-MM-DD); default today"),
) -> None:
    """Load the synthetic demo data set (source `demo`), replacing any earlier demo rows in one go."""
    import io
    from datetime import date

    from sqlalchemy import text

    from app.demo import DEMO_SURVEY, generate, to_csv
    from app.imports.service import ImportOptions, run_import
    from app.migrate import upgrade
    from app.seed import seed as run_seed

    _ensure_database()
    upgrade()
    try:
        last_day = date.fromisoformat(end) if end else date.today()
    except ValueError:
        console.print(f"[red]--end must be YYYY-MM-DD, not {end!r}[/red]")
        raise typer.Exit(2) from None
    rows = generate(last_day, days=days, seed=seed)
    with _session() as session:
        run_seed(session)
        # Delete and re-import in one transaction: a reader sees the old or the new set, never neither.
        session.execute(text("DELETE FROM incidents WHERE source = 'demo'"))
        for slug, share in DEMO_SURVEY.items():
            session.execute(text("UPDATE places SET unsafe_share = :share WHERE slug = :slug AND unsafe_share IS NULL"),
                            {"slug": slug, "share": share})
        report = run_import(session, io.BytesIO(to_csv(rows)),
                            ImportOptions(filename="demo.csv", format="csv", source="demo", imported_by="demo-data"))
        lighting = _demo_lighting(session)
        from app.demo import load_meeting

        meeting = load_meeting(session, last_day)
    console.print(f"demo data: {report.inserted} synthetic incidents ({days} days to {last_day}), source 'demo'; "
                  f"illustrative survey scores on places that had none; {lighting}; {meeting}")


def _demo_lighting(session: Session) -> str:
    """Approximate demo streets, lamps, faults and dark spots, so the lighting view is alive."""
    from sqlalchemy import text

    from app.demo import DEMO_DARK_SPOTS, DEMO_FAULTS, demo_lamps, demo_streets_geojson
    from app.lighting import service as lighting

    session.execute(text("DELETE FROM lighting_reports WHERE source = 'demo'"))
    session.execute(text("DELETE FROM lamps WHERE source = 'demo (approximate)'"))
    session.commit()
    segments = lighting.import_streets(session, demo_streets_geojson(), "demo (approximate)")["segments"]
    for lamp in demo_lamps():
        session.execute(text("""INSERT INTO lamps (external_id, street, status, source, geom)
            VALUES (:external_id, :street, 'ok', 'demo (approximate)', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
            ON CONFLICT (municipality_code, external_id) DO NOTHING"""), lamp)
    session.commit()
    path = {"reported": [], "confirmed": ["confirmed"], "scheduled": ["confirmed", "scheduled"]}
    for lat, lon, status in DEMO_FAULTS:
        report_id = lighting.create_report(session, kind="fault", lon=lon, lat=lat, source="demo",
                                           description="[demo] Lampan lyser inte", reported_by="demo-data")
        for step in path[status]:
            lighting.change_status(session, report_id, step, "demo-data")
    for lat, lon, note in DEMO_DARK_SPOTS:
        lighting.create_report(session, kind="dark_spot", lon=lon, lat=lat, description=f"[demo] {note}",
                               reported_by="demo-data (trygghetsvandring)", source="demo")
    return (f"{segments} street segments, {len(demo_lamps())} lamps, {len(DEMO_FAULTS)} faults, "
            f"{len(DEMO_DARK_SPOTS)} dark spots")


def _has_demo_data() -> bool:
    from sqlalchemy import text

    with _session() as session:
        return bool(session.execute(text("SELECT EXISTS (SELECT 1 FROM incidents WHERE source = 'demo')")).scalar())


@app.command()
def up(
    host: str = typer.Option("127.0.0.1", help="Address to listen on"),
    port: int = typer.Option(8000, help="Port to listen on"),
) -> None:
    """Everything a first run needs: database, schema, places, demo data; then serve."""
    seed()
    if not _has_demo_data():
        demo_data(seed=42, days=730, end=None)
    if get_settings().environment == "local":
        from app.auth.service import create_token

        with _session() as session:
            token = create_token(session, role="analyst", name="lagesbild up (lokal)")
        console.print(f"Logga in på http://{host}:{port}/logga-in (\"Logga in med API-nyckel\") med nyckeln:\n"
                      f"  {token}\nKonton för personer: lagesbild user create --username ... --role ...")
    serve(host=host, port=port, workers=1)


def _parse_mapping(pairs: list[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field_name, sep, header = pair.partition("=")
        if not sep or not field_name.strip() or not header.strip():
            console.print(f"[red]--map takes FIELD=COLUMN, got {pair!r}[/red]")
            raise typer.Exit(2)
        mapping[field_name.strip()] = header.strip()
    return mapping


@app.command("import")
def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, Excel .xlsx, GeoJSON or police feed JSON"),
    fmt: str | None = typer.Option(None, "--format", help="csv, xlsx, geojson or police (default: guessed)"),
    source: str | None = typer.Option(
        None, "--source", help="Organisation code (default: kommunen; polisen for the feed)"
    ),
    mapping: list[str] = typer.Option([], "--map", help="FIELD=COLUMN, e.g. --map time=Händelsedatum"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Import the good rows; write rejects to a file"),
    rejects: Path | None = typer.Option(None, "--rejects", help="Where rejects go (default FILE.rejects.csv)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; store nothing"),
    timezone: str | None = typer.Option(None, "--timezone",
                                        help="Zone of times without an offset; default LAGESBILD_TIMEZONE"),
) -> None:
    """Import incidents from a file: whole or not at all (unless --skip-invalid); re-import adds nothing."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    from app.imports.readers import FORMATS
    from app.imports.service import ImportOptions, ImportRejected, run_import

    if fmt not in (None, *FORMATS):
        console.print(f"[red]--format must be one of {', '.join(FORMATS)}, not {fmt!r}[/red]")
        raise typer.Exit(2)
    _ensure_database()
    options = ImportOptions(
        filename=path.name, format=fmt, source=source, mapping=_parse_mapping(mapping) or None,  # type: ignore[arg-type]
        skip_invalid=skip_invalid, dry_run=dry_run, timezone=timezone, imported_by="cli",
        rejects_path=(rejects or path.with_name(path.name + ".rejects.csv")) if skip_invalid else None,
    )
    columns = [BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn()]
    with _session() as session, path.open("rb") as stream, Progress(
        "[progress.description]{task.description}", *columns, console=console, transient=True
    ) as progress:
        task = progress.add_task(f"Importerar {path.name}", total=path.stat().st_size)
        try:
            report = run_import(session, stream, options, on_bytes=lambda n: progress.advance(task, n))
        except ImportRejected as exc:
            progress.stop()
            _print_report(exc.report)
            console.print(f"[red]{exc.msg}[/red]\nUse --skip-invalid to import the valid rows.")
            raise typer.Exit(1) from None
        except DomainError as exc:
            progress.stop()
            console.print(f"[red]{' '.join(map(str, exc.loc))}: {exc.msg}[/red]")
            raise typer.Exit(2) from None
    _print_report(report)


def _print_report(report: Any) -> None:
    from rich.table import Table

    table = Table(title=f"{report.format} · {report.source}", show_header=False)
    for label, value in (("rows read", report.rows_read), ("valid", report.valid), ("inserted", report.inserted),
                         ("already stored", report.duplicates), ("rejected", report.rejected),
                         ("skipped", report.skipped)):
        table.add_row(label, str(value))
    console.print(table)
    for reason, n in sorted(report.skipped_reasons.items(), key=lambda kv: -kv[1]):
        console.print(f"  skipped {n}: {reason}")
    for grid, n in report.grids.items():  # worth a look when it is not the grid the file was meant to be in
        console.print(f"  coordinates read as {grid}: {n} rows")
    for error in report.errors[:20]:
        console.print(f"  row {error.row}, {error.field}: {error.reason}")
    if len(report.errors) > 20 or report.errors_truncated:
        console.print(f"  … {report.rejected} rejected rows in all")
    if report.rejects_file:
        console.print(f"rejected rows written to {report.rejects_file}")
    if report.dry_run:
        console.print("dry run: nothing was stored")


@app.command("map")
def map_file(
    out: Path = typer.Option(Path("karta.html"), "--out", help="Where to write the standalone map"),
    view: str = typer.Option("analys", help="analys, patrull, belysning, oversikt or publik"),
    start: str | None = typer.Option(None, help="First day (YYYY-MM-DD); default a year ago"),
    end: str | None = typer.Option(None, help="Day after the last (YYYY-MM-DD); default now"),
    category: list[str] = typer.Option([], "--category", help="Category code or label (repeatable)"),
    lang: str = typer.Option("sv", help="sv or en"),
) -> None:
    """Write a standalone map file: data and scripts embedded, opens without the server or internet."""
    from app.analysis.schemas import scope_from_text
    from app.maps.render import build_map, render_html
    from app.maps.service import VIEW_LAYERS, map_data

    if view not in VIEW_LAYERS or lang not in ("sv", "en"):
        console.print(f"[red]--view must be one of {', '.join(VIEW_LAYERS)} and --lang sv or en[/red]")
        raise typer.Exit(2)
    _ensure_database()
    settings = get_settings()
    with _session() as session:
        try:
            scope = scope_from_text(start, end, category, 365)
            data = map_data(session, view, scope, incidents_url=None, embed_cells=True)  # type: ignore[arg-type]
        except DomainError as exc:
            console.print(f"[red]{' '.join(map(str, exc.loc))}: {exc.msg}[/red]")
            raise typer.Exit(2) from None
    fmap = build_map(data, layers=VIEW_LAYERS[view], language=lang,  # type: ignore[arg-type]
                     tile_url=settings.tile_url or None, attribution=settings.tile_attribution)
    out.write_text(render_html(fmap, inline_assets=True), encoding="utf-8")
    console.print(f"wrote {out} ({out.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    app()


@municipality_app.command("add")
def municipality_add(
    code: str = typer.Option(..., "--code", help="SCB's municipality code, e.g. 0583"),
    name: str | None = typer.Option(None, "--name", help="Default: from data/municipalities.geojson (Motala kommun)"),
    extent: str | None = typer.Option(None, "--extent", help="min_lon,min_lat,max_lon,max_lat (WGS84); default: "
                                      "the box of its boundary in data/municipalities.geojson"),
    county: str | None = typer.Option(None, "--county", help="SCB's county code, e.g. 05 (default: from data/)"),
    timezone: str = typer.Option("Europe/Stockholm", "--timezone"),
    population: int | None = typer.Option(None, "--population", min=0),
    locality: list[str] = typer.Option([], "--locality", help="name:lat:lon of a locality, e.g. "
                                       "Borensberg:58.5627:15.2806; repeat for each (default: data/localities_se.csv)"),
) -> None:
    """Add a municipality (or update it): its rows are kept apart from every other's by row-level security.
    A Swedish municipality needs only its code: name, county, boundary and localities come from data/."""
    from app.municipalities.service import add_municipality

    box: tuple[float, ...] | None = None
    if extent is not None:
        try:
            box = tuple(float(v) for v in extent.split(","))
        except ValueError:
            box = ()
        if len(box) != 4:
            console.print(f"[red]--extent takes four numbers min_lon,min_lat,max_lon,max_lat, not {extent!r}[/red]")
            raise typer.Exit(2)
    localities = []
    for given in locality:
        place, _, position = given.rpartition(":")
        place, _, lat = place.rpartition(":")
        try:
            localities.append((place, float(lat), float(position)))
        except ValueError:
            console.print(f"[red]--locality takes name:lat:lon, e.g. Borensberg:58.5627:15.2806, not {given!r}[/red]")
            raise typer.Exit(2) from None
    _ensure_schema()
    with _session() as session, _refused_in_red():
        added = add_municipality(session, code=code, name=name, extent=box,  # type: ignore[arg-type]
                                 county_code=county, timezone=timezone, population=population,
                                 localities=localities or None)
    console.print(f"{added.code} {added.name}: database role lagesbild_m{added.code}")
    settings = get_settings()
    west, south, east, north = settings.extent
    box = tuple(added.extent)
    if "extent" in settings.model_fields_set and not (
            west <= box[0] and south <= box[1] and box[2] <= east and box[3] <= north):
        console.print(f"[yellow]LAGESBILD_EXTENT={west},{south},{east},{north} is set and does not cover "
                      f"{added.name}: positions there are refused. Unset it (the municipalities' boundaries decide) "
                      "or widen it.[/yellow]")


@municipality_app.command("group")
def municipality_group(
    code: str = typer.Option(..., "--code", help="e.g. lan05"),
    name: str = typer.Option(..., "--name", help="e.g. Östergötlands län"),
    kind: str = typer.Option("county", "--kind", help="county, police_region or group"),
    member: list[str] = typer.Option([], "--member", help="A municipality code; repeat for each"),
) -> None:
    """Add a group that sees several municipalities (a county, a police region), or replace its members."""
    from app.municipalities.service import add_group

    _ensure_schema()
    with _session() as session, _refused_in_red():
        group = add_group(session, code=code, name=name, kind=kind, members=member)
    console.print(f"{group.code} {group.name}: {', '.join(group.members)} (database role lagesbild_g{group.code})")


@municipality_app.command("list")
def municipality_list() -> None:
    """Every municipality and group."""
    from rich.table import Table

    from app.municipalities.service import groups, visible

    _ensure_schema()
    table = Table("kod", "kommun", "län", "invånare", "standard")
    with _session() as session:
        for m in visible(session):
            table.add_row(m.code, m.name, m.county_code or "", str(m.population or ""), "ja" if m.is_default else "")
        console.print(table)
        for g in groups(session):
            console.print(f"{g.code} {g.name} ({g.kind}): {', '.join(g.members)}")
