"""Stored script injection: payloads in every free-text field, every page and map as every role.

A payload that ran would set `top.__lgbXss`; a payload rendered as HTML would leave an element in
the DOM. Tooltips and popups are opened programmatically so hover-only content is rendered too.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import BrowserContext, Frame, Page

from tests.browser.conftest import wait_until
from tests.conftest import PASSWORD, auth

pytestmark = pytest.mark.browser

PAYLOADS = (
    '<img src="x" class="lgb-xss" onerror="top.__lgbXss = 1">',
    '</script><script>top.__lgbXss = 2</script>',
    '"><svg class="lgb-xss" onload="top.__lgbXss = 3"></svg>',
)
PAYLOAD = " ".join(PAYLOADS)
FOLIUM_MAP = "Object.keys(window).filter(k => k.startsWith('map_')).map(k => window[k]).find(v => v && v._layers)"
OPEN_ALL = f"""() => {{
    const map = {FOLIUM_MAP};
    if (!map) {{ return 0; }}
    let opened = 0;
    map.eachLayer(l => {{
        try {{ if (l.getTooltip && l.getTooltip()) {{ l.openTooltip(); opened++; }} }} catch (e) {{}}
        try {{ if (l.getPopup && l.getPopup()) {{ l.openPopup(); opened++; }} }} catch (e) {{}}
    }});
    return opened;
}}"""


@pytest.fixture
def payloads(client: TestClient, tokens: dict[str, str]) -> None:
    """The payload in every free-text field a user can write, through the API as each writer would."""
    now = datetime.now().astimezone()
    r = client.patch("/api/v1/places/1", headers=auth(tokens["analyst"]), json={"name": "Resecentrum " + PAYLOAD})
    assert r.status_code == 200, r.text
    r = client.post("/api/v1/incidents", headers=auth(tokens["reporter"]), json={
        "lon": 15.1320, "lat": 58.3230, "category": "narkotika", "description": PAYLOAD,
        "occurred_at": (now - timedelta(days=2)).isoformat()})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/lighting/reports", headers=auth(tokens["reporter"]),
                    json={"kind": "fault", "lon": 15.1300, "lat": 58.3250, "description": PAYLOAD})
    assert r.status_code == 201, r.text
    r = client.post("/open311/v2/requests.json", data={"service_code": "dark_place", "lat": 58.3262,
                                                       "long": 15.1318, "description": PAYLOAD,
                                                       "api_key": tokens["reporter"]})
    assert r.status_code in (200, 201), r.text
    r = client.post("/api/v1/walks", headers=auth(tokens["analyst"]), json={
        "walked_on": (date.today() - timedelta(days=3)).isoformat(), "area": "Centrum " + PAYLOAD, "place_id": 1,
        "participants": PAYLOAD, "organisation": "kommunen",
        "findings": [{"kind": "dark_place", "lon": 15.1310, "lat": 58.3245, "description": PAYLOAD,
                      "owner": "service_teknik", "priority": "high", "deadline": "2099-01-01"}]})
    assert r.status_code == 201, r.text
    from app.reports.service import period_for

    start = period_for(period_for(date.today())[0] - timedelta(days=1))[0]
    r = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json={
        "period_start": start.isoformat(), "summary": PAYLOAD,
        "events": [{"occurred_at": f"{start.isoformat()}T21:00:00+02:00", "category": "skadegorelse",
                    "lon": 15.1305, "lat": 58.3236, "description": PAYLOAD}],
        "observations": [{"place_id": 1, "text": PAYLOAD}, {"text": PAYLOAD}]})
    assert r.status_code == 201, r.text


def _check(frame: Page | Frame, where: str) -> None:
    injected = frame.evaluate("() => document.querySelectorAll('.lgb-xss').length")
    assert injected == 0, f"{where}: the payload became HTML"
    assert frame.evaluate("() => top.__lgbXss === undefined"), f"{where}: the payload ran"


def _visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    assert "content-security-policy" in response.headers, url
    assert "script-src 'self'" in response.headers["content-security-policy"]
    _check(page, url)
    handle = page.query_selector("iframe.map")
    if handle is None:
        return
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_load_state()
    wait_until(frame, f"{FOLIUM_MAP} !== undefined", 20_000)
    # every overlay on, then every tooltip and popup open: hover-only text is rendered too
    for box in frame.query_selector_all(".leaflet-control-layers-overlays input:not(:checked)"):
        box.click()
    page.wait_for_timeout(1500)
    frame.evaluate(OPEN_ALL)
    _check(frame, f"{url} (map)")


PAGES = {
    None: ["/", "/karta/publik", "/logga-in"],
    "reporter": ["/", "/rapportera", "/rapporter", "/trygghetsvandringar", "/importera"],
    "technician": ["/karta/belysning", "/belysning/arbetslista"],
    "planner": ["/karta/patrull", "/patrull/plan"],
    "analyst": ["/karta/analys", "/lagesbild", "/trygghetsvandringar"],
    "admin": ["/", "/karta/oversikt", "/lagesbild", "/admin/anvandare", "/medborgarloften/1"],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_no_payload_runs_or_renders_on_any_page(context: BrowserContext, live_server: str, people: dict[str, str],
                                                payloads: None, role: str | None) -> None:
    page = context.new_page()
    if role is not None:
        page.goto(f"{live_server}/logga-in")
        page.get_by_label("Användarnamn").fill(people[role])
        page.get_by_label("Lösenord").fill(PASSWORD)
        page.get_by_role("button", name="Logga in").first.click()
        page.wait_for_url(f"{live_server}/")
    for path in PAGES[role]:
        _visit(page, live_server + path)
