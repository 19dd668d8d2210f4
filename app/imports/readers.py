"""File readers: CSV (any Swedish export), Excel workbooks, GeoJSON points and the police events feed.

Each reader yields `Block`s: a chunk of rows held column by column (raw text per canonical field), so
the importer can check a whole chunk at once. CSV and Excel stream, so memory stays flat however large
the file.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import IO, Any, Literal, get_args

import orjson

from app.errors import InvalidInput
from app.imports import police
from app.imports.columns import ColumnMap, check_required, field_for_key, map_columns
from app.imports.values import ValueProblem, parse_when

Format = Literal["csv", "xlsx", "geojson", "police"]
FORMATS: tuple[str, ...] = get_args(Format)
csv.field_size_limit(1_000_000)


BLOCK_ROWS = 10_000  # rows per block: large enough for the bulk checks to pay, small enough to stay flat


@dataclass
class Block:
    """Rows of one chunk, column by column.

    `values[field][k]` is row k's stripped text for a canonical field ('' where empty); `rows[k]` its
    number as the user sees it (line in the CSV, row in Excel, feature or event number). `errors` are
    rows refused while reading, which have no values."""

    rows: list[int]
    values: dict[str, list[str]]
    sweref: list[list[str]] = field(default_factory=list)  # the two grid-coordinate columns, when present
    lonlat: tuple[list[float], list[float]] | None = None  # positions already numbers (GeoJSON)
    crs_sweref: bool = False  # lonlat holds metres in a Swedish grid
    precision: str | None = None  # the source's own precision (police feed: municipality)
    precision_m: int | None = None
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (row, field, reason)

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, keep: list[int]) -> Block:
        """The rows at the given positions, in that order."""
        return Block(
            rows=[self.rows[k] for k in keep],
            values={name: [col[k] for k in keep] for name, col in self.values.items()},
            sweref=[[col[k] for k in keep] for col in self.sweref],
            lonlat=None if self.lonlat is None else ([self.lonlat[0][k] for k in keep],
                                                      [self.lonlat[1][k] for k in keep]),
            crs_sweref=self.crs_sweref, precision=self.precision, precision_m=self.precision_m,
            errors=list(self.errors),
        )


@dataclass
class _Record:
    """One feature or event on its way into a block."""

    row: int
    values: dict[str, str] = field(default_factory=dict)
    lonlat: tuple[float, float] | None = None
    error: tuple[str, str] | None = None  # (field, reason) found while reading


def _record_blocks(records: Iterable[_Record], size: int, *, crs_sweref: bool = False, precision: str | None = None,
                   precision_m: int | None = None, positioned: bool = False) -> Iterator[Block]:
    """GeoJSON features and police events, gathered into blocks."""
    for chunk in _batched(records, size):
        good = [r for r in chunk if r.error is None]
        names = {name for r in good for name in r.values}
        yield Block(
            rows=[r.row for r in good],
            values={name: [r.values.get(name, "") for r in good] for name in sorted(names)},
            lonlat=([r.lonlat[0] for r in good if r.lonlat], [r.lonlat[1] for r in good if r.lonlat])
            if positioned else None,
            crs_sweref=crs_sweref, precision=precision, precision_m=precision_m,
            errors=[(r.row, *r.error) for r in chunk if r.error is not None],
        )


def _batched(items: Iterable[_Record], size: int) -> Iterator[list[_Record]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def sniff_format(head: bytes, filename: str) -> Format:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")) or head.startswith(b"PK\x03\x04"):  # a workbook is a zip archive
        return "xlsx"
    if name.endswith((".geojson", ".json")) or head.lstrip(b"\xef\xbb\xbf \r\n\t").startswith((b"{", b"[")):
        stripped = head.lstrip(b"\xef\xbb\xbf \r\n\t")
        if stripped.startswith(b"["):
            return "police"
        return "geojson"
    return "csv"


# -- CSV ---------------------------------------------------------------------------------------------

def detect_encoding(stream: IO[bytes]) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else Excel's cp1252."""
    start = stream.tell()
    head = stream.read(3)
    if head == codecs.BOM_UTF8:
        stream.seek(start)
        return "utf-8-sig"
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):  # Excel's "Unicode text" export
        stream.seek(start)
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = "utf-8"
    try:
        decoder.decode(head)
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "cp1252"
    stream.seek(start)
    return encoding


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


