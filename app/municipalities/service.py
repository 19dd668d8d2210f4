"""Municipalities and groups: added by the owner (command line), read by anyone under their own role.

Adding one creates its database role (a trigger of migration 0021); the role is what row-level security
keys on, so a municipality exists for the policies the moment its row does.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from app.db import MUNICIPALITY_CODE, act_as_tenant, tenant
from app.errors import InvalidInput, NotFound
from app.municipalities.schemas import (
    MunicipalityChange,
    MunicipalityComparison,
    MunicipalityGroupOut,
    MunicipalityOut,
)

GROUP_CODE = re.compile(r"[a-z0-9_]{1,40}")
GROUP_KINDS = ("county", "police_region", "group")


def _check_code(code: str, loc: tuple[str, ...]) -> None:
    if not MUNICIPALITY_CODE.fullmatch(code):
        raise InvalidInput(f"a municipality code is SCB's four digits (0586), not {code!r}", loc=loc,
                           sv=f"En kommunkod är SCB:s fyra siffror (0586), inte {code!r}.")


def add_municipality(session: Session, *, code: str, name: str | None = None,
                     extent: tuple[float, float, float, float] | None = None, county_code: str | None = None,
                     timezone: str = "Europe/Stockholm", population: int | None = None,
                     localities: list[tuple[str, float, float]] | None = None) -> MunicipalityOut:
    """Add (or update the name, extent, county, population and localities of) a municipality. Owner only.
    A Swedish municipality's name, county, boundary, extent and localities come from data/ (`--code 0583`
    is enough); what is given here overrides them. `localities` are (name, lat, lon) within the extent:
    hotspots far from any place are named after them."""
    from app.municipalities import reference

    _check_code(code, ("code",))
    known = reference.get(code)
    name = name if name is not None else (f"{known.name} kommun" if known else None)
    if name is None:
        raise InvalidInput(f"{code} is not a Swedish municipality in data/municipalities.geojson: give its name and "
                           "extent", loc=("name",),
                           sv=f"{code} finns inte bland Sveriges kommuner i data/municipalities.geojson: ange namn "
                              "och utbredning.")
    county_code = county_code if county_code is not None else (known.county_code if known else None)
    if county_code is not None and not re.fullmatch(r"[0-9]{2}", county_code):
        raise InvalidInput(f"a county code is two digits (05), not {county_code!r}", loc=("county_code",),
                           sv=f"En länskod är två siffror (05), inte {county_code!r}.")
    keep_extent = extent is None  # an update keeps the stored extent: the public figures' grid is laid over it
    if extent is None:
        if known is None:
            raise InvalidInput("the extent is needed for a municipality with no shipped boundary", loc=("extent",),
                               sv="Utbredningen behövs för en kommun utan gräns i data/.")
        extent = known.extent
    west, south, east, north = extent
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput("the extent must be min lon, min lat, max lon, max lat with min < max", loc=("extent",),
                           sv="Utbredningen ska vara min lon, min lat, max lon, max lat med min < max.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {timezone!r}", loc=("timezone",),
                           sv=f"Okänd tidszon {timezone!r}.") from None
    if not name.strip():
        raise InvalidInput("the municipality needs a name", loc=("name",), sv="Kommunen behöver ett namn.")
    for place, lat, lon in localities or []:
        if not place.strip() or not (west <= lon <= east and south <= lat <= north):
            raise InvalidInput(f"locality {place!r} at lat {lat}, lon {lon} needs a name and a position within "
                               "the extent", loc=("localities",),
                               sv=f"Orten {place!r} (lat {lat}, lon {lon}) behöver ett namn och en position inom "
                                  "utbredningen.")
    if localities is None and known is not None:
        localities = list(known.localities)
    located = None if localities is None else orjson.dumps(
        [{"name": p.strip(), "lat": lat, "lon": lon} for p, lat, lon in localities]).decode()
    boundary = None if known is None else orjson.dumps(known.boundary.__geo_interface__).decode()
    session.execute(text("""
        INSERT INTO municipalities (code, name, county_code, timezone, extent, population, localities, boundary)
        VALUES (:code, :name, :county, :tz, ST_MakeEnvelope(:w, :s, :e, :n, 4326), :pop,
                coalesce(CAST(:loc AS jsonb), '[]'), ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:boundary), 4326)))
        ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, county_code = EXCLUDED.county_code,
            timezone = EXCLUDED.timezone, boundary = EXCLUDED.boundary,
            extent = CASE WHEN :keep THEN municipalities.extent ELSE EXCLUDED.extent END,
            population = COALESCE(EXCLUDED.population, municipalities.population),
            localities = coalesce(CAST(:loc AS jsonb), municipalities.localities)"""),
        {"code": code, "name": name.strip(), "county": county_code, "tz": timezone, "w": west, "s": south,
         "e": east, "n": north, "pop": population, "loc": located, "boundary": boundary, "keep": keep_extent})
    session.commit()
    return get_municipality(session, code)


def add_group(session: Session, *, code: str, name: str, kind: str, members: list[str]) -> MunicipalityGroupOut:
    """Add a group (a county, a police region) or replace its members. Owner only."""
    if not GROUP_CODE.fullmatch(code):
        raise InvalidInput(f"a group code is 1-40 of a-z, 0-9 and _, not {code!r}", loc=("code",),
                           sv=f"En gruppkod är 1–40 tecken a–z, 0–9 och _, inte {code!r}.")
    if kind not in GROUP_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(GROUP_KINDS)}", loc=("kind",),
                           sv="Typen ska vara county (län), police_region (polisregion) eller group (grupp).")
    known = set(session.scalars(text("SELECT code FROM municipalities WHERE code = ANY(:m)"), {"m": members}))
    if unknown := sorted(set(members) - known):
        raise NotFound(f"no such municipality: {', '.join(unknown)}", loc=("members",),
                       sv=f"Kommunen finns inte: {', '.join(unknown)}.")
    session.execute(text("""INSERT INTO municipality_groups (code, name, kind) VALUES (:c, :n, :k)
                            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind"""),
                    {"c": code, "n": name.strip(), "k": kind})
    session.execute(text("DELETE FROM municipality_group_members WHERE group_code = :c"), {"c": code})
    session.execute(text("""INSERT INTO municipality_group_members (group_code, municipality_code)
                            SELECT :c, unnest(CAST(:m AS text[]))"""), {"c": code, "m": sorted(known)})
    session.commit()
    return MunicipalityGroupOut(code=code, name=name.strip(), kind=kind, members=sorted(known))


# The municipalities the session's role sees: its own under a tenant role, every one for the owner.
_SEEN = """(m.code = ANY(lagesbild_visible_municipalities())
            OR NOT EXISTS (SELECT FROM pg_roles WHERE rolname = current_user AND rolname ~ '^lagesbild_[mg]'))"""

_SELECT = """SELECT code, name, county_code, timezone, population, is_default,
                    ARRAY[ST_XMin(extent), ST_YMin(extent), ST_XMax(extent), ST_YMax(extent)] AS extent
             FROM municipalities"""


def get_municipality(session: Session, code: str) -> MunicipalityOut:
    row = session.execute(text(f"{_SELECT} WHERE code = :code"), {"code": code}).mappings().first()
    if row is None:
        raise NotFound(f"no municipality {code}", loc=("code",), sv=f"Kommunen {code} finns inte.")
    return MunicipalityOut(**row)


def visible(session: Session) -> list[MunicipalityOut]:
    """The municipalities whose rows the session's role sees (all of them for the owner)."""
    rows = session.execute(text(f"{_SELECT} m WHERE {_SEEN} ORDER BY is_default DESC, name")).mappings()
    return [MunicipalityOut(**row) for row in rows]


