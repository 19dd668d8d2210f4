"""A population grid: SCB's residents per square (250 m in towns, 1 km elsewhere), as the cause analysis'
measure of where people live (app/analysis/service.py compares a factor only with positions near as many
residents).

Files as SCB and Lantmäteriet hand them out:
- CSV with a square id (`Rutid`, `Ruta`: the lower-left corner in SWEREF 99 TM, easting then northing,
  "4977506469250" → 497750, 6469250) or corner columns (`x`/`y`, `E`/`N`), and a population column
  (`Befolkning`, `Beftotalt`, `Totalt`, `Pop`, `Antal` …);
- GeoPackage, Shapefile or GeoJSON of the squares as polygons with a population column, in any CRS.
The square size is read from the file (polygons) or from the corners (all on a 1,000 m lattice: 1 km;
else 250 m), or given. The whole grid is replaced in one transaction: a refused file leaves the old one.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.imports.readers import detect_encoding, sniff_delimiter

MAX_BYTES = 200_000_000
MAX_SQUARES = 2_000_000  # Sweden has about 650,000 populated 250 m squares
SIZES = (100, 250, 500, 1000)
POPULATION_COLUMNS = ("befolkning", "beftotalt", "bef_totalt", "totalt", "folkmangd", "folkmängd", "population",
                      "pop", "antal", "total", "tot")
ID_COLUMNS = ("rutid", "ruta", "rut_id", "ruta_id", "id_ruta", "rutkod")
X_COLUMNS = ("x", "e", "easting", "x_koord", "xkoord", "ostkoordinat")
Y_COLUMNS = ("y", "n", "northing", "y_koord", "ykoord", "nordkoordinat")
_ID = re.compile(r"^\s*(\d{6})(\d{7})\s*$")


@dataclass(frozen=True)
class GridReport:
    squares: int
    size_m: int
    population: int
    year: int | None


def _pick(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().strip('"').lower() for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def _refuse(en: str, sv: str) -> InvalidInput:
    return InvalidInput(en, loc=("file",), sv=sv)


def read_grid(path: Path, size: int | None = None) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """(x0, y0, size_m, population) of every square in the file."""
    if path.stat().st_size > MAX_BYTES:
        raise _refuse(f"the file is larger than {MAX_BYTES:,} bytes; a national 250 m grid is far smaller",
                      f"Filen är större än {MAX_BYTES:,} byte; ett rikstäckande rutnät är mycket mindre.")
    if path.suffix.lower() in (".csv", ".txt"):
        x, y, pop = _read_csv(path)
    else:
        x, y, pop, size = _read_polygons(path, size)
    if x.size == 0:
        raise _refuse("no square with a population was found", "Ingen ruta med befolkning hittades i filen.")
    if size is None:
        size = 1000 if np.all(x % 1000 == 0) and np.all(y % 1000 == 0) else 250
    if size not in SIZES:
        raise _refuse(f"a square of {size} m is not a grid this tool reads (100, 250, 500 or 1,000 m)",
                      f"Rutor om {size} m läses inte; rutnätet ska ha rutor om 100, 250, 500 eller 1 000 m.")
    if np.any(x % size) or np.any(y % size):
        raise _refuse(f"the corners do not lie on a {size} m lattice; is the id the lower-left corner in "
                      "SWEREF 99 TM?",
                      f"Hörnen ligger inte på ett rutnät om {size} m; är id:t rutans nedre vänstra hörn i "
                      "SWEREF 99 TM?")
    if not (x.min() >= 200_000 and x.max() <= 1_000_000 and y.min() >= 6_100_000 and y.max() <= 7_700_000):
        raise _refuse("the squares do not lie in Sweden in SWEREF 99 TM (EPSG:3006)",
                      "Rutorna ligger inte i Sverige i SWEREF 99 TM (EPSG:3006).")
    return x, y, size, pop


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with path.open("rb") as raw:
        encoding = detect_encoding(raw)
        content = raw.read().decode(encoding)
    lines = content.splitlines()
    if not lines:
        raise _refuse("the file is empty", "Filen är tom.")
    reader = csv.reader(io.StringIO(content), delimiter=sniff_delimiter(lines[0]))
    header = next(reader)
    id_col, x_col, y_col = _pick(header, ID_COLUMNS), _pick(header, X_COLUMNS), _pick(header, Y_COLUMNS)
    pop_col = _pick(header, POPULATION_COLUMNS)
    if pop_col is None or (id_col is None and (x_col is None or y_col is None)):
        raise _refuse(f"the header {header!r} has no population column ({', '.join(POPULATION_COLUMNS[:5])} …) or no "
                      "square id (Rutid) or corner (x, y)",
                      f"Rubrikraden {'; '.join(header)} saknar en kolumn för befolkning (Befolkning, Beftotalt, "
                      "Totalt …) eller för rutan (Rutid, eller x och y).")
    xs: list[int] = []
    ys: list[int] = []
    pops: list[int] = []
    for line, row in enumerate(reader, start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(xs) >= MAX_SQUARES:
            raise _refuse(f"the file has more than {MAX_SQUARES:,} squares",
                          f"Filen har fler än {MAX_SQUARES:,} rutor.")
        try:
            if id_col is not None:
                match = _ID.match(row[id_col])
                if not match:
                    raise ValueError(row[id_col])
                x, y = int(match[1]), int(match[2])
            else:
                assert x_col is not None and y_col is not None
                x, y = int(float(row[x_col])), int(float(row[y_col]))
            pop = int(float(row[pop_col].replace(" ", "").replace("\u00a0", "").replace(",", ".") or 0))
        except (ValueError, IndexError):
            raise InvalidInput(f"line {line}: {row!r} is not a square with a population", loc=("file", line),
                               sv=f"Rad {line}: {'; '.join(row)} är ingen ruta med befolkning (Rutid som "
                                  "4977506469250, eller x och y, och ett antal).") from None
        if pop < 0:
            raise InvalidInput(f"line {line}: a population of {pop}", loc=("file", line),
                               sv=f"Rad {line}: befolkningen {pop} kan inte vara negativ.")
        xs.append(x)
        ys.append(y)
        pops.append(pop)
    return np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64), np.array(pops, dtype=np.int64)


def _read_polygons(path: Path, size: int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None]:
    import pyogrio
    import shapely

    try:
        frame = pyogrio.read_dataframe(path, max_features=MAX_SQUARES + 1)
    except Exception as exc:  # pyogrio raises its own errors for every unreadable file
        raise _refuse(f"the file cannot be read as a GIS layer: {exc}",
                      f"Filen kan inte läsas som ett GIS-lager: {exc}") from None
    if len(frame) > MAX_SQUARES:
        raise _refuse(f"the file has more than {MAX_SQUARES:,} squares", f"Filen har fler än {MAX_SQUARES:,} rutor.")
    column = _pick(list(frame.columns), POPULATION_COLUMNS)
    if column is None:
        raise _refuse(f"no population column among {list(frame.columns)!r}",
                      f"Ingen kolumn för befolkning bland {', '.join(map(str, frame.columns))}.")
    if frame.crs is not None and frame.crs.to_epsg() != 3006:
        frame = frame.to_crs(3006)
    bounds = shapely.bounds(np.asarray(frame.geometry.values))
    widths = np.rint(bounds[:, 2] - bounds[:, 0]).astype(np.int64)
    if size is None and widths.size:
        size = int(np.median(widths))
    x = np.rint(bounds[:, 0]).astype(np.int64)
    y = np.rint(bounds[:, 1]).astype(np.int64)
    pop = frame[frame.columns[column]].fillna(0).to_numpy()
    return x, y, pop.astype(np.int64), size


def import_population_grid(session: Session, path: Path, *, size: int | None = None, year: int | None = None,
                           source: str | None = None) -> GridReport:
    """Replace the population grid with the squares of `path` (one transaction)."""
    x, y, size_m, pop = read_grid(path, size)
    session.execute(text("DELETE FROM population_squares"))
    session.execute(text("""
        INSERT INTO population_squares (x0, y0, size_m, population, year, source)
        SELECT x, y, :size, p, :year, :source FROM unnest(CAST(:x AS int[]), CAST(:y AS int[]), CAST(:p AS int[]))
            AS s(x, y, p)
        ON CONFLICT (x0, y0, size_m) DO UPDATE SET population = population_squares.population + EXCLUDED.population"""),
        {"x": x.tolist(), "y": y.tolist(), "p": pop.tolist(), "size": size_m, "year": year,
         "source": source or path.name})
    session.execute(text("SELECT nextval('data_version_seq')"))  # the cause analysis' comparison changes with it
    session.commit()
    return GridReport(int(x.size), size_m, int(pop.sum()), year)


def population_on(session: Session, x0: float, y0: float, cell: float, shape: tuple[int, int]) -> tuple[
        np.ndarray | None, str | None]:
    """Residents per cell of a grid (lower-left x0, y0, `cell` metres, `shape` rows × columns): each square's
    population spread evenly over the cells whose centres it holds; None where no square touches the grid."""
    ny, nx = shape
    rows = session.execute(text("""
        SELECT x0, y0, size_m, population, year, source FROM population_squares
        WHERE x0 + size_m > :x0 AND x0 < :x1 AND y0 + size_m > :y0 AND y0 < :y1"""),
        {"x0": x0, "x1": x0 + nx * cell, "y0": y0, "y1": y0 + ny * cell}).all()
    if not rows:
        return None, None
    size = int(rows[0].size_m)
    people = {(int(r.x0), int(r.y0)): int(r.population) for r in rows if int(r.size_m) == size}
    cx = x0 + (np.arange(nx) + 0.5) * cell
    cy = y0 + (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(np.floor(cx / size).astype(np.int64) * size, np.floor(cy / size).astype(np.int64) * size)
    share = (cell / size) ** 2 if cell < size else 1.0
    raster = np.array([people.get((int(a), int(b)), 0) for a, b in zip(gx.ravel(), gy.ravel(), strict=True)],
                      dtype=float).reshape(shape) * share
    years = sorted({r.year for r in rows if r.year})
    label = f"{rows[0].source}, rutor om {size} m" + (f", {years[-1]}" if years else "")
    return raster, label
