"""Analysis endpoints on planted data in PostGIS: found, echoed, validated, cached."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.analysis import cache
from geo.crs import to_sweref, to_wgs84
from tests.conftest import auth

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025, 7, 1, tzinfo=UTC)
RESECENTRUM = (15.13199, 58.32298)
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


def _insert(session: Session, lon: np.ndarray, lat: np.ndarray, times: list[datetime], category: str) -> None:
    session.execute(
        text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
                VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'demo', 'exact')"""),
        [{"lon": float(a), "lat": float(b), "cat": category, "t": t} for a, b, t in zip(lon, lat, times, strict=True)],
    )


@pytest.fixture
def planted(session: Session) -> None:
    """Uniform background over Mjölby town plus an evening cluster of drug incidents at Resecentrum."""
    rng = np.random.default_rng(21)
    span = (END - START).total_seconds()
    n = 1500
    times = [START + timedelta(seconds=float(s)) for s in rng.uniform(0, span, n)]
    _insert(session, rng.uniform(15.10, 15.16, n), rng.uniform(58.31, 58.34, n), times, "skadegorelse")
    cx, cy = to_sweref([RESECENTRUM[0]], [RESECENTRUM[1]])
    lon, lat = to_wgs84(rng.normal(cx[0], 35, 300), rng.normal(cy[0], 35, 300))
    days = rng.uniform(0, (END - START).days - 1, 300)
    local = START.astimezone(ZoneInfo("Europe/Stockholm")).replace(hour=0)
    evening = [local + timedelta(days=int(d), hours=int(h))
               for d, h in zip(days, rng.choice([20, 21, 22, 23], 300), strict=True)]
    _insert(session, lon, lat, evening, "narkotika")
    session.commit()


def _get(client: TestClient, token: str, path: str, **params: object):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/analysis/{path}", params={**PERIOD, **params}, headers=auth(token))


def test_clusters_find_the_planted_hotspot(client: TestClient, tokens: dict[str, str], planted: None) -> None:
    r = _get(client, tokens["analyst"], "clusters")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["parameters"]["eps"] == 100 and body["parameters"]["start"] == START.isoformat()
    assert body["csr_threshold"]["min_samples"] == body["parameters"]["min_samples"]
    top = body["features"][0]
    assert shapely.geometry.shape(top["geometry"]).contains(shapely.Point(*RESECENTRUM))
    assert top["properties"]["categories"][0]["code"] == "narkotika"
    assert set(top["properties"]["active_hours"]) <= {20, 21, 22, 23}
    assert top["properties"]["count"] >= 250
    hdb = _get(client, tokens["analyst"], "clusters", method="hdbscan")
    assert hdb.status_code == 200 and hdb.json()["features"]


def test_gistar_marks_the_hotspot_and_echoes_parameters(
        client: TestClient, tokens: dict[str, str], planted: None) -> None:
    r = _get(client, tokens["planner"], "gistar", cell=100, band=200, only_significant="true")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["parameters"]["band"] == 200 and body["parameters"]["fdr"] is True
    assert all(f["properties"]["class"] != 0 for f in body["features"])
    hot = [f for f in body["features"] if f["properties"]["class"] == 3]
    assert any(shapely.geometry.shape(f["geometry"]).contains(shapely.Point(*RESECENTRUM)) for f in hot)
    area = body["study_area"]
    assert area["basis"] == "populated" and 10 < area["km2"] < 15 and body["inference"] == "exact"
    assert shapely.geometry.shape(area["geometry"]).contains(shapely.Point(*RESECENTRUM))
    strict = _get(client, tokens["planner"], "gistar", cell=100, only_significant="true", min_confidence=99).json()
    assert strict["features"] and all(abs(f["properties"]["class"]) == 3 for f in strict["features"])


