"""Unit reports through the API: filing, replacing, the reporting status, and reporters kept to their unit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.reports.service import period_for
from tests.conftest import auth

TZ = ZoneInfo("Europe/Stockholm")


def _at(day: date, hour: int) -> str:
    return datetime.combine(day, time(hour), TZ).isoformat()


def _report(day: date) -> dict[str, object]:
    """A report for the (finished) period before the one holding `day`, with events on its first day."""
    day = period_for(period_for(day)[0] - timedelta(days=1))[0]
    return {
        "period_start": day.isoformat(),
        "summary": "Lugn period utom helgen",
        "events": [
            {"occurred_at": _at(day, 21), "category": "Skadegörelse", "lon": 15.1305, "lat": 58.3236,
             "description": "Krossad ruta i väntsalen"},
            {"occurred_at": _at(day, 22), "category": "narkotika", "place_id": 1},
        ],
        "observations": [{"place_id": 1, "text": "Grupp unga samlas vid cykelstället efter 21"},
                         {"text": "Fler samtal om oro i centrum"}],
    }


def test_a_reporter_files_for_their_unit_and_events_become_incidents(client: TestClient, tokens: dict[str, str],
                                                                    session: Session) -> None:
    today = date.today()
    r = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=_report(today))
    assert r.status_code == 201, r.text
    report = r.json()
    start, end = period_for(period_for(today)[0] - timedelta(days=1))
    assert report["organisation"] == "polisen" and report["period_start"] == start.isoformat()
    assert report["period_end"] == end.isoformat() and len(report["observations"]) == 2
    assert [e["category"] for e in report["events"]] == ["skadegorelse", "narkotika"]
    stored = session.execute(text("SELECT source, location_precision, round(ST_X(geom)::numeric, 4) FROM incidents "
                                  "ORDER BY occurred_at")).all()
    assert [(s, p) for s, p, _ in stored] == [("polisen", "exact"), ("polisen", "place")]
    assert float(stored[0][2]) == 15.1305
    # filing again for the same period replaces the report and its events, it does not add to them
    again = _report(today)
    again["events"] = again["events"][:1]  # type: ignore[index]
    r2 = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=again)
    assert r2.status_code == 201 and r2.json()["id"] == report["id"]
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 1


def test_reporters_see_and_edit_only_their_own_units_reports(client: TestClient, tokens: dict[str, str]) -> None:
    today = date.today()
    theirs = client.post("/api/v1/reports", headers=auth(tokens["analyst"]),
                         json={**_report(today), "organisation": "bostadsbolaget"})
    assert theirs.status_code == 201, theirs.text
    theirs = theirs.json()
    mine = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=_report(today)).json()
    reporter = auth(tokens["reporter"])
    # another unit's report answers as if it did not exist, and names no unit
    for response in (client.get(f"/api/v1/reports/{theirs['id']}", headers=reporter),
                     client.put(f"/api/v1/reports/{theirs['id']}", headers=reporter, json=_report(today)),
                     client.delete(f"/api/v1/reports/{theirs['id']}", headers=reporter)):
        assert response.status_code == 404 and "bostadsbolaget" not in response.text
    listed = client.get("/api/v1/reports", headers=reporter).json()
    assert [r["id"] for r in listed] == [mine["id"]]
    refused = client.post("/api/v1/reports", headers=reporter, json={**_report(today), "organisation": "utbildning"})
    assert refused.status_code == 403 and "own unit (polisen)" in refused.text
    assert len(client.get("/api/v1/reports", headers=auth(tokens["planner"])).json()) == 2  # staff see all


def test_reporting_status_names_the_units_that_have_not_reported(client: TestClient, tokens: dict[str, str]) -> None:
    client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json={"observations": [{"text": "Lugnt"}]})
    status = client.get("/api/v1/reports/status", headers=auth(tokens["analyst"])).json()
    assert "polisen" not in status["missing"] and "kultur_fritid" in status["missing"]
    assert len(status["units"]) == 7 and "kommunen" not in status["missing"]
    last_period = date.fromisoformat(status["period"]["start"]) - timedelta(days=1)
    before = client.get("/api/v1/reports/status", params={"day": last_period.isoformat()},
                        headers=auth(tokens["analyst"])).json()
    assert "polisen" in before["missing"]


def test_a_bad_event_stores_nothing_and_names_the_row(client: TestClient, tokens: dict[str, str],
                                                     session: Session) -> None:
    today = date.today()
    body = _report(today)
    body["events"].append({"occurred_at": _at(today - timedelta(days=60), 12), "category": "vald",  # type: ignore[union-attr]
                           "lon": 15.13, "lat": 58.32})
    r = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=body)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "events", 2, "occurred_at"]
    assert "outside the report's period" in r.text
    body["events"] = [{"occurred_at": _at(today + timedelta(days=1), 12), "category": "vald", "place_id": 1}]
    body["period_start"] = None
    r = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=body)
    assert r.status_code == 422 and "in the future" in r.text
    body["events"] = [{"occurred_at": _at(today, 12), "category": "vald"}]
    r = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=body)
    assert r.status_code == 422 and "lon/lat or a place_id" in r.text
    body["events"] = [{"occurred_at": _at(today, 12), "category": "inte-en-kategori", "place_id": 1}]
    r = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=body)
    assert r.status_code == 422 and "allowed" in r.text
    assert session.execute(text("SELECT count(*) FROM unit_reports")).scalar() == 0
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0


def test_replace_and_withdraw(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    today = date.today()
    made = client.post("/api/v1/reports", headers=auth(tokens["reporter"]), json=_report(today)).json()
    replaced = client.put(f"/api/v1/reports/{made['id']}", headers=auth(tokens["reporter"]),
                          json={"summary": "Rättad", "observations": [{"text": "Inget att rapportera"}]})
    assert replaced.status_code == 200 and replaced.json()["summary"] == "Rättad"
    assert replaced.json()["events"] == [] and session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0
    assert client.delete(f"/api/v1/reports/{made['id']}", headers=auth(tokens["reporter"])).status_code == 204
    assert client.get(f"/api/v1/reports/{made['id']}", headers=auth(tokens["analyst"])).status_code == 404


def test_reporters_see_only_their_own_units_incidents(client: TestClient, tokens: dict[str, str]) -> None:
    """The reporter (unit polisen here) reads its own unit's incidents in detail, nobody else's."""
    admin = auth(tokens["admin"])
    ids = {}
    for source in ("polisen", "socialtjansten"):
        ids[source] = client.post("/api/v1/incidents", headers=admin, json={
            "lon": 15.13, "lat": 58.323, "category": "vald", "occurred_at": "2025-01-01T20:00:00Z",
            "source": source}).json()["id"]
    reporter = auth(tokens["reporter"])
    listed = client.get("/api/v1/incidents", headers=reporter).json()["features"]
    assert [f["id"] for f in listed] == [ids["polisen"]]
    assert client.get("/api/v1/incidents", headers=reporter, params={"source": "socialtjansten"}).json()[
        "features"] == []
    assert client.get(f"/api/v1/incidents/{ids['socialtjansten']}", headers=reporter).status_code == 404
    assert client.get(f"/api/v1/incidents/{ids['polisen']}", headers=reporter).status_code == 200
    csv_text = client.get("/api/v1/exports/incidents.csv", headers=reporter).content.decode("utf-8-sig")
    assert len(csv_text.strip().splitlines()) == 2  # header + the own unit's one
    ogc = client.get("/ogc/collections/incidents/items", headers=reporter).json()
    assert [f["id"] for f in ogc["features"]] == [ids["polisen"]]
    assert client.get(f"/ogc/collections/incidents/items/{ids['socialtjansten']}", headers=reporter).status_code == 404
    assert len(client.get("/api/v1/incidents", headers=auth(tokens["analyst"])).json()["features"]) == 2
