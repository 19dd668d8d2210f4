"""The municipality's localities and the point its maps open on: data/localities.json, read once.

Another municipality edits that file, not the code. Maps name the localities when tiles are missing,
minimaps name them at municipality scale, and hotspot names fall back to "Mantorp, 300 m N om centrum".
"""

from __future__ import annotations

import json

from app.paths import DATA

_FILE = json.loads((DATA / "localities.json").read_text(encoding="utf-8"))
LOCALITIES: tuple[tuple[str, float, float], ...] = tuple(
    (loc["name"], float(loc["lat"]), float(loc["lon"])) for loc in _FILE["localities"])  # name, lat, lon
CENTRE: tuple[float, float] = (float(_FILE["centre"]["lat"]), float(_FILE["centre"]["lon"]))
MUNICIPALITY: str = str(_FILE["municipality"])
MUNICIPALITY_CODE: str = str(_FILE["municipality_code"])  # SCB's four-digit code
COUNTY: str = str(_FILE["county"])
COUNTY_CODE: str = str(_FILE["county_code"])
