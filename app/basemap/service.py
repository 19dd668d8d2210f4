"""The street base: streets, buildings, water and green areas from an OpenStreetMap extract (.osm.pbf,
.osm) or any vector file GDAL reads (GeoPackage, GeoJSON, Shapefile), kept in PostGIS so that printed
maps and the live maps without tiles show streets with their names.

An import replaces the previous street base in one transaction; features outside the configured extent
are left out, and a file with more than MAX_FEATURES features inside it is refused (bounded cost).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput

MAX_FEATURES = 500_000
NAME_COLUMNS = ("name", "namn", "gatunamn", "NAME", "Name")
WATER = {"water", "wetland", "riverbank", "reservoir", "basin"}
GREEN = {"park", "grass", "forest", "wood", "meadow", "recreation_ground", "garden", "playground", "village_green"}
# Points of interest the cause analysis tests as risk factors (app/causes/factors.py), from OSM tags
POI_TAGS = {
    "station": {("railway", "station"), ("railway", "halt"), ("public_transport", "station"),
                ("amenity", "bus_station")},
    "school": {("amenity", "school"), ("amenity", "college")},
    "bar": {("amenity", "bar"), ("amenity", "pub"), ("amenity", "nightclub")},
    "food": {("amenity", "restaurant"), ("amenity", "fast_food"), ("amenity", "cafe")},
    "shop": {("shop", "convenience"), ("shop", "kiosk"), ("shop", "supermarket"), ("shop", "alcohol"),
             ("shop", "mall"), ("amenity", "marketplace")},
}
POI_KINDS = tuple(POI_TAGS)
OTHER_TAG = re.compile(r'"([^"]+)"=>"([^"]*)"')


@dataclass
class BasemapReport:
    counts: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # features of no kind the maps draw (power lines, boundaries …)


def import_file(session: Session, path: Path, *, source: str | None = None) -> BasemapReport:
    """Read `path`, classify each feature as street, building, water or green, and replace the street base."""
    if not path.exists():
        raise InvalidInput(f"{path} does not exist", loc=("file",), sv=f"Filen {path} finns inte.")
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL cannot open it: say so in one line
        raise InvalidInput(f"GDAL cannot read {path.name}: {str(exc).splitlines()[0]}", loc=("file",),
                           sv=f"Filen {path.name} kan inte läsas som en kartfil.") from None
    extent = get_settings().extent
    osm = path.name.lower().endswith((".osm", ".osm.pbf", ".pbf"))
    rows: list[tuple[str, str | None, bytes]] = []
    report = BasemapReport()
    for layer in layers:
        if osm and layer not in ("points", "lines", "multipolygons"):
            continue  # relations: not drawn
        frame = _read(path, layer, extent)
        kinds = _kinds(frame, layer if osm else None) if layer != "points" else np.full(len(frame), "", dtype=object)
        names = _names(frame)
        pois = _pois(frame)
        report.skipped += int(((kinds == "") & (pois == "")).sum())
        keep = kinds != ""
        for kind, name, geom in zip(kinds[keep], names[keep], frame.geometry.to_numpy()[keep], strict=True):
            rows.append((str(kind), name, shapely.to_wkb(shapely.force_2d(geom))))
        for poi, name, geom in zip(pois[pois != ""], names[pois != ""], frame.geometry.to_numpy()[pois != ""],
                                   strict=True):  # a point where the thing is, also for a school's grounds
            rows.append((f"poi:{poi}", name, shapely.to_wkb(shapely.force_2d(shapely.point_on_surface(geom)))))
        if len(rows) > MAX_FEATURES:
            raise InvalidInput(f"more than {MAX_FEATURES} features inside the extent; cut the file to the "
                               "municipality first (ogr2ogr -spat)", loc=("file",),
                               sv=f"Fler än {MAX_FEATURES} objekt inom kommunen; klipp filen först.")
    replace(session, rows, source or path.name)
    for kind, _, _ in rows:
        report.counts[kind] = report.counts.get(kind, 0) + 1
    return report


def replace(session: Session, rows: list[tuple[str, str | None, bytes]], source: str) -> None:
    """The street base becomes `rows` ((kind, name, WKB in WGS84)), in one transaction; a point of
    interest's kind is written "poi:bar"."""
    session.execute(text("DELETE FROM basemap_features"))
    if rows:
        session.execute(text("""INSERT INTO basemap_features (kind, subkind, name, geom, source)
            VALUES (:k, :sub, :n, ST_SetSRID(ST_GeomFromWKB(:g), 4326), :s)"""),
                        [{"k": k.split(":")[0], "sub": k.split(":")[1] if ":" in k else None, "n": n, "g": g,
                          "s": source} for k, n, g in rows])
    session.execute(text("SELECT nextval('data_version_seq')"))  # hotspot names may change with the streets
    session.commit()


