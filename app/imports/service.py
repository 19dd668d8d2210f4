"""The import engine shared by `lagesbild import` and `POST /api/v1/imports`.

Rows are read as a stream in blocks, and each block is checked in bulk, field by field (numbers, times,
positions, categories, places); forms that need care go one value at a time through the same functions.
Checked rows go to `incidents` with a binary COPY per 50,000 rows while the next block is read (rows
already stored, same source + external id, are skipped; see _ChunkWriter).
Everything happens in one transaction, so a file goes in whole or not at all (a bad row found late rolls
back the chunks already moved), and a killed import leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.db import TENANT_ROLE, tenant
from app.errors import InvalidInput
from app.imports.models import ImportBatch, PoliceEventType
from app.imports.readers import (
    Block,
    Format,
    Served,
    read_csv,
    read_geojson,
    read_police_feed,
    read_xlsx,
    sniff_format,
)
from app.imports.values import (
    NO_TIME,
    UNIX_EPOCH,
    ValueProblem,
    content_hash,
    parse_coordinate,
    parse_numbers,
    parse_when_many,
)
from app.incidents.models import LOCATION_PRECISIONS
from app.municipalities import reference
from app.municipalities.service import accepted_extent
from app.places.zones import POINT_PLACE_RADIUS_M, Zones
from app.places.zones import zones as place_zones
from app.reference.service import category_lookup, check_organisation, normalise
from geo.crs import SWEDISH_GRIDS, grid_to_wgs84, in_extent, lonlat_problem

MAX_REPORTED_ERRORS = 1_000
MAX_DESCRIPTION = 5_000
MAX_EXTERNAL_ID = 200  # incidents.external_id
NORTHING = (6.0e6, 7.8e6)
EASTING = (5.0e4, 2.0e6)  # SWEREF 99 local zones (~50–250 km) to RT90 (~1,200–1,900 km)

PG_EPOCH_US = 946_684_800_000_000  # PostgreSQL counts time from 2000-01-01 UTC, in microseconds
_EWKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])

# Binary COPY: the geometry goes as EWKB and the time as PostgreSQL's own microsecond count; the server
# reads them with the columns' receive functions, so they are declared by the wire types they share.
COPY_COLUMNS = ("geom, category, occurred_at, reported_at, source, external_id, location_precision, precision_m, "
                "description, place_id, import_batch_id, municipality_code")
COPY_TYPES = ("bytea", "text", "int8", "int8", "text", "text", "text", "int4", "text", "int4", "int4", "text")



@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    reason: str


@dataclass
class ImportOptions:
    filename: str = "upload"
    format: Format | None = None
    source: str | None = None
    mapping: dict[str, str] | None = None
    skip_invalid: bool = False
    dry_run: bool = False
    timezone: str | None = None  # zone of times without an offset; default LAGESBILD_TIMEZONE
    imported_by: str | None = None
    rejects_path: Path | None = None


@dataclass
class ImportReport:
    format: str
    source: str
    rows_read: int = 0
    valid: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)  # what was done to rows that went in, e.g. where the
    # police feed's time or place came from
    errors: list[RowError] = field(default_factory=list)
    errors_truncated: bool = False
    dry_run: bool = False
    committed: bool = False
    batch_id: int | None = None
    rejects_file: str | None = None
    grids: dict[str, int] = field(default_factory=dict)  # rows given in metres, by the grid they were read in

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRejected(InvalidInput):
    """The file had bad rows and was not imported; the report lists them."""

    status_code = 422

    def __init__(self, report: ImportReport) -> None:
        first = report.errors[0] if report.errors else None
        where = f" (first: row {first.row}, {first.field}: {first.reason})" if first else ""
        super().__init__(f"{report.rejected} invalid row(s); nothing was imported{where}", loc=("file",))
        self.report = report

    def detail(self) -> list[dict[str, Any]]:
        items = super().detail()
        items[0]["report"] = self.report.as_dict()
        return items


@dataclass
class _Context:
    """Look-ups loaded once per import."""

    categories: dict[str, str]
    category_cache: dict[str, str]
    police_types: dict[str, tuple[str | None, str | None]]
    places: dict[str, int]
    ambiguous_places: dict[str, list[str]]  # a short name several places share → their full names
    place_centres: dict[int, tuple[float, float, int]]  # id → lon, lat inside the place, radius in metres
    zones: Zones
    extent: tuple[float, float, float, float]
    tz: ZoneInfo
    format: Format
    served: tuple[Served, ...] = ()  # the install's municipalities, the default first
    own: str | None = None  # a tenant's import: the municipality every row must lie in
    grids: dict[str, int] = field(default_factory=dict)  # grid name → rows read in it (for the report)


def _load_context(session: Session, fmt: Format, tz: str) -> _Context:
    police = {normalise(p.type): (p.category, p.note) for p in session.scalars(select(PoliceEventType))}
    rows = session.execute(text(
        "SELECT id, slug, name, ST_AsBinary(geom), GeometryType(geom) = 'POINT', ST_Area(geom::geography), "
        "ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM places ORDER BY id")).all()
    places, ambiguous = place_names([(pid, slug, name) for pid, slug, name, *_ in rows])
    centres = {pid: (lon, lat, _radius(is_point, area)) for pid, _, _, _, is_point, area, lon, lat in rows}
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        raise InvalidInput(f"unknown time zone {tz!r}", loc=("timezone",)) from None
    served = tuple(Served(str(code), str(name), tuple((str(loc["name"]), float(loc["lat"]), float(loc["lon"]))
                                                      for loc in localities))
                   for code, name, localities in session.execute(text(
                       "SELECT code, name, localities FROM municipalities ORDER BY is_default DESC, code")).all())
    own = session.scalar(text("SELECT lagesbild_current_municipality()")) if tenant(session) is not None else None
    return _Context(
        categories=category_lookup(session), category_cache={}, police_types=police, places=places,
        ambiguous_places=ambiguous,
        place_centres=centres,
        zones=place_zones(session),
        extent=accepted_extent(session), tz=zone, format=fmt, served=served, own=own,
    )


class _CountingReader(io.RawIOBase):
    """Counts bytes read, for a progress bar over a stream that a text wrapper consumes."""

    def __init__(self, raw: IO[bytes], on_bytes: Callable[[int], None] | None) -> None:
        self.raw = raw
        self.on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        if self.on_bytes and data:
            self.on_bytes(len(data))
        return len(data)


def run_import(
    session: Session,
    stream: IO[bytes],
    options: ImportOptions,
    *,
    on_bytes: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate and import one file. Raises ImportRejected (nothing written) on bad rows unless skip_invalid."""
    head = stream.read(4096)
    stream.seek(0)
    fmt: Format = options.format or sniff_format(head, options.filename)
    source = options.source or ("polisen" if fmt == "police" else "kommunen")
    check_organisation(session, source, ("source",))
    context = _load_context(session, fmt, options.timezone or get_settings().timezone)
    counted = io.BufferedReader(_CountingReader(stream, on_bytes), buffer_size=1 << 20)
    blocks = _open(counted, fmt, options.mapping, context.served)
    report = ImportReport(format=fmt, source=source, dry_run=options.dry_run)
    rejects = _RejectsWriter(options.rejects_path)

    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE TEMP TABLE import_staging (geom geometry, category text, occurred_at timestamptz, "
        "reported_at timestamptz, source text, "
        "external_id text, location_precision text, precision_m int, description text, place_id int, "
        "import_batch_id int, municipality_code text) ON COMMIT DROP"
    )
    batch = None
    if not options.dry_run:
        batch = ImportBatch(filename=options.filename[:500], format=fmt, source=source, rows_read=0,
                            inserted=0, duplicates=0, rejected=0, skipped=0, imported_by=options.imported_by)
        session.add(batch)
        session.flush()
    raw = conn.connection.driver_connection
    assert raw is not None
    writer = _ChunkWriter(raw, source, batch_id=batch.id if batch else None)
    try:
        for block in blocks:
            report.rows_read += len(block) + len(block.errors)
            good, errors, skipped, notes = _validate(block, context, source)
            for note in notes:
                report.notes[note] = report.notes.get(note, 0) + 1
            for reason in skipped:
                report.skipped_reasons[reason] = report.skipped_reasons.get(reason, 0) + 1
            report.skipped += len(skipped)
            report.valid += len(good)
            if errors:
                report.rejected += len({e.row for e in errors})
                rejects.write(errors)
                room = MAX_REPORTED_ERRORS - len(report.errors)
                report.errors.extend(errors[:max(room, 0)])
                report.errors_truncated |= len(errors) > room
            if good and (options.dry_run or options.skip_invalid or not report.rejected):
                writer.add(good)  # the database inserts a batch while the next ones are parsed
    except BaseException:
        writer.abandon()
        raise
    writer.close()
    report.rejects_file = rejects.close()
    report.grids = dict(context.grids)

    if options.dry_run:
        report.duplicates = int(conn.exec_driver_sql(
            "SELECT count(*) - count(DISTINCT (s.municipality_code, s.source, s.external_id)) "
            "+ count(*) FILTER (WHERE EXISTS (SELECT 1 FROM incidents i WHERE i.source = s.source "
            "AND i.external_id = s.external_id AND i.municipality_code = s.municipality_code)) "
            "FROM import_staging s").scalar_one())
        session.rollback()
        return report
    if report.rejected and not options.skip_invalid:
        session.rollback()  # chunks already inserted go with it: nothing of the file stays
        raise ImportRejected(report)
    assert batch is not None
    report.inserted = writer.inserted
    report.duplicates = report.valid - report.inserted
    batch.rows_read, batch.rejected, batch.skipped = report.rows_read, report.rejected, report.skipped
    batch.inserted, batch.duplicates = report.inserted, report.duplicates
    session.commit()
    report.committed = True
    report.batch_id = batch.id
    return report


