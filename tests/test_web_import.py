"""Importing from the browser: check first (nothing stored), then import; the same all-or-nothing rule
and the same report as the command line, in Swedish; reporters import as their own unit."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import sign_in

GOOD = ("Tidpunkt;Kategori;Plats;Beskrivning\n"
        "2025-06-07 21:30;Klotter;Resecentrum;Tag\n2025-06-08 22:00;Våld;Gallerian;Bråk\n")
BAD = GOOD + "2025-06-09 20:00;Tjuvjakt;Resecentrum;?\n"


def _post(client: TestClient, headers: dict[str, str], name: str, content: bytes, **form: str):  # type: ignore[no-untyped-def]
    return client.post("/importera", headers={"Cookie": headers["Cookie"]},
                       data={"csrf": headers["X-CSRF-Token"], **form}, files={"file": (name, content)})


def _count(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM incidents")).scalar_one())


def test_check_then_import_in_swedish(client: TestClient, people: dict[str, str], session: Session) -> None:
    analyst = sign_in(client, people["analyst"])
    page = client.get("/importera", headers={"Cookie": analyst["Cookie"]})
    assert page.status_code == 200 and "Importera händelser från en fil" in page.text
    assert 'href="/importera"' in page.text  # in the menu for those who may import
    checked = _post(client, analyst, "vakter.csv", BAD.encode(), action="check")
    assert checked.status_code == 200 and "inget har sparats ännu" in checked.text
    assert "<td>4</td><td>kategori</td>" in checked.text and _count(session) == 0
    refused = _post(client, analyst, "vakter.csv", BAD.encode(), action="import")
    assert refused.status_code == 422 and "har fel på 1 rader; inget sparades" in refused.text
    assert _count(session) == 0  # whole or not at all
    kept = _post(client, analyst, "vakter.csv", BAD.encode(), action="import", skip_invalid="on",
                 source="bostadsbolaget")
    assert kept.status_code == 200 and "vakter.csv är importerad" in kept.text and _count(session) == 2
    assert session.execute(text("SELECT DISTINCT source FROM incidents")).scalar_one() == "bostadsbolaget"
    again = _post(client, analyst, "vakter.csv", GOOD.encode(), action="import", source="bostadsbolaget")
    assert again.status_code == 200 and _count(session) == 2  # the same rows again add nothing
    english = client.post("/importera?lang=en", headers={"Cookie": analyst["Cookie"]},
                          data={"csrf": analyst["X-CSRF-Token"], "action": "check"})
    assert english.status_code == 422 and "Choose a file to import." in english.text
    client.get("/importera?lang=sv", headers={"Cookie": analyst["Cookie"]})
    client.cookies.clear()


def test_excel_with_rt90_reports_the_grid_and_reporters_import_as_their_unit(
        client: TestClient, people: dict[str, str], session: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Datum", "Kategori", "X", "Y"])
    sheet.append(["2025-06-07 21:30", "Skadegörelse", 6466492, 1460431])  # RT90 2.5 gon V, Mjölby centre
    data = io.BytesIO()
    book.save(data)
    reporter = sign_in(client, people["reporter"])
    page = client.get("/importera", headers={"Cookie": reporter["Cookie"]})
    assert "Din enhet:" in page.text and 'name="source"' not in page.text
    done = _post(client, reporter, "lista.xlsx", data.getvalue(), action="import", source="kommunen")
    client.cookies.clear()
    assert done.status_code == 200 and "Koordinater lästa som RT90 2.5 gon V: 1 rader" in done.text
    unit = session.execute(text("SELECT organisation FROM users WHERE username = :u"),
                           {"u": people["reporter"]}).scalar_one()
    assert session.execute(text("SELECT source FROM incidents")).scalar_one() == unit


def test_the_public_and_roles_without_imports_are_refused(client: TestClient, people: dict[str, str]) -> None:
    assert client.get("/importera", follow_redirects=False).headers["location"].startswith("/logga-in")
    planner = sign_in(client, people["planner"])
    r = client.get("/importera", headers={"Cookie": planner["Cookie"]})
    client.cookies.clear()
    assert r.status_code == 403 and 'href="/importera"' not in r.text