MAX_LINE_CHARS = 1_000_000   # one line of a CSV file (a row of an export is a few hundred)
MAX_FIELDS = 500             # columns in a row


def _bounded_lines(text: IO[str], first_line: int) -> Iterator[str]:
    """The file's lines, refusing one longer than MAX_LINE_CHARS before it is read whole."""
    line_no = first_line
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise InvalidInput(f"line {line_no} is longer than {MAX_LINE_CHARS:,} characters; is this a CSV file?",
                               loc=("file", line_no), sv=f"Rad {line_no} är längre än {MAX_LINE_CHARS:,} tecken; "
                                                         "är det verkligen en CSV-fil?")
        line_no += 1
        yield line


def _bounded_rows(rows: Iterator[list[str]], first_row: int) -> Iterator[tuple[int, list[str]]]:
    """CSV rows numbered as lines; a row with more than MAX_FIELDS fields, or a field beyond the csv
    module's limit, is refused with its row number (and nothing of its content)."""
    row_no = first_row
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise InvalidInput(f"row {row_no}: {str(exc)[:120]}", loc=("file", row_no)) from None
        if len(cells) > MAX_FIELDS:
            raise InvalidInput(f"row {row_no} has {len(cells):,} fields; at most {MAX_FIELDS} are read",
                               loc=("file", row_no), sv=f"Rad {row_no} har {len(cells):,} fält; högst {MAX_FIELDS}.")
        yield row_no, cells
        row_no += 1


def read_csv(stream: IO[bytes], mapping: dict[str, str] | None = None,
             size: int = BLOCK_ROWS) -> tuple[ColumnMap, Iterator[Block]]:
    """Open a CSV export and return its column map and a row iterator (rows numbered as lines, so the
    first data row under a header on line 1 is row 2). Title lines above the header are passed over.

    Cost is bounded: lines of at most MAX_LINE_CHARS, rows of at most MAX_FIELDS fields."""
    encoding = detect_encoding(stream)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    lines = _bounded_lines(text, 1)

    def leading() -> Iterator[tuple[int, list[str], str]]:  # read lazily: the rows after the header stay
        for line_no, line in enumerate(lines, start=1):
            if line.strip():
                delimiter = sniff_delimiter(line)
                if line.count(delimiter) >= MAX_FIELDS:
                    raise InvalidInput(f"line {line_no} has more than {MAX_FIELDS} fields; at most {MAX_FIELDS} "
                                       "are read", loc=("file", line_no),
                                       sv=f"Rad {line_no} har fler än {MAX_FIELDS} fält.")
                yield line_no, next(csv.reader([line], delimiter=delimiter)), delimiter

    header_no, header, delimiter, columns = _find_header(leading(), mapping, "the file")
    rows = _bounded_rows(csv.reader(lines, delimiter=delimiter), header_no + 1)
    return columns, _table_blocks(columns, len(header), rows, size)


def parse_json(raw: bytes) -> Any:
    """An uploaded JSON document, or a short error: orjson refuses nesting deeper than 1,024 levels
    (Python's json recursed until the interpreter gave up on a 200,000-deep file)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {str(exc)[:200]}", loc=("file",),
                           sv="Filen är inte giltig JSON (eller nästlad djupare än 1 024 nivåer).") from None


# Exports often put a title, a date range or a blank line above the header; look this far for it.
HEADER_SEARCH_ROWS = 10


def _find_header(leading: Iterator[tuple[int, list[str], str]], mapping: dict[str, str] | None,
                 what: str) -> tuple[int, list[str], str, ColumnMap]:
    """The first of the first non-empty rows that names a time, a category and a position, with its
    column map; when none does, the first row's error, which says what is missing."""
    first: list[str] | None = None
    for row_no, cells, extra in itertools.islice(leading, HEADER_SEARCH_ROWS):
        header = [c.strip() for c in cells]
        try:
            columns = map_columns(header, mapping)
            check_required(columns, header)
        except InvalidInput:
            first = first if first is not None else header
            continue
        return row_no, header, extra, columns
    if first is None:
        raise InvalidInput(f"{what} is empty or has no header row", loc=("file",))
    check_required(map_columns(first, mapping), first)  # raises, naming what is missing
    raise AssertionError("unreachable")  # pragma: no cover


