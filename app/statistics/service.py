"""Reference statistics beside Mjölby's own: reported crimes per 100,000 inhabitants for the municipality,
its county and the country, year by year (Brå's guidance for a local lägesbild compares exactly these).

Two files, as their publishers give them:
- Brå, reported crimes per municipality (bra.se, "Anmälda brott", kommuner): CSV in UTF-8 with a BOM,
  `Kommun;Antal;Per 100 000 inv.`, thousands written with spaces ("2 537"); some years have no header
  row, some name municipalities "Ale kommun". One year per file (the year is read from a column or the
  title line, else given on the command line).
- SCB, population on 31 December per region and year (statistikdatabasen, "Folkmängd"): CSV with the
  region as "0586 Mjölby", one column per year, sometimes a title line above the header.

Areas are matched by SCB code where the file gives one ("0586 Mjölby", a code column), else by name
("Ale kommun" = "Ale", "Hela landet" = "Riket" = the country). A rate is the crimes over SCB's population
(when both are there), else the rate Brå's file states.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import IO

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db import as_owner
from app.errors import InvalidInput
from app.imports.readers import detect_encoding, sniff_delimiter
from app.imports.values import ValueProblem, parse_number
from app.municipalities import reference
from app.reference.service import normalise
from app.statistics.models import AreaStatistic
from app.statistics.schemas import Rate, StatisticsReport

MAX_CHARS = 20_000_000
MAX_ROWS = 10_000  # a national file has 290 municipalities, 21 counties and the country per year
COUNTRY_NAMES = {"riket", "hela landet", "sverige", "totalt", "hela riket", "samtliga kommuner"}
_CODE_NAME = re.compile(r"^\s*(\d{2}|\d{4})\s+(.+?)\s*$")
_YEAR = re.compile(r"\b(19[5-9]\d|20\d\d)\b")


@dataclass(frozen=True)
class Area:
    key: str
    name: str
    level: str


def area(cell: str, code: str | None = None) -> Area | None:
    """An area from a name cell ('0586 Mjölby', 'Ale kommun', 'Östergötlands län', 'Riket') and an optional
    code; None for a cell that names nothing."""
    cell = cell.strip().strip('"')
    match = _CODE_NAME.match(cell)
    if code is None and match:
        code, cell = match[1], match[2]
    name = re.sub(r"\s+(kommun|kommuns|stad)$", "", cell.strip(), flags=re.IGNORECASE).strip()
    if not name and not code:
        return None
    key_name = normalise(name)
    if code is not None:
        code = code.strip()
        level = "country" if code == "00" else "county" if len(code) == 2 else "municipality"
        return Area(code, name or code, level)
    if key_name in COUNTRY_NAMES:
        return Area("00", "Riket", "country")
    if key_name.endswith(" lan") or key_name.endswith(" lans"):
        county = reference.county_code_for_name(name.strip())
        return Area(county or f"name:{key_name}", name, "county")
    # any of the 290 by its name, 'X kommun', or the genitive SCB and Brå write ('Arjeplogs', 'Falu')
    municipality = reference.code_for_name(name) or reference.code_for_name(cell)
    return Area(municipality or f"name:{key_name}", name, "municipality")


def _rows(stream: IO[bytes]) -> list[list[str]]:
    encoding = detect_encoding(stream)
    text_stream = io.TextIOWrapper(stream, encoding=encoding, newline="")
    content = text_stream.read(MAX_CHARS)
    if text_stream.read(1):
        raise InvalidInput(f"the file is larger than {MAX_CHARS:,} characters; a statistics table is far smaller",
                           loc=("file",), sv=f"Filen är större än {MAX_CHARS:,} tecken; en statistiktabell är "
                                             "mycket mindre.")
    lines = [line for line in content.splitlines() if line.strip()]
    if not lines:
        raise InvalidInput("the file is empty", loc=("file",), sv="Filen är tom.")
    delimiter = sniff_delimiter(max(lines[:5], key=lambda line: sum(line.count(d) for d in ";,\t")))
    rows = [[c.strip() for c in row] for row in csv.reader(lines, delimiter=delimiter)]
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"the file has {len(rows):,} rows; at most {MAX_ROWS:,} are read", loc=("file",),
                           sv=f"Filen har {len(rows):,} rader; högst {MAX_ROWS:,} läses.")
    return rows


MOST = 2_000_000_000  # a count or a population larger than this is a misread cell (Sweden: 10.6 million)


def _number(cell: str, what: str, line: int) -> float | None:
    if not cell.strip() or cell.strip() in ("..", "-", "–", ".."):
        return None  # SCB and Brå write '..' for a figure withheld
    try:
        value = parse_number(cell)
    except ValueProblem:
        raise InvalidInput(f"line {line}: {what} {cell!r} is not a number", loc=("file", line),
                           sv=f"Rad {line}: {what} {cell!r} är inget tal.") from None
    if not 0 <= value <= MOST:
        raise InvalidInput(f"line {line}: {what} {cell!r} is not a count", loc=("file", line),
                           sv=f"Rad {line}: {what} {cell!r} kan inte vara ett antal.")
    return value


def _year(cell: str, line: int) -> int:
    year = int(cell)
    if not 1950 <= year <= 2100:
        raise InvalidInput(f"line {line}: {cell!r} is not a year", loc=("file", line),
                           sv=f"Rad {line}: {cell!r} är inget årtal.")
    return year


def import_bra(session: Session, stream: IO[bytes], year: int | None = None, source: str = "Brå") -> StatisticsReport:
    """Brå's reported crimes per area for one year; replaces that year's figures, whole or not at all. The
    figures are every municipality's: written under the owner's role (app.db.as_owner), never a tenant's."""
    with as_owner(session):
        return _import_bra(session, stream, year, source)


