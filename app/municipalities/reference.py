"""Sweden's 290 municipalities as shipped in data/: SCB code, name, county, boundary and localities.

data/municipalities.geojson (boundaries) and data/localities_se.csv (tätorter with positions) are built
by scripts/build_municipalities.py from open sources that data/SOURCES.md names; data/localities.json is
the curated list of the install's first municipality (its positions are surveyed, the open list's are
not). Nothing here is about one municipality: a county install and a municipality elsewhere read the
same files. Read once, on first use.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import NDArray

from app.paths import DATA

# SCB's county codes and names (län), as the police feed and SCB's files write them
COUNTIES: dict[str, str] = {
    "01": "Stockholms län", "03": "Uppsala län", "04": "Södermanlands län", "05": "Östergötlands län",
    "06": "Jönköpings län", "07": "Kronobergs län", "08": "Kalmar län", "09": "Gotlands län",
    "10": "Blekinge län", "12": "Skåne län", "13": "Hallands län", "14": "Västra Götalands län",
    "17": "Värmlands län", "18": "Örebro län", "19": "Västmanlands län", "20": "Dalarnas län",
    "21": "Gävleborgs län", "22": "Västernorrlands län", "23": "Jämtlands län", "24": "Västerbottens län",
    "25": "Norrbottens län",
}

Locality = tuple[str, float, float]  # name, lat, lon


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str                      # "Mjölby" (the feed's and SCB's short form)
    county_code: str
    boundary: shapely.Geometry     # WGS84 lon/lat, simplified (see data/SOURCES.md)
    localities: tuple[Locality, ...]

    @property
    def county(self) -> str:
        return COUNTIES.get(self.county_code, self.county_code)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        west, south, east, north = self.boundary.bounds
        return (round(west, 4), round(south, 4), round(east, 4), round(north, 4))

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon) of its largest locality where one is known (the first listed), else inside its boundary."""
        if self.localities:
            return self.localities[0][1], self.localities[0][2]
        point = self.boundary.representative_point()
        return point.y, point.x


def fold(text: str) -> str:
    """Case and Unicode form folded, so 'MJÖLBY' and 'Mjölby' (NFD) compare equal."""
    return unicodedata.normalize("NFC", text).casefold().strip()


@lru_cache(maxsize=1)
def _all() -> dict[str, Municipality]:
    features = json.loads((DATA / "municipalities.geojson").read_text(encoding="utf-8"))["features"]
    places: dict[str, list[Locality]] = {}
    with open(DATA / "localities_se.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            places.setdefault(row["municipality_code"], []).append(
                (row["name"], float(row["lat"]), float(row["lon"])))
    curated = json.loads((DATA / "localities.json").read_text(encoding="utf-8"))
    places[str(curated["municipality_code"])] = [
        (str(loc["name"]), float(loc["lat"]), float(loc["lon"])) for loc in curated["localities"]]
    out = {}
    for f in features:
        p = f["properties"]
        own = places.get(p["code"], [])
        # the locality named after the municipality first (the town the municipality is called after)
        main = fold(p["name"])
        own.sort(key=lambda loc: (fold(loc[0]) != main, loc[0]))
        out[p["code"]] = Municipality(p["code"], p["name"], p["county_code"], shapely.geometry.shape(f["geometry"]),
                                      tuple(own))
    return out


def get(code: str) -> Municipality | None:
    return _all().get(code)


def every() -> list[Municipality]:
    return sorted(_all().values(), key=lambda m: m.code)


