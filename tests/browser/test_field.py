"""Reporting from the field in real Chromium, at a desk and on a phone: a unit report with a bad event is
corrected without retyping anything else and edited later; an incident is placed by keyboard alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.browser.conftest import ARTIFACTS, sign_in_page, wait_until

pytestmark = pytest.mark.browser
SIZES = [(1366, 768), (390, 844)]


@pytest.mark.parametrize("size", SIZES)
def test_a_reporter_corrects_one_bad_event_and_later_edits_a_saved_one(context: BrowserContext, live_server: str,
                                                                        people: dict[str, str], session: Session,
                                                                        size: tuple[int, int]) -> None:
    page = sign_in_page(context, live_server, people["reporter"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server}/rapporter")
    when = (datetime.now(ZoneInfo("Europe/Stockholm")) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    page.fill('[name="summary"]', "Lugn vecka utom fredag")
    page.fill('[name="event_time_0"]', when)
    page.select_option('[name="event_category_0"]', "klotter")
    page.fill('[name="event_where_0"]', "Resecentrum")
    page.fill('[name="event_description_0"]', "Tags på väntkuren")
    page.fill('[name="event_time_1"]', when)
    page.select_option('[name="event_category_1"]', "vald")
    page.fill('[name="event_where_1"]', "Bakom macken")  # no such place or street
    page.fill('[name="event_description_1"]', "Slagsmål")
    page.fill('[name="observation_text_0"]', "Mörkt vid gångtunneln")
    page.click("button.primary")
    page.wait_for_load_state()
    assert "Hittar ingen plats eller gata" in page.locator("#event-1-error").inner_text()
    assert page.input_value('[name="summary"]') == "Lugn vecka utom fredag"
    assert page.input_value('[name="event_description_0"]') == "Tags på väntkuren"
    assert page.input_value('[name="event_description_1"]') == "Slagsmål"
    assert page.input_value('[name="observation_text_0"]') == "Mörkt vid gångtunneln"
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.screenshot(path=str(ARTIFACTS / f"enhetsrapport-fel-{size[0]}.png"), full_page=True)

    # correct only the bad row: its position from the map's centre, by keyboard
    page.fill('[name="event_where_1"]', "")
    page.click('fieldset.event[data-row="1"] button.pick-on-map')
    page.locator("#pick-map").focus()
    page.keyboard.press("ArrowRight")
    page.click("#use-map-centre")
    assert page.input_value('[name="event_lat_1"]') != ""
    page.click("button.primary")
    page.wait_for_load_state()
    assert "Rapporten är sparad" in page.locator(".saved").inner_text()
    rows = session.execute(text("SELECT description, location_precision FROM incidents ORDER BY description")).all()
    assert [tuple(r) for r in rows] == [("Slagsmål", "exact"), ("Tags på väntkuren", "place")]

    # later: the saved events are listed, and one is changed without touching the other
    page.goto(f"{live_server}/rapporter")
    assert page.locator(".badge").count() == 2
    page.fill('[name="event_description_1"]', "Slagsmål, två personer")
    page.click("button.primary")
    page.wait_for_load_state()
    rows = session.execute(text("SELECT description FROM incidents ORDER BY description")).all()
    assert [r[0] for r in rows] == ["Slagsmål, två personer", "Tags på väntkuren"]
    page.screenshot(path=str(ARTIFACTS / f"enhetsrapport-sparad-{size[0]}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES)
def test_an_incident_is_placed_and_sent_by_keyboard_alone(context: BrowserContext, live_server: str,
                                                          people: dict[str, str], session: Session,
                                                          size: tuple[int, int]) -> None:
    page = sign_in_page(context, live_server, people["analyst"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server}/rapportera")
    wait_until(page, "document.querySelectorAll('.place-label').length > 0")
    page.locator("#report-map").focus()
    for key in ("ArrowUp", "ArrowUp", "ArrowLeft"):
        page.keyboard.press(key)
    for _ in range(8):  # on from the map (past its zoom buttons) to "Använd kartans mitt"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "use-map-centre":
            break
    assert page.evaluate("document.activeElement.id") == "use-map-centre"
    page.keyboard.press("Enter")
    assert page.locator("#position").inner_text().startswith("Position vald")
    page.focus("#category")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    when = (datetime.now(ZoneInfo("Europe/Stockholm")) - timedelta(hours=1))
    page.fill("#occurred_at", when.strftime("%Y-%m-%dT%H:%M"))  # the browser's own date widget
    page.focus("#description")
    page.keyboard.type("Skrik och bråk")
    page.focus("#report-form button[type=submit]")
    page.keyboard.press("Enter")
    wait_until(page, "document.getElementById('result').textContent.length > 0")
    assert page.locator("#result").inner_text().startswith("Tack"), page.locator("#result").inner_text()
    stored = session.execute(text("SELECT category, description FROM incidents")).all()
    assert len(stored) == 1 and stored[0][1] == "Skrik och bråk"
    page.screenshot(path=str(ARTIFACTS / f"rapportera-tangentbord-{size[0]}.png"))


@pytest.mark.parametrize("size", SIZES)
def test_a_citizen_reports_a_dark_place_and_a_technician_fixes_it_on_the_web(
        context: BrowserContext, live_server: str, people: dict[str, str], session: Session,
        size: tuple[int, int]) -> None:
    citizen = context.new_page()
    citizen.set_viewport_size({"width": size[0], "height": size[1]})
    citizen.goto(f"{live_server}/")
    citizen.get_by_role("link", name="Anmäl en mörk plats eller trasig lampa").first.click()
    citizen.check('input[name="kind"][value="dark_spot"]')
    citizen.locator("#pick-map").focus()
    citizen.keyboard.press("ArrowDown")
    citizen.click("#use-map-centre")
    citizen.fill('textarea[name="description"]', "Helt mörkt på gångvägen bakom mitt hus, Storgatan 3")
    assert citizen.evaluate("document.documentElement.scrollWidth") <= size[0]
    citizen.click("button.primary")
    citizen.wait_for_load_state()
    assert "Felanmälan är mottagen" in citizen.locator(".saved").inner_text()
    citizen.screenshot(path=str(ARTIFACTS / f"felanmalan-{size[0]}.png"), full_page=True)
    case_id = session.execute(text("SELECT id FROM lighting_reports")).scalar_one()
    public = context.request.get(f"{live_server}/open311/v2/requests.json").json()
    assert "Storgatan 3" not in str(public)  # the reporter's text is never public
    citizen.close()

    page = sign_in_page(context, live_server, people["technician"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.get_by_role("link", name="Belysningsärenden").first.click()
    row = page.locator(f"#arende-{case_id}")
    assert "Storgatan 3" in row.inner_text()
    for step, note in (("Bekräfta", "Sett på plats"), ("Planera in", "Vecka 50"), ("Markera åtgärdad", "Ny armatur")):
        page.locator(f"#arende-{case_id} input[name=note]").fill(note)
        page.locator(f"#arende-{case_id}").get_by_role("button", name=step).click()
        page.wait_for_load_state()
    assert "åtgärdad" in page.locator(f"#arende-{case_id} td.status").inner_text()
    history = page.locator(f"#arende-{case_id} ol.history").inner_text()
    assert "Sett på plats" in history and "Ny armatur" in history
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.screenshot(path=str(ARTIFACTS / f"belysningsarenden-{size[0]}.png"), full_page=True)
    assert session.execute(text("SELECT status FROM lighting_reports")).scalar_one() == "fixed"


@pytest.mark.parametrize("size", SIZES)
def test_a_hotspots_details_open_by_tap_and_by_keyboard(context: BrowserContext, live_server: str,
                                                        people: dict[str, str], session: Session,
                                                        size: tuple[int, int]) -> None:
    import io
    from datetime import date

    from app.demo import generate, to_csv
    from app.imports.service import ImportOptions, run_import

    rows = generate(date.today(), days=200, seed=5)
    run_import(session, io.BytesIO(to_csv(rows)), ImportOptions(filename="demo.csv", format="csv", source="demo"))
    page = sign_in_page(context, live_server, people["analyst"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server}/karta/analys/karta.html")
    wait_until(page, "document.querySelectorAll('.lgb-hotspot-list button').length > 2")
    if not page.locator(".lgb-hotspot-list").evaluate("d => d.open"):  # folded on a phone: one tap opens it
        page.locator(".lgb-hotspot-list summary").click()
    first = page.locator(".lgb-hotspot-list button").first
    first.focus()
    page.keyboard.press("Enter")  # keyboard: the list's button zooms to the hotspot and opens its details
    wait_until(page, "document.querySelector('.leaflet-popup-content') !== null")
    details = page.locator(".leaflet-popup-content").inner_text()
    assert details.startswith("1. ") and "händelser" in details
    assert page.evaluate("document.activeElement.className").startswith("leaflet-popup-content")
    page.keyboard.press("Escape")
    page.locator(".leaflet-popup-close-button").click() if page.locator(".leaflet-popup").count() else None
    # tap: on the hotspot's own outline, where the list's zoom has just put it in the middle of the map
    box = page.locator(".leaflet-container").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_until(page, "document.querySelector('.leaflet-popup-content') !== null")
    assert "händelser" in page.locator(".leaflet-popup-content").inner_text()
    page.screenshot(path=str(ARTIFACTS / f"hotspot-detaljer-{size[0]}.png"))


def test_place_names_on_the_report_map_do_not_overlap(context: BrowserContext, live_server: str,
                                                      people: dict[str, str]) -> None:
    page = sign_in_page(context, live_server, people["analyst"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/rapportera")
    wait_until(page, "document.querySelectorAll('.place-label').length > 3")
    page.wait_for_timeout(300)
    overlaps = page.evaluate("""() => {
        const shown = Array.from(document.querySelectorAll('#report-map .place-label'))
            .filter(e => e.style.visibility !== 'hidden').map(e => e.getBoundingClientRect());
        let n = 0;
        for (let i = 0; i < shown.length; i++) for (let j = i + 1; j < shown.length; j++) {
            const a = shown[i], b = shown[j];
            if (a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top) n++;
        }
        return [n, shown.length];
    }""")
    assert overlaps[0] == 0 and overlaps[1] >= 3, overlaps