def _import_bra(session: Session, stream: IO[bytes], year: int | None, source: str) -> StatisticsReport:
    rows = _rows(stream)
    report = StatisticsReport(kind="bra")
    header = next((i for i, r in enumerate(rows[:5]) if r and normalise(r[0]) in ("kommun", "region", "omrade",
                                                                                  "lan", "kommunnamn")), None)
    titles = rows[:header] if header is not None else [r for r in rows[:3] if len(r) == 1 or not any(r[1:])]
    if year is None:
        for row in titles:
            found = _YEAR.search(" ".join(row))
            if found:
                year = int(found[1])
    columns = [normalise(c) for c in rows[header]] if header is not None else []
    year_column = next((i for i, c in enumerate(columns) if c in ("ar", "year")), None)
    if year is None and year_column is None:
        raise InvalidInput("the file does not say which year it covers; give the year (--year 2024)",
                           loc=("year",), sv="Filen säger inte vilket år den gäller; ange året (--year 2024).")
    count_at = next((i for i, c in enumerate(columns) if c.startswith("antal")), 1)
    rate_at = next((i for i, c in enumerate(columns) if c.startswith("per 100")), 2)
    code_at = next((i for i, c in enumerate(columns) if c in ("kod", "kommunkod", "regionkod", "lanskod")), None)
    name_at = 0 if code_at != 0 else 1
    start = header + 1 if header is not None else len(titles)
    figures: dict[tuple[int, str], tuple[Area, int | None, float | None]] = {}
    for line, row in enumerate(rows[start:], start=start + 1):
        if len(row) <= max(count_at, name_at) or not row[count_at].strip():
            report.skipped.append(" ".join(row)[:80])
            continue
        place = area(row[name_at], row[code_at] if code_at is not None else None)
        if place is None:
            report.skipped.append(" ".join(row)[:80])
            continue
        count = _number(row[count_at], "the count", line)
        rate = _number(row[rate_at], "the rate per 100,000", line) if len(row) > rate_at else None
        row_year = year
        if year_column is not None and len(row) > year_column and row[year_column].strip().isdigit():
            row_year = _year(row[year_column].strip(), line)
        if row_year is None:
            raise InvalidInput(f"line {line} has no year", loc=("file", line), sv=f"Rad {line} saknar år.")
        figures[(row_year, place.key)] = (place, None if count is None else round(count), rate)
    if not figures:
        raise InvalidInput("no area with a count was found; is this Brå's file of reported crimes per "
                           "municipality (Kommun;Antal;Per 100 000 inv.)?", loc=("file",),
                           sv="Inget område med antal hittades; är det Brås fil över anmälda brott per kommun?")
    for (row_year, _), (place, count, rate) in figures.items():
        _upsert(session, row_year, place, {"reported_crimes": count, "per_100k_given": rate, "crime_source": source})
    session.commit()
    report.rows, report.areas = len(figures), len({k for _, k in figures})
    report.years = sorted({y for y, _ in figures})
    report.year = report.years[0] if len(report.years) == 1 else None
    return report


