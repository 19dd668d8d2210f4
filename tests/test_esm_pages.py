"""The ESM pages: the units' report form (Swedish, CSRF-protected), the lägesbild with reports, walks and
promises, and the lägesbild PDF's first page rendered to an image (test-artifacts/)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pypdfium2
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo import generate, to_csv
from app.imports.service import ImportOptions, run_import
from app.reports.service import period_for
from tests.browser.conftest import ARTIFACTS
from tests.conftest import auth, sign_in

TZ = ZoneInfo("Europe/Stockholm")


def _csrf(headers: dict[str, str]) -> str:
    return headers["X-CSRF-Token"]


def test_report_form_files_a_report_and_updates_the_status(client: TestClient, people: dict[str, str],
                                                           session: Session) -> None:
    headers = sign_in(client, people["reporter"])
    cookie = {"Cookie": headers["Cookie"]}
    page = client.get("/rapporter", headers=cookie)
    assert page.status_code == 200 and "Har rapporterat denna period?" in page.text
    assert re.search(r'data-unit="kultur_fritid" class="missing"', page.text)
    when = (datetime.now(TZ) - timedelta(minutes=30)).replace(tzinfo=None)
    start = period_for(when.date())[0]
    place_1 = session.execute(text("SELECT name FROM places WHERE id = 1")).scalar_one()
    form = {"csrf": _csrf(headers), "period_start": start.isoformat(), "summary": "Oro kring fritidsgården",
            "event_time_0": when.strftime("%Y-%m-%dT%H:%M"), "event_category_0": "ordningsstorning",
            "event_where_0": place_1, "event_description_0": "Bråk utanför entrén",
            "observation_place_0": "1", "observation_text_0": "Unga samlas vid cykelstället efter 21"}
    refused = client.post("/rapporter", headers=cookie, data={**form, "csrf": "fel"})
    assert refused.status_code == 403
    r = client.post("/rapporter", headers=cookie, data=form)
    assert r.status_code == 200 and "Rapporten är sparad" in r.text, r.text[-2000:]
    assert re.search(r'data-unit="kultur_fritid" class="done"', r.text)
    stored = session.execute(text("SELECT source, category, place_id FROM incidents")).all()
    assert [tuple(s) for s in stored] == [("kultur_fritid", "ordningsstorning", 1)]
    future = {**form, "event_time_0": (when + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")}
    bad = client.post("/rapporter", headers=cookie, data=future)
    assert bad.status_code == 422 and "Händelse 1: Tidpunkten ligger i framtiden" in bad.text
    assert "in the future" not in bad.text  # the form speaks Swedish, not the API's English
    nowhere = {**form, "event_where_0": "", "event_time_0": when.strftime("%Y-%m-%dT%H:%M")}
    page = client.post("/rapporter", headers=cookie, data=nowhere).text
    assert "Händelse 1: Ange en plats eller en position" in page, re.findall(r"<li>[^<]*</li>", page)[:5]
    unknown = client.post("/rapporter", headers=cookie, data={**form, "event_category_0": "påhittad"})
    assert "Händelse 1: Okänd kategori &#39;påhittad&#39;" in unknown.text
    english = client.post("/rapporter?lang=en", headers=cookie, data=future)
    assert english.status_code == 422 and "Event 1: event 1 is in the future" in english.text
    client.get("/rapporter?lang=sv", headers=cookie)
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 1  # the saved one is untouched
    client.cookies.clear()


def _esm_data(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    rows = generate(datetime.now(TZ).date(), days=400, seed=11)
    run_import(session, io.BytesIO(to_csv(rows)), ImportOptions(filename="demo.csv", format="csv", source="demo"))
    client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json={
        "observations": [{"place_id": 1, "text": "Langning vid busshållplatsen på kvällarna"}]})
    client.post("/api/v1/walks", headers=auth(tokens["analyst"]), json={
        "walked_on": (date.today() - timedelta(days=3)).isoformat(), "area": "Gästisparken",
        "findings": [{"kind": "vegetation", "lon": 15.1262, "lat": 58.3265, "description": "Täta buskar vid lekplatsen",
                      "owner": "service_teknik", "priority": "high",
                      "deadline": (date.today() + timedelta(days=30)).isoformat()}]})
    client.post("/api/v1/interventions", headers=auth(tokens["analyst"]), json={
        "title": "Kvällspatrull Resecentrum", "kind": "patrol", "organisation": "polisen", "place_id": 1,
        "start_date": (date.today() - timedelta(days=30)).isoformat()})
    client.post("/api/v1/promises", headers=auth(tokens["analyst"]), json={
        "title": "Tryggare kvällar vid Resecentrum", "period_start": f"{date.today().year}-01-01",
        "period_end": f"{date.today().year}-12-31", "categories": ["narkotika"], "place_ids": [1]})


def test_lagesbild_shows_reports_walks_and_promises(client: TestClient, tokens: dict[str, str],
                                                   people: dict[str, str], session: Session,
                                                   mid_period: datetime) -> None:
    _esm_data(client, tokens, session)
    cookie = sign_in(client, people["analyst"])
    html = client.get("/lagesbild", headers=cookie).text
    assert "Langning vid busshållplatsen" in html and "Täta buskar vid lekplatsen" in html
    assert "Tryggare kvällar vid Resecentrum" in html and "6 av 7 enheter har inte rapporterat" in html
    assert 'data-area="Mjölby"' in html
    assert "Kvällspatrull Resecentrum</b> (patrullering, Polisen, pågår)" in html
    end = datetime.now(TZ).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    # the area counts against a direct query
    direct = session.execute(text("""
        SELECT count(*) FROM incidents i WHERE occurred_at >= :s AND occurred_at < :e
          AND location_precision NOT IN ('municipality', 'area')
          AND EXISTS (SELECT 1 FROM places p WHERE p.locality = 'Mjölby'
                      AND ST_DWithin(p.geom::geography, i.geom::geography, 1500))"""),
                             {"s": end - timedelta(days=14), "e": end}).scalar()
    shown = re.search(r'data-area="Mjölby"><td>Mjölby</td><td class="current" data-label="Nu">(\d+)', html)
    assert shown and int(shown.group(1)) == direct
    follow = client.get("/medborgarloften/1", params={"half": f"{date.today().year}H1"}, headers=cookie)
    assert follow.status_code == 200 and "Halvårsuppföljning" in follow.text and "data:image/png" in follow.text
    client.cookies.clear()


def test_lagesbild_pdf_first_page_as_an_image(client: TestClient, tokens: dict[str, str], people: dict[str, str],
                                              session: Session) -> None:
    _esm_data(client, tokens, session)
    cookie = sign_in(client, people["analyst"])
    pdf = client.get("/lagesbild", params={"format": "pdf"}, headers=cookie)
    assert pdf.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(pdf.content)
    assert len(document) >= 2
    image = document[0].render(scale=1.5).to_pil().convert("RGB")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "lagesbild-sida1.png")
    text_page = document[0].get_textpage().get_text_range()
    # the first page: the period, the summary and the numbered, named hotspot map (the charts follow)
    assert "Lägesbild" in text_page and "Sammanfattning" in text_page and "Var: hotspots" in text_page
    # the page carries the map: a good share of coloured (not white, not grey) pixels
    pixels = np.asarray(image.resize((200, 140)), dtype=int)
    coloured = int(((pixels.max(axis=2) - pixels.min(axis=2)) > 60).sum())
    assert coloured > 100, coloured  # the hotspots drawn in red (the bar chart, before, gave > 200)
    client.cookies.clear()


def test_lagesbild_period_form_includes_the_last_day_and_the_pdf_keeps_the_period(
        client: TestClient, people: dict[str, str]) -> None:
    cookie = sign_in(client, people["analyst"])
    html = client.get("/lagesbild", params={"start": "2025-06-01", "end": "2025-06-14"}, headers=cookie).text
    client.cookies.clear()
    assert "<h1>Lägesbild 2025-06-01 – 2025-06-14" in html  # to and including the 14th
    assert 'value="2025-06-14"' in html  # the form shows the day the user picked
    assert 'href="/lagesbild?start=2025-06-01&amp;end=2025-06-14&amp;format=pdf"' in html


def test_the_esm_pages_are_swedish_first_and_english_on_request(client: TestClient, people: dict[str, str]) -> None:
    cookie = sign_in(client, people["reporter"])
    for path, swedish, english in (("/rapporter", "Har rapporterat denna period?", "Reported this period?"),
                                   ("/trygghetsvandringar", "Spara vandringen", "Save the walk")):
        sv = client.get(path, headers=cookie).text
        en = client.get(path, params={"lang": "en"}, headers=cookie).text
        client.cookies.clear()
        assert swedish in sv and english not in sv
        assert english in en and swedish not in en


def test_a_refused_report_comes_back_whole_and_saved_events_stay_editable(client: TestClient, people: dict[str, str],
                                                                          session: Session) -> None:
    session.execute(text("""INSERT INTO street_segments (street, geom, source) VALUES ('Testgatan',
        ST_GeomFromText('LINESTRING(15.128 58.323, 15.134 58.3242)', 4326), 'test')"""))
    session.commit()
    headers = sign_in(client, people["reporter"])
    cookie = {"Cookie": headers["Cookie"]}
    when = (datetime.now(TZ) - timedelta(minutes=30)).replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
    form = {"csrf": _csrf(headers), "summary": "Lugn vecka utom fredag",
            "event_time_0": when, "event_category_0": "klotter", "event_where_0": "Testgatan",
            "event_lon_0": "", "event_lat_0": "", "event_precision_0": "", "event_description_0": "Tags på elskåp",
            "event_time_1": when, "event_category_1": "vald", "event_where_1": "Bakom macken",
            "event_lon_1": "", "event_lat_1": "", "event_precision_1": "", "event_description_1": "Slagsmål",
            "event_time_2": "", "event_category_2": "", "event_where_2": "", "event_lon_2": "", "event_lat_2": "",
            "event_precision_2": "", "event_description_2": "",
            "observation_place_0": "", "observation_text_0": "Mörkt vid gångtunneln"}
    refused = client.post("/rapporter", headers=cookie, data=form)
    assert refused.status_code == 422
    page = refused.text
    assert "Händelse 2: Hittar ingen plats eller gata som heter ”Bakom macken”" in page
    assert 'id="event-1-error"' in page and 'id="event-0-error"' not in page  # beside its own row only
    for typed in ("Lugn vecka utom fredag", "Tags på elskåp", 'value="Bakom macken"', "Slagsmål",
                  "Mörkt vid gångtunneln", 'value="Testgatan"'):
        assert typed in page, typed  # nothing typed is lost
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0

    fixed = client.post("/rapporter", headers=cookie, data={**form, "event_where_1": "", "event_lon_1": "15.1301",
                                                           "event_lat_1": "58.3236", "event_precision_1": "exact"})
    assert fixed.status_code == 200 and "Rapporten är sparad" in fixed.text
    stored = session.execute(text("SELECT category, location_precision, round(ST_Y(geom)::numeric, 4) FROM incidents "
                                  "ORDER BY category")).all()
    assert [(c, p, float(y)) for c, p, y in stored] == [("klotter", "street", 58.3236), ("vald", "exact", 58.3236)]
    again = client.get("/rapporter", headers=cookie).text
    assert again.count('<span class="badge">sparad</span>') == 2 and 'value="Tags på elskåp"' in again
    assert '<option value="">Välj kategori</option>' in again  # no silent default for an empty row

    # change one saved event (its description) and keep the other as it is
    edited = {k: v for k, v in form.items() if not k.endswith("_2")}
    edited.update({"event_where_1": "", "event_lon_1": "15.130100", "event_lat_1": "58.323600",
                   "event_precision_1": "exact", "event_description_1": "Slagsmål, två personer"})
    assert client.post("/rapporter", headers=cookie, data=edited).status_code == 200
    client.cookies.clear()
    descriptions = session.scalars(text("SELECT description FROM incidents ORDER BY description")).all()
    assert descriptions == ["Slagsmål, två personer", "Tags på elskåp"]


def test_a_reporter_token_without_a_unit_cannot_be_made(session: Session) -> None:
    from app.auth.service import create_token
    from app.errors import InvalidInput

    try:
        create_token(session, role="reporter", name="fältet")
    except InvalidInput as exc:
        assert "enhet" in exc.text("sv")
    else:
        raise AssertionError("a reporter token without a unit was made")
    assert create_token(session, role="reporter", name="fältet", organisation="polisen").startswith("lgb_")


def test_on_the_first_day_of_a_period_a_unit_files_for_the_period_just_ended(
        client: TestClient, people: dict[str, str], session: Session) -> None:
    """Issue #35: on the first day of a period the reporter could not file for the period that had just
    ended ("utanför rapportperioden"), and the page offered no other. The page now offers the period just
    ended beside the current one; a report filed for it is counted for that period. The clock is set to
    the first day of the next period (ahead, never back: sign-in expiry is the database's clock)."""
    import time_machine

    from app.config import get_settings
    from app.reports.service import status

    days = get_settings().report_period_days
    first_day = period_for(datetime.now(TZ).date())[0] + timedelta(days=days)
    ended_start, ended_end = period_for(first_day - timedelta(days=1))
    with time_machine.travel(datetime.combine(first_day, datetime.min.time(), TZ) + timedelta(hours=9), tick=True):
        headers = sign_in(client, people["reporter"])
        cookie = {"Cookie": headers["Cookie"]}
        page = client.get("/rapporter", headers=cookie).text
        assert f'href="/rapporter?dag={ended_start.isoformat()}"' in page and "just avslutad" in page
        assert f"Rapportperiod {first_day.isoformat()}" in page  # the current period by default
        ended = client.get("/rapporter", headers=cookie, params={"dag": ended_start.isoformat()}).text
        assert f'name="period_start" value="{ended_start.isoformat()}"' in ended
        form = {"csrf": _csrf(headers), "period_start": ended_start.isoformat(), "summary": "Lugn helg",
                "event_time_0": f"{(ended_end - timedelta(days=1)).isoformat()}T22:15",
                "event_category_0": "ordningsstorning", "event_where_0": "Resecentrum"}
        saved = client.post("/rapporter", headers=cookie, data=form)
        assert saved.status_code == 200 and "Rapporten är sparad" in saved.text, re.findall(r"<li>[^<]*</li>",
                                                                                          saved.text)[:5]
        counted = status(session, ended_start)
        assert "kultur_fritid" not in counted["missing"]
        assert "kultur_fritid" in status(session, first_day)["missing"]  # the new period is still to come
    client.cookies.clear()