def narrow(session: Session, role: str | None, code: str | None) -> MunicipalityOut | None:
    """Narrow a signed-in caller's view to one of the municipalities their role sees (a county analyst
    looking at Motala alone): the database's own setting, which can only narrow (migration 0024), so a
    code the caller does not see shows nothing, and is refused here with a clear 404. `code` None: no
    narrowing."""
    if code is None:
        return None
    _check_code(code, ("query", "municipality"))
    if role is None:  # the owner sees every municipality: nothing to narrow to, only to check
        return get_municipality(session, code)
    act_as_tenant(session, f"{role}/{code}")
    row = session.execute(text(f"{_SELECT} m WHERE m.code = ANY(lagesbild_visible_municipalities())")
                          ).mappings().first()
    if row is None:
        raise NotFound(f"municipality {code} does not exist or is not one you see", loc=("query", "municipality"),
                       sv=f"Kommunen {code} finns inte eller ingår inte i det du har behörighet att se.")
    return MunicipalityOut(**row)


def public_view(session: Session, code: str | None) -> MunicipalityOut:
    """The public view of one municipality (the install's default when `code` is None): the session reads
    from here on under that municipality's role, so the public pages show its rows and nothing else."""
    if code is not None:
        _check_code(code, ("query", "kommun"))
    found = get_municipality(session, code) if code is not None else default(session)
    act_as_tenant(session, f"lagesbild_m{found.code}")
    return found


