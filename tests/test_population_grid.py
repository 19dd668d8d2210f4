"""The population grid (SCB's residents per square): read as SCB and GIS tools hand it out, refused with a
clear message when it is not one (the grid before is kept), and named by the cause analysis as part of its
baseline once imported."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.demo import generate, to_csv
from app.errors import InvalidInput
from app.imports.service import ImportOptions, run_import
from app.statistics.grid import import_population_grid, population_on
from geo.crs import to_sweref
from tests.conftest import auth

X0, Y0 = 506_000, 6_463_000  # SWEREF 99 TM, around Mjölby town


@pytest.fixture(autouse=True)
def no_grid(session: Session) -> Iterator[None]:
    yield
    session.rollback()
    session.execute(text("TRUNCATE population_squares"))
    session.commit()


def _csv(tmp_path: Path, body: str, name: str = "rutor.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_an_scb_csv_of_250_m_squares_is_read_by_its_square_ids(tmp_path: Path, session: Session) -> None:
    path = _csv(tmp_path, "Rutid;Beftotalt\n" + "".join(
        f"{X0 + 250 * i}{Y0 + 250 * j};{10 * i + j}\n" for i in range(4) for j in range(4)))
    report = import_population_grid(session, path, year=2024, source="SCB")
    assert (report.squares, report.size_m, report.population) == (16, 250, sum(10 * i + j for i in range(4)
                                                                                 for j in range(4)))
    raster, label = population_on(session, X0, Y0, 125.0, (4, 4))  # 125 m cells: four to a square
    assert raster is not None and label == "SCB, rutor om 250 m, 2024"
    assert raster[0, 0] == pytest.approx(0 / 4) and raster[2, 2] == pytest.approx(11 / 4)  # square (1, 1)
    assert raster.sum() == pytest.approx(0 + 1 + 10 + 11)  # the four squares the 500 m window holds


def test_a_geopackage_of_square_polygons_in_wgs84_is_read_too(tmp_path: Path, session: Session) -> None:
    squares = [shapely.box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(3)]
    frame = gpd.GeoDataFrame({"Befolkning": [5, 0, 120]}, geometry=squares, crs=3006).to_crs(4326)
    path = tmp_path / "rutor.gpkg"
    frame.to_file(path, driver="GPKG")
    report = import_population_grid(session, path)
    assert (report.squares, report.size_m, report.population) == (3, 1000, 125)
    stored = session.execute(text("SELECT x0, y0, population FROM population_squares ORDER BY x0")).all()
    assert [tuple(r) for r in stored] == [(X0, Y0, 5), (X0 + 1000, Y0, 0), (X0 + 2000, Y0, 120)]


@pytest.mark.parametrize(("body", "words"), [
    ("Rutid;Kommun\n5060006463000;Mjölby\n", "saknar en kolumn för befolkning"),
    ("Rutid;Befolkning\n5060006463000;12\nabc;3\n", "Rad 3: abc; 3 är ingen ruta"),
    ("Rutid;Befolkning\n5060106463000;12\n5060006463000;4\n", "ligger inte på ett rutnät"),
    ("x;y;pop\n1000;2000;3\n", "ligger inte i Sverige"),
])
def test_a_file_that_is_no_population_grid_is_refused_in_swedish_and_the_old_grid_stays(
        tmp_path: Path, session: Session, body: str, words: str) -> None:
    import_population_grid(session, _csv(tmp_path, f"Rutid;Befolkning\n{X0}{Y0};7\n", "old.csv"))
    with pytest.raises(InvalidInput) as refused:
        import_population_grid(session, _csv(tmp_path, body))
    session.rollback()
    assert words in (refused.value.sv or ""), refused.value.sv
    assert session.execute(text("SELECT sum(population) FROM population_squares")).scalar() == 7


def test_a_tenant_role_reads_the_grid_and_cannot_change_it(session: Session, tmp_path: Path) -> None:
    import_population_grid(session, _csv(tmp_path, f"Rutid;Befolkning\n{X0}{Y0};7\n"))
    session.execute(text("SET LOCAL ROLE lagesbild_m0586"))
    assert session.execute(text("SELECT count(*) FROM population_squares")).scalar() == 1
    from sqlalchemy.exc import ProgrammingError

    with pytest.raises(ProgrammingError, match="permission denied"):
        session.execute(text("UPDATE population_squares SET population = 0"))
    session.rollback()


def test_the_cause_analysis_names_the_population_grid_in_its_baseline(client: TestClient, tokens: dict[str, str],
                                                                      session: Session, tmp_path: Path) -> None:
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    run_import(session, io.BytesIO(to_csv(generate(today, days=200, seed=3))),
               ImportOptions(filename="demo.csv", format="csv", source="demo"))
    before = client.get("/api/v1/analysis/risk-terrain", headers=auth(tokens["analyst"])).json()
    x, y = to_sweref([15.13], [58.325])
    corner = int(x[0]) // 250 * 250 - 2500, int(y[0]) // 250 * 250 - 2500
    rows = "".join(f"{corner[0] + 250 * i}{corner[1] + 250 * j};{(i * j) % 40}\n"
                   for i in range(20) for j in range(20))
    import_population_grid(session, _csv(tmp_path, "Rutid;Befolkning\n" + rows), year=2024, source="SCB")
    after = client.get("/api/v1/analysis/risk-terrain", headers=auth(tokens["analyst"]))
    assert after.status_code == 200, after.text
    assert "jämfört med lägen där lika många bor (SCB, rutor om 250 m, 2024)" in after.json()["text_sv"]
    assert "lika många bor" not in before["text_sv"]
