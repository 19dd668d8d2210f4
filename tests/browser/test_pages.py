"""The web pages in real headless Chromium: sign-in, maps and their layers, the report form, offline."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Frame, Page, expect
from sqlalchemy.orm import Session

from app.demo import generate, to_csv
from app.imports.service import ImportOptions, run_import
from tests.browser.conftest import screenshot, wait_until
from tests.browser.conftest import sign_in_page as _sign_in
from tests.conftest import auth

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(session: Session) -> None:
    rows = generate(date.today(), days=200, seed=3)
    run_import(session, io.BytesIO(to_csv(rows)), ImportOptions(filename="demo.csv", format="csv", source="demo"))


def _map_frame(page: Page) -> Frame:
    page.wait_for_selector("iframe.map")
    frame = page.frame_locator("iframe.map")
    expect(frame.locator(".leaflet-control-layers")).to_be_visible(timeout=20_000)
    handle = page.query_selector("iframe.map")
    assert handle is not None
    content = handle.content_frame()
    assert content is not None
    return content


def _layer_names(frame: Frame) -> list[str]:
    return [t.strip() for t in frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()]


FOLIUM_MAP = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k]).find(v => v && v._layers)"
LAYER_COUNT = f"() => Object.keys(({FOLIUM_MAP})._layers).length"


def _wait_incidents(frame: Frame) -> int:
    wait_until(frame, "document.documentElement.dataset.incidentsLoaded !== undefined", 20_000)
    return int(frame.evaluate("document.documentElement.dataset.incidentsLoaded"))


def test_sign_in_and_start_page(context: BrowserContext, live_server: str, tokens: dict[str, str],
                                people: dict[str, str], demo: None,
                                client: TestClient) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    expect(page.get_by_role("heading", name="Läget just nu")).to_be_visible()
    compare = client.get("/api/v1/analysis/compare", headers=auth(tokens["analyst"])).json()
    assert page.get_by_test_id("current-count").inner_text() == str(compare["total"]["current"])
    frame = _map_frame(page)
    assert {"Händelser", "Hotspots (kluster)", "Otrygga platser", "Täthet (värmekarta)"} <= set(_layer_names(frame))
    assert _wait_incidents(frame) > 0
    expect(frame.locator(".lgb-legend")).to_contain_text("Teckenförklaring")
    expect(frame.locator(".lgb-legend")).to_contain_text("Narkotika")
    screenshot(page, "start")
    assert context.outside_requests == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(("view", "layers"), [
    ("analys", {"Händelser", "Täthet (värmekarta)", "Hotspots (kluster)", "Gi*: heta och kalla celler",
                "Riskterräng: fler händelser än väntat nära faktorerna", "Otrygga platser"}),
    ("patrull", {"Patrull: prioriterade platser och tider", "Hotspots (kluster)", "Händelser", "Otrygga platser"}),
    ("belysning", {"Belysning: mörka platser och fel", "Händelser", "Otrygga platser"}),
])
def test_map_pages_list_their_layers_and_toggling_works(context: BrowserContext, live_server: str,
                                                       tokens: dict[str, str],
                                                        people: dict[str, str], demo: None, view: str,
                                                       layers: set[str]) -> None:
    page = _sign_in(context, live_server, people["planner"])
    page.goto(f"{live_server}/karta/{view}")
    frame = _map_frame(page)
    assert set(_layer_names(frame)) == layers
    if view == "belysning":  # technical services open on the lighting layer; incidents when they ask
        overlays = frame.locator(".leaflet-control-layers-overlays label")
        expect(overlays.filter(has_text="Belysning").locator("input")).to_be_checked()
        incidents = overlays.filter(has_text="Händelser").locator("input")
        expect(incidents).not_to_be_checked()
        incidents.check()
    _wait_incidents(frame)
    if view == "analys":  # analysis layers arrive after the page: hotspots (shown), then Gi* when switched on
        wait_until(frame, "document.documentElement.dataset.analysisLoaded >= 1", 30_000)
        frame.locator(".leaflet-control-layers-overlays label", has_text="Gi*").locator("input").check()
        wait_until(frame, "document.documentElement.dataset.analysisLoaded >= 2", 30_000)
    before = frame.evaluate(LAYER_COUNT)
    places = frame.locator(".leaflet-control-layers-overlays label", has_text="Otrygga platser").locator("input")
    expect(places).to_be_checked()
    places.uncheck()
    assert frame.evaluate(LAYER_COUNT) < before  # the place polygons left the map
    places.check()
    assert frame.evaluate(LAYER_COUNT) == before
    screenshot(page, f"karta-{view}")
    assert context.outside_requests == []  # type: ignore[attr-defined]


def test_filters_reload_the_map(context: BrowserContext, live_server: str, tokens: dict[str, str],
                                people: dict[str, str],
                                demo: None) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    page.goto(f"{live_server}/karta/analys")
    all_count = _wait_incidents(_map_frame(page))
    page.locator("details.filter-more summary").click()
    page.get_by_label("Narkotika").check()  # categories are checkboxes: no Ctrl-click
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url(re.compile(r".*category=narkotika.*"))
    drugs = _wait_incidents(_map_frame(page))
    assert 0 < drugs < all_count
    page.get_by_label("Från kl.").select_option("20")  # evenings past midnight, at weekends
    page.get_by_label("till kl.").select_option("2")
    page.get_by_label("fre").check()
    page.get_by_label("lör").check()
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url(re.compile(r".*hour_from=20.*"))
    assert "hour=20" in (_map_frame(page).url) and "weekday=5" in _map_frame(page).url
    assert 0 < _wait_incidents(_map_frame(page)) < drugs
    assert page.get_by_label("Från kl.").input_value() == "20" and page.get_by_label("fre").is_checked()
    page.get_by_role("button", name="28 dagar").click()
    page.wait_for_url(re.compile(r".*period=28d.*"))


def test_report_form_creates_an_incident(context: BrowserContext, live_server: str, tokens: dict[str, str],
                                         people: dict[str, str],
                                         client: TestClient) -> None:
    page = _sign_in(context, live_server, people["reporter"])
    page.goto(f"{live_server}/rapportera")
    page.wait_for_selector("#report-map .place-label")  # the places outline the map offline
    page.get_by_label("Kategori").select_option("klotter")
    page.get_by_label("När hände det?").fill("2025-06-07T21:30")
    page.get_by_label("Beskrivning (valfri)").fill("Tags på elskåpet")
    box = page.locator("#report-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#position")).not_to_contain_text("Ingen position")
    page.get_by_role("button", name="Skicka rapport").click()
    expect(page.locator("#result")).to_contain_text("Tack!")
    incident_id = page.locator("#result").get_attribute("data-incident-id")
    feature = client.get(f"/api/v1/incidents/{incident_id}", headers=auth(tokens["analyst"])).json()
    assert feature["properties"]["category"] == "klotter"
    assert feature["properties"]["source"] == "kultur_fritid"  # the reporter's unit
    assert feature["properties"]["occurred_at"] == "2025-06-07T19:30:00+00:00"
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lon - 15.129) < 0.01 and abs(lat - 58.3245) < 0.005
    screenshot(page, "rapportera")
    assert context.outside_requests == []  # type: ignore[attr-defined]


def test_signed_out_start_page_is_public_and_english_is_available(context: BrowserContext, live_server: str) -> None:
    page = context.new_page()
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="Läget just nu")).to_be_visible()
    frame = _map_frame(page)
    assert "Händelser" not in _layer_names(frame)  # no single incidents without signing in
    page.get_by_role("link", name="In English").click()
    expect(page.get_by_role("heading", name="The situation now")).to_be_visible()
    page.goto(f"{live_server}/karta/analys")
    expect(page).to_have_url(re.compile(r".*/logga-in.*"))


def test_standalone_map_file_works_offline(context: BrowserContext, tmp_path: Path, demo: None,
                                           session: Session) -> None:
    from app.analysis.schemas import scope_from_text as page_scope
    from app.maps.render import build_map, render_html
    from app.maps.service import VIEW_LAYERS, map_data

    data = map_data(session, "analys", page_scope(None, None, None, 365), incidents_url=None, embed_cells=True)
    html = render_html(build_map(data, layers=VIEW_LAYERS["analys"]), inline_assets=True)
    assert "cdn." not in html and "<script src=" not in html
    path = tmp_path / "karta.html"
    path.write_text(html, encoding="utf-8")
    page = context.new_page()
    page.goto(path.as_uri())
    expect(page.locator(".leaflet-control-layers")).to_be_visible()
    wait_until(page, "document.documentElement.dataset.incidentsLoaded > 0")
    screenshot(page, "karta-fristaende")
    assert [u for u in context.outside_requests if not u.startswith("file:")] == []  # type: ignore[attr-defined]


def test_patrol_sheet_and_lighting_work_list_render_in_swedish(context: BrowserContext, live_server: str,
                                                               tokens: dict[str, str],
                                                               people: dict[str, str], demo: None,
                                                               session: Session) -> None:
    from app.cli import _demo_lighting

    _demo_lighting(session)
    page = _sign_in(context, live_server, people["planner"])
    page.goto(f"{live_server}/patrull/plan")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Patrullplan")
    rows = page.locator("table.plan tbody tr")
    assert rows.count() >= 3
    expect(rows.first).to_contain_text("besök à 10–15 min")
    assert page.locator("table.plan img").first.evaluate("img => img.naturalWidth") > 0
    screenshot(page, "patrullplan")
    page.goto(f"{live_server}/belysning/arbetslista")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arbetslista")
    assert page.locator("table.plan tbody tr").count() >= 5
    expect(page.locator("table.plan tbody tr").first).to_contain_text("(demo)")
    screenshot(page, "belysning-arbetslista")
    pdf = context.request.get(f"{live_server}/patrull/plan?format=pdf")
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
    assert context.outside_requests == []  # type: ignore[attr-defined]


def test_close_up_with_many_incidents_switches_to_vector_tiles(context: BrowserContext, live_server: str,
                                                               tokens: dict[str, str],
                                                               people: dict[str, str], demo: None) -> None:
    from app.config import get_settings

    settings = get_settings()
    previous, settings.map_points_max = settings.map_points_max, 5
    try:
        page = _sign_in(context, live_server, people["analyst"])
        tiles: list[int] = []
        page.on("response", lambda r: tiles.append(r.status) if "/api/v1/tiles/incidents/" in r.url else None)
        page.goto(f"{live_server}/karta/analys")
        frame = _map_frame(page)
        _wait_incidents(frame)
        frame.evaluate(f"() => {{ ({FOLIUM_MAP}).setView([58.32298, 15.13199], 17); }}")
        wait_until(frame, "document.documentElement.dataset.incidentsMode === 'tiles'", 20_000)
        page.wait_for_timeout(1500)
        assert tiles and set(tiles) == {200}
        screenshot(page, "karta-vektortiles")
    finally:
        settings.map_points_max = previous


def test_lagesbild_and_unit_report_form_in_the_browser(context: BrowserContext, live_server: str,
                                                       people: dict[str, str], demo: None) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    page.goto(f"{live_server}/lagesbild")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lägesbild")
    for heading in ("Antal händelser", "Per område", "Enheternas rapporter", "Trygghetsvandringar",
                    "Medborgarlöften", "Beslut och uppföljning"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    images = page.locator("main img")
    assert images.count() >= 3  # category chart, hotspot map, hour × weekday chart
    assert all(images.nth(i).evaluate("img => img.naturalWidth") > 0 for i in range(images.count()))
    screenshot(page, "lagesbild")
    reporter = _sign_in(context, live_server, people["reporter"])
    reporter.goto(f"{live_server}/rapporter")
    expect(reporter.locator('tr[data-unit="kultur_fritid"]')).to_contain_text("Nej")
    reporter.locator("[name=observation_text_0]").fill("Många unga vid fritidsgården på fredagar")
    reporter.get_by_role("button", name="Skicka rapporten").click()
    expect(reporter.locator(".saved")).to_contain_text("Rapporten är sparad")
    expect(reporter.locator('tr[data-unit="kultur_fritid"]')).to_contain_text("Ja")
    screenshot(reporter, "enhetsrapporter")


def test_safety_walk_finding_becomes_a_lighting_case_in_the_browser(context: BrowserContext, live_server: str,
                                                                      people: dict[str, str], client: TestClient,
                                                                      tokens: dict[str, str]) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    page.goto(f"{live_server}/trygghetsvandringar")
    page.get_by_label("Område").fill("Centrum – Resecentrum till Gästisparken")
    page.get_by_label("Deltagare").fill("Kommunen, polisen, 12 boende")
    page.get_by_role("button", name="Spara vandringen").click()
    expect(page.locator(".saved")).to_be_visible()
    page.get_by_label("Beskrivning").fill("Mörk gångtunnel under järnvägen")
    page.get_by_label("Prioritet").select_option("high")
    box = page.locator("#walk-map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#position")).not_to_contain_text("klicka")
    page.get_by_role("button", name="Spara fyndet").click()
    row = page.locator("tr[data-finding]").first
    expect(row).to_contain_text("Mörk gångtunnel")
    row.get_by_role("button", name="Gör till belysningsärende").click()
    expect(page.locator(".saved")).to_contain_text("Belysningsärendet är skapat")
    expect(page.locator("tr[data-finding]").first).to_contain_text("belysningsärende #")
    screenshot(page, "trygghetsvandringar")
    walks = client.get("/api/v1/walks", headers=auth(tokens["analyst"])).json()
    finding = walks[0]["findings"][0]["properties"]
    assert finding["status"] == "converted" and finding["lighting_report_id"] is not None
    assert context.outside_requests == []  # type: ignore[attr-defined]


def test_importing_a_file_from_the_browser(context: BrowserContext, live_server: str, people: dict[str, str],
                                           session: Session, tmp_path: Path) -> None:
    """Menu → Importera → choose a file → check (a bad row is listed, nothing stored) → import the good rows."""
    from sqlalchemy import text

    csv_file = tmp_path / "vakter.csv"
    csv_file.write_text("Tidpunkt;Kategori;Plats\n2025-06-07 21:30;Klotter;Resecentrum\n"
                        "2025-06-08 22:00;Tjuvjakt;Gallerian\n", encoding="utf-8")
    page = _sign_in(context, live_server, people["analyst"])
    page.get_by_role("link", name="Importera").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Importera händelser från en fil")
    page.get_by_label("Fil", exact=True).set_input_files(str(csv_file))
    page.get_by_role("button", name="Kontrollera filen").click()
    expect(page.locator("#result")).to_contain_text("inget har sparats ännu")
    expect(page.locator(".import-errors tbody tr")).to_have_count(1)
    expect(page.locator(".import-errors tbody tr")).to_contain_text("kategori")
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0
    page.get_by_label("Fil", exact=True).set_input_files(str(csv_file))
    page.get_by_label("Spara de giltiga raderna").check()
    page.get_by_role("button", name="Importera", exact=True).click()
    expect(page.locator("#result")).to_contain_text("vakter.csv är importerad")
    screenshot(page, "importera")
    session.expire_all()
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 1