def focus(session: Session) -> MunicipalityOut:
    """The one municipality the session looks at when a page shows one (the start page's rates): its own
    for a municipality role or a narrowed county role, else the install's default if the session sees it,
    else the first it sees by name."""
    seen = visible(session)
    return seen[0] if seen else default(session)


def default(session: Session) -> MunicipalityOut:
    row = session.execute(text(f"{_SELECT} WHERE is_default")).mappings().first()
    if row is None:  # migration 0021 adds Mjölby as the default; only a hand-edited database lacks one
        raise NotFound("no default municipality", sv="Ingen kommun är vald som standard.")
    return MunicipalityOut(**row)


def group_members(session: Session, group: str) -> tuple[list[tuple[str, str]], str]:
    """A group's municipalities as (code, name) by name, and the group's name."""
    rows = session.execute(text("""SELECT m.code, m.name FROM municipality_group_members gm
                                   JOIN municipalities m ON m.code = gm.municipality_code
                                   WHERE gm.group_code = :g ORDER BY m.name"""), {"g": group}).all()
    name = session.scalar(text("SELECT name FROM municipality_groups WHERE code = :g"), {"g": group})
    return [(r.code, r.name) for r in rows], str(name or group)


def every(session: Session) -> list[MunicipalityOut]:
    """Every municipality by name, the default first (the public view's choice; public knowledge)."""
    rows = session.execute(text(f"{_SELECT} ORDER BY is_default DESC, name")).mappings()
    return [MunicipalityOut(**row) for row in rows]


def municipality_at(session: Session, lon: float, lat: float, loc: tuple[str, ...] = ("body", "lon")) -> str:
    """The municipality, of those the session sees, that a position lies in, by the boundaries shipped in
    data/ (app.municipalities.reference; a small tolerance at the edge), never by a box. A municipality
    with no shipped boundary (a test's or a foreign one) is found by its stored boundary or extent. A
    position in a municipality the session does not see is refused with that municipality named."""
    from app.municipalities import reference

    seen = _seen_codes(session)
    code = reference.locate_one(lon, lat)
    if code is not None and code in seen:
        return code
    if custom := sorted(c for c in seen if reference.get(c) is None):
        fallback = session.scalar(text("""
            SELECT code FROM municipalities
            WHERE code = ANY(:custom)
              AND ST_Intersects(coalesce(boundary, extent), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
            ORDER BY boundary IS NULL, ST_Area(extent) LIMIT 1"""), {"lon": lon, "lat": lat, "custom": custom})
        if fallback is not None:
            return str(fallback)
    if code is not None:
        name = reference.get(code).name  # type: ignore[union-attr]
        raise InvalidInput(f"the position lon={lon}, lat={lat} lies in {name} kommun, which is not served here",
                           loc=loc, sv=f"Positionen lon={lon}, lat={lat} ligger i {name} kommun, som inte ingår här.")
    raise InvalidInput(f"the position lon={lon}, lat={lat} lies in none of the municipalities you see",
                       loc=loc,
                       sv=f"Positionen lon={lon}, lat={lat} ligger inte i någon av kommunerna du ser.")


def _seen_codes(session: Session) -> set[str]:
    """The municipalities the session's role sees (every one added, for the owner)."""
    return set(session.scalars(text(f"SELECT m.code FROM municipalities m WHERE {_SEEN}")))