def import_population(session: Session, stream: IO[bytes], source: str = "SCB") -> StatisticsReport:
    """SCB's population per region, one column per year (or a year column and a population column), written
    under the owner's role as Brå's figures are."""
    with as_owner(session):
        return _import_population(session, stream, source)


def _import_population(session: Session, stream: IO[bytes], source: str) -> StatisticsReport:
    rows = _rows(stream)
    report = StatisticsReport(kind="population")
    header = next((i for i, r in enumerate(rows[:10]) if any(normalise(c) == "region" for c in r)), None)
    if header is None:
        raise InvalidInput("no header with a 'region' column was found; export SCB's table with the region as "
                           "rows and years as columns", loc=("file",),
                           sv="Ingen rubrikrad med kolumnen 'region' hittades; exportera SCB:s tabell med "
                              "regioner som rader och år som kolumner.")
    columns = [normalise(c) for c in rows[header]]
    region_at = columns.index("region")
    year_columns = {i: int(found[1]) for i, c in enumerate(columns) if (found := re.fullmatch(r"(\d{4})( .*)?", c))}
    long_year = next((i for i, c in enumerate(columns) if c in ("ar", "year")), None)
    value_at = next((i for i, c in enumerate(columns) if c.startswith("folkmangd") or c in ("antal", "population")),
                    None)
    if not year_columns and (long_year is None or value_at is None):
        raise InvalidInput("no year columns (such as 2024) and no year + population columns were found",
                           loc=("file",), sv="Inga årskolumner (som 2024) och ingen kolumn för år och folkmängd.")
    # SCB's tables are often split by sex or age (a row per region, year and group): the groups are summed, or
    # where the file has a total row ("totalt", "män och kvinnor") that one is taken; the last row must never
    # silently stand for the region (the women's count alone halved every population, doubling every rate).
    split_at = [i for i, c in enumerate(columns) if c in SPLIT_COLUMNS]
    groups = {_group(row, split_at) for row in rows[header + 1:]} if split_at else set()
    totals = any(_is_total(g) for g in groups)
    figures: dict[tuple[int, str], tuple[Area, int]] = {}
    for line, row in enumerate(rows[header + 1:], start=header + 2):
        if len(row) <= region_at:
            continue
        place = area(row[region_at])
        if place is None:
            continue
        if totals and not _is_total(_group(row, split_at)):
            continue
        if year_columns:
            pairs = [(y, row[i]) for i, y in year_columns.items() if i < len(row)]
        elif long_year is not None and value_at is not None and len(row) > max(long_year, value_at) \
                and row[long_year].strip().isdigit():
            pairs = [(_year(row[long_year].strip(), line), row[value_at])]
        else:
            pairs = []
        if not pairs:
            report.skipped.append(" ".join(row)[:80])
        for y, cell in pairs:
            value = _number(cell, "the population", line)
            if value is not None:
                if value <= 0:
                    raise InvalidInput(f"line {line}: a population of {cell!r}", loc=("file", line),
                                       sv=f"Rad {line}: folkmängden {cell!r} går inte att räkna med.")
                if (y, place.key) in figures and not split_at:
                    raise InvalidInput(
                        f"line {line}: {place.name} {y} appears a second time; a table split by sex or age needs "
                        "that column (kön, ålder) to be summed", loc=("file", line),
                        sv=f"Rad {line}: {place.name} {y} förekommer en andra gång; en tabell uppdelad på kön eller "
                           "ålder behöver den kolumnen (kön, ålder) för att summeras.")
                before = figures[(y, place.key)][1] if (y, place.key) in figures and not totals else 0
                figures[(y, place.key)] = (place, before + round(value))
    if not figures:
        raise InvalidInput("no region with a population was found", loc=("file",),
                           sv="Ingen region med folkmängd hittades.")
    for (y, _), (place, population) in figures.items():
        _upsert(session, y, place, {"population": population, "population_source": source})
    session.commit()
    report.rows, report.areas = len(figures), len({k for _, k in figures})
    report.years = sorted({y for y, _ in figures})
    return report


