"""Which column is which: Swedish and English header names, or an explicit mapping."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.errors import InvalidInput
from app.reference.service import normalise

# Canonical field → header names seen in exports (compared after normalise()).
ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("tidpunkt", "datum tid", "datum och tid", "datetime", "date time", "occurred at", "occurred_at",
             "timestamp", "handelsetid", "handelsetidpunkt", "brottstid", "when"),
    "date": ("datum", "date", "dag", "handelsedatum", "brottsdatum"),
    "clock": ("tid", "time", "klockslag", "kl", "klocka"),
    "category": ("kategori", "category", "typ", "type", "brottstyp", "handelsetyp", "brottskategori",
                 "typ av handelse", "handelsekategori", "brott", "arendetyp", "incident type"),
    "lat": ("lat", "latitud", "latitude", "wgs84 lat", "lat wgs84"),
    "lon": ("lon", "lng", "long", "longitud", "longitude", "wgs84 lon", "lon wgs84"),
    "easting": ("x", "e", "easting", "ostlig", "sweref x", "sweref99tm x", "sweref99 tm x", "sweref e", "x sweref",
                "x koordinat", "koordinat x", "ost", "ostkoordinat", "e koordinat",
                "y", "n", "northing", "nordlig", "sweref y", "sweref99tm y", "sweref99 tm y", "sweref n", "y sweref",
                "y koordinat", "koordinat y", "nord", "nordkoordinat", "n koordinat"),
    "position": ("gps", "position", "koordinater", "koordinat", "wgs84", "lat lon", "latlon"),
    "description": ("beskrivning", "description", "text", "kommentar", "notering", "anteckning", "handelse",
                    "summary", "sammanfattning"),
    "external_id": ("id", "external id", "external_id", "arendenummer", "arendenr", "diarienummer",
                    "referens", "ref", "handelse id", "lopnummer"),
    "place": ("plats", "place", "platsnamn", "place name", "omrade"),
    "precision": ("location precision", "location_precision", "precision", "precision m", "noggrannhet"),
}
# Both SWEREF axes use one alias list: which is easting and which northing is decided per row from
# magnitude (northing 6.1–7.7 million m, easting 0.2–0.95 million m), since Swedish geodesy names
# the north axis X while GIS tools name it Y.
SWEREF_HEADERS = set(ALIASES["easting"])
FIELDS = tuple(ALIASES)


@dataclass(frozen=True)
class ColumnMap:
    """Index of each canonical field in the row; `sweref` holds the (up to) two coordinate columns."""

    index: dict[str, int]
    sweref: tuple[int, ...]

    def has(self, name: str) -> bool:
        return name in self.index


_BRACKETED = re.compile(r"[(\[][^)\]]*[)\]]")


def header_key(header: str) -> str:
    """A header cell as the aliases spell it: normalised, with bracketed notes such as units or the
    coordinate system dropped ('X-koordinat (SWEREF 99 TM)' → 'x koordinat', 'Latitud [°]' → 'latitud')."""
    return " ".join(normalise(_BRACKETED.sub(" ", header)).replace(":", " ").replace(".", " ").split())


def map_columns(header: list[str], explicit: dict[str, str] | None = None) -> ColumnMap:
    """Guess the role of each header cell; `explicit` (field → header) overrides the guess."""
    exact = [normalise(h) for h in header]
    keys = [header_key(h) for h in header]
    index: dict[str, int] = {}
    sweref: list[int] = []
    for field_name, header_name in (explicit or {}).items():
        if field_name not in FIELDS and field_name not in ("x", "y"):
            raise InvalidInput(f"unknown field {field_name!r} in mapping; fields: {', '.join(FIELDS)}",
                               loc=("mapping", field_name))
        try:
            position = exact.index(normalise(header_name))
        except ValueError:
            raise InvalidInput(f"mapping names column {header_name!r}, which is not in the header: {header}",
                               loc=("mapping", field_name)) from None
        if field_name in ("x", "y", "easting"):
            sweref.append(position)
        else:
            index[field_name] = position
    taken = set(index.values()) | set(sweref)
    for position, key in enumerate(keys):
        if position in taken:
            continue
        if key in SWEREF_HEADERS and not explicit_has_sweref(explicit):
            sweref.append(position)
            continue
        for field_name, names in ALIASES.items():
            if field_name != "easting" and field_name not in index and key in names:
                index[field_name] = position
                break
    # A lone "tid"/"time" column holding whole timestamps is the time column.
    if "time" not in index and "date" not in index and "clock" in index:
        index["time"] = index.pop("clock")
    return ColumnMap(index=index, sweref=tuple(sweref[:2]))


def field_for_key(key: str, explicit: dict[str, str] | None = None) -> str | None:
    """The canonical field a single property name stands for (GeoJSON properties vary per feature)."""
    norm = normalise(key)
    for field_name, header_name in (explicit or {}).items():
        if normalise(header_name) == norm:
            return field_name
    guess = header_key(key)
    for field_name, names in ALIASES.items():
        if field_name != "easting" and guess in names:
            return field_name
    return None


def explicit_has_sweref(explicit: dict[str, str] | None) -> bool:
    return bool(explicit) and any(k in ("x", "y", "easting") for k in explicit or {})


def check_required(columns: ColumnMap, header: list[str]) -> None:
    """The file must have a time, a category and a position; say which is missing and what was seen."""
    missing = []
    if not (columns.has("time") or columns.has("date")):
        missing.append("time (tidpunkt/datum)")
    if not columns.has("category"):
        missing.append("category (kategori)")
    has_position = ((columns.has("lat") and columns.has("lon")) or len(columns.sweref) == 2
                    or columns.has("position") or columns.has("place"))
    if not has_position:
        missing.append("position (lat+lon, x+y in SWEREF 99 TM, gps, or a known place)")
    if missing:
        raise InvalidInput(
            f"cannot find column(s) for {', '.join(missing)} in header {_excerpt(header)}; "
            "give a mapping such as --map time=Händelsedatum",
            loc=("header",),
        )


def _excerpt(header: list[str], most: int = 20, width: int = 40) -> str:
    """The header as errors quote it: the first `most` names, each cut to `width` characters."""
    names = [name if len(name) <= width else name[:width] + "…" for name in header[:most]]
    return str(names) + (f" and {len(header) - most} more" if len(header) > most else "")