def _table_blocks(columns: ColumnMap, n_fields: int, numbered: Iterable[tuple[int, list[str]]],
                  size: int) -> Iterator[Block]:
    """Table rows (already text) → blocks; blank rows are passed over, over-long ones refused."""
    iterator = iter(numbered)
    while True:
        rows: list[int] = []
        table: list[list[str]] = []
        errors: list[tuple[int, str, str]] = []
        for line_no, cells in iterator:
            if len(cells) != n_fields:
                if len(cells) > n_fields and any(c.strip() for c in cells[n_fields:]):
                    errors.append((line_no, "row", f"has {len(cells)} fields, the header has {n_fields}"))
                    continue
                # many exporters drop trailing empty fields
                cells = cells[:n_fields] + [""] * (n_fields - len(cells))
            rows.append(line_no)
            table.append(cells)
            if len(rows) + len(errors) >= size:
                break
        if not rows and not errors:
            return
        yield _table_block(columns, rows, table, errors)


def _table_block(columns: ColumnMap, rows: list[int], table: list[list[str]],
                 errors: list[tuple[int, str, str]]) -> Block:
    values = {name: [cells[i].strip() for cells in table] for name, i in columns.index.items()}
    sweref = [[cells[i].strip() for cells in table] for i in columns.sweref]
    block = Block(rows=rows, values=values, sweref=sweref, errors=errors)
    # A row is blank when every cell is; only rows whose read columns are all empty need the full look.
    used = [*values.values(), *sweref]
    empty = [k for k, cells in enumerate(zip(*used, strict=True)) if not any(cells)] if used else []
    blank = {k for k in empty if not any(c.strip() for c in table[k])}
    return block.subset([k for k in range(len(rows)) if k not in blank]) if blank else block


# -- Excel ---------------------------------------------------------------------------------------------

def read_xlsx(stream: IO[bytes], mapping: dict[str, str] | None = None,
              size: int = BLOCK_ROWS) -> tuple[ColumnMap, Iterator[Block]]:
    """The first worksheet of an .xlsx workbook, header in its first rows (a title above it is passed
    over), rows numbered as Excel shows them. Streams the sheet (read-only mode) and takes formulas'
    saved values. Cells are turned into the text the CSV path reads, so both go through the same
    columns and checks."""
    from openpyxl import load_workbook

    _check_workbook(stream)
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InvalidInput(f"not a readable Excel workbook (.xlsx): {exc}; save it as .xlsx or CSV",
                           loc=("file",)) from None
    if not book.worksheets:
        raise InvalidInput("the workbook has no worksheet", loc=("file",))
    numbered = ((n, [_cell_text(c) for c in cells])
                for n, cells in enumerate(book.worksheets[0].iter_rows(values_only=True, max_col=MAX_FIELDS),
                                          start=1))

    def leading() -> Iterator[tuple[int, list[str], str]]:
        for row_no, cells in numbered:
            while cells and not cells[-1].strip():  # formatting often reaches past the last used column
                cells.pop()
            if cells:
                yield row_no, cells, ""

    _, header, _, columns = _find_header(leading(), mapping, "the first worksheet")
    return columns, _table_blocks(columns, len(header), numbered, size)


MAX_XLSX_UNPACKED = 300_000_000   # bytes of a workbook's parts once unzipped (1M rows × 10 columns ≈ 200 MB)
MAX_XLSX_RATIO = 150              # unzipped / zipped, for a part over 10 MB (sheet XML compresses 10–30×)