SPLIT_COLUMNS = {"kon", "sex", "alder", "age", "aldersgrupp", "alder ar"}


def _group(row: list[str], split_at: list[int]) -> str:
    return normalise(" ".join(row[i] for i in split_at if i < len(row)))


def _is_total(group: str) -> bool:
    return any(word in group.split() for word in ("totalt", "total", "samtliga")) or group in (
        "man och kvinnor", "kvinnor och man", "bada konen", "alla aldrar")


def _upsert(session: Session, year: int, place: Area, values: dict[str, object]) -> None:
    assignments = ", ".join(f"{k} = EXCLUDED.{k}" for k in values)
    session.execute(text(f"""
        INSERT INTO area_statistics (year, area_key, area_name, level, {', '.join(values)})
        VALUES (:year, :key, :name, :level, {', '.join(':' + k for k in values)})
        ON CONFLICT (year, area_key) DO UPDATE SET {assignments}, updated_at = now()"""),
        {"year": year, "key": place.key, "name": place.name, "level": place.level, **values})


def rate_of(row: AreaStatistic) -> Rate:
    if row.reported_crimes is not None and row.population:
        value, basis = round(row.reported_crimes / row.population * 100_000, 1), "SCB population"
    elif row.per_100k_given is not None:
        value, basis = row.per_100k_given, "Brå"
    else:
        value, basis = None, ""
    return Rate(year=row.year, area_key=row.area_key, area_name=row.area_name, level=row.level,
                reported_crimes=row.reported_crimes, population=row.population, per_100k=value, basis=basis)


def local_rates(session: Session, municipality: str) -> list[tuple[int, dict[str, Rate]]]:
    """Year by year (newest first), the municipality's (SCB code), its county's and the country's rates. Brå's
    per-municipality file has no county or country rows: where they are missing and every municipality of the
    county (of the country) has its reported crimes and population, the rate is their sum's, marked
    basis='summed'."""
    keys = {"municipality": municipality, "county": municipality[:2], "country": "00"}
    rows = session.scalars(select(AreaStatistic).where(AreaStatistic.area_key.in_(keys.values()))
                           .order_by(AreaStatistic.year.desc())).all()
    years: dict[int, dict[str, Rate]] = {}
    for row in rows:
        level = next(k for k, v in keys.items() if v == row.area_key)
        years.setdefault(row.year, {})[level] = rate_of(row)
    everyone = [m.code for m in reference.every()]
    members = {"county": [c for c in everyone if c[:2] == keys["county"]], "country": everyone}
    known: dict[int, dict[str, tuple[int, int]]] = {}
    for year, key, crimes, population in session.execute(text("""
            SELECT year, area_key, reported_crimes, population FROM area_statistics
            WHERE area_key = ANY(:codes) AND reported_crimes IS NOT NULL AND population > 0"""),
            {"codes": everyone}).all():
        known.setdefault(year, {})[key] = (crimes, population)
    for year, by_code in known.items():
        for level in ("county", "country"):
            have = years.get(year, {}).get(level)
            if (have is not None and have.per_100k is not None) or not all(c in by_code for c in members[level]):
                continue
            crimes = sum(by_code[c][0] for c in members[level])
            population = sum(by_code[c][1] for c in members[level])
            name = reference.COUNTIES.get(keys["county"], keys["county"]) if level == "county" else "Riket"
            years.setdefault(year, {})[level] = Rate(
                year=year, area_key=keys[level], area_name=name, level=level, reported_crimes=crimes,
                population=population, per_100k=round(crimes / population * 100_000, 1), basis="summed")
    return [(y, years[y]) for y in sorted(years, reverse=True)
            if any(r.per_100k is not None for r in years[y].values())]