def accepted_extent(session: Session) -> tuple[float, float, float, float]:
    """The box a position must lie in before the boundaries are asked: `LAGESBILD_EXTENT` where the install
    sets it, else the box around every municipality added (a county install needs no setting)."""
    from app.config import get_settings

    settings = get_settings()
    if "extent" in settings.model_fields_set:
        return settings.extent
    row = session.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                               "FROM (SELECT ST_Extent(extent) AS e FROM municipalities) AS x")).first()
    if row is None or row[0] is None:
        return settings.extent
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def scope_extent(session: Session) -> tuple[float, float, float, float]:
    """The extent of what the session sees: its municipalities' extents together (one municipality's for a
    municipality role or a narrowed county role), the install's configured extent for the owner."""
    from app.config import get_settings

    if tenant(session) is None:
        return accepted_extent(session)
    row = session.execute(text("""SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
                                  FROM (SELECT ST_Extent(extent) AS e FROM municipalities
                                        WHERE code = ANY(lagesbild_visible_municipalities())) AS x""")).first()
    if row is None or row[0] is None:
        return get_settings().extent
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def groups(session: Session) -> list[MunicipalityGroupOut]:
    rows = session.execute(text("""SELECT g.code, g.name, g.kind,
                                          array_remove(array_agg(m.municipality_code ORDER BY m.municipality_code),
                                                       NULL) AS members
                                   FROM municipality_groups g
                                   LEFT JOIN municipality_group_members m ON m.group_code = g.code
                                   GROUP BY g.code ORDER BY g.name""")).mappings()
    return [MunicipalityGroupOut(**row) for row in rows]


def check_scope(session: Session, municipality: str | None, group: str | None) -> None:
    """An account's municipality and group must exist (the command line and admin pages ask this)."""
    if municipality is not None:
        get_municipality(session, municipality)
    if group is not None and not session.execute(text("SELECT 1 FROM municipality_groups WHERE code = :g"),
                                                 {"g": group}).first():
        raise NotFound(f"no municipality group {group}", loc=("group",), sv=f"Kommungruppen {group} finns inte.")


def compare(session: Session, start: datetime, end: datetime) -> MunicipalityComparison:
    """The county lägesbild's table: every municipality the caller sees, its incidents in [start, end) and
    in the period of the same length before, per 100,000 inhabitants where the population is known (the
    municipality's own figure, else SCB's latest, from `lagesbild statistics import-population`), and whether
    the change is one that unchanged rates rarely produce (geo.temporal.compare_many). Only sources whose
    data covers both periods are counted, so a source that began in between is not read as a rise."""
    from app.analysis.coverage import comparable_sources
    from geo.temporal import compare_many

    previous_start = start - (end - start)
    sources, left_out = comparable_sources(session, (previous_start, start), (start, end))
    rows = session.execute(text(f"""
        SELECT m.code, m.name,
               COALESCE(m.population, (SELECT a.population FROM area_statistics a WHERE a.area_key = m.code
                                       AND a.population IS NOT NULL ORDER BY a.year DESC LIMIT 1)) AS population,
               count(i.id) FILTER (WHERE i.occurred_at >= :start) AS current,
               count(i.id) FILTER (WHERE i.occurred_at < :start) AS previous
        FROM municipalities m
        LEFT JOIN incidents i ON i.municipality_code = m.code AND i.occurred_at >= :prev
             AND i.occurred_at < :end AND i.source = ANY(:sources)
        WHERE {_SEEN}
        GROUP BY m.code, m.name, m.population ORDER BY m.is_default DESC, m.name"""),
        {"start": start, "end": end, "prev": previous_start, "sources": sources}).all()
    days = (end - start).total_seconds() / 86_400.0
    tests = compare_many([r.current for r in rows], [r.previous for r in rows], current_days=days,
                         previous_days=days)
    out = []
    for row, test in zip(rows, tests, strict=True):
        if not test.significant:
            change = "ingen säkerställd förändring"
        else:
            change = "ökning" if test.current > test.previous else "minskning"
        out.append(MunicipalityChange(
            code=row.code, name=row.name, population=row.population, current=row.current, previous=row.previous,
            per_100k=round(row.current / row.population * 100_000, 1) if row.population else None,
            ratio=None if test.ratio is None else round(test.ratio, 3), p_value=round(test.p_value, 6),
            change=change))
    return MunicipalityComparison(
        start=start.isoformat(), end=end.isoformat(), previous_start=previous_start.isoformat(), sources=sources,
        left_out_sources=left_out, municipalities=out,
        method="exact conditional test of two Poisson counts per municipality, Benjamini–Hochberg FDR 5 % "
               "over the municipalities")