def _check_workbook(stream: IO[bytes]) -> None:
    """Refuse a zip bomb before anything is unpacked: from the zip directory alone (a 5.8 MB workbook
    whose sheet inflates to 2 GB ran 541 s of CPU at 4.3 GB). Declared sizes cannot lie their way
    past this: zipfile stops reading a part at its declared size."""
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(f"not a readable Excel workbook (.xlsx): {exc}; save it as .xlsx or CSV",
                           loc=("file",)) from None
    finally:
        stream.seek(0)
    unpacked = sum(p.file_size for p in parts)
    if unpacked > MAX_XLSX_UNPACKED:
        size, most = f"{unpacked / 1e6:,.0f}", f"{MAX_XLSX_UNPACKED / 1e6:,.0f}"
        raise InvalidInput(f"the workbook unpacks to {size} MB, more than {most} MB; save it as CSV", loc=("file",),
                           sv=f"Arbetsboken packas upp till {size} MB, mer än {most} MB; spara den som CSV.")
    for part in parts:
        ratio = part.file_size // max(part.compress_size, 1)
        if part.file_size > 10_000_000 and ratio > MAX_XLSX_RATIO:
            raise InvalidInput(f"the workbook part {part.filename[:60]} is packed {ratio:,} times; that is no "
                               "spreadsheet", loc=("file",),
                               sv="Arbetsboken är packad orimligt hårt; det är inget kalkylblad.")


