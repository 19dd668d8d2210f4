"""OGC API – Features Part 1 Core (OGC 17-069r4, Annex A, the abstract test suite) walked point by point,
with the GeoJSON, HTML and OpenAPI 3.0 classes the server declares and Part 3's queryables (#21).
Each assertion names the abstract test it checks."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"


@pytest.fixture
def data(session: Session) -> None:
    rng = np.random.default_rng(17)
    session.execute(text("""INSERT INTO incidents (geom, category, occurred_at, source, location_precision)
        VALUES (ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :cat, :t, 'kommunen', 'exact')"""), [
        {"lon": float(15.08 + rng.random() * 0.1), "lat": float(58.30 + rng.random() * 0.05),
         "cat": ["vald", "klotter", "skadegorelse"][i % 3], "t": f"2025-{1 + i % 12:02d}-{1 + i % 27:02d}T12:00:00Z"}
        for i in range(250)])
    session.commit()


def _link(links: list[dict[str, Any]], rel: str, kind: str | None = None) -> dict[str, Any]:
    found = [link for link in links if link["rel"] == rel and (kind is None or link.get("type") == kind)]
    assert found, f"no link rel={rel} type={kind}"
    return found[0]


def test_the_core_abstract_test_suite(client: TestClient, tokens: dict[str, str], data: None) -> None:
    h = auth(tokens["analyst"])

    def get(url: str, **params: Any) -> Any:
        r = client.get(url, params=params or None, headers=h)  # params={} would drop the URL's own query
        assert r.status_code == 200, (url, params, r.status_code, r.text[:300])
        return r

    # /ats/core/root-op, /ats/core/root-success
    landing = get("/ogc").json()
    for rel in ("service-desc", "conformance", "data", "self"):
        _link(landing["links"], rel)
    # /ats/core/api-definition-op, /ats/oas30/oas-definition-1: the service description is OpenAPI 3.0
    desc_link = _link(landing["links"], "service-desc")
    desc = client.get(desc_link["href"].replace("http://testserver", ""))
    assert desc.status_code == 200 and desc.headers["content-type"] == desc_link["type"] == \
        "application/vnd.oai.openapi+json;version=3.0"
    api = desc.json()
    assert re.fullmatch(r"3\.0\.\d+", api["openapi"])  # /ats/oas30/oas-definition-2
    # /ats/oas30/oas-impl: every path of the definition is implemented
    for path, operations in api["paths"].items():
        concrete = path.replace("{collectionId}", "incidents").replace("{featureId}", "1")
        if "{featureId}" in path:
            concrete = path.replace("{collectionId}", "incidents").replace(
                "{featureId}", str(get("/ogc/collections/incidents/items", limit=1).json()["features"][0]["id"]))
        assert set(operations) == {"get"}
        get("/ogc" + concrete.rstrip("/"))
    parameters = api["components"]["parameters"]
    # /ats/core/fc-limit-definition
    limit = parameters["limit"]["schema"]
    assert limit["type"] == "integer" and limit["minimum"] == 1 and limit["maximum"] >= limit["default"]
    # /ats/core/fc-bbox-definition
    bbox = parameters["bbox"]
    assert bbox["style"] == "form" and bbox["explode"] is False and bbox["schema"]["minItems"] == 4
    assert bbox["schema"]["maxItems"] == 6 and bbox["schema"]["items"]["type"] == "number"
    # /ats/core/fc-time-definition
    assert parameters["datetime"]["schema"]["type"] == "string" and not parameters["datetime"]["required"]
    # /ats/core/conformance-op, /ats/core/conformance-success
    conforms = get("/ogc/conformance").json()["conformsTo"]
    assert CORE in conforms and all(c.startswith("http://www.opengis.net/spec/") for c in conforms)
    # /ats/core/fc-md-op, /ats/core/fc-md-success, /ats/core/fc-md-links, /ats/core/fc-md-items
    collections = get("/ogc/collections").json()
    _link(collections["links"], "self")
    assert collections["collections"]
    for summary in collections["collections"]:
        assert summary["id"] and summary["links"]
        items = _link(summary["links"], "items", "application/geo+json")
        # /ats/core/fc-md-extent: a valid CRS84 box (min before max) and a valid interval
        extent = summary["extent"]
        assert extent["spatial"]["crs"].endswith("CRS84")
        for box in extent["spatial"]["bbox"]:
            assert len(box) in (4, 6) and box[0] <= box[2] and box[1] <= box[3]
            assert -180 <= box[0] <= 180 and -90 <= box[1] <= 90
        for start, end in extent.get("temporal", {}).get("interval", []):
            if start and end:
                assert datetime.fromisoformat(start) <= datetime.fromisoformat(end)
        # /ats/core/sfc-md-op, /ats/core/sfc-md-success: the same document as in the list
        assert get(f"/ogc/collections/{summary['id']}").json() == summary
        # Part 3: queryables are a JSON Schema object
        queryables = get(f"/ogc/collections/{summary['id']}/queryables")
        assert queryables.headers["content-type"] == "application/schema+json"
        assert queryables.json()["type"] == "object" and "geometry" in queryables.json()["properties"]
        # /ats/core/fc-op and /ats/core/fc-response
        page = get(items["href"].replace("http://testserver", ""), limit=7).json()
        assert page["type"] == "FeatureCollection" and isinstance(page["features"], list)
        assert page["numberReturned"] == len(page["features"]) <= 7  # /ats/core/fc-limit-response-1
        assert page["numberMatched"] >= page["numberReturned"]
        datetime.fromisoformat(page["timeStamp"])
        _link(page["links"], "self", "application/geo+json")  # /ats/core/fc-links
        for feature in page["features"]:  # /ats/geojson/content
            assert feature["type"] == "Feature" and "geometry" in feature and "properties" in feature
            assert isinstance(feature["id"], int)

    # /ats/core/fc-links: following next visits every feature once
    seen, url = [], "/ogc/collections/incidents/items?limit=40"
    while url:
        page = get(url.replace("http://testserver", "")).json()
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 250
    # /ats/core/fc-limit-response-1: above the maximum the server clamps, it does not refuse
    assert get("/ogc/collections/incidents/items", limit=10**6).json()["numberReturned"] == 250
    # /ats/core/fc-bbox-response: every feature returned is inside the box, and none inside is left out
    box = (15.10, 58.31, 15.14, 58.33)
    inside = get("/ogc/collections/incidents/items", bbox=",".join(map(str, box)), limit=1000).json()
    for feature in inside["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
    all_features = get("/ogc/collections/incidents/items", limit=1000).json()["features"]
    assert inside["numberReturned"] == sum(
        box[0] <= f["geometry"]["coordinates"][0] <= box[2] and box[1] <= f["geometry"]["coordinates"][1] <= box[3]
        for f in all_features) > 0
    # /ats/core/fc-time-response: instants, closed and half-open intervals
    for value, first, last in (("2025-03-01T00:00:00Z/2025-05-31T23:59:59Z", "2025-03", "2025-05"),
                               ("../2025-02-28T23:59:59Z", "2025-01", "2025-02"),
                               ("2025-11-01T00:00:00Z/..", "2025-11", "2025-12")):
        found = get("/ogc/collections/incidents/items", datetime=value, limit=1000).json()
        months = {f["properties"]["occurred_at"][:7] for f in found["features"]}
        assert months and min(months) >= first and max(months) <= last, (value, months)
    # /ats/core/query-param-invalid and /ats/core/query-param-unknown: 400, never 422 or silence
    for query in ("limit=0", "limit=x", "bbox=1,2,3", "bbox=15,58,14,59", "datetime=igår",
                  "datetime=2025-02-01T00:00:00Z/2025-01-01T00:00:00Z", "crs=EPSG:4326", "offset=100",
                  "sortby=id", "category=vald&kind=x"):
        r = client.get(f"/ogc/collections/incidents/items?{query}", headers=h)
        assert r.status_code == 400, (query, r.status_code, r.text[:200])
    # /ats/core/f-op, /ats/core/f-success
    feature_id = all_features[0]["id"]
    feature = get(f"/ogc/collections/incidents/items/{feature_id}").json()
    assert feature["type"] == "Feature" and feature["id"] == feature_id
    _link(feature["links"], "self") and _link(feature["links"], "collection")
    assert client.get("/ogc/collections/incidents/items/999999999", headers=h).status_code == 404
    assert client.get("/ogc/collections/nothing/items", headers=h).status_code == 404
    # /ats/html/content: the same resources as HTML
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/incidents",
                 "/ogc/collections/incidents/items", f"/ogc/collections/incidents/items/{feature_id}"):
        r = client.get(path, headers=h | {"Accept": "text/html"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
