"""Exports of any filtered selection and of analysis results: GeoPackage, Excel (.xlsx), Excel-friendly
CSV and GeoJSON.

- .xlsx (openpyxl): numbers are numbers and times are Excel date-times whatever the reader's locale,
  which a CSV cannot promise (opened outside a Swedish locale, "58,322" becomes 58322).
- CSV for Swedish Excel: semicolon separated, UTF-8 with BOM, decimal commas, Swedish headers, local times.
- GeoPackage through pyogrio (GDAL), version 1.2 (GDAL 3.6 and QGIS 3.22 read it without a warning;
  GDAL 3.12 would write 1.4), with the time as a real DateTime field (UTC), in WGS 84.
- GeoJSON (RFC 7946): the feature id at the top level, polygons wound right-hand.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput
from app.incidents.service import IncidentFilter

INCIDENT_COLUMNS_SV = {
    "id": "id", "category": "kategori", "category_label": "kategori_namn", "occurred_local": "tidpunkt",
    "source": "källa", "external_id": "externt_id", "location_precision": "lägesnoggrannhet",
    "place": "plats", "lat": "lat", "lon": "lon", "description": "beskrivning",
}
MAX_EXPORT_ROWS = 2_000_000


def incident_frame(session: Session, flt: IncidentFilter) -> pd.DataFrame:
    where, params = flt.where()
    rows = session.execute(text(f"""
        SELECT i.id, i.category, c.label_sv AS category_label,
               to_char(i.occurred_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS occurred_local,
               i.occurred_at,
               i.source, i.external_id, i.location_precision, p.name AS place,
               ST_Y(i.geom) AS lat, ST_X(i.geom) AS lon, i.description
        FROM incidents i JOIN categories c ON c.code = i.category LEFT JOIN places p ON p.id = i.place_id
        WHERE {where} ORDER BY i.id LIMIT {MAX_EXPORT_ROWS}"""), {**params, "tz": get_settings().timezone})
    frame = pd.DataFrame(rows.all(), columns=list(rows.keys()))
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)  # a date-time column even when empty
    return frame


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value: object) -> object:
    """A text cell that a spreadsheet would read as a formula gets a leading apostrophe (OWASP, "CSV
    Injection"): `=HYPERLINK(…)` in a description stays text. Numbers are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def excel_csv(frame: pd.DataFrame, headers: dict[str, str] | None = None) -> bytes:
    """Semicolon, UTF-8 with BOM, decimal comma: opens right in Swedish Excel with a double click. Text
    cells never start a formula (`spreadsheet_text`)."""
    out = frame.rename(columns=headers or {})
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]):
            out[column] = out[column].map(spreadsheet_text)
    buffer = io.StringIO()
    out.to_csv(buffer, sep=";", index=False, decimal=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def geopackage(frame: gpd.GeoDataFrame, layer: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", dataset_options={"VERSION": "1.2"})
        return path.read_bytes()


EXCEL_MAX_ROWS = 1_048_575  # a sheet's rows, less the header


def excel_workbook(frame: pd.DataFrame, sheet: str, headers: dict[str, str] | None = None) -> bytes:
    """One sheet with a bold header row: numbers stay numbers and date-times become Excel date-times
    (local time, since Excel has none of zones). Text is stored as text, so a description that starts
    with "=" is never a formula. Written in openpyxl's write-only mode: memory stays flat."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if len(frame) > EXCEL_MAX_ROWS:
        raise InvalidInput(f"{len(frame)} rows do not fit in one Excel sheet ({EXCEL_MAX_ROWS}); narrow the "
                           "filter or export CSV or GeoPackage", loc=("query", "format"),
                           sv=f"{len(frame)} rader ryms inte i ett Excel-blad (högst {EXCEL_MAX_ROWS}): "
                              "avgränsa urvalet eller hämta CSV eller GeoPackage.")
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])
    out = frame.rename(columns=headers or {})
    bold = Font(bold=True)
    header = []
    for name in out.columns:
        cell = WriteOnlyCell(ws, value=str(name))
        cell.font = bold
        header.append(cell)
    ws.append(header)
    timezone = get_settings().timezone
    columns = []
    for name in out.columns:
        column = out[name]
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            column = column.dt.tz_convert(timezone).dt.tz_localize(None)
        columns.append(column.astype(object).where(column.notna(), None).tolist())
    formats = {k: "yyyy-mm-dd hh:mm" for k, name in enumerate(out.columns)
               if pd.api.types.is_datetime64_any_dtype(out[name])}
    for values in zip(*columns, strict=True):
        row: list[Any] = []
        for k, value in enumerate(values):
            if isinstance(value, str) and value.startswith("="):  # openpyxl reads only "=…" as a formula
                cell = WriteOnlyCell(ws, value=value)
                cell.data_type = "s"  # text, never a formula
                row.append(cell)
            elif k in formats and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = formats[k]
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def incidents_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    geometry = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def collection_geodataframe(collection: dict[str, Any]) -> gpd.GeoDataFrame:
    """An analysis FeatureCollection as a table: nested properties become JSON text columns."""
    features = []
    for feature in collection.get("features", []):
        props = {k: (orjson.dumps(v).decode() if isinstance(v, dict | list) else v)
                 for k, v in feature["properties"].items()}
        features.append({**feature, "properties": props})
    if not features:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs="EPSG:4326")
    return gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