def _cell_text(value: Any) -> str:
    """A cell as the text a CSV export of it would hold: ISO dates and times, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()  # a date cell: a separate clock column may follow
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# -- GeoJSON -------------------------------------------------------------------------------------------

def _crs_is_sweref(doc: dict[str, Any]) -> bool:
    """Honour the legacy `crs` member QGIS writes for projected exports (RFC 7946 itself is WGS84 only):
    SWEREF 99 TM, a SWEREF 99 local zone (EPSG:3007–3018) or RT90 2.5 gon V (3021) means metres, and the
    grid is then told by where the points fall (geo.crs.grid_to_wgs84)."""
    name = str(((doc.get("crs") or {}).get("properties") or {}).get("name", ""))
    code = name.rsplit(":", 1)[-1]
    return code.isdigit() and (3006 <= int(code) <= 3018 or int(code) == 3021)


def read_geojson(stream: IO[bytes], mapping: dict[str, str] | None = None, size: int = BLOCK_ROWS) -> Iterator[Block]:
    doc = parse_json(stream.read())
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
        doc.get("features"), list
    ):
        raise InvalidInput("GeoJSON must be a FeatureCollection with a 'features' array", loc=("file",))
    sweref = _crs_is_sweref(doc)
    fields: dict[str, str | None] = {}
    records = (_feature_record(number, feature, fields, mapping)
               for number, feature in enumerate(doc["features"], start=1))
    return _record_blocks(records, size, crs_sweref=sweref, positioned=True)


def _feature_record(number: int, feature: Any, fields: dict[str, str | None],
                    mapping: dict[str, str] | None) -> _Record:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return _Record(row=number, error=("feature", "is not a GeoJSON Feature"))
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        kind = geometry.get("type") if isinstance(geometry, dict) else geometry
        return _Record(row=number, error=("geometry", f"must be a Point, got {kind!r}"))
    coords = geometry.get("coordinates")
    if (not isinstance(coords, list) or len(coords) < 2
            or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])):
        return _Record(row=number, error=("geometry", "Point coordinates must be [lon, lat] numbers"))
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        return _Record(row=number, error=("properties", "must be an object"))
    values: dict[str, str] = {}
    for key, raw in props.items():
        if key not in fields:
            fields[key] = field_for_key(key, mapping)
        name = fields[key]
        if name and name not in values and raw is not None and str(raw).strip():
            values[name] = str(raw).strip()
    if "time" not in values and "date" not in values and "clock" in values:
        values["time"] = values.pop("clock")
    if "external_id" not in values and feature.get("id") is not None:
        values["external_id"] = str(feature["id"])
    return _Record(row=number, values=values, lonlat=(float(coords[0]), float(coords[1])))


# -- The police events feed ----------------------------------------------------------------------------

MUNICIPALITY_PRECISION_M = 10_000


@dataclass(frozen=True)
class Served:
    """A municipality the install serves, as the police reader needs it: SCB code, name and localities
    (name, lat, lon), its largest first."""

    code: str
    name: str
    localities: tuple[tuple[str, float, float], ...]


def read_police_feed(stream: IO[bytes], size: int = BLOCK_ROWS, served: tuple[Served, ...] = ()) -> Iterator[Block]:
    """The Swedish police's public events feed: a JSON array of events (app/imports/police.py says what
    its fields really hold).

    The event's time is read from its title, and `datetime` (the publication) kept as the time it was
    reported. Where it belongs is what the event itself says, never its coordinates: `location.name` when
    that is a municipality, else the title's last part ("…, Mjölby"; since February 2026 every event's
    location is its county), else — an event placed only at the county — a locality of a served
    municipality that its text names. The feed's position is the centre of the municipality or county, never
    the incident's, so each event keeps `location_precision = municipality` and a 10 km uncertainty; it is
    put at the locality its text names, or at its municipality's main locality. An event of a municipality
    the install does not serve, or one that names none, is left out with its reason (`served`: the install's
    municipalities; none: every event is left out).
    """
    events = parse_json(stream.read())
    if not isinstance(events, list):
        raise InvalidInput("the police feed must be a JSON array of events", loc=("file",))
    return _record_blocks((_event_record(number, event, served) for number, event in enumerate(events, start=1)),
                          size, precision="municipality", precision_m=MUNICIPALITY_PRECISION_M)


def _event_record(number: int, event: Any, served: tuple[Served, ...]) -> _Record:
    from app.municipalities import reference

    if not isinstance(event, dict):
        return _Record(row=number, error=("event", "is not an object"))
    location: dict[str, Any] = event["location"] if isinstance(event.get("location"), dict) else {}
    where = str(location.get("name", "")).strip()
    title = str(event.get("name", "")).strip()
    published = str(event.get("datetime", "")).strip()
    values = {
        "time": published,
        "reported": published,
        "category": str(event.get("type", "")).strip(),
        "external_id": str(event.get("id", "")).strip(),
        "description": " – ".join(str(event[k]).strip() for k in ("name", "summary") if event.get(k)),
        "position": str(location.get("gps", "")).strip(),
        "location_name": where,
    }
    notes = []
    try:
        when = police.title_time(title, parse_when(published, None, UTC), police.SWEDISH_TIME) if published else None
    except ValueProblem:
        when = None  # the row's own check names the problem with `datetime`
    if when is not None:
        values["time"] = when.isoformat()
    elif published:
        notes.append("time of publication (the title gives no time)")
    text_ = f"{title} {event.get('summary') or ''}"
    by_code = {m.code: m for m in served}
    county = police.is_county(where)
    named = None if county else reference.code_for_name(where)
    last = title.rpartition(",")[2].strip() if "," in title else ""
    if named is None and last:
        named = reference.code_for_name(last)
    locality = None
    if named is None:  # only the county: a locality of a served municipality that the text names
        everywhere = {name: m.code for m in served for name, _, _ in m.localities}
        locality = police.named_locality(text_, list(everywhere))
        named = everywhere.get(locality) if locality else None
    if named is None:
        values["unplaced"] = f"placed only at {where or 'no place'}, and the text names no municipality or locality " \
                             "served here"
    elif named not in by_code:
        found = reference.get(named)
        values["unplaced"] = f"in {found.name if found else named} kommun, which this install does not serve"
    else:
        own = by_code[named]
        values["municipality"] = named
        points = {name: (lat, lon) for name, lat, lon in own.localities}
        locality = locality or police.named_locality(text_, list(points))
        if locality is not None and not police.same_name(where, locality):
            lat, lon = points[locality]
            values["position"] = f"{lat},{lon}"
            notes.append(f"placed at {locality}, which the text names (the feed gives {where})")
        elif county and own.localities:  # the feed's point is the county's centre: the municipality's instead
            _, lat, lon = own.localities[0]
            values["position"] = f"{lat},{lon}"
            notes.append(f"placed at {own.localities[0][0]}, the centre of {own.name} (the feed gives {where})")
    values["note"] = "; ".join(notes)
    return _Record(row=number, values={k: v for k, v in values.items() if v})
