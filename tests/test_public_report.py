"""The public fault form (/felanmalan): stored through the Open311 path, refused in Swedish, bounded."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.config import get_settings


def test_a_public_report_is_stored_and_bad_ones_are_refused_in_swedish(client: TestClient, session: Session) -> None:
    ok = client.post("/felanmalan", data={"kind": "fault", "where": "Resecentrum", "description": "Lampan blinkar"})
    assert ok.status_code == 200 and "Felanmälan är mottagen" in ok.text
    row = session.execute(text("SELECT kind, source, reported_by, description FROM lighting_reports")).one()
    assert tuple(row) == ("fault", "allmanheten", "allmänheten (webb)", "Lampan blinkar")
    for data, words in (({"where": "Resecentrum"}, "trasig lampa eller en mörk plats"),
                        ({"kind": "dark_spot"}, "Ange var"),
                        ({"kind": "dark_spot", "where": "Ingenstansgatan"}, "Hittar ingen plats eller gata"),
                        ({"kind": "dark_spot", "lon": "18.07", "lat": "59.33"}, "ligger i Stockholm kommun")):
        bad = client.post("/felanmalan", data=data)
        assert bad.status_code == 422 and words in bad.text, (data, bad.text[-600:])
        assert 'value="' + data.get("where", "") + '"' in bad.text  # what was typed stays
    foreign = client.post("/felanmalan", data={"kind": "fault", "where": "Resecentrum"},
                          headers={"Origin": "https://elak.example"})
    assert foreign.status_code == 422 and "annan webbplats" in foreign.text
    proxied = client.post("/felanmalan", data={"kind": "fault", "where": "Resecentrum"},
                          headers={"Origin": "https://lagesbild.mjolby.se", "X-Forwarded-Host": "lagesbild.mjolby.se"})
    assert proxied.status_code == 200  # behind nginx the browser's host is the forwarded one
    assert session.execute(text("SELECT count(*) FROM lighting_reports")).scalar() == 2


def test_the_public_form_is_rate_limited_per_address_with_a_swedish_page(client: TestClient) -> None:
    settings = get_settings()
    before = settings.rate_limit, settings.public_reports_per_hour
    settings.rate_limit, settings.public_reports_per_hour = True, 2
    try:
        answers = [client.post("/felanmalan", data={"kind": "fault", "where": "Resecentrum"}).status_code
                   for _ in range(3)]
        assert answers == [200, 200, 429]
        refused = client.post("/felanmalan", data={"kind": "fault", "where": "Resecentrum"})
        assert refused.status_code == 429 and "För många felanmälningar" in refused.text
        assert refused.headers["content-type"].startswith("text/html")
    finally:
        settings.rate_limit, settings.public_reports_per_hour = before


def test_the_signed_out_start_page_has_a_plain_title_and_its_promises_once(client: TestClient) -> None:
    page = client.get("/").text
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "Medborgarlöften" not in title, title
    assert page.count('id="promises-heading"') == 1
