"""Build data/municipalities.geojson and data/localities_se.csv from their open sources (run by hand; the
app reads only the results, nothing is downloaded at run time). data/SOURCES.md says where each came from.

    python scripts/build_municipalities.py SWEDISH_MUNICIPALITIES_GEOJSON SVENSKA_STADER_CSV

- Boundaries: okfse/sweden-geojson `swedish_municipalities.geojson` (290 municipalities, Valmyndigheten's
  boundaries simplified with mapshaper; `id` is SCB's code, `kom_namn` the name, `lan_code` the county).
- Localities: sphrak/svenska-stader `src/svenska-stader.csv` (Apache-2.0). Its municipality and county
  columns are wrong for about one row in ten (Alby, Ånge, Gotland), so a locality is kept only where its
  point lies within 1 km of the boundary of the municipality it names; it is then that municipality's.
  A municipality left with no locality gets one, named after it, at its boundary's representative point.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

DATA = Path(__file__).resolve().parent.parent / "data"
TOLERANCE_DEG = 0.015  # ~1 km in latitude, less in longitude: the boundaries are simplified


def main(boundaries: str, localities: str) -> None:
    features = json.loads(Path(boundaries).read_text(encoding="utf-8"))["features"]
    out, polygons = [], {}
    for f in sorted(features, key=lambda f: f["properties"]["id"]):
        p = f["properties"]
        geometry = shapely.make_valid(shape(f["geometry"]))
        geometry = shapely.set_precision(geometry, 1e-5)  # ~1 m: the simplification is coarser than that
        polygons[p["kom_namn"]] = (p["id"], geometry)
        out.append({"type": "Feature", "properties": {"code": p["id"], "name": p["kom_namn"],
                                                      "county_code": p["lan_code"]},
                    "geometry": mapping(geometry)})
    (DATA / "municipalities.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": out}, ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8")
    rows, named = [], set()
    with open(localities, encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            found = polygons.get(r["Municipality"].strip())
            if found is None:
                continue
            code, geometry = found
            lat, lon = float(r["Latitude"]), float(r["Longitude"])
            if geometry.distance(shapely.Point(lon, lat)) <= TOLERANCE_DEG:
                rows.append((code, r["Locality"].strip(), round(lat, 5), round(lon, 5)))
                named.add(code)
    for name, (code, geometry) in polygons.items():
        if code not in named:
            point = geometry.representative_point()
            rows.append((code, name, round(point.y, 5), round(point.x, 5)))
    rows = sorted(set(rows))
    with open(DATA / "localities_se.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["municipality_code", "name", "lat", "lon"])
        writer.writerows(rows)
    print(f"{len(out)} municipalities, {len(rows)} localities")


if __name__ == "__main__":
    main(*sys.argv[1:3])