def test_density_time_profile_and_compare(client: TestClient, tokens: dict[str, str], planted: None,
                                          session: Session) -> None:
    d = _get(client, tokens["analyst"], "density", bandwidth=200, cell=25).json()
    assert d["image"].startswith("data:image/png;base64,") and d["max"] > 0
    (south, west), (north, east) = d["bounds"]
    assert west < RESECENTRUM[0] < east and south < RESECENTRUM[1] < north
    t = _get(client, tokens["analyst"], "time-profile", category="narkotika").json()
    assert sum(map(sum, t["matrix"])) == 300 and sum(t["by_hour"][20:24]) == 300
    c = client.get("/api/v1/analysis/compare", headers=auth(tokens["analyst"]),
                   params={"start": "2025-06-01T00:00:00Z", "end": "2025-07-01T00:00:00Z"}).json()
    direct = dict(session.execute(text(
        "SELECT category, count(*) FROM incidents WHERE occurred_at >= '2025-06-01Z' AND occurred_at < '2025-07-01Z' "
        "GROUP BY 1")).all())
    previous = dict(session.execute(text(
        "SELECT category, count(*) FROM incidents WHERE occurred_at >= '2025-05-02Z' AND occurred_at < '2025-06-01Z' "
        "GROUP BY 1")).all())
    assert {x["code"]: x["current"] for x in c["categories"]} == direct
    assert {x["code"]: x["vs_previous"]["count"] for x in c["categories"]} == previous


def test_emerging_near_repeat_and_evaluate(client: TestClient, tokens: dict[str, str], planted: None) -> None:
    e = _get(client, tokens["analyst"], "emerging", cell=200, slice_days=14, slices=12)
    assert e.status_code == 200, e.text
    assert "persistent_hot" in e.json()["patterns"] or "intensifying_hot" in e.json()["patterns"]
    k = _get(client, tokens["analyst"], "near-repeat", permutations=19)
    assert k.status_code == 200 and len(k.json()["observed"]) == 3
    v = _get(client, tokens["analyst"], "evaluate", start="2025-04-01T00:00:00Z")
    assert v.status_code == 200, v.text
    assert v.json()["pai"] is not None and v.json()["pai"] > 1  # the planted hotspot persists


