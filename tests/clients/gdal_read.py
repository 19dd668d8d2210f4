"""Read an OGC API – Features collection with GDAL's OAPIF driver (the GDAL 3.12 that pyogrio ships),
in its own process as a user's script would (in the test process, GDAL's blocking HTTP calls would hold
the interpreter the test server runs in). Prints what GDAL saw as JSON.

Usage: gdal_read.py URL COLLECTION USERPWD CRS [xmin,ymin,xmax,ymax]
"""

import json
import sys

import pyogrio

url, collection, userpwd, crs = sys.argv[1:5]
bbox = tuple(float(v) for v in sys.argv[5].split(",")) if len(sys.argv) > 5 else None
source = f"OAPIF:{url}"
frame = pyogrio.read_dataframe(source, layer=collection, USERPWD=userpwd, CRS=crs, fid_as_index=True, bbox=bbox)
info = pyogrio.read_info(source, layer=collection, USERPWD=userpwd)
print(json.dumps({
    "gdal": pyogrio.__gdal_version_string__,
    "epsg": frame.crs.to_epsg() if frame.crs else None,
    "points": {str(int(i)): [p.x, p.y] for i, p in zip(frame.index, frame.geometry, strict=True)},
    "types": dict(zip(info["fields"].tolist(), [str(t) for t in info["dtypes"]], strict=True)),
}))
