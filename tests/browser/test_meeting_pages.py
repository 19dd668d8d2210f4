"""The meeting's printed pages in real Chromium at a desk and on a phone: every hotspot named and
numbered alike on map and list, Swedish words instead of codes, and a PDF whose first page holds the
period, the change summary and the numbered, named map."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page
from sqlalchemy.orm import Session

from app.demo import generate, load_meeting, to_csv
from app.imports.service import ImportOptions, run_import
from tests.browser.conftest import ARTIFACTS
from tests.browser.conftest import sign_in_page as _sign_in

pytestmark = pytest.mark.browser

# Codes that must never reach a Swedish reader: snake_case identifiers, English statuses, role codes.
CODES = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(reported|confirmed|scheduled|in_progress|dark_spot|analyst|planner|"
                   r"technician|hot spot, \d+|None|null|NaN)\b")


@pytest.fixture
def meeting(session: Session) -> None:
    rows = generate(date.today(), days=400, seed=5)
    run_import(session, io.BytesIO(to_csv(rows)), ImportOptions(filename="demo.csv", format="csv", source="demo"))
    load_meeting(session, date.today())


def _visible_text(page: Page) -> str:
    return page.locator("main").inner_text()


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_lagesbild_patrol_sheet_and_work_list_name_and_number_alike(context: BrowserContext, live_server: str,
                                                                    people: dict[str, str], meeting: None,
                                                                    size: tuple[int, int]) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server}/lagesbild")
    items = page.locator("ol.hotspots li")
    assert items.count() >= 3
    named = {int(li.get_attribute("value") or 0): li.locator(".hotspot-name").inner_text()
             for li in items.all()}
    assert all(name.strip() for name in named.values()) and sorted(named) == list(range(1, len(named) + 1))
    assert "Resecentrum" in named.values()
    alt = page.locator(".where img").first.get_attribute("alt") or ""
    assert "numrerade som listan" in alt and "gator:" in alt  # the map names its streets
    assert not CODES.search(_visible_text(page)), CODES.search(_visible_text(page))
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.screenshot(path=str(ARTIFACTS / f"lagesbild-{size[0]}.png"))

    page.goto(f"{live_server}/patrull/plan")
    rows = page.locator("tr[data-hotspot]")
    assert rows.count() >= 1
    for row in rows.all():  # the same number and name as the lägesbild's list
        number = int(row.get_attribute("data-hotspot") or 0)
        assert row.locator(".hotspot-name").inner_text() == named[number]
    assert not CODES.search(_visible_text(page)), CODES.search(_visible_text(page))
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    page.screenshot(path=str(ARTIFACTS / f"patrullplan-{size[0]}.png"))

    page.goto(f"{live_server}/belysning/arbetslista")
    assert not CODES.search(_visible_text(page)), CODES.search(_visible_text(page))
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]


def test_the_printed_lagesbild_opens_with_period_summary_and_the_numbered_named_map(
        context: BrowserContext, live_server: str, people: dict[str, str], meeting: None, tmp_path: Path) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    page.goto(f"{live_server}/lagesbild")
    first = page.locator("ol.hotspots li .hotspot-name").first.inner_text()
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    pdf = httpx.get(f"{live_server}/lagesbild?format=pdf", cookies=cookies, timeout=120)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "lagesbild.pdf"
    path.write_bytes(pdf.content)
    page_one = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-layout", str(path), "-"], capture_output=True,
                              text=True, check=True).stdout
    assert re.search(r"Lägesbild \d{4}-\d\d-\d\d – \d{4}-\d\d-\d\d", page_one)
    assert "Sammanfattning" in page_one and "Var: hotspots" in page_one and first in page_one
    assert "Visa" not in page_one and "Spara beslutet" not in page_one  # no form controls on paper
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-png", "-r", "60", str(path),
                    str(ARTIFACTS / "lagesbild-pdf")], check=True)
    pages = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    print("lägesbild PDF pages:", re.search(r"Pages:\s+(\d+)", pages).group(1))  # type: ignore[union-attr]


@pytest.mark.parametrize("tiles", ["", "http://127.0.0.1:9/{z}/{x}/{y}.png"])
def test_a_live_map_without_tiles_draws_the_street_base_with_names(context: BrowserContext, live_server: str,
                                                                    people: dict[str, str], meeting: None,
                                                                    tiles: str) -> None:
    """No tile server configured, or one that does not answer: the map draws the demo's street base."""
    from app.config import get_settings
    from tests.browser.conftest import wait_until

    settings = get_settings()
    settings.tile_url = tiles
    try:
        page = _sign_in(context, live_server, people["analyst"])
        page.goto(f"{live_server}/karta/analys/karta.html")
        wait_until(page, "Number(document.documentElement.dataset.streetBase || 0) > 3")
        page.evaluate("(() => { const k = Object.keys(window).find(k => k.startsWith('map_'));"
                      " window[k].setView([58.3235, 15.130], 16); })()")
        wait_until(page, "document.querySelectorAll('.lgb-street-name').length > 2")
        names = page.locator(".lgb-street-name").all_inner_texts()
        assert "Järnvägsgatan (demo)" in names
        assert "lokal gatukarta" in page.locator(".leaflet-control-attribution").inner_text()
        page.screenshot(path=str(ARTIFACTS / f"karta-utan-bakgrund{'-fel' if tiles else ''}.png"))
    finally:
        settings.tile_url = ""