@pytest.mark.parametrize(("path", "params", "field"), [
    ("clusters", {"eps": 0}, "eps"),
    ("clusters", {"eps": -5}, "eps"),
    ("clusters", {"method": "kmeans"}, "method"),
    ("gistar", {"cell": 5}, "cell"),
    ("gistar", {"cell": 100, "band": 50}, "band"),
    ("gistar", {"permutations": 5000}, "permutations"),
    ("density", {"bandwidth": 0}, "bandwidth"),
    ("density", {"bandwidth": 20, "cell": 50}, "bandwidth"),
    ("clusters", {"start": "2025-01-01T00:00:00"}, "start"),
    ("clusters", {"start": "2025-03-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}, "end"),
    ("near-repeat", {"space_bands": "200,100"}, "space_bands"),
    ("emerging", {"slices": 2}, "slices"),
])
def test_invalid_parameters_get_a_clear_422(client: TestClient, tokens: dict[str, str], path: str,
                                            params: dict[str, object], field: str) -> None:
    r = client.get(f"/api/v1/analysis/{path}", params={**PERIOD, **params}, headers=auth(tokens["analyst"]))
    assert r.status_code == 422, r.text
    assert any(field in map(str, d["loc"]) or field in d["msg"] for d in r.json()["detail"]), r.json()


def test_grid_too_large_is_refused(client: TestClient, tokens: dict[str, str], session: Session) -> None:
    _insert(session, np.array([14.9, 15.4]), np.array([58.17, 58.48]), [START + timedelta(days=1)] * 2, "vald")
    session.commit()
    r = _get(client, tokens["analyst"], "gistar", cell=10)
    assert r.status_code == 422 and "cells exceeds" in r.json()["detail"][0]["msg"]


def test_results_are_cached_until_the_data_changes(client: TestClient, tokens: dict[str, str], planted: None,
                                                   session: Session) -> None:
    first = _get(client, tokens["analyst"], "time-profile").json()
    hits = cache.results.hits
    assert _get(client, tokens["analyst"], "time-profile").json() == first
    assert cache.results.hits == hits + 1
    _insert(session, np.array([15.13]), np.array([58.32]), [START + timedelta(days=3)], "vald")
    session.commit()
    after = _get(client, tokens["analyst"], "time-profile").json()
    assert after["incidents"] == first["incidents"] + 1


def test_versioned_cache_serves_recent_results_for_a_while() -> None:
    from app.analysis.cache import ResultCache

    results = ResultCache()
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert results.versioned("k", 1, 30.0, compute) == 1
    assert results.versioned("k", 2, 30.0, compute) == 1  # data changed, but the result is seconds old
    assert results.versioned("k", 2, 0.0, compute) == 2   # no staleness allowed: recomputed
    assert results.versioned("k", 2, 0.0, compute) == 2   # same version: cached


def test_one_computation_per_key_at_a_time() -> None:
    """Concurrent requests after a change: one computes; the others get the previous result at once, or
    wait for the first result when there is none; a failed computation lets the next caller try."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.analysis.cache import ResultCache

    results = ResultCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 10 * len(calls)

    with ThreadPoolExecutor(8) as pool:
        first = [pool.submit(results.versioned, "k", 1, 0.0, slow) for _ in range(8)]
        assert started.wait(5)
        release.set()
        assert [f.result(5) for f in first] == [10] * 8 and len(calls) == 1  # waited for the one result
        started.clear()
        release.clear()
        recomputing = pool.submit(results.versioned, "k", 2, 0.0, slow)
        assert started.wait(5)
        assert results.versioned("k", 2, 0.0, slow) == 10  # the previous result while version 2 is computed
        release.set()
        assert recomputing.result(5) == 20 and len(calls) == 2

    def broken() -> int:
        raise RuntimeError("statement timeout")

    with pytest.raises(RuntimeError):
        results.versioned("new", 1, 0.0, broken)
    assert results.versioned("new", 1, 0.0, lambda: 7) == 7  # nothing left locked


def _insert_as(session: Session, lon: float, lat: float, times: list[datetime], *, source: str = "demo",
               precision: str = "exact", category: str = "narkotika") -> None:
    session.execute(
        text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
                VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, :src, :prec)"""),
        [{"lon": lon, "lat": lat, "cat": category, "t": t, "src": source, "prec": precision} for t in times])


def test_an_earlier_period_without_data_is_not_a_rise(client: TestClient, tokens: dict[str, str],
                                                      session: Session) -> None:
    """A file that starts in the current period: every comparison said "up", p = 0."""
    times = [datetime(2025, 6, 3, tzinfo=UTC) + timedelta(hours=4 * k) for k in range(60)]
    _insert_as(session, 15.13, 58.32, times, source="polisen")
    session.commit()
    c = client.get("/api/v1/analysis/compare", headers=auth(tokens["analyst"]),
                   params={"start": "2025-06-01T00:00:00Z", "end": "2025-06-15T00:00:00Z"}).json()
    assert c["total"]["current"] == 60
    for key in ("vs_previous", "vs_last_year"):
        assert c["total"][key]["direction"] == "no_data" and not c["total"][key]["notable"]
        assert c["total"][key]["text_sv"] == "data saknas för jämförelseperioden"
    assert c["left_out_sources"]["previous"] == ["polisen"] and c["compared_sources"]["previous"] == []


def test_comparisons_are_corrected_for_many_tests(client: TestClient, tokens: dict[str, str],
                                                  session: Session) -> None:
    """One source covering both periods with a doubling in one category: the test names its correction."""
    rng = np.random.default_rng(3)
    base = datetime(2025, 5, 1, tzinfo=UTC)
    for category, before, now in (("vald", 20, 60), ("klotter", 10, 10), ("snatteri", 8, 9)):
        _insert_as(session, 15.13, 58.32, [base + timedelta(days=float(d)) for d in rng.uniform(0, 14, before)],
                   category=category)
        _insert_as(session, 15.13, 58.32, [base + timedelta(days=14 + float(d)) for d in rng.uniform(0, 14, now)],
                   category=category)
    session.commit()
    c = client.get("/api/v1/analysis/compare", headers=auth(tokens["analyst"]),
                   params={"start": "2025-05-15T00:00:00Z", "end": "2025-05-29T00:00:00Z"}).json()
    rows = {r["code"]: r["vs_previous"] for r in c["categories"]}
    assert rows["vald"]["notable"] and rows["vald"]["direction"] == "up"
    assert not rows["klotter"]["notable"] and rows["klotter"]["text_sv"] == "ingen säkerställd förändring"
    assert "Benjamini–Hochberg" in c["test_sv"]


