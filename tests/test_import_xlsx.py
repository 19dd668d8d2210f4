"""Excel workbooks (.xlsx) as the municipality and the housing company keep them: typed cells (dates,
clock times, numbers), a title row above the header, blank rows, SWEREF 99 TM coordinates."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.imports.service import ImportOptions, ImportRejected, run_import
from geo.crs import to_sweref
from tests.conftest import auth

HEADER = ["Datum", "Klockslag", "Händelsetyp", "X-koordinat (SWEREF 99 TM)", "Y-koordinat", "Ärendenr", "Kommentar"]


def _workbook(rows: list[list[object]], *, title_row: bool = True) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if title_row:  # exports often start with a title, a date range and an empty row
        sheet.append(["Händelserapport, Mjölbybostäder"])
        sheet.append(["Period:", "2025-06-01 – 2025-06-30"])
        sheet.append([])
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.create_sheet("Diagram")  # only the first sheet is read
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(session: Session, data: bytes, filename: str = "bostadsbolaget.xlsx", **kw: object):  # type: ignore[no-untyped-def]
    return run_import(session, io.BytesIO(data), ImportOptions(filename=filename, **kw))  # type: ignore[arg-type]


ROWS: list[list[object]] = [
    [datetime(2025, 6, 7), time(21, 30), "Skadegörelse", 6465432.10, 512345.67, 10234.0, "Krossad ruta, trapphus 3"],
    [],  # a blank row between blocks
    [date(2025, 6, 8), time(22, 10, 15), "Klotter", 6466001.23, 513002.45, 10235, None],
    [datetime(2025, 6, 9, 1, 5), None, "våld", 6465500, 512400, "A-17", "Bråk på gården"],
]


def test_typed_cells_import_like_the_csv_export(session: Session) -> None:
    report = _import(session, _workbook(ROWS))
    assert (report.format, report.rows_read, report.inserted, report.rejected) == ("xlsx", 3, 3, 0)
    rows = session.execute(text("""SELECT external_id, ST_X(geom), ST_Y(geom), category, occurred_at, description
                                   FROM incidents ORDER BY occurred_at""")).all()
    assert [r[0] for r in rows] == ["10234", "10235", "A-17"]  # whole numbers without '.0'
    assert [r[3] for r in rows] == ["skadegorelse", "klotter", "vald"]
    assert [r[4] for r in rows] == [datetime(2025, 6, 7, 19, 30, tzinfo=UTC),  # 21:30 local summer time
                                    datetime(2025, 6, 8, 20, 10, 15, tzinfo=UTC),
                                    datetime(2025, 6, 8, 23, 5, tzinfo=UTC)]
    assert rows[0][5] == "Krossad ruta, trapphus 3" and rows[1][5] is None
    east, north = to_sweref([r[1] for r in rows], [r[2] for r in rows])
    np.testing.assert_allclose(east, [512345.67, 513002.45, 512400], atol=0.01)  # Swedish X is northing
    np.testing.assert_allclose(north, [6465432.10, 6466001.23, 6465500], atol=0.01)
    assert _import(session, _workbook(ROWS)).inserted == 0  # re-import adds nothing


def test_a_bad_row_is_named_by_its_excel_row_number_and_nothing_is_stored(session: Session) -> None:
    bad = [*ROWS, [datetime(2025, 6, 10, 12), None, "tjuvjakt", 6465500, 512400, "A-18", None]]
    data = _workbook(bad)
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    [excel_row] = [cell.row for row in sheet.iter_rows() for cell in row if cell.value == "tjuvjakt"]
    with pytest.raises(ImportRejected) as caught:
        _import(session, data)
    [error] = caught.value.report.errors
    assert (error.row, error.field) == (excel_row, "category") and excel_row == 9  # as Excel numbers it
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0


def test_not_a_workbook_and_an_empty_sheet_are_clear_errors(session: Session) -> None:
    with pytest.raises(InvalidInput, match="not a readable Excel workbook"):
        _import(session, b"PK\x03\x04 this is no zip archive")
    empty = io.BytesIO()
    Workbook().save(empty)
    with pytest.raises(InvalidInput, match="empty or has no header row"):
        _import(session, empty.getvalue())


def test_upload_guesses_the_format(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.post("/api/v1/imports", headers=auth(tokens["analyst"]),
                    files={"file": ("export.xlsx", _workbook(ROWS))}, data={"dry_run": "true"})
    assert r.status_code == 200 and r.json()["format"] == "xlsx" and r.json()["valid"] == 3
    wrong = client.post("/api/v1/imports", headers=auth(tokens["analyst"]),
                        files={"file": ("export.xlsx", b"x")}, data={"format": "xls"})
    assert wrong.status_code == 422 and "xlsx" in wrong.json()["detail"][0]["msg"]
