"""A seeded, clearly labelled synthetic data set for Mjölby municipality (source `demo`).

Built from the patterns the ESM source material describes, so the first screen is alive and the
analysis has something real-looking to find: Resecentrum (drugs, violence, vandalism; evenings and
nights), Gästisparken and Galleria Kvarnen at certain hours, schoolyards in the evenings and at
weekends, reckless driving and loud music around Mantorp station on summer nights, disorder at
Skänninge station — on top of a diffuse background with weekly and seasonal rhythms, burglary
series (near repeats) and more lighting reports in the dark season. None of it is real.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from geo.crs import to_sweref, to_wgs84

TZ = ZoneInfo("Europe/Stockholm")
DEMO_LABEL = "[demo]"


@dataclass(frozen=True)
class Pattern:
    """A place-bound problem: where, what, how often, at which hours, days and seasons."""

    name: str
    lat: float
    lon: float
    spread_m: float
    per_week: float
    categories: dict[str, float]
    hours: dict[int, float]          # relative weight per hour of day (missing hours: weight 0.05)
    weekend_factor: float = 1.5      # Fri/Sat nights vs other days
    summer_factor: float = 1.0       # June–August vs the rest
    dark_factor: float = 1.0         # November–February vs the rest
    place: str | None = None


def _hours(*spans: tuple[int, int, float]) -> dict[int, float]:
    weights: dict[int, float] = {}
    for start, end, weight in spans:
        h = start
        while h != end:
            weights[h] = weight
            h = (h + 1) % 24
    return weights


EVENING_NIGHT = _hours((18, 22, 1.0), (22, 3, 1.6))
EVENING = _hours((17, 23, 1.0))
SHOP_HOURS = _hours((10, 19, 1.0))
AFTER_SCHOOL = _hours((15, 21, 1.0))
SUMMER_NIGHT = _hours((21, 3, 1.0))

PATTERNS = (
    Pattern("Resecentrum", 58.32298, 15.13199, 45, 5.0,
            {"narkotika": 0.38, "vald": 0.24, "skadegorelse": 0.2, "ordningsstorning": 0.18},
            EVENING_NIGHT, weekend_factor=2.0),
    Pattern("Järnvägsparken", 58.32449, 15.13312, 40, 1.2, {"narkotika": 0.6, "otrygghet": 0.4}, EVENING_NIGHT),
    Pattern("Gästisparken", 58.32503, 15.12716, 50, 2.0,
            {"ordningsstorning": 0.4, "otrygghet": 0.35, "narkotika": 0.25}, EVENING, summer_factor=2.2),
    Pattern("Gallerian", 58.32551, 15.12507, 30, 3.0,
            {"snatteri": 0.55, "ordningsstorning": 0.25, "otrygghet": 0.2},
            {**SHOP_HOURS, **_hours((15, 20, 1.8))}, weekend_factor=1.3),
    Pattern("Lagmansskolan", 58.3208, 15.1345, 45, 1.0,
            {"skadegorelse": 0.45, "klotter": 0.35, "otrygghet": 0.2}, EVENING, weekend_factor=2.0),
    Pattern("Blåklintskolan", 58.3300, 15.1190, 45, 0.8,
            {"skadegorelse": 0.4, "klotter": 0.4, "otrygghet": 0.2}, EVENING, weekend_factor=2.0),
    Pattern("Vifolkaskolan", 58.3462, 15.2860, 45, 0.7,
            {"skadegorelse": 0.5, "klotter": 0.3, "brand": 0.2}, EVENING, weekend_factor=2.0),
    Pattern("Bjälbotullskolan", 58.3905, 15.0810, 45, 0.5,
            {"skadegorelse": 0.5, "klotter": 0.5}, EVENING, weekend_factor=2.0),
    Pattern("Mantorp station", 58.34862, 15.29073, 90, 1.2,
            {"hansynslos_korning": 0.8, "ordningsstorning": 0.2}, SUMMER_NIGHT, weekend_factor=2.5,
            summer_factor=4.0, dark_factor=0.4),
    Pattern("Skänninge station", 58.3930, 15.0950, 50, 1.0,
            {"ordningsstorning": 0.55, "skadegorelse": 0.3, "vald": 0.15}, EVENING_NIGHT),
)

# Diffuse background: (centre lat, lon, spread in m, events per week, category weights)
BACKGROUND = (
    (58.3250, 15.1300, 1100, 9.0),
    (58.3480, 15.2900, 700, 2.0),
    (58.3950, 15.0870, 600, 1.5),
    (58.3110, 14.9320, 500, 0.5),  # Väderstad
)
BACKGROUND_CATEGORIES = {
    "stold_inbrott": 0.3, "skadegorelse": 0.18, "klotter": 0.1, "vald": 0.12, "ordningsstorning": 0.1,
    "brand": 0.05, "belysning": 0.09, "vegetation": 0.03, "narkotika": 0.03,
}
DESCRIPTIONS = {
    "narkotika": ("Misstänkt langning", "Personer påträffade med narkotika", "Sprutor hittade"),
    "vald": ("Misshandel", "Bråk mellan ungdomar", "Hot mot förbipasserande"),
    "skadegorelse": ("Krossad ruta", "Skadad busskur", "Sönderslagen belysningsarmatur"),
    "klotter": ("Klotter på fasad", "Tags på elskåp", "Klotter i gångtunnel"),
    "snatteri": ("Snatteri i butik", "Ungdomar tog varor utan att betala"),
    "stold_inbrott": ("Cykelstöld", "Inbrott i förråd", "Inbrott i bil", "Bostadsinbrott"),
    "ordningsstorning": ("Störande ungdomsgäng", "Hög ljudnivå sent på kvällen", "Berusade personer"),
    "hansynslos_korning": ("Bilar som kör i hög fart runt stationen", "Hög musik från bilar", "Burnouts på parkering"),
    "brand": ("Brand i papperskorg", "Brand i container", "Anlagd brand i buske"),
    "otrygghet": ("Ungdomar samlas, förbipasserande känner sig otrygga", "Trakasserier vid entrén"),
    "belysning": ("Trasig gatubelysning", "Mörk gångväg", "Lampa ur funktion"),
    "vegetation": ("Igenvuxna buskar skymmer gångväg", "Häck behöver klippas"),
}


def _season_weight(day: date, pattern: Pattern) -> float:
    weight = 1.0
    if day.month in (6, 7, 8):
        weight *= pattern.summer_factor
    if day.month in (11, 12, 1, 2):
        weight *= pattern.dark_factor
    return weight


def _hour_probabilities(hours: dict[int, float]) -> np.ndarray:
    weights = np.array([hours.get(h, 0.05) for h in range(24)])
    return weights / weights.sum()


def generate(end: date, *, days: int = 730, seed: int = 42, scale: float = 2.0) -> list[dict[str, str]]:
    """Incident rows (CSV-ready, local times) for the `days` before `end`, reproducible for a seed."""
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=days)
    all_days = [start + timedelta(days=i) for i in range(days)]
    rows: list[dict[str, str]] = []

    def emit(lat: float, lon: float, spread: float, n_by_day: np.ndarray, cats: dict[str, float],
             hour_p: np.ndarray, name: str) -> None:
        total = int(n_by_day.sum())
        if total == 0:
            return
        cx, cy = to_sweref([lon], [lat])
        x = rng.normal(cx[0], spread, total)
        y = rng.normal(cy[0], spread, total)
        lons, lats = to_wgs84(x, y)
        day_index = np.repeat(np.arange(len(all_days)), n_by_day)
        hours = rng.choice(24, total, p=hour_p)
        minutes = rng.integers(0, 60, total)
        codes = list(cats)
        chosen = rng.choice(codes, total, p=np.array(list(cats.values())) / sum(cats.values()))
        for i in range(total):
            day = all_days[day_index[i]]
            when = datetime(day.year, day.month, day.day, int(hours[i]), int(minutes[i]), tzinfo=TZ)
            if hours[i] < 5:  # after midnight belongs to the next calendar day
                when += timedelta(days=1)
            if when.date() > end:
                continue
            texts = DESCRIPTIONS[str(chosen[i])]
            rows.append({
                "tidpunkt": when.isoformat(timespec="minutes"),
                "kategori": str(chosen[i]),
                "lat": f"{lats[i]:.6f}", "lon": f"{lons[i]:.6f}",
                "beskrivning": f"{DEMO_LABEL} {texts[rng.integers(len(texts))]} ({name})",
            })

    for pattern in PATTERNS:
        base = scale * pattern.per_week / 7
        rates = np.array([
            base * _season_weight(d, pattern) * (pattern.weekend_factor if d.weekday() in (4, 5) else 0.85)
            for d in all_days
        ])
        emit(pattern.lat, pattern.lon, pattern.spread_m, rng.poisson(rates), pattern.categories,
             _hour_probabilities(pattern.hours), pattern.name)

    background_hours = _hour_probabilities({**_hours((7, 17, 0.6)), **_hours((17, 2, 1.0))})
    for lat, lon, spread, per_week in BACKGROUND:
        rates = np.array([
            scale * per_week / 7
            * (1.3 if d.weekday() in (4, 5) else 0.9)
            * (1.25 if d.month in (11, 12, 1, 2) else 1.0)
            for d in all_days
        ])
        emit(lat, lon, spread, rng.poisson(rates), BACKGROUND_CATEGORIES, background_hours, "bakgrund")

    rows.extend(_burglary_series(rng, all_days, end))
    rows.sort(key=lambda r: r["tidpunkt"])
    return rows


def _burglary_series(rng: np.random.Generator, all_days: list[date], end: date) -> list[dict[str, str]]:
    """Near-repeat burglary series: after a first break-in, more within ~200 m in the next days."""
    rows = []
    cx, cy = to_sweref([15.1300], [58.3250])
    for _ in range(len(all_days) // 12):
        x0 = rng.normal(cx[0], 900)
        y0 = rng.normal(cy[0], 900)
        first = int(rng.integers(len(all_days)))
        for k in range(int(rng.integers(2, 5))):
            offset = 0 if k == 0 else int(rng.integers(0, 8))
            if first + offset >= len(all_days):
                break
            day = all_days[first + offset]
            lon, lat = to_wgs84([x0 + rng.normal(0, 90)], [y0 + rng.normal(0, 90)])
            when = datetime(day.year, day.month, day.day, int(rng.choice([1, 2, 3, 10, 11, 13, 14, 22, 23])),
                            int(rng.integers(60)), tzinfo=TZ)
            if when.date() > end:
                continue
            rows.append({
                "tidpunkt": when.isoformat(timespec="minutes"), "kategori": "stold_inbrott",
                "lat": f"{lat[0]:.6f}", "lon": f"{lon[0]:.6f}",
                "beskrivning": f"{DEMO_LABEL} Bostadsinbrott (inbrottsserie)",
            })
    return rows


def to_csv(rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["tidpunkt", "kategori", "lat", "lon", "beskrivning"], delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# Illustrative survey scores (share of respondents who feel unsafe), set only where a place has none.
DEMO_SURVEY = {
    "resecentrum-mjolby": 0.46, "jarnvagsparken": 0.41, "gastisparken": 0.38, "gallerian": 0.29,
    "lagmansskolan": 0.33, "blaklintskolan": 0.27, "mantorp-station": 0.31, "vifolkaskolan": 0.24,
    "skanninge-station": 0.35, "bjalbotullskolan": 0.21, "stora-torget-mjolby": 0.18,
    "stora-torget-skanninge": 0.15,
}


# -- lighting: an approximate street network, lamps, faults and dark spots around the reference places --

DEMO_STREETS = (  # (name, [(lat, lon), ...]) — approximate, drawn near the places for the demo only
    ("Järnvägsgatan (demo)", [(58.3205, 15.1338), (58.3220, 15.1330), (58.3238, 15.1322), (58.3255, 15.1315)]),
    ("Gång- och cykelväg Gästisparken (demo)", [(58.3243, 15.1255), (58.3250, 15.1268), (58.3257, 15.1285)]),
    ("Burensköldsvägen (demo)", [(58.3246, 15.1240), (58.3250, 15.1262), (58.3254, 15.1290), (58.3258, 15.1310)]),
    ("Väg vid Lagmansskolan (demo)", [(58.3198, 15.1325), (58.3205, 15.1345), (58.3212, 15.1365)]),
    ("Väg vid Blåklintskolan (demo)", [(58.3292, 15.1170), (58.3300, 15.1190), (58.3308, 15.1210)]),
    ("Stationsvägen, Mantorp (demo)", [(58.3478, 15.2880), (58.3486, 15.2905), (58.3494, 15.2930)]),
    ("Stationsgatan, Skänninge (demo)", [(58.3922, 15.0925), (58.3930, 15.0950), (58.3938, 15.0975)]),
)
DEMO_FAULTS = ((58.3238, 15.1322, "confirmed"), (58.3222, 15.1330, "reported"), (58.3250, 15.1268, "scheduled"),
               (58.3205, 15.1345, "reported"), (58.3486, 15.2905, "confirmed"), (58.3930, 15.0950, "reported"))
DEMO_DARK_SPOTS = ((58.3252, 15.1275, "Mörk gångväg genom parken, buskar skymmer"),
                   (58.3210, 15.1358, "Skolgården saknar belysning mot skogen"),
                   (58.3301, 15.1195, "Mörkt vid cykelstället"),
                   (58.3489, 15.2915, "Mörk parkering vid stationen"))


def demo_streets_geojson() -> dict[str, object]:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name},
         "geometry": {"type": "LineString", "coordinates": [[lon, lat] for lat, lon in points]}}
        for name, points in DEMO_STREETS]}


def demo_lamps(spacing_m: float = 35.0) -> list[dict[str, object]]:
    """A lamp every `spacing_m` along each demo street."""
    import shapely

    lamps = []
    for number, (name, points) in enumerate(DEMO_STREETS, start=1):
        x, y = to_sweref([p[1] for p in points], [p[0] for p in points])
        line = shapely.LineString(np.column_stack([x, y]))
        for k, distance in enumerate(np.arange(0, line.length, spacing_m)):
            point = line.interpolate(distance)
            lon, lat = to_wgs84([point.x], [point.y])
            lamps.append({"external_id": f"DEMO-{number:02d}-{k:03d}", "street": name, "lon": float(lon[0]),
                          "lat": float(lat[0])})
    return lamps


# -- the meeting: a street base, unit reports, a walk, decisions and a promise, so the first lägesbild is whole --

DEMO_BASEMAP_SOURCE = "demo: ungefärlig gatukarta över Mjölby, inte exakt"
DEMO_EXTRA_STREETS = (  # approximate, for the demo's printed maps only
    ("Stora torget (demo)", [(58.3232, 15.1285), (58.3240, 15.1300)]),
    ("Drottninggatan (demo)", [(58.3215, 15.1270), (58.3235, 15.1290), (58.3250, 15.1305)]),
    ("Vasagatan (demo)", [(58.3228, 15.1240), (58.3231, 15.1280), (58.3234, 15.1325)]),
)
DEMO_WATER = [(58.3262, 15.1180), (58.3270, 15.1250), (58.3276, 15.1330), (58.3270, 15.1332), (58.3264, 15.1252),
              (58.3256, 15.1182)]  # Svartån through the town, roughly


def demo_basemap_rows() -> list[tuple[str, str | None, bytes]]:
    import shapely

    rows: list[tuple[str, str | None, bytes]] = []
    for name, points in (*DEMO_STREETS, *DEMO_EXTRA_STREETS):
        line = shapely.LineString([(lon, lat) for lat, lon in points])
        rows.append(("street", name, shapely.to_wkb(line)))
    rows.append(("water", "Svartån (demo)", shapely.to_wkb(shapely.Polygon([(lon, lat) for lat, lon in DEMO_WATER]))))
    for kind, name, lat, lon in DEMO_POIS:  # points of interest: the cause analysis' factors from the street base
        rows.append((f"poi:{kind}", name, shapely.to_wkb(shapely.Point(lon, lat))))
    return rows


DEMO_POIS = (
    ("station", "Mjölby station (demo)", 58.3228, 15.1325),
    ("station", "Busshållplats Stora torget (demo)", 58.3249, 15.1306),
    ("shop", "Kiosk vid Järnvägsgatan (demo)", 58.3234, 15.1316),
    ("food", "Pizzeria vid torget (demo)", 58.3253, 15.1302),
    ("bar", "Pub vid torget (demo)", 58.3254, 15.1314),
    ("food", "Grillen vid Gallerian (demo)", 58.3257, 15.1247),
)


def load_meeting(session: Any, last_day: date) -> str:
    """Unit reports for the current period, a safety walk, two decisions of the last meetings (one under way,
    one done) and a citizen promise; earlier demo rows of these kinds are replaced."""
    from sqlalchemy import text

    from app.auth.roles import Role
    from app.auth.service import Principal
    from app.basemap import service as basemap
    from app.interventions import service as interventions
    from app.promises import service as promises
    from app.reports import service as reports
    from app.reports.schemas import ReportObservation, UnitReportIn
    from app.walks import service as walks

    basemap.replace(session, demo_basemap_rows(), DEMO_BASEMAP_SOURCE)
    demo = Principal(token_id=None, name="demo-data", role=Role.admin, organisation=None)
    session.execute(text("DELETE FROM hotspot_causes WHERE created_by = 'demo-data'"))
    for table, column in (("interventions", "created_by"), ("safety_walks", "created_by"),
                          ("citizen_promises", "created_by"), ("unit_reports", "submitted_by")):
        session.execute(text(f"DELETE FROM {table} WHERE {column} = 'demo-data'"))
    session.commit()
    place = dict(session.execute(text("SELECT slug, id FROM places")).all())
    resecentrum = place.get("resecentrum-mjolby") or next(iter(place.values()))
    park = place.get("gastisparken") or resecentrum
    for unit, note in (("polisen", "Ungdomsgrupper vid Resecentrum fredag och lördag kväll, 21–23"),
                       ("socialtjansten", "Fältarna möter samma grupp i Gästisparken efter 22")):
        if session.execute(text("SELECT 1 FROM organisations WHERE code = :c"), {"c": unit}).first():
            reports.save(session, UnitReportIn(organisation=unit, summary="[demo] Lugnt i övrigt",
                                               observations=[ReportObservation(place_id=resecentrum, text=note)]),
                         demo)
    walk_day = last_day - timedelta(days=20)
    walks.create(session, {"walked_on": walk_day.isoformat(), "area": "Centrum – Resecentrum till Gästisparken",
                           "place_id": park, "participants": "[demo] Kommunen, polisen, Bostadsbolaget, 9 boende",
                           "organisation": "kommunen", "findings": [
                               {"kind": "dark_place", "lon": 15.1268, "lat": 58.3250, "priority": "high",
                                "description": "[demo] Mörk gångväg genom parken", "owner": "service_teknik",
                                "deadline": (last_day - timedelta(days=3)).isoformat()},
                               {"kind": "vegetation", "lon": 15.1275, "lat": 58.3252, "priority": "medium",
                                "description": "[demo] Buskar skymmer sikten mot lekplatsen", "owner": "service_teknik",
                                "deadline": (last_day + timedelta(days=21)).isoformat()}]}, demo)
    earlier_meeting = last_day - timedelta(days=28)
    done = interventions.create(session, {
        "title": "[demo] Trimma buskarna vid gångvägen i Gästisparken", "kind": "vegetation",
        "organisation": "service_teknik", "place_id": park, "start_date": earlier_meeting.isoformat(),
        "end_date": (earlier_meeting + timedelta(days=10)).isoformat(), "responsible": "Parkchef (demo)",
        "due_date": (earlier_meeting + timedelta(days=14)).isoformat(), "decided_on": earlier_meeting.isoformat()},
        "demo-data")
    interventions.set_status(session, done, "completed", None)
    active = interventions.create(session, {
        "title": "[demo] Förstärkt kvällspatrull vid Resecentrum fre–lör 21–23", "kind": "patrol",
        "organisation": "polisen", "place_id": resecentrum, "start_date": (last_day - timedelta(days=13)).isoformat(),
        "responsible": "Kommunpolis (demo)", "due_date": (last_day + timedelta(days=30)).isoformat(),
        "decided_on": (last_day - timedelta(days=14)).isoformat()}, "demo-data")
    promises.save(session, {"title": "[demo] Tryggare kvällar vid Resecentrum", "period_start": date(
        last_day.year, 1, 1).isoformat(), "period_end": date(last_day.year, 12, 31).isoformat(),
        "description": "Polisen och kommunen lovar fler vuxna i rörelse kvällstid vid Resecentrum.",
        "categories": [], "place_ids": [resecentrum], "intervention_ids": [active, done]}, "demo-data")
    from app.causes import service as causes

    zone = session.execute(text("SELECT ST_AsGeoJSON(geom)::json FROM places WHERE id = :id"),
                           {"id": resecentrum}).scalar_one()
    causes.record(session, decided_on=last_day - timedelta(days=14), hotspot="Resecentrum", geometry=zone,
                  factors=["Stationer och resecentrum", "Öppna lampfel", "Enheternas iakttagelser"],
                  cause="[demo] Unga samlas vid stationen fredag och lördag kväll där det är mörkt och inga "
                        "vuxna finns; försäljning sker i skydd av mörkret vid cykelgaraget.",
                  intervention_ids=[active], created_by="demo-data")
    return "a street base, unit reports, a safety walk, two decisions, a recorded cause and a citizen promise"