def test_positions_known_only_to_a_place_never_make_a_hotspot(client: TestClient, tokens: dict[str, str],
                                                              session: Session) -> None:
    """Twelve rows known only as "Lagmansskolan" made a 0.23 ha DBSCAN cluster on one point."""
    rng = np.random.default_rng(5)
    span = (END - START).total_seconds()
    times = [START + timedelta(seconds=float(s)) for s in rng.uniform(0, span, 400)]
    _insert(session, rng.uniform(15.10, 15.16, 400), rng.uniform(58.31, 58.34, 400), times, "skadegorelse")
    at_school = [START + timedelta(days=10 + k) for k in range(40)]
    _insert_as(session, 15.1085, 58.3262, at_school, precision="place")
    _insert_as(session, 15.1085, 58.3262, at_school, precision="municipality")
    session.commit()
    clusters = _get(client, tokens["analyst"], "clusters").json()
    assert clusters["features"] == [] and clusters["incidents"] == 400
    gi = _get(client, tokens["analyst"], "gistar", only_significant="true").json()
    assert all(f["properties"]["class"] <= 0 for f in gi["features"])
    refused = _get(client, tokens["analyst"], "clusters", include_imprecise="true")
    assert refused.status_code == 422 and "include_imprecise" in refused.json()["detail"][0]["loc"]
    # time analyses include them only when asked, and say which they did
    plain = _get(client, tokens["analyst"], "time-profile").json()
    wide = _get(client, tokens["analyst"], "time-profile", include_imprecise="true").json()
    assert plain["incidents"] == 400 and plain["parameters"]["include_imprecise"] is False
    assert wide["incidents"] == 480 and wide["parameters"]["include_imprecise"] is True


def test_a_town_wide_doubling_is_the_towns_line_not_new_places(client: TestClient, tokens: dict[str, str],
                                                                 session: Session) -> None:
    """A steady, uneven town (bench/validity.py's surface) at twice the rate in its last 84 days: the API's
    emerging hot spots state the whole municipality's rise and class no place new, consecutive or growing."""
    import io

    from app.imports.service import ImportOptions, run_import
    from bench.validity import town_stream

    rng = np.random.default_rng(7)
    x, y, t = town_stream(rng, 400.0, lambda days: np.where(days >= 316.0, 2.0, 1.0), 2.0)
    lon, lat = to_wgs84(x, y)
    end = datetime(2026, 6, 1, tzinfo=UTC)
    rows = "".join(f"{(end - timedelta(days=400 - d)).isoformat()};klotter;{la:.6f};{lo:.6f}\n"
                   for d, lo, la in zip(t, lon, lat, strict=True))
    run_import(session, io.BytesIO(("tidpunkt;kategori;lat;lon\n" + rows).encode()),
               ImportOptions(filename="stad.csv", format="csv", source="polisen"))
    answer = client.get("/api/v1/analysis/emerging", params={"end": end.isoformat()},
                        headers=auth(tokens["analyst"]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["town"]["direction"] == "up" and body["town"]["against"] == "before", body["town"]
    assert body["town"]["text_sv"].startswith("Hela kommunen: säkerställd ökning (+")
    local = {k for k in body["patterns"] if k.rpartition("_")[0] in ("new", "consecutive", "intensifying")}
    assert not local, body["patterns"]
    assert body["change_critical"] is None or body["change_critical"] > 0
