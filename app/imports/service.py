"""The import engine shared by `lagesbild import` and `POST /api/v1/imports`.

Rows are read as a stream, validated in chunks (numbers, times, positions, categories, places) and
sent with PostgreSQL COPY into a temporary staging table; an INSERT … SELECT per chunk moves them into
`incidents`, skipping rows already stored (same source + external id), while the next chunk is parsed.
Everything happens in one transaction, so a file goes in whole or not at all (a bad row found late rolls
back the chunks already moved), and a killed import leaves nothing behind.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput
from app.imports.models import ImportBatch, PoliceEventType
from app.imports.readers import Candidate, Format, read_csv, read_geojson, read_police_feed, read_xlsx, sniff_format
from app.imports.values import ValueProblem, content_hash, parse_coordinate, parse_number, parse_when
from app.incidents.models import LOCATION_PRECISIONS
from app.places.zones import POINT_PLACE_RADIUS_M, Zones
from app.places.zones import zones as place_zones
from app.reference.service import category_lookup, check_organisation, normalise
from geo.crs import SWEDISH_GRIDS, grid_to_wgs84, in_extent, lonlat_problem

CHUNK_ROWS = 5_000
MAX_REPORTED_ERRORS = 1_000
MAX_DESCRIPTION = 5_000
NORTHING = (6.0e6, 7.8e6)
EASTING = (5.0e4, 2.0e6)  # SWEREF 99 local zones (~50–250 km) to RT90 (~1,200–1,900 km)

STAGING_COLUMNS = ("row_no", "lon", "lat", "category", "occurred_at", "source", "external_id",
                   "location_precision", "precision_m", "description", "place_id")


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
    return _Context(
        categories=category_lookup(session), category_cache={}, police_types=police, places=places,
        ambiguous_places=ambiguous,
        place_centres=centres,
        zones=place_zones(session),
        extent=get_settings().extent, tz=zone, format=fmt,
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
    candidates = _open(counted, fmt, options.mapping)
    report = ImportReport(format=fmt, source=source, dry_run=options.dry_run)
    rejects = _RejectsWriter(options.rejects_path)

    conn = session.connection()
    conn.exec_driver_sql(
        "CREATE TEMP TABLE import_staging (row_no int, lon float8, lat float8, category text, "
        "occurred_at timestamptz, source text, external_id text, location_precision text, precision_m int, "
        "description text, place_id int) ON COMMIT DROP"
    )
    batch = None
    if not options.dry_run:
        batch = ImportBatch(filename=options.filename[:500], format=fmt, source=source, rows_read=0,
                            inserted=0, duplicates=0, rejected=0, skipped=0, imported_by=options.imported_by)
        session.add(batch)
        session.flush()
    raw = conn.connection.driver_connection
    assert raw is not None
    writer = _ChunkWriter(raw, batch_id=batch.id if batch else None)
    try:
        for chunk in _chunks(candidates, CHUNK_ROWS):
            report.rows_read += len(chunk)
            good, errors, skipped = _validate(chunk, context, source)
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
            "SELECT count(*) - count(DISTINCT (s.source, s.external_id)) + count(*) FILTER (WHERE EXISTS ("
            "SELECT 1 FROM incidents i WHERE i.source = s.source AND i.external_id = s.external_id)) "
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
    """Moves validated chunks into the database on a thread of its own, so PostgreSQL inserts chunk k while
    Python parses chunk k+1 (two cores: about half the wall time). The connection is used by this thread
    only until close(); everything stays in the caller's one transaction. With no batch (dry run) rows
    only go to the staging table, where the duplicate count looks at them afterwards."""

    INSERT = """INSERT INTO incidents (geom, category, occurred_at, source, external_id, location_precision,
                    precision_m, description, place_id, import_batch_id)
                SELECT ST_SetSRID(ST_MakePoint(lon, lat), 4326), category, occurred_at, source, external_id,
                       location_precision, precision_m, description, place_id, %s
                FROM import_staging ORDER BY occurred_at
                ON CONFLICT (source, external_id) DO NOTHING"""

    def __init__(self, raw: Any, batch_id: int | None) -> None:
        import queue
        import threading

        self.raw = raw
        self.batch_id = batch_id
        self.inserted = 0
        self.pending: list[tuple[Any, ...]] = []
        self.failure: BaseException | None = None
        self.queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=1)  # memory stays flat
        self.thread = threading.Thread(target=self._run, name="import-writer", daemon=True)
        self.thread.start()

    BATCH_ROWS = 50_000  # per INSERT … SELECT: fewer statements, each big enough to amortise its overhead

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        self.pending.extend(rows)
        if len(self.pending) >= self.BATCH_ROWS:
            self._put()

    def _put(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self.pending:
            self.queue.put(self.pending)
            self.pending = []

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

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        with self.raw.cursor() as cursor:
            with cursor.copy(f"COPY import_staging ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if self.batch_id is not None:
                cursor.execute(self.INSERT, (self.batch_id,))
                self.inserted += max(cursor.rowcount, 0)
                cursor.execute("TRUNCATE import_staging")


def _open(stream: IO[bytes], fmt: Format, mapping: dict[str, str] | None) -> Iterator[Candidate]:
    if fmt == "csv":
        _, rows = read_csv(stream, mapping)
        return rows
    if fmt == "xlsx":
        _, rows = read_xlsx(stream, mapping)
        return rows
    if fmt == "geojson":
        return read_geojson(stream, mapping)
    return read_police_feed(stream)


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


def _chunks(items: Iterable[Candidate], size: int) -> Iterator[list[Candidate]]:
    chunk: list[Candidate] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class _Pending:
    candidate: Candidate
    category: str
    occurred_at: datetime
    precision: str
    place_id: int | None
    description: str | None
    lon: float = float("nan")
    lat: float = float("nan")
    precision_m: int | None = None
    easting: float | None = None
    northing: float | None = None


def _validate(
    chunk: list[Candidate], ctx: _Context, source: str
) -> tuple[list[tuple[Any, ...]], list[RowError], list[str]]:
    """Check one chunk; return staging rows, row errors and skip reasons."""
    errors: list[RowError] = []
    skipped: list[str] = []
    pending: list[_Pending] = []
    for cand in chunk:
        if cand.error:
            errors.append(RowError(cand.row, *cand.error))
            continue
        row_errors: list[RowError] = []
        category = _category(cand, ctx, row_errors, skipped)
        if category is None and not row_errors:
            continue  # skipped by the police type table
        occurred_at = _time(cand, ctx, row_errors)
        precision = cand.values.get("precision", cand.precision or "exact").lower()
        if precision not in LOCATION_PRECISIONS:
            row_errors.append(RowError(cand.row, "precision",
                                       f"{precision!r} is not one of {', '.join(LOCATION_PRECISIONS)}"))
        place_id = None
        if "place" in cand.values:
            key = normalise(cand.values["place"])
            place_id = ctx.places.get(key)
            if key in ctx.ambiguous_places:
                row_errors.append(RowError(cand.row, "place", f"{cand.values['place']!r} names several places: "
                                                              f"{'; '.join(ctx.ambiguous_places[key])}"))
            elif place_id is None:
                row_errors.append(RowError(cand.row, "place", f"unknown place {cand.values['place']!r}"))
        description = cand.values.get("description")
        if description and len(description) > MAX_DESCRIPTION:
            row_errors.append(RowError(cand.row, "description", f"longer than {MAX_DESCRIPTION} characters"))
        item = _Pending(cand, category or "", occurred_at or datetime.min, precision, place_id, description,
                        precision_m=cand.precision_m)
        _position(item, ctx, row_errors)
        if row_errors:
            errors.extend(row_errors)
        else:
            pending.append(item)

    _project_sweref(pending, ctx)
    good: list[_Pending] = []
    for item in pending:
        problem = lonlat_problem(item.lon, item.lat, ctx.extent)
        if problem is None:
            good.append(item)
        elif ctx.format == "police":
            name = item.candidate.values.get("location_name", "?")
            skipped.append(f"outside the configured area ({name})")
        else:
            errors.append(RowError(item.candidate.row, "position", problem))
    _assign_places(good, ctx)
    rows = [
        (
            item.candidate.row, item.lon, item.lat, item.category, item.occurred_at, source,
            item.candidate.values.get("external_id") or content_hash(
                item.occurred_at.isoformat(), item.category, round(item.lon, 6), round(item.lat, 6),
                item.description),
            item.precision, item.precision_m, item.description, item.place_id,
        )
        for item in good
    ]
    return rows, errors, skipped


def _category(cand: Candidate, ctx: _Context, errors: list[RowError], skipped: list[str]) -> str | None:
    raw = cand.values.get("category")
    if not raw:
        errors.append(RowError(cand.row, "category", "empty"))
        return None
    if ctx.format == "police":
        mapped = ctx.police_types.get(normalise(raw))
        if mapped is None:
            if normalise(raw).startswith("sammanfattning"):
                skipped.append("summary of a shift, not an incident")
            else:
                skipped.append(f"no category for police event type {raw!r} (add it to police_event_types)")
            return None
        code, note = mapped
        if code is None:
            skipped.append(f"{raw}: {note or 'not an incident'}")
        return code
    code = ctx.category_cache.get(raw)
    if code is None:
        code = ctx.categories.get(normalise(raw))
        if code is not None:
            ctx.category_cache[raw] = code
    if code is None:
        allowed = ", ".join(sorted(set(ctx.categories.values())))
        errors.append(RowError(cand.row, "category", f"unknown category {raw!r}; allowed: {allowed}"))
    return code


def _time(cand: Candidate, ctx: _Context, errors: list[RowError]) -> datetime | None:
    values = cand.values
    if "time" in values:
        main, clock, name = values["time"], None, "time"
    elif "date" in values:
        main, clock, name = values["date"], values.get("clock"), "date"
    else:
        errors.append(RowError(cand.row, "time", "empty"))
        return None
    try:
        return parse_when(main, clock, ctx.tz)
    except ValueProblem as exc:
        errors.append(RowError(cand.row, name, str(exc)))
        return None


def _position(item: _Pending, ctx: _Context, errors: list[RowError]) -> None:
    cand = item.candidate
    values = cand.values
    try:
        if cand.lonlat is not None:
            if cand.crs_sweref:
                item.easting, item.northing = cand.lonlat
            else:
                item.lon, item.lat = cand.lonlat
        elif "lat" in values or "lon" in values:
            item.lat = parse_coordinate(values.get("lat", ""))
            item.lon = parse_coordinate(values.get("lon", ""))
        elif len(cand.sweref) == 2:
            a, b = (parse_number(v) for v in cand.sweref)
            _assign_sweref(item, a, b)
        elif "position" in values:
            first, second = _split_pair(values["position"])
            # Swedish sources write "lat,lon"; accept either order when only one lands in the area.
            if in_extent(first, second, ctx.extent):
                item.lon, item.lat = first, second
            else:
                item.lon, item.lat = second, first
        elif item.place_id is not None:  # only a known place: its centre, with the place's radius
            item.lon, item.lat, radius = ctx.place_centres[item.place_id]
            if "precision" not in values:
                item.precision, item.precision_m = "place", radius
        elif "place" in values:
            pass  # a place that could not be told: its own error says why, a second one would only repeat it
        else:
            errors.append(RowError(cand.row, "position", "empty"))
    except ValueProblem as exc:
        errors.append(RowError(cand.row, "position", str(exc)))


def _assign_sweref(item: _Pending, a: float, b: float) -> None:
    for east, north in ((a, b), (b, a)):
        if EASTING[0] <= east <= EASTING[1] and NORTHING[0] <= north <= NORTHING[1]:
            item.easting, item.northing = east, north
            return
    raise ValueProblem(f"({a}, {b}) are not coordinates in a Swedish grid (SWEREF 99 TM or local zone, RT90: "
                       "easting 50–2000 km, northing 6000–7800 km)")


def _split_pair(text_value: str) -> tuple[float, float]:
    parts = [p for p in text_value.replace(";", ",").split(",") if p.strip()]
    if len(parts) != 2:
        parts = text_value.split()
    if len(parts) != 2:
        raise ValueProblem(f"{text_value!r} is not a 'lat,lon' pair")
    return parse_coordinate(parts[0]), parse_coordinate(parts[1])


def _project_sweref(items: list[_Pending], ctx: _Context) -> None:
    """Metres → WGS84 for every row of the chunk that came in a grid, in one vectorised call per grid.
    Files rarely say which grid: SWEREF 99 TM, RT90 and the local zones are told apart by which puts the
    point inside the municipality, and the report counts the rows read in each."""
    todo = [i for i in items if i.easting is not None]
    if not todo:
        return
    lon, lat, grids = grid_to_wgs84([float(i.easting or 0) for i in todo], [float(i.northing or 0) for i in todo],
                                    ctx.extent)
    for item, x, y in zip(todo, lon, lat, strict=True):
        item.lon, item.lat = float(x), float(y)
    for epsg, n in zip(*np.unique(grids[grids > 0], return_counts=True), strict=True):
        name = SWEDISH_GRIDS[int(epsg)]
        ctx.grids[name] = ctx.grids.get(name, 0) + int(n)


def _assign_places(items: list[_Pending], ctx: _Context) -> None:
    """Link rows without a named place to the smallest place whose catchment holds them."""
    todo = [i for i in items if i.place_id is None]
    for item, place_id in zip(todo, ctx.zones.assign([i.lon for i in todo], [i.lat for i in todo]), strict=True):
        item.place_id = place_id


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
