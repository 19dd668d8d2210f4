"""Every HTML page answers bad input and missing pages with a Swedish page in the site's layout that
names the problem: no JSON, no English validation text. The API keeps answering JSON."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import auth, sign_in

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
ENGLISH = re.compile(r'\{"detail"|Input should|must be|must lie|does not exist|not found|Field required|'
                     r"Not Found|Internal Server Error|is required|invalid", re.IGNORECASE)

# (path, the status, a Swedish word the page must contain)
BAD = [
    ("/lagesbild?start=inte-ett-datum", 400, "datum"),
    ("/lagesbild?start=2026-01-10&end=2026-01-01", 400, "Slutdatum ligger före startdatum"),
    ("/lagesbild?start=1066-10-14", 400, "år 1900"),
    ("/karta/analys?start=2025-13-45", 400, "datum"),
    ("/karta/okand-karta", 404, "Sidan finns inte"),
    ("/karta/analys/karta.html?end=igår", 400, "datum"),
    ("/patrull/plan?days=999", 400, "mellan 1 och 60"),
    ("/patrull/plan?days=många", 400, "Antal dagar ska vara ett heltal"),
    ("/medborgarloften/999999", 404, "Medborgarlöfte 999999 finns inte"),
    ("/medborgarloften/inte-ett-nummer", 400, "Medborgarlöfte ska vara ett heltal"),
    ("/sida-som-inte-finns", 404, "Sidan finns inte"),
    ("/karta/analys?hour=25", 400, "Timme ska vara 0–23"),
    ("/karta/analys?weekday=8", 400, "veckodag 1 (måndag)"),
    ("/karta/analys/karta.html?hour=-1", 400, "Timme ska vara 0–23"),
    ("/belysning/arenden?x=1", 200, "Belysningsärenden"),
]

# (path, form, the status, Swedish words naming the problem): the pages' forms, each with one bad field
BAD_FORMS = [
    ("/rapporter", {"event_time_0": "2026-01-01T12:00", "event_category_0": "", "event_where_0": "Resecentrum"},
     422, "Kategori får inte vara tom"),
    ("/rapporter", {"event_time_0": "", "event_category_0": "vald", "event_where_0": "Resecentrum"},
     422, "Tidpunkt"),
    ("/rapporter", {"event_time_0": "2026-01-01T12:00", "event_category_0": "vald", "event_where_0": "",
                    "event_lon_0": "2.35", "event_lat_0": "48.85"}, 422, "utanför kommunen"),
    ("/lagesbild/beslut", {"title": "", "target": "place:1"}, 422, "Skriv vad som ska göras"),
    ("/lagesbild/beslut", {"title": "Patrull", "target": ""}, 422, "Välj en hotspot eller en plats"),
    ("/lagesbild/beslut/999999/status", {"status": "completed"}, 404, "finns inte"),
    ("/lagesbild/medborgarlofte", {"title": "Löfte", "promise_start": "igår", "promise_end": "2026-12-31",
                                   "place_ids": "1"}, 422, "första och sista dag som datum"),
    ("/lagesbild/medborgarlofte", {"title": "Löfte", "promise_start": "2026-01-01", "promise_end": "2026-12-31"},
     422, "minst en plats eller en kategori"),
    ("/belysning/arenden/999999", {"status": "fixed"}, 404, "Belysningsärende 999999 finns inte"),
    ("/felanmalan", {"kind": "fault"}, 422, "Ange var"),
    ("/felanmalan", {"kind": "fault", "lon": "0", "lat": "0"}, 422, "utanför kommunen"),
    ("/trygghetsvandringar", {"action": "walk", "walked_on": "2999-01-01", "area": "Centrum"}, 422, "framtiden"),
]


@pytest.mark.parametrize(("path", "form", "status", "swedish"), BAD_FORMS)
def test_the_pages_forms_answer_bad_input_in_swedish_naming_the_problem(
        client: TestClient, people: dict[str, str], path: str, form: dict[str, str], status: int,
        swedish: str) -> None:
    headers = sign_in(client, people["admin"])
    data = {"csrf": headers["X-CSRF-Token"], "organisation": "polisen", **form}
    r = client.post(path, data=data, headers={**HTML, "Cookie": headers["Cookie"]}, follow_redirects=False)
    client.cookies.clear()
    assert r.status_code == status, (path, r.status_code, r.text[-600:])
    assert r.headers["content-type"].startswith("text/html")
    assert swedish in r.text, (path, re.findall(r"<li>[^<]*</li>|<p[^>]*>[^<]*</p>", r.text)[-8:])
    body = r.text.split("<main", 1)[-1]
    assert not ENGLISH.search(body), (path, ENGLISH.search(body))


@pytest.mark.parametrize(("path", "status", "swedish"), BAD)
def test_pages_answer_bad_input_in_swedish(client: TestClient, people: dict[str, str], path: str, status: int,
                                           swedish: str) -> None:
    cookie = sign_in(client, people["admin"])["Cookie"]
    r = client.get(path, headers={**HTML, "Cookie": cookie})
    client.cookies.clear()
    assert r.status_code == status, (path, r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in r.text and swedish in r.text, (path, r.text[-800:])
    body = r.text.split("<main", 1)[-1]
    assert not ENGLISH.search(body), (path, ENGLISH.search(body))


def test_a_missing_page_in_english_is_english(client: TestClient) -> None:
    r = client.get("/sida-som-inte-finns?lang=en", headers=HTML)
    assert r.status_code == 404 and "The page does not exist" in r.text


def test_the_api_keeps_its_json_errors_even_for_a_browser(client: TestClient, tokens: dict[str, str]) -> None:
    r = client.get("/api/v1/incidents?start=inte-ett-datum", headers={**HTML, **auth(tokens["analyst"])})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "start"]
    r = client.get("/api/v1/finns-inte", headers=HTML)
    assert r.status_code == 404 and r.json()["detail"][0]["type"] == "not_found"


def test_a_missing_page_keeps_the_reader_signed_in(client: TestClient, people: dict[str, str]) -> None:
    cookie = sign_in(client, people["planner"])["Cookie"]
    r = client.get("/sida-som-inte-finns", headers={**HTML, "Cookie": cookie})
    client.cookies.clear()
    assert r.status_code == 404 and "planner@mjolby.test" in r.text and "planerare" in r.text
