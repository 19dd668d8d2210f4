"""Open311 GeoReport v2 as the specification describes it (#21): a round trip in JSON and XML with every
list filter, discovery, service definitions, address-only requests, and errors as [{code, description}]."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth

BASE = "/open311/v2"


@pytest.fixture
def storgatan(session: Session) -> None:
    session.execute(text("""INSERT INTO street_segments (street, source, geom) VALUES
        ('Storgatan', 'test', ST_SetSRID(ST_MakeLine(ST_MakePoint(15.1290, 58.3240), ST_MakePoint(15.1310, 58.3255)),
                                         4326))"""))
    session.commit()


def _post(client: TestClient, token: str, fmt: str = "json", **data: str) -> tuple[int, str]:
    r = client.post(f"{BASE}/requests.{fmt}", data={"api_key": token, **data})
    return r.status_code, r.text


def test_a_round_trip_in_json_and_xml_with_every_filter(client: TestClient, tokens: dict[str, str],
                                                        session: Session, storgatan: None) -> None:
    reporter, staff = tokens["reporter"], auth(tokens["technician"])
    made = {}
    for code, lat, lon, note in (("streetlight", "58.3245", "15.1290", "Blinkar"),
                                 ("dark_place", "58.3250", "15.1300", "Mörkt vid gången"),
                                 ("streetlight", "58.3260", "15.1320", "Släckt")):
        status, body = _post(client, reporter, service_code=code, lat=lat, long=lon, description=note,
                             media_url="https://bilder.example/lykta.jpg")
        assert status == 200, body
        made[note] = int(client.get(f"{BASE}/requests.json", headers=staff).json()[0]["service_request_id"])
    # XML create answers <service_requests><request><service_request_id>
    status, body = _post(client, reporter, fmt="xml", service_code="dark_place", lat="58.3240", long="15.1280")
    assert status == 200
    xml_id = ElementTree.fromstring(body).find("request/service_request_id")
    assert xml_id is not None and xml_id.text and xml_id.text.isdigit()
    # one request closed, one day back-dated, so status and dates have something to tell apart
    session.execute(text("UPDATE lighting_reports SET status = 'fixed' WHERE id = :id"), {"id": made["Släckt"]})
    session.execute(text("UPDATE lighting_reports SET created_at = now() - interval '10 days' WHERE id = :id"),
                    {"id": made["Blinkar"]})
    session.commit()

    def ids(query: dict[str, str], headers: dict[str, str] | None = None) -> set[int]:
        r = client.get(f"{BASE}/requests.json", params=query, headers=headers or staff)
        assert r.status_code == 200, (query, r.text)
        xml = client.get(f"{BASE}/requests.xml", params=query, headers=headers or staff)
        assert xml.status_code == 200 and xml.headers["content-type"].startswith("text/xml")
        from_xml = {int(e.text or 0) for e in ElementTree.fromstring(xml.text).iter("service_request_id")}
        from_json = {int(r["service_request_id"]) for r in r.json()}
        assert from_xml == from_json  # the two formats carry the same requests
        return from_json

    every = set(made.values()) | {int(xml_id.text)}
    assert ids({}) == every
    assert ids({"service_code": "dark_place"}) == {made["Mörkt vid gången"], int(xml_id.text)}
    assert ids({"service_code": "dark_place,streetlight"}) == every
    assert ids({"status": "closed"}) == {made["Släckt"]}
    assert ids({"status": "open"}) == every - {made["Släckt"]}
    assert ids({"status": "open,closed"}) == every
    assert ids({"service_request_id": f"{made['Blinkar']},{made['Släckt']}", "status": "closed"}) == {
        made["Blinkar"], made["Släckt"]}  # with ids, the other filters are ignored (the spec)
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    assert ids({"start_date": week_ago}) == every - {made["Blinkar"]}
    assert ids({"end_date": week_ago}) == {made["Blinkar"]}
    # every optional field is there; staff see the text and photo, the public neither
    one = client.get(f"{BASE}/requests/{made['Blinkar']}.json", headers=staff).json()[0]
    for field in ("service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"):
        assert field in one
    assert one["media_url"] == "https://bilder.example/lykta.jpg" and one["description"] == "Blinkar"
    public = client.get(f"{BASE}/requests/{made['Blinkar']}.xml")
    element = ElementTree.fromstring(public.text).find("request")
    assert element is not None and element.findtext("media_url") == "" and element.findtext("description") == ""
    assert element.findtext("agency_responsible") == "Mjölby kommun, gatubelysning"


def test_an_address_alone_is_located_by_the_street_base_and_places(client: TestClient, tokens: dict[str, str],
                                                                  session: Session, storgatan: None) -> None:
    staff = auth(tokens["technician"])
    for address, how in (("Storgatan 12, Mjölby", "street"), ("Resecentrum", "place")):
        status, body = _post(client, tokens["reporter"], service_code="streetlight", address_string=address)
        assert status == 200, body
        listed = client.get(f"{BASE}/requests.json", headers=staff).json()[0]
        assert listed["address"] == address and 58.2 < listed["lat"] < 58.45 and 15.0 < listed["long"] < 15.4
        located = session.execute(text("SELECT located_by FROM lighting_reports ORDER BY id DESC LIMIT 1")).scalar()
        assert located == how
    status, body = _post(client, tokens["reporter"], service_code="streetlight", address_string="Okändavägen 3")
    assert status == 400 and "Okändavägen 3" in body and "lat" in body


def test_errors_discovery_and_service_definitions(client: TestClient, tokens: dict[str, str]) -> None:
    bad = client.get(f"{BASE}/requests.json", params={"status": "pending"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400 and "status" in bad.json()[0]["description"]
    bad_xml = client.get(f"{BASE}/requests.xml", params={"start_date": "igår"})
    error = ElementTree.fromstring(bad_xml.text).find("error")
    assert bad_xml.status_code == 400 and error is not None and error.findtext("code") == "400"
    assert "start_date" in (error.findtext("description") or "")
    unknown = client.get(f"{BASE}/requests.json", params={"service_code": "potholes"})
    assert unknown.status_code == 400 and "streetlight" in unknown.json()[0]["description"]
    missing = client.get(f"{BASE}/requests/999999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    no_key = client.post(f"{BASE}/requests.json", data={"service_code": "streetlight", "lat": "58.32",
                                                         "long": "15.13"})
    assert no_key.status_code == 403 and no_key.json()[0]["code"] == 403
    for data in ({"service_code": "streetlight"}, {"service_code": "streetlight", "lat": "58.32"},
                 {"service_code": "streetlight", "lat": "58.32", "long": "15.13", "media_url": "javascript:alert(1)"},
                 {"service_code": "streetlight", "lat": "norr", "long": "15.13"}):
        refused = client.post(f"{BASE}/requests.json", data={"api_key": tokens["reporter"], **data})
        assert refused.status_code == 400 and refused.json()[0]["code"] == 400, (data, refused.text)
    discovery = client.get(f"{BASE}/discovery.json").json()
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/") and set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert ElementTree.fromstring(client.get(f"{BASE}/discovery.xml").text).find("endpoints/endpoint/url") is not None
    services = ElementTree.fromstring(client.get(f"{BASE}/services.xml").text)
    assert {s.findtext("service_code") for s in services.iter("service")} == {"streetlight", "dark_place"}
    assert client.get(f"{BASE}/services/streetlight.json").json() == {"service_code": "streetlight", "attributes": []}
    assert client.get(f"{BASE}/services/potholes.json").status_code == 404
    assert client.get(f"{BASE}/services.csv").status_code == 400