class _ChunkWriter:
    """Moves checked rows into the database on a thread of its own, so PostgreSQL stores batch k while
    Python reads and checks batch k+1 (two cores: about half the wall time). The connection is used by
    this thread only until close(); everything stays in the caller's one transaction.

    A batch goes straight into `incidents` with a binary COPY inside a savepoint: the rate the table itself
    accepts. Rows already stored (same source and external id) are looked up first when the source has
    rows; if the unique constraint still fires (a duplicate within the file, or a concurrent import), the
    savepoint is rolled back and that batch and the rest go the careful way: COPY into a staging table,
    then INSERT … ON CONFLICT DO NOTHING, which keeps the first of each key. A dry run only fills the
    staging table, where the duplicate count looks at it afterwards."""

    BATCH_ROWS = 10_000  # per COPY: the database starts on the first rows almost at once

    INSERT = f"""INSERT INTO incidents ({COPY_COLUMNS}) SELECT {COPY_COLUMNS} FROM import_staging
                 ORDER BY occurred_at ON CONFLICT (municipality_code, source, external_id) DO NOTHING"""

    def __init__(self, raw: Any, source: str, batch_id: int | None) -> None:
        import queue
        import threading

        self.raw = raw
        self.source = source
        self.batch_id = batch_id
        self.direct = batch_id is not None
        with raw.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM incidents WHERE source = %s), "
                           "((extract(epoch FROM now()) - 946684800) * 1000000)::int8, "
                           "lagesbild_current_municipality(), current_user, "
                           "(current_user LIKE 'lagesbild_m%%' "
                           " OR nullif(current_setting('lagesbild.municipality', true), '') IS NOT NULL) "
                           "AND lagesbild_current_municipality() = ANY(lagesbild_visible_municipalities())", (source,))
            probe, self.now, self.municipality, user, own = cursor.fetchone()
            self.probe = bool(probe)  # `now`: the transaction's time, as the column default has it
        # Under a tenant role (row-level security) the rows are the caller's municipality's; a group role (a
        # county) imports only when narrowed to one of its municipalities (?municipality=0583).
        self.role = user if TENANT_ROLE.fullmatch(user) else None
        if self.role and not own:
            from app.errors import Forbidden

            raise Forbidden("an account that sees several municipalities imports into one of them at a time: "
                            "name it (?municipality=0583)", loc=("file",),
                            sv="Ett konto som ser flera kommuner importerar till en av dem i taget: ange vilken "
                               "(?municipality=0583).")
        self.inserted = 0
        self.pending = StagedRows()
        self.failure: BaseException | None = None
        self.queue: queue.Queue[StagedRows | None] = queue.Queue(maxsize=1)  # memory stays flat
        self.thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self.thread.start()

    def add(self, rows: StagedRows) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.BATCH_ROWS:
            self._put()

    def _put(self) -> None:
        if self.failure is not None:
            raise self.failure
        if len(self.pending):
            self.queue.put(self.pending)
            self.pending = StagedRows()

    def close(self) -> None:
        self._put()
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise self.failure

    def abandon(self) -> None:
        """Stop after an error elsewhere; the caller's rollback discards whatever was written."""
        self.failure = self.failure or RuntimeError("import abandoned")
        self.queue.put(None)
        self.thread.join()

    def _run(self) -> None:
        while (rows := self.queue.get()) is not None:
            if self.failure is not None:
                continue  # drain, so the producer never blocks on a dead writer
            try:
                self._write(rows)
            except BaseException as exc:  # handed to the producer thread
                self.failure = exc

    def _copy(self, cursor: Any, table: str, rows: StagedRows) -> int:
        with cursor.copy(f"COPY {table} ({COPY_COLUMNS}) FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(COPY_TYPES)
            for row in rows.rows(self.source, self.batch_id, self.now, self.municipality):
                copy.write_row(row)
        return len(rows)

    def _write(self, rows: StagedRows) -> None:
        import psycopg

        with self.raw.cursor() as cursor:
            if self.direct:
                if self.probe:
                    cursor.execute("SELECT external_id FROM incidents WHERE source = %s AND external_id = ANY(%s)",
                                   (self.source, rows.external_id))
                    stored = {r[0] for r in cursor.fetchall()}
                    if stored:
                        rows = rows.without([k for k, key in enumerate(rows.external_id) if key in stored])
                cursor.execute("SAVEPOINT import_batch")
                try:
                    # PostgreSQL refuses COPY FROM under row-level security: the rows carry the caller's
                    # municipality (checked above) and go in as the owner; a rollback to the savepoint
                    # restores the tenant role too.
                    if self.role:
                        cursor.execute("SET LOCAL ROLE NONE")
                    self.inserted += self._copy(cursor, "incidents", rows)
                except psycopg.errors.UniqueViolation:
                    cursor.execute("ROLLBACK TO SAVEPOINT import_batch")
                    self.direct = False
                else:
                    if self.role:
                        cursor.execute(f"SET LOCAL ROLE {self.role}")
                    cursor.execute("RELEASE SAVEPOINT import_batch")
                    return
            self._copy(cursor, "import_staging", rows)
            if self.batch_id is not None:
                cursor.execute(self.INSERT)
                self.inserted += max(cursor.rowcount, 0)
                cursor.execute("TRUNCATE import_staging")


def _open(stream: IO[bytes], fmt: Format, mapping: dict[str, str] | None,
          served: tuple[Served, ...]) -> Iterator[Block]:
    if fmt == "csv":
        _, blocks = read_csv(stream, mapping)
        return blocks
    if fmt == "xlsx":
        _, blocks = read_xlsx(stream, mapping)
        return blocks
    if fmt == "geojson":
        return read_geojson(stream, mapping)
    return read_police_feed(stream, served=served)


def place_names(places: list[tuple[int, str, str]]) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Every way a file may name a place → its id: slug and full name, and, where no other place shares
    them, the name before a comma or bracket and the name in brackets ('Gallerian (Galleria Kvarnen)' →
    'gallerian', 'galleria kvarnen'; 'Lagmansskolan, skolgården' → 'lagmansskolan'). Short names that
    several places share ('Stora torget' is in Mjölby and in Skänninge) come back separately, with the
    full names to choose from, so the row's error can list them."""
    names: dict[str, int] = {}
    short: dict[str, set[int]] = {}
    full_name = {pid: name for pid, _, name in places}
    for pid, slug, name in places:
        names.setdefault(normalise(slug), pid)
        names.setdefault(normalise(name), pid)
        parts = [name.split(",")[0].split("(")[0], *re.findall(r"\(([^)]*)\)", name)]
        for part in parts:
            if normalise(part):
                short.setdefault(normalise(part), set()).add(pid)
    ambiguous: dict[str, list[str]] = {}
    for key, ids in short.items():
        if len(ids) == 1:
            names.setdefault(key, next(iter(ids)))
        elif key not in names:
            ambiguous[key] = sorted(full_name[i] for i in ids)
    return names, ambiguous


def _radius(is_point: bool, area_m2: float) -> int:
    """How far from its centre an incident given only as 'at this place' may be, in metres."""
    return round(POINT_PLACE_RADIUS_M if is_point else max(10.0, math.sqrt(area_m2 / math.pi)))




@dataclass
class StagedRows:
    """Checked rows of one block, column by column, in the order COPY sends them (COPY_COLUMNS)."""

    geom: list[bytes] = field(default_factory=list)  # EWKB points, SRID 4326
    category: list[str] = field(default_factory=list)
    occurred: list[int] = field(default_factory=list)  # microseconds since 2000-01-01 UTC
    reported: list[int | None] = field(default_factory=list)  # the same; None: now, when it reached us
    external_id: list[str] = field(default_factory=list)
    precision: list[str] = field(default_factory=list)
    precision_m: list[int | None] = field(default_factory=list)
    description: list[str | None] = field(default_factory=list)
    place_id: list[int | None] = field(default_factory=list)
    municipality: list[str | None] = field(default_factory=list)  # None: the writer's own (a tenant's)

    def __len__(self) -> int:
        return len(self.geom)

    def without(self, drop: list[int]) -> StagedRows:
        gone = set(drop)
        keep = [k for k in range(len(self)) if k not in gone]
        return StagedRows(**{name: [getattr(self, name)[k] for k in keep] for name in self.__dataclass_fields__})

    def extend(self, other: StagedRows) -> None:
        for name in self.__dataclass_fields__:
            getattr(self, name).extend(getattr(other, name))

    def rows(self, source: str, batch_id: int | None, now: int, municipality: str) -> Iterator[tuple[Any, ...]]:
        """Rows in COPY_COLUMNS order, earliest first (rows stored in time order make time filters cheap);
        each in the municipality its boundary (or the source's own words) gave, else `municipality`."""
        order = np.argsort(np.asarray(self.occurred, dtype=np.int64), kind="stable").tolist()
        for k in order:
            reported = self.reported[k]
            yield (self.geom[k], self.category[k], self.occurred[k], now if reported is None else reported, source,
                   self.external_id[k], self.precision[k], self.precision_m[k], self.description[k], self.place_id[k],
                   batch_id, self.municipality[k] or municipality)




class _BlockCheck:
    """Checks one block in bulk, field by field, in the order a person reads a row (category, time, precision,
    place, description, position), collecting every problem of every row."""

    def __init__(self, block: Block, ctx: _Context) -> None:
        self.block = block
        self.ctx = ctx
        self.n = len(block)
        self.problems: dict[int, list[tuple[str, str]]] = {}  # position in block → (field, reason)
        self.skipped: list[str] = []

    def keep_only(self, keep: list[int]) -> None:
        """Go on with the rows at these positions (rows passed over have no problems to carry)."""
        new = {old: i for i, old in enumerate(keep)}
        self.block = self.block.subset(keep)
        self.n = len(keep)
        self.problems = {new[k]: v for k, v in self.problems.items()}

    def col(self, name: str) -> list[str]:
        return self.block.values.get(name) or [""] * self.n

    def fail(self, k: int, field_name: str, reason: str) -> None:
        self.problems.setdefault(k, []).append((field_name, reason))

    def categories(self) -> tuple[list[str], list[int]]:
        """Category codes, and the positions of rows the police type table says to pass over."""
        ctx, codes, drop = self.ctx, [""] * self.n, []
        seen: dict[str, tuple[str | None, str | None]] = {}  # raw → (code, skip reason or error)
        for k, raw in enumerate(self.col("category")):
            if not raw:
                self.fail(k, "category", "empty")
                continue
            if raw not in seen:
                seen[raw] = _category(raw, ctx)
            code, why = seen[raw]
            if code is not None:
                codes[k] = code
            elif ctx.format == "police":
                drop.append(k)
                self.skipped.append(why or "")
            else:
                self.fail(k, "category", why or "")
        unplaced = self.block.values.get("unplaced")  # police events the feed places only at the county
        if unplaced:
            dropped = set(drop)
            for k, why in enumerate(unplaced):
                if why and k not in dropped and k not in self.problems:
                    drop.append(k)
                    self.skipped.append(why)
            drop.sort()
        return codes, drop

    def times(self) -> np.ndarray:
        times, dates = self.col("time"), self.block.values.get("date")
        if dates is None:
            main, clocks, names = times, None, None
        else:
            clock = self.col("clock")
            main = [t or d for t, d in zip(times, dates, strict=True)]
            clocks = ["" if t else c for t, c in zip(times, clock, strict=True)]
            names = ["date" if d and not t else "time" for t, d in zip(times, dates, strict=True)]
        micros, problems = parse_when_many(main, clocks, self.ctx.tz)
        for k, reason in problems.items():
            self.fail(k, names[k] if names else "time", reason)
        return micros

    def precisions(self) -> list[str]:
        default = self.block.precision or "exact"
        out = [(p or default).lower() for p in self.col("precision")]
        for k, value in enumerate(out):
            if value not in LOCATION_PRECISIONS:
                self.fail(k, "precision", f"{value!r} is not one of {', '.join(LOCATION_PRECISIONS)}")
        return out

    def places(self) -> list[int | None]:
        ids: list[int | None] = [None] * self.n
        named = self.block.values.get("place")
        for k, name in enumerate(named or ()):
            if not name:
                continue
            key = normalise(name)
            ids[k] = self.ctx.places.get(key)
            if key in self.ctx.ambiguous_places:
                self.fail(k, "place", f"{name!r} names several places: {'; '.join(self.ctx.ambiguous_places[key])}")
            elif ids[k] is None:
                self.fail(k, "place", f"unknown place {name!r}")
        return ids

    def descriptions(self) -> list[str | None]:
        out: list[str | None] = [d or None for d in self.col("description")]
        for k, text_value in enumerate(out):
            if text_value and len(text_value) > MAX_DESCRIPTION:
                self.fail(k, "description", f"longer than {MAX_DESCRIPTION} characters")
        return out

    def external_ids(self) -> None:
        for k, ident in enumerate(self.block.values.get("external_id") or ()):
            if len(ident) > MAX_EXTERNAL_ID:
                self.fail(k, "external_id", f"longer than {MAX_EXTERNAL_ID} characters")

    def positions(self, place_ids: list[int | None], precisions: list[str],
                  precision_m: list[int | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """lon, lat and a mask of rows given in metres (easting, northing in lon, lat until projected). A row
        uses the first of: a ready point (GeoJSON), lat/lon columns, two grid columns, a 'lat,lon' cell, a
        known place's centre."""
        n, values = self.n, self.block.values
        lon, lat = np.full(n, math.nan), np.full(n, math.nan)
        metres = np.zeros(n, dtype=bool)
        if self.block.lonlat is not None:
            lon[:], lat[:] = self.block.lonlat
            metres[:] = self.block.crs_sweref
            return lon, lat, metres
        lat_text, lon_text = values.get("lat"), values.get("lon")
        todo = np.ones(n, dtype=bool)
        if lat_text is not None or lon_text is not None:
            lat_col, lon_col = self.col("lat"), self.col("lon")
            rows = [k for k in range(n) if lat_col[k] or lon_col[k]]
            if rows:
                lat[rows], lat_bad = parse_numbers([lat_col[k] for k in rows], parse_coordinate)
                lon[rows], lon_bad = parse_numbers([lon_col[k] for k in rows], parse_coordinate)
                for i, k in enumerate(rows):
                    if i in lat_bad or i in lon_bad:
                        self.fail(k, "position", lat_bad.get(i) or lon_bad[i])
                todo[rows] = False
        if len(self.block.sweref) == 2 and todo.any():
            rows = np.flatnonzero(todo).tolist()
            a, a_bad = parse_numbers([self.block.sweref[0][k] for k in rows])
            b, b_bad = parse_numbers([self.block.sweref[1][k] for k in rows])
            as_given = _grid_like(a, b)
            swapped = ~as_given & _grid_like(b, a)
            lon[rows] = np.where(swapped, b, a)
            lat[rows] = np.where(swapped, a, b)
            metres[rows] = True
            for i, k in enumerate(rows):
                if i in a_bad or i in b_bad:
                    self.fail(k, "position", a_bad.get(i) or b_bad[i])
                elif not (as_given[i] or swapped[i]):
                    self.fail(k, "position", f"({a[i]}, {b[i]}) are not coordinates in a Swedish grid (SWEREF 99 "
                                             "TM or local zone, RT90: easting 50–2000 km, northing 6000–7800 km)")
            todo[:] = False
        pairs, given_precision, named = self.col("position"), self.col("precision"), self.col("place")
        for k in np.flatnonzero(todo).tolist():
            place = place_ids[k]
            try:
                if pairs[k]:
                    first, second = _split_pair(pairs[k])
                    # Swedish sources write "lat,lon"; accept either order when only one lands in the area.
                    lon[k], lat[k] = (first, second) if in_extent(first, second, self.ctx.extent) else (second, first)
                elif place is not None:  # only a known place: its centre, with the place's radius
                    lon[k], lat[k], radius = self.ctx.place_centres[place]
                    if not given_precision[k]:
                        precisions[k], precision_m[k] = "place", radius
                elif not named[k]:  # a place that could not be told has its own error already
                    self.fail(k, "position", "empty")
            except ValueProblem as exc:
                self.fail(k, "position", str(exc))
        return lon, lat, metres


def _grid_like(east: np.ndarray, north: np.ndarray) -> np.ndarray:
    return (east >= EASTING[0]) & (east <= EASTING[1]) & (north >= NORTHING[0]) & (north <= NORTHING[1])


def _municipalities(check: _BlockCheck, lon: np.ndarray, lat: np.ndarray, ok: np.ndarray,
                    ctx: _Context) -> list[str | None]:
    """Each good row's municipality, decided by the boundaries (data/municipalities.geojson), never by a box;
    a police event's by its own words (the reader's `municipality`). A row in a municipality the install
    does not serve, or in another than a tenant's own, is refused with the municipality named (the police
    feed's are left out and counted); so is a row in none (at sea, abroad)."""
    out: list[str | None] = [None] * check.n
    words = check.block.values.get("municipality")
    served = {m.code: m.name for m in ctx.served}
    if words is not None:  # the police feed: the event's own words (the reader leaves out the rest)
        for k in np.flatnonzero(ok).tolist():
            out[k] = words[k] or None
        return out
    if not served:
        return out
    rows = np.flatnonzero(ok)
    codes = reference.locate(lon[rows], lat[rows], first=tuple(served))
    for k, code in zip(rows.tolist(), codes.tolist(), strict=True):
        if code is not None and (code == ctx.own if ctx.own is not None else code in served):
            out[k] = code
            continue
        if code is None and all(reference.get(c) is None for c in served):
            continue  # an install of municipalities with no shipped boundary: the writer's own
        ok[k] = False
        position = f"lon={lon[k]:.5f}, lat={lat[k]:.5f}"
        if code is None:
            problem = f"{position} lies in no Swedish municipality"
        else:
            found = reference.get(code)
            name = found.name if found else code
            mine = served.get(ctx.own or "", "")
            problem = (f"{position} lies in {name} kommun, not in {mine}" if ctx.own is not None and mine
                       else f"{position} lies in {name} kommun, which this install does not serve")
        if ctx.format == "police":
            check.skipped.append(problem)
        else:
            check.fail(k, "position", problem)
    return out


def _validate(block: Block, ctx: _Context, source: str) -> tuple[StagedRows, list[RowError], list[str], list[str]]:
    """Check one block; return its good rows ready for COPY, row errors (by row, then field), skip reasons and
    the notes of the good rows."""
    check = _BlockCheck(block, ctx)
    categories, dropped = check.categories()
    if dropped:  # passed over by the police type table: no further checks
        gone = set(dropped)
        keep = [k for k in range(len(block)) if k not in gone]
        check.keep_only(keep)
        block, categories = check.block, [categories[k] for k in keep]
    occurred = check.times()
    precisions = check.precisions()
    place_ids = check.places()
    descriptions = check.descriptions()
    check.external_ids()
    precision_m: list[int | None] = [block.precision_m] * len(block)
    lon, lat, metres = check.positions(place_ids, precisions, precision_m)

    ok = np.ones(len(block), dtype=bool)
    ok[list(check.problems)] = False
    _project_sweref(lon, lat, metres & ok, ctx)
    min_lon, min_lat, max_lon, max_lat = ctx.extent
    inside = (lon >= min_lon) & (lon <= max_lon) & (lat >= min_lat) & (lat <= max_lat)
    location = block.values.get("location_name")
    for k in np.flatnonzero(ok & ~inside).tolist():
        ok[k] = False
        problem = lonlat_problem(float(lon[k]), float(lat[k]), ctx.extent) or "outside the configured extent"
        if ctx.format == "police":
            check.skipped.append(f"outside the configured area ({location[k] if location else '?'})")
        else:
            check.fail(k, "position", problem)

    municipality = _municipalities(check, lon, lat, ok, ctx)

    good = np.flatnonzero(ok)
    rows = StagedRows()
    # a row known only to the municipality (the police feed) is linked to no place: its 10 km say nothing of one
    todo = [k for k in good.tolist() if place_ids[k] is None and precisions[k] != "municipality"]
    for k, place in zip(todo, ctx.zones.assign(lon[todo].tolist(), lat[todo].tolist()), strict=True):
        place_ids[k] = place
    points = np.zeros(len(good), dtype=_EWKB_POINT)
    points["order"], points["type"], points["srid"] = 1, 0x20000001, 4326  # little endian, point with SRID
    points["x"], points["y"] = lon[good], lat[good]
    raw, size = points.tobytes(), _EWKB_POINT.itemsize
    rows.geom = [raw[i * size:(i + 1) * size] for i in range(len(good))]
    ids = block.values.get("external_id")
    reported = _reported(block)
    for k in good.tolist():
        rows.reported.append(None if reported is None or reported[k] == NO_TIME else int(reported[k]) - PG_EPOCH_US)
        rows.category.append(categories[k])
        rows.occurred.append(int(occurred[k]) - PG_EPOCH_US)
        rows.external_id.append((ids[k] if ids else "") or _content_id(int(occurred[k]), categories[k],
                                                                       float(lon[k]), float(lat[k]), descriptions[k]))
        rows.precision.append(precisions[k])
        rows.precision_m.append(precision_m[k])
        rows.description.append(descriptions[k])
        rows.place_id.append(place_ids[k])
        rows.municipality.append(municipality[k])
    errors = [RowError(block.rows[k], f, reason) for k in sorted(check.problems) for f, reason in check.problems[k]]
    errors = [RowError(row, f, reason) for row, f, reason in block.errors] + errors
    errors.sort(key=lambda e: e.row)
    notes = block.values.get("note")
    return rows, errors, check.skipped, [n for k in good.tolist() if notes and notes[k] for n in notes[k].split("; ")]


def _reported(block: Block) -> np.ndarray | None:
    """When each row was reported, where the source says (the police feed's publication time)."""
    texts = block.values.get("reported")
    if texts is None:
        return None
    micros, _ = parse_when_many(texts, None, UTC)  # a row without one gets the import's time
    return micros


def _category(raw: str, ctx: _Context) -> tuple[str | None, str | None]:
    """A category cell → (code, None), or (None, why): for the police feed why the event is passed over,
    otherwise the row's error."""
    if ctx.format == "police":
        mapped = ctx.police_types.get(normalise(raw))
        if mapped is None:
            if normalise(raw).startswith("sammanfattning"):
                return None, "summary of a shift, not an incident"
            return None, f"no category for police event type {raw!r} (add it to police_event_types)"
        code, note = mapped
        return code, None if code is not None else f"{raw}: {note or 'not an incident'}"
    code = ctx.category_cache.get(raw)
    if code is None:
        code = ctx.categories.get(normalise(raw))
        if code is not None:
            ctx.category_cache[raw] = code
    if code is None:
        allowed = ", ".join(sorted(set(ctx.categories.values())))
        return None, f"unknown category {raw!r}; allowed: {allowed}"
    return code, None


def _content_id(unix_us: int, category: str, lon: float, lat: float, description: str | None) -> str:
    """The id of a row that has none (content_hash of what it says), so re-importing a file adds nothing."""
    when = UNIX_EPOCH + timedelta(microseconds=unix_us)
    return content_hash(when.isoformat(), category, round(lon, 6), round(lat, 6), description)


def _split_pair(text_value: str) -> tuple[float, float]:
    parts = [p for p in text_value.replace(";", ",").split(",") if p.strip()]
    if len(parts) != 2:
        parts = text_value.split()
    if len(parts) != 2:
        raise ValueProblem(f"{text_value!r} is not a 'lat,lon' pair")
    return parse_coordinate(parts[0]), parse_coordinate(parts[1])


def _project_sweref(lon: np.ndarray, lat: np.ndarray, metres: np.ndarray, ctx: _Context) -> None:
    """Metres → WGS84, in place, for the rows given in a grid (easting in `lon`, northing in `lat`), in one
    vectorised call. Files rarely say which grid: SWEREF 99 TM, RT90 and the local zones are told apart by
    which puts the point inside the municipality, and the report counts the rows read in each."""
    rows = np.flatnonzero(metres)
    if not len(rows):
        return
    lon[rows], lat[rows], grids = grid_to_wgs84(lon[rows], lat[rows], ctx.extent)
    for epsg, n in zip(*np.unique(grids[grids > 0], return_counts=True), strict=True):
        name = SWEDISH_GRIDS[int(epsg)]
        ctx.grids[name] = ctx.grids.get(name, 0) + int(n)


class _RejectsWriter:
    """With --skip-invalid on the command line: every rejected row with its reason, for the sender to fix."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.handle: IO[str] | None = None
        self.writer: Any = None

    def write(self, errors: list[RowError]) -> None:
        if self.path is None:
            return
        if self.handle is None:
            self.handle = self.path.open("w", encoding="utf-8-sig", newline="")
            self.writer = csv.writer(self.handle, delimiter=";")
            self.writer.writerow(["rad", "fält", "orsak"])
        from app.exports.service import spreadsheet_text

        self.writer.writerows((e.row, spreadsheet_text(e.field), spreadsheet_text(e.reason)) for e in errors)

    def close(self) -> str | None:
        if self.handle is None:
            return None
        self.handle.close()
        return str(self.path)