_SUFFIX = re.compile(r"\s+(kommun|stad|municipality)$")


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every way a text names a municipality → its code: 'Mjölby', 'Mjölby kommun', the genitive 'Arjeplogs'
    ('Arjeplogs kommun'), and SCB's own forms that differ from the short name ('Falu kommun' for Falun,
    'Region Gotland')."""
    out = {fold(m.name): m.code for m in _all().values()}
    for m in _all().values():  # derived forms never take a real name's place
        name = fold(m.name)
        out.setdefault(f"{name}s", m.code)             # Arjeplog → Arjeplogs (kommun)
        if name.endswith("n"):
            out.setdefault(name[:-1], m.code)          # Falun → Falu (kommun)
    out["region gotland"] = out.get("gotland", "0980")
    return out


def code_for_name(text: str) -> str | None:
    """The SCB code of the municipality a text names ('Mjölby', 'Mjölby kommun', 'Arjeplogs kommun', 'Falu
    kommun', 'Stockholms stad'), or None. A county ('Östergötlands län') is not a municipality."""
    name = _SUFFIX.sub("", fold(text))
    if not name or name.endswith(" län"):
        return None
    return _names().get(name)


def county_code_for_name(text: str) -> str | None:
    """'Östergötlands län' (or 'Östergötland') → '05'."""
    folded = fold(text)
    for code, name in COUNTIES.items():
        if folded in (fold(name), fold(name).removesuffix(" län"), fold(name).removesuffix("s län")):
            return code
    return None


# The shipped boundaries are simplified (data/SOURCES.md): a point this close outside a boundary, and inside
# no other, is that municipality's. Measured on the simplified file against a point on the real line:
# most of the line lies within 200 m of the simplified one.
TOLERANCE_M = 500.0


@lru_cache(maxsize=1)
def _metric() -> tuple[list[str], list[shapely.Geometry], shapely.STRtree]:
    """Every boundary in SWEREF 99 TM (metres), prepared, with a tree over them."""
    from geo.crs import to_sweref

    codes, shapes = [], []
    for m in every():
        shape = shapely.transform(m.boundary, lambda xy: np.column_stack(to_sweref(xy[:, 0], xy[:, 1])))
        shapely.prepare(shape)
        codes.append(m.code)
        shapes.append(shape)
    return codes, shapes, shapely.STRtree(shapes)


def locate(lon: NDArray[np.float64], lat: NDArray[np.float64], first: tuple[str, ...] = ()) -> NDArray[np.object_]:
    """Each point's municipality by the boundaries: the one whose boundary holds it, else the nearest within
    TOLERANCE_M; None for a point in no municipality (at sea, abroad). `first`: the municipalities most rows
    are expected in (the install's), tested first point by point (a million rows in a tenth of a second);
    only the rest go to the tree over all 290."""
    from geo.crs import to_sweref

    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = np.full(lon.size, None, dtype=object)
    todo = np.ones(lon.size, dtype=bool)
    for code in first:
        found = get(code)
        if found is None or not todo.any():
            continue
        shapely.prepare(found.boundary)
        inside = np.zeros(lon.size, dtype=bool)
        inside[todo] = shapely.contains_xy(found.boundary, lon[todo], lat[todo])
        out[inside] = code
        todo &= ~inside
    rest = np.flatnonzero(todo)
    if rest.size == 0:
        return out
    codes, _, tree = _metric()
    names = np.asarray(codes, dtype=object)
    x, y = to_sweref(lon[rest], lat[rest])
    points = shapely.points(x, y)
    point_index, shape_index = tree.query(points, predicate="within")
    out[rest[point_index]] = names[shape_index]
    left = np.flatnonzero(out[rest] == None)  # noqa: E711  (an object array: elementwise)
    if left.size:
        point_index, shape_index = tree.query_nearest(points[left], max_distance=TOLERANCE_M, all_matches=False)
        out[rest[left[point_index]]] = names[shape_index]
    return out


def locate_one(lon: float, lat: float) -> str | None:
    found = locate(np.array([lon]), np.array([lat]))[0]
    return None if found is None else str(found)


def nearest_locality(lon: float, lat: float) -> str | None:
    """The nearest locality of the municipality a position lies in (None outside every municipality)."""
    code = locate_one(lon, lat)
    found = get(code) if code else None
    if found is None or not found.localities:
        return None
    scale = np.cos(np.radians(lat))
    return min(found.localities, key=lambda loc: ((loc[2] - lon) * scale) ** 2 + (loc[1] - lat) ** 2)[0]
