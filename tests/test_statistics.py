"""Reference statistics (#18): Brå's reported crimes and SCB's population, in the files' real shapes (the
figures in tests/data/statistics are made up), give the rates per 100,000 for Mjölby, Östergötland and
Sweden that were worked out by hand."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.statistics.service import area, import_bra, import_population, local_rates
from tests.conftest import auth, sign_in

FILES = Path(__file__).parent / "data" / "statistics"


@pytest.fixture(autouse=True)
def empty_statistics(session: Session) -> None:
    session.execute(text("TRUNCATE area_statistics"))
    session.commit()


def _bra(session: Session, name: str, year: int | None = None):  # type: ignore[no-untyped-def]
    with (FILES / name).open("rb") as stream:
        return import_bra(session, stream, year)


def test_areas_by_code_and_by_name() -> None:
    assert area("0586 Mjölby") == area("Mjölby kommun") == area("Mjölby")
    assert area("0586 Mjölby").key == "0586"  # type: ignore[union-attr]
    assert area("05 Östergötlands län").key == area("Östergötlands län").key == "05"  # type: ignore[union-attr]
    assert area("Hela landet").key == area("00 Riket").key == area("Riket").key == "00"  # type: ignore[union-attr]
    # any of the 290 by name (issue #34), with SCB's and Brå's genitive forms
    assert area("Ale kommun").key == "1440"  # type: ignore[union-attr]
    assert area("Arjeplogs kommun").key == "2506" and area("Falu kommun").key == "2080"  # type: ignore[union-attr]
    assert area("Skåne län").key == "12"  # type: ignore[union-attr]
    assert area("Ingenstans kommun").key == "name:ingenstans"  # type: ignore[union-attr]
    assert area("Skåne län").level == "county"  # type: ignore[union-attr]


def test_rates_per_100000_equal_the_hand_computed_figures(session: Session) -> None:
    first = _bra(session, "bra_2024.csv")  # the year from the title line
    assert first.years == [2024] and first.areas == 4 and len(first.skipped) == 1  # the source line
    # before SCB's population is in, Brå's own figure is shown, marked as Brå's
    (year, by), = local_rates(session, "0586")
    assert year == 2024 and by["municipality"].per_100k == 10_577 and by["municipality"].basis == "Brå"

    with pytest.raises(InvalidInput, match="which year"):
        _bra(session, "bra_2023_no_header.csv")
    assert _bra(session, "bra_2023_no_header.csv", year=2023).areas == 3
    with (FILES / "scb_population.csv").open("rb") as stream:
        population = import_population(session, stream)
    assert population.years == [2023, 2024] and population.areas == 3

    rates = dict(local_rates(session, "0586"))
    worked = {2024: (3_012 / 28_480, 52_710 / 472_000, 1_476_590 / 10_587_710),  # 10 575,8 · 11 167,4 · 13 946,3
              2023: (2_850 / 28_390, 51_200 / 471_945, 1_450_000 / 10_551_707)}  # 10 038,7 · 10 848,7 · 13 741,9
    assert sorted(rates) == [2023, 2024]
    for year, shares in worked.items():
        got = [rates[year][level].per_100k for level in ("municipality", "county", "country")]
        assert got == [round(s * 100_000, 1) for s in shares]
        assert {rates[year][level].basis for level in rates[year]} == {"SCB population"}
    assert rates[2024]["municipality"].per_100k == 10_575.8 and rates[2023]["country"].per_100k == 13_741.9


def test_a_bad_figure_is_named_and_nothing_of_the_file_is_kept(session: Session) -> None:
    bad = "Kommun;Antal;Per 100 000 inv.\nMjölby;3 012;10 577\nRiket;många;13 920\n".encode()
    with pytest.raises(InvalidInput) as caught:
        import_bra(session, io.BytesIO(bad), 2024)
    assert "line 3" in str(caught.value) and "'många'" in str(caught.value)
    assert caught.value.sv and "Rad 3" in caught.value.sv
    assert session.execute(text("SELECT count(*) FROM area_statistics")).scalar_one() == 0
    with pytest.raises(InvalidInput, match="region"):
        import_population(session, io.BytesIO(b"a;b\n1;2\n"))
    for hostile in ("Kommun;Antal;Per 100 000 inv.\nMjölby;1e308;1\n",        # no count fits a column
                    "Kommun;Antal;Per 100 000 inv.;År\nMjölby;3;1;99999999999\n",  # no year
                    "Kommun;Antal;Per 100 000 inv.\nMjölby;-5;1\n"):
        with pytest.raises(InvalidInput, match="line 2"):
            import_bra(session, io.BytesIO(hostile.encode()), 2024)
    assert session.execute(text("SELECT count(*) FROM area_statistics")).scalar_one() == 0


def test_the_lagesbild_shows_the_rates(client: TestClient, people: dict[str, str], tokens: dict[str, str],
                                       session: Session) -> None:
    for name, year in (("bra_2024.csv", None), ("bra_2023_no_header.csv", 2023)):
        r = client.post("/api/v1/statistics/bra", headers=auth(tokens["analyst"]),
                        files={"file": (name, (FILES / name).read_bytes())}, data={"year": year} if year else {})
        assert r.status_code == 200, r.text
    r = client.post("/api/v1/statistics/population", headers=auth(tokens["analyst"]),
                    files={"file": ("scb.csv", (FILES / "scb_population.csv").read_bytes())})
    assert r.status_code == 200 and r.json()["years"] == [2023, 2024]
    rates = client.get("/api/v1/statistics/rates", headers=auth(tokens["planner"])).json()
    assert [y["year"] for y in rates] == [2024, 2023] and rates[0]["county"]["per_100k"] == 11_167.4
    page = client.get("/", headers=sign_in(client, people["analyst"])).text
    assert "Anmälda brott per 100 000 invånare" in page
    table = page[page.index('data-testid="rates"'):]
    assert "10\u00a0575,8" in table and "11\u00a0167,4" in table and "13\u00a0946,3" in table


def test_the_police_survey_goes_to_the_places_it_names(client: TestClient, people: dict[str, str],
                                                        session: Session) -> None:
    from app.statistics.service import import_survey

    session.execute(text("TRUNCATE survey_indices"))
    with (FILES / "trygghetsmatning_2025.csv").open("rb") as stream:
        report = import_survey(session, stream)
    assert report.years == [2025] and report.rows == 7  # Skänninge's index left out by the police: no figure
    linked = dict(session.execute(text(
        "SELECT s.area, p.name FROM survey_indices s LEFT JOIN places p ON p.id = s.place_id")).all())
    assert linked["Resecentrum"] == "Resecentrum" and linked["Gästisparken"].startswith("Gästisparken")
    assert linked["Stora torget"] is None  # two places have that name: linked to neither
    places = {f["properties"]["name"]: f["properties"] for f in client.get("/api/v1/places").json()["features"]}
    survey = places["Resecentrum"]["police_survey"]
    assert [s["value"] for s in survey] == [3.1, 2.9, 2.4, 1.7]  # the largest problem first
    page = client.get("/karta/analys/karta.html", headers=sign_in(client, people["analyst"])).text
    popup = [json.dumps(s, ensure_ascii=True)[1:-1] for s in ("Polisens trygghetsmätning (index 0–6) 2025:",
                                                              "· Personer som är påverkade av alkohol")]
    assert all(s in page for s in popup) and "narkotika utomhus 3,1" in page

    with pytest.raises(InvalidInput, match="outside 0–6") as caught:
        import_survey(session, io.BytesIO("Område;Problem;Index;År\nResecentrum;Nedskräpning;7;2026\n".encode()))
    assert caught.value.sv and "utanför 0–6" in caught.value.sv
    assert session.execute(text("SELECT count(*) FROM survey_indices WHERE year = 2026")).scalar_one() == 0


def test_a_population_split_by_sex_is_summed_and_a_county_missing_from_bra_is_summed(session: Session) -> None:
    """Issue #34, files as really downloaded: SCB's table split by sex stored the women's count alone (every
    rate doubled); summed now, or the total row taken where the table has one. Brå's per-municipality file has
    no county or country rows: the county's rate is summed from its municipalities, marked."""
    import io

    from app.municipalities import reference

    split = "region;kön;2024\n0586 Mjölby;män;16 000\n0586 Mjölby;kvinnor;15 000\n"
    assert import_population(session, io.BytesIO(split.encode())).areas == 1
    with_total = "region;kön;2024\n0583 Motala;män;22 000\n0583 Motala;kvinnor;21 000\n0583 Motala;totalt;43 000\n"
    import_population(session, io.BytesIO(with_total.encode()))
    stored = dict(session.execute(text("SELECT area_key, population FROM area_statistics WHERE year = 2024")).all())
    assert stored == {"0586": 31_000, "0583": 43_000}
    with pytest.raises(InvalidInput, match="appears a second time"):
        import_population(session, io.BytesIO(b"region;2024\n0586 Mjolby;16000\n0586 Mjolby;15000\n"))

    county = [m for m in reference.every() if m.county_code == "05"]
    bra = "Kommun;Antal;Per 100 000 inv\n" + "".join(f"{m.name};{1000 + k};\n" for k, m in enumerate(county))
    import_bra(session, io.BytesIO(bra.encode()), 2024)
    scb = "region;2024\n" + "".join(f"{m.code} {m.name};{20_000 + 1000 * k}\n" for k, m in enumerate(county))
    import_population(session, io.BytesIO(scb.encode()))
    (year, by), = local_rates(session, "0586")
    assert year == 2024
    mjolby = next(k for k, m in enumerate(county) if m.code == "0586")
    assert by["municipality"].per_100k == round((1000 + mjolby) / (20_000 + 1000 * mjolby) * 100_000, 1)
    crimes = sum(1000 + k for k in range(len(county)))
    people = sum(20_000 + 1000 * k for k in range(len(county)))
    assert by["county"].basis == "summed" and by["county"].per_100k == round(crimes / people * 100_000, 1)
    assert "country" not in by  # 277 municipalities missing: not summed