def _read(path: Path, layer: str, extent: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    info = pyogrio.read_info(path, layer=layer)
    crs = info.get("crs") or "EPSG:4326"
    bbox: Any = None
    if crs in ("EPSG:4326", "OGC:CRS84"):
        bbox = extent
    frame = pyogrio.read_dataframe(path, layer=layer, bbox=bbox)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
        frame = frame[frame.intersects(shapely.box(*extent))]
    return frame


def _column(frame: gpd.GeoDataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].astype(object).where(frame[name].notna(), None).to_numpy()
    return np.full(len(frame), None, dtype=object)


def _names(frame: gpd.GeoDataFrame) -> np.ndarray:
    for column in NAME_COLUMNS:
        if column in frame.columns:
            values = _column(frame, column)
            return np.array([None if v is None or not str(v).strip() else str(v).strip()[:200] for v in values],
                            dtype=object)
    return np.full(len(frame), None, dtype=object)


def _pois(frame: gpd.GeoDataFrame) -> np.ndarray:
    """The point-of-interest kind of each feature (POI_TAGS) or "": from OSM's tag columns, its
    `other_tags` (GDAL's OSM driver keeps amenity and shop of points there), or a file's `poi` column."""
    out = np.full(len(frame), "", dtype=object)
    if "poi" in frame.columns:
        given = _column(frame, "poi")
        return np.array([p if p in POI_KINDS else "" for p in given], dtype=object)
    keys = {key for pairs in POI_TAGS.values() for key, _ in pairs}
    columns = {key: _column(frame, key) for key in keys if key in frame.columns}
    other = _column(frame, "other_tags") if "other_tags" in frame.columns else None
    if not columns and other is None:
        return out
    lookup = {pair: kind for kind, pairs in POI_TAGS.items() for pair in pairs}
    for i in range(len(frame)):
        tags = {key: values[i] for key, values in columns.items() if values[i] is not None}
        if other is not None and other[i]:
            tags.update(dict(OTHER_TAG.findall(str(other[i]))))
        for pair in tags.items():
            if pair in lookup:
                out[i] = lookup[pair]
                break
    return out


def _kinds(frame: gpd.GeoDataFrame, osm_layer: str | None) -> np.ndarray:
    """street, building, water, green or "" (not drawn), from OSM tags or a file's own `kind` column;
    without either, lines are streets and areas buildings."""
    kinds = np.full(len(frame), "", dtype=object)
    lines = frame.geometry.geom_type.isin(["LineString", "MultiLineString"]).to_numpy()
    areas = frame.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if "kind" in frame.columns and osm_layer is None:
        given = _column(frame, "kind")
        return np.array([k if k in ("street", "building", "water", "green") else "" for k in given], dtype=object)
    highway, building = _column(frame, "highway"), _column(frame, "building")
    natural, landuse, leisure, waterway = (_column(frame, c) for c in ("natural", "landuse", "leisure", "waterway"))
    tagged = any(c in frame.columns for c in ("highway", "building", "natural", "landuse", "leisure", "waterway"))
    for i in range(len(frame)):
        if highway[i] is not None and lines[i]:
            kinds[i] = "street"
        elif building[i] is not None and areas[i]:
            kinds[i] = "building"
        elif natural[i] in WATER or landuse[i] in WATER or waterway[i] is not None:
            kinds[i] = "water"
        elif leisure[i] in GREEN or landuse[i] in GREEN or natural[i] in GREEN:
            kinds[i] = "green"
        elif not tagged and osm_layer is None:
            kinds[i] = "street" if lines[i] else "building" if areas[i] else ""
    return kinds


def features_near(session: Session, bounds: tuple[float, float, float, float]) -> list[tuple[str, str | None, Any]]:
    """(kind, name, shapely geometry in WGS84) of the street base within `bounds` (lon/lat); where no
    street base was imported, the lighting work's street segments stand in as streets."""
    west, south, east, north = bounds
    rows = session.execute(text("""
        SELECT kind, name, ST_AsBinary(ST_Intersection(geom, ST_MakeEnvelope(:w, :s, :e, :n, 4326)))
        FROM basemap_features WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326)
        UNION ALL
        SELECT 'street', street, ST_AsBinary(geom) FROM street_segments
        WHERE geom && ST_MakeEnvelope(:w, :s, :e, :n, 4326) AND NOT EXISTS (SELECT 1 FROM basemap_features)
        LIMIT 20000"""), {"w": west, "s": south, "e": east, "n": north}).all()
    return [(kind, name, shapely.from_wkb(bytes(wkb))) for kind, name, wkb in rows]


LIVE_MIN_ZOOM = 13        # below this a view holds too many streets to draw one by one
LIVE_MAX_FEATURES = 6000  # bounded cost per request


def live_geojson(session: Session, bounds: tuple[float, float, float, float], zoom: int) -> bytes:
    """The street base inside `bounds` as GeoJSON for a live map whose tiles do not load: simplified to
    about a pixel at `zoom`, buildings only close up, at most LIVE_MAX_FEATURES features (streets first).
    Where no base was imported, the lighting work's street segments stand in."""
    if zoom < LIVE_MIN_ZOOM:
        return b'{"type":"FeatureCollection","features":[]}'
    pixel_deg = 360 / (256 * 2**zoom)
    kinds = ["street", "water", "green"] + (["building"] if zoom >= 15 else [])
    row = session.execute(text("""
        WITH box AS (SELECT ST_MakeEnvelope(:w, :s, :e, :n, 4326) AS g),
        base AS (
            SELECT b.kind, b.name, b.geom FROM basemap_features b, box
            WHERE b.geom && box.g AND b.kind = ANY(:kinds)
            UNION ALL
            SELECT 'street', s.street, s.geom FROM street_segments s, box
            WHERE s.geom && box.g AND NOT EXISTS (SELECT 1 FROM basemap_features)),
        picked AS (
            SELECT kind, name, ST_SimplifyPreserveTopology(geom, :tol) AS geom FROM base
            ORDER BY kind = 'street' DESC, kind = 'water' DESC LIMIT :limit)
        SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(json_build_object(
            'type', 'Feature', 'geometry', ST_AsGeoJSON(geom, 6)::json,
            'properties', json_build_object('kind', kind, 'name', name))), '[]'::json))::text
        FROM picked WHERE NOT ST_IsEmpty(geom)"""),
        {"w": bounds[0], "s": bounds[1], "e": bounds[2], "n": bounds[3], "kinds": kinds,
         "tol": pixel_deg, "limit": LIVE_MAX_FEATURES}).scalar_one()
    return str(row).encode()