@pytest.mark.parametrize("size", [(1366, 768), (390, 844)])
def test_the_demo_lagesbild_shows_the_cause_analysis_and_a_cause_followed_to_its_effect(
        context: BrowserContext, live_server: str, people: dict[str, str], meeting: None,
        size: tuple[int, int]) -> None:
    page = _sign_in(context, live_server, people["analyst"])
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{live_server}/lagesbild#orsak")
    section = page.locator("section.causes-section")
    # Worded as an association against a named baseline. The demo's incidents sit on its places, so without a
    # population layer the station cannot be told from where the people are: no factor is named, and so said.
    text = section.inner_text()
    assert "med hänsyn till händelsernas eget mönster i stort" in text and "samband" in text
    assert "höjer risken" not in text and "samvarierar" not in text
    factors = page.locator("tr[data-factor]").all_inner_texts()
    assert ("Ingen av" in text) == (not factors), factors
    first = page.locator("ol.conditions li").first
    assert "Resecentrum" in first.inner_text()
    cause = page.locator("ul.recorded-causes > li").first.inner_text()
    assert "Resecentrum" in cause and "Förstärkt kvällspatrull" in cause and "målområdet" in cause  # → effect
    decision = page.locator("tr[data-decision]", has_text="Förstärkt kvällspatrull").inner_text()
    assert "Mot orsaken vid Resecentrum" in decision  # and the decision says which cause it answers
    assert not CODES.search(section.inner_text()), CODES.search(section.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= size[0]
    section.screenshot(path=str(ARTIFACTS / f"orsaksanalys-{size[0]}.png"))

    # the group writes down a cause for hotspot 2 and links the patrol decision to it
    page.locator("section.causes-section details summary").click()
    page.select_option("form.cause-form select[name=hotspot]", "2")
    page.locator("form.cause-form input[name=factors]").first.check()
    page.fill("form.cause-form textarea[name=cause]", "Mörk gångväg utan insyn kvällstid")
    page.locator("form.cause-form input[name=intervention_ids]").first.check()
    page.locator("form.cause-form button[type=submit]").click()
    page.wait_for_load_state()
    recorded = page.locator("ul.recorded-causes > li", has_text="Mörk gångväg utan insyn")
    assert recorded.count() == 1 and "→ ingen insats" not in recorded.inner_text(), recorded.inner_text()