def import_survey(session: Session, stream: IO[bytes], year: int | None = None,
                  source: str = "Polisens trygghetsmätning") -> StatisticsReport:
    """The police's trygghetsmätning: `Område;Problem;Index` (a year column or --year), indices 0–6 with a
    decimal comma. An area that names one of the places (full name, slug or unambiguous short name) is
    linked to it; the others stay areas. Replaces that year's indices, whole or not at all."""
    from app.imports.service import place_names

    rows = _rows(stream)
    report = StatisticsReport(kind="survey")
    header = next((i for i, r in enumerate(rows[:10]) if {"omrade", "problem"} <= {normalise(c) for c in r}), None)
    if header is None:
        raise InvalidInput("no header with the columns Område, Problem and Index was found", loc=("file",),
                           sv="Ingen rubrikrad med kolumnerna Område, Problem och Index hittades.")
    columns = [normalise(c) for c in rows[header]]
    area_at, problem_at = columns.index("omrade"), columns.index("problem")
    value_at = next((i for i, c in enumerate(columns) if c.startswith("index") or c.startswith("problemindex")), None)
    year_at = next((i for i, c in enumerate(columns) if c in ("ar", "year")), None)
    if value_at is None:
        raise InvalidInput("no Index column was found", loc=("file",), sv="Kolumnen Index saknas.")
    if year is None and year_at is None:
        found = next((_YEAR.search(" ".join(r)) for r in rows[:header] if _YEAR.search(" ".join(r))), None)
        year = int(found[1]) if found else None
    if year is None and year_at is None:
        raise InvalidInput("the file does not say which year the survey was made; give the year (--year 2025)",
                           loc=("year",), sv="Filen säger inte vilket år mätningen gjordes; ange året (--year 2025).")
    places, _ = place_names([(pid, slug, name) for pid, slug, name in session.execute(
        text("SELECT id, slug, name FROM places")).all()])
    figures: dict[tuple[int, str, str], tuple[float, int | None]] = {}
    for line, row in enumerate(rows[header + 1:], start=header + 2):
        if len(row) <= max(area_at, problem_at, value_at) or not row[area_at] or not row[problem_at]:
            report.skipped.append(" ".join(row)[:80])
            continue
        value = _number(row[value_at], "the index", line)
        if value is None:
            continue  # too few answers: the police leave the index out
        if not 0 <= value <= 6:
            raise InvalidInput(f"line {line}: the index {row[value_at]!r} is outside 0–6", loc=("file", line),
                               sv=f"Rad {line}: indexet {row[value_at]!r} ligger utanför 0–6.")
        row_year = _year(row[year_at].strip(), line) if year_at is not None and row[year_at].strip().isdigit() \
            else year
        if row_year is None:
            raise InvalidInput(f"line {line} has no year", loc=("file", line), sv=f"Rad {line} saknar år.")
        place_id = places.get(normalise(row[area_at]))
        figures[(row_year, row[area_at].strip(), row[problem_at].strip())] = (value, place_id)
    if not figures:
        raise InvalidInput("no area with an index was found", loc=("file",), sv="Inget område med index hittades.")
    for (row_year, area_name, problem), (value, place_id) in figures.items():
        session.execute(text("""
            INSERT INTO survey_indices (year, area, problem, value, place_id, source)
            VALUES (:year, :area, :problem, :value, :place_id, :source)
            ON CONFLICT (year, area, problem) DO UPDATE SET value = EXCLUDED.value, place_id = EXCLUDED.place_id,
                source = EXCLUDED.source"""),
            {"year": row_year, "area": area_name[:200], "problem": problem[:300], "value": value,
             "place_id": place_id, "source": source})
    session.commit()
    report.rows, report.areas = len(figures), len({(y, a) for y, a, _ in figures})
    report.years = sorted({y for y, _, _ in figures})
    report.year = report.years[0] if len(report.years) == 1 else None
    return report
