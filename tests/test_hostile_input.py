"""Hostile input gets a 4xx naming the problem, quickly and in bounded memory; nothing is stored."""

from __future__ import annotations

import io
import resource
import time
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.conftest import auth


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/v1/public/cells", {"period": "0000"}, "period"),
    ("/api/v1/public/cells", {"period": "9999-12"}, "period"),
    ("/api/v1/public/cells", {"period": "9999-Q4"}, "period"),
    ("/api/v1/analysis/clusters", {"alpha": "5e-324"}, "alpha"),
])
def test_out_of_range_parameters_get_a_4xx(client: TestClient, tokens: dict[str, str], path: str,
                                           params: dict[str, str], field: str) -> None:
    r = client.get(path, params=params, headers=auth(tokens["analyst"]))
    assert r.status_code == 422, r.text
    assert any(field in map(str, d["loc"]) for d in r.json()["detail"]), r.text


def test_a_half_year_out_of_range_gets_a_4xx(client: TestClient, tokens: dict[str, str]) -> None:
    promise = client.post("/api/v1/promises", headers=auth(tokens["analyst"]), json={
        "title": "Tryggare kvällar", "period_start": "2025-01-01", "period_end": "2025-12-31", "place_ids": [1]})
    assert promise.status_code == 201, promise.text
    r = client.get(f"/api/v1/promises/{promise.json()['id']}/follow-up", params={"half": "0000H1"},
                   headers=auth(tokens["analyst"]))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "half"]


def _import(client: TestClient, token: str, name: str, content: bytes, fmt: str | None = None):  # type: ignore[no-untyped-def]
    data = {"format": fmt} if fmt else {}
    return client.post("/api/v1/imports", headers=auth(token), files={"file": (name, content)}, data=data)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("fmt", ["geojson", "police"])
def test_deeply_nested_json_is_refused(client: TestClient, tokens: dict[str, str], session: Session,
                                       fmt: str) -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    r = _import(client, tokens["analyst"], "deep.json", deep, fmt)
    assert r.status_code == 422 and "JSON" in r.text and len(r.text) < 2000
    streets = client.post("/api/v1/lighting/streets/import", headers=auth(tokens["technician"]),
                          files={"file": ("s.geojson", b'{"a":' * 100_000 + b"1" + b"}" * 100_000)})
    assert streets.status_code == 422 and len(streets.text) < 2000
    assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 0


def test_a_zip_bomb_workbook_is_refused_at_once(client: TestClient, tokens: dict[str, str]) -> None:
    """A workbook whose sheet inflates to 2 GB ran 541 s of CPU at 4.3 GB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            chunk = b"<row>" + b" " * (1 << 20) + b"</row>"
            for _ in range(400):  # 400 MB of sheet XML, a few hundred KB zipped
                sheet.write(chunk)
    bomb = buffer.getvalue()
    assert len(bomb) < 2_000_000
    before, began = _peak_mb(), time.monotonic()
    r = _import(client, tokens["reporter"], "bomb.xlsx", bomb, "xlsx")
    assert r.status_code == 422 and "MB" in r.text, r.text
    assert time.monotonic() - began < 5 and _peak_mb() - before < 200


def test_a_wide_header_and_a_huge_line_are_refused_without_echoing_them(client: TestClient,
                                                                        tokens: dict[str, str]) -> None:
    began = time.monotonic()
    for count, words in ((1_000_000, "longer than"), (100_000, "fields")):
        wide = b";".join(b"f%d" % k for k in range(count)) + b"\n1;2;3\n"
        r = _import(client, tokens["reporter"], "wide.csv", wide, "csv")
        assert r.status_code == 422 and len(r.text) < 2000 and words in r.text, r.text[:300]
    assert time.monotonic() - began < 5
    one_line = b"tidpunkt;kategori;lat;lon;beskrivning\n2025-01-01 10:00;vald;58,32;15,13;" + b"x" * 5_000_000 + b"\n"
    r = _import(client, tokens["reporter"], "long.csv", one_line, "csv")
    assert r.status_code == 422 and len(r.text) < 2000, r.text[:300]
    header = ";".join(f"kolumn_{'x' * 200}_{k}" for k in range(300)).encode() + b"\n1\n"
    r = _import(client, tokens["reporter"], "names.csv", header, "csv")
    assert r.status_code == 422 and len(r.text) < 3000 and "more" in r.text, r.text[:300]
