"""Analyses over stored incidents: load points, call geo/, shape GeoJSON with the parameters echoed.

Results are cached on (analysis, parameters, data version); see app/analysis/cache.py.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import i18n
from app.analysis import cache, coverage, runner
from app.analysis.points import PRECISE_SQL, Points, load_points
from app.analysis.results import (
    ChangeMap,
    Comparison,
    Density,
    Emerging,
    Evaluation,
    GiStar,
    Hotspots,
    NearRepeat,
    Result,
    RiskTerrain,
    TimeProfile,
)
from app.analysis.schemas import (
    HOTSPOT_DAYS,
    ClusterParams,
    DensityParams,
    EmergingParams,
    EvaluateParams,
    GiStarParams,
    NearRepeatParams,
    Scope,
)
from app.auth.service import Principal
from app.bbox import parse_bbox
from app.config import get_settings
from app.db import data_version, tenant
from app.errors import InvalidInput
from app.geojson import geometry_json
from app.incidents.service import IncidentFilter, build_filter
from app.places import naming
from app.reference.models import Category
from geo import change, clustering, density, evaluation, hotspots, nearrepeat, rtm, temporal
from geo.crs import to_wgs84
from geo.grid import Grid, GridTooLarge

DAY = 86_400.0
GI_LABELS_SV = {3: "Hot spot, 99 %", 2: "Hot spot, 95 %", 1: "Hot spot, 90 %", 0: "Ej signifikant",
                -1: "Cold spot, 90 %", -2: "Cold spot, 95 %", -3: "Cold spot, 99 %"}


R = TypeVar("R", bound=Result)


def cached(session: Session, name: str, key: tuple[Any, ...], compute: Callable[..., R], *args: Any) -> R:
    """Serve from the cache when nothing changed since; else `compute(session, *args)`, in the analysis
    process when the app serves (app/analysis/runner.py). Results are typed (app/analysis/results.py)
    and cached as they are; the routers serialise them."""
    staleness = get_settings().analysis_max_staleness_seconds
    result: R = cache.results.versioned((name, tenant(session), key), data_version(session), staleness,
                                        lambda: runner.run(session, compute, *args))
    return result


def scope_filter(session: Session, scope: Scope, start: datetime, end: datetime,
                 viewer: Principal | None = None) -> IncidentFilter:
    """The incidents of `scope`; with `viewer`, only those it may see in detail (analyses of every unit's
    incidents need analysis:read, which reporters do not have)."""
    bbox = parse_bbox(scope.bbox, extent=get_settings().position_box)
    return build_filter(session, bbox=bbox.as_tuple() if bbox else None, start=start, end=end,
                        categories=scope.category, sources=scope.source, place_id=scope.place, viewer=viewer,
                        hours=scope.hour, weekdays=scope.weekday)


def _echo(scope: Scope, start: datetime, end: datetime, **params: Any) -> dict[str, Any]:
    return {"start": start.isoformat(), "end": end.isoformat(), "category": scope.category, "source": scope.source,
            "place": scope.place, "bbox": scope.bbox, "include_imprecise": scope.include_imprecise,
            **({"hour": scope.hour} if scope.hour else {}), **({"weekday": scope.weekday} if scope.weekday else {}),
            **params}


def _labels(session: Session) -> dict[str, str]:
    return {c.code: c.label_sv for c in session.scalars(select(Category))}


def _to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1])))


def _feature(geom: shapely.Geometry, properties: dict[str, Any], precision: int = 6) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry_json(geom, precision), "properties": properties}


# -- clusters -----------------------------------------------------------------------------------------

def clusters(session: Session, scope: Scope, params: ClusterParams) -> Hotspots:
    start, end = scope.period(365)
    return cached(session, "clusters", (scope.model_dump_json(), params.model_dump_json(), start, end),
                  _clusters, scope, params, start, end)


def _clusters(session: Session, scope: Scope, params: ClusterParams, start: datetime, end: datetime) -> Hotspots:
    _precise_only(scope)
    # One query for both periods, split in memory: the previous one feeds each hotspot's trend.
    both = load_points(session, scope_filter(session, scope, start - (end - start), end))
    current = both.epoch >= start.timestamp()
    points, previous = both.subset(current), both.subset(~current)
    try:
        if params.method == "hdbscan":
            result = clustering.hdbscan_hotspots(points.x, points.y, min_cluster_size=params.min_samples,
                                                 eps=params.eps, alpha=params.alpha)
        else:
            result = clustering.dbscan_hotspots(points.x, points.y, eps=params.eps, min_samples=params.min_samples,
                                                alpha=params.alpha)
        regions = clustering.trend_regions(result.clusters, both.x, both.y, eps=params.eps, alpha=params.alpha)
    except ValueError as exc:
        raise InvalidInput(str(exc), loc=("query", params.method)) from None
    labels = _labels(session)
    days = (end - start).total_seconds() / DAY
    previous_days = coverage.covered_days(session, start - (end - start), start, scope.source)
    features = []
    outlines = [_to_wgs84(cluster.hull) for cluster in result.clusters]
    names = naming.name_areas(session, outlines)
    trends = _trends(regions, points, previous, days, previous_days)
    for rank, (cluster, trend, outline, name) in enumerate(zip(result.clusters, trends, outlines, names,
                                                                strict=True), start=1):
        members = points.subset(_mask(points.size, cluster.members))
        cats, counts = np.unique(members.category.astype(str), return_counts=True)
        order = np.argsort(-counts, kind="stable")
        hours = clustering.active_hours(members.hour)
        features.append({"id": rank} | _feature(outline, {
            "rank": rank,
            "name": name,
            "count": members.size,
            "share": round(members.size / max(points.size, 1), 4),
            "area_ha": round(cluster.hull.area / 1e4, 2),
            "categories": [{"code": str(cats[i]), "label": labels.get(str(cats[i]), str(cats[i])),
                            "count": int(counts[i])} for i in order],
            "active_hours": hours,
            "active_hour_ranges": clustering.hour_ranges(hours),
            "hour_weekday": temporal.hour_weekday_matrix(members.weekday, members.hour).tolist(),
            "trend": trend,
        }))
    threshold = result.threshold
    return Hotspots.model_validate({
        "features": features,
        "parameters": _echo(scope, start, end, method=params.method, eps=params.eps,
                            min_samples=result.min_samples, alpha=params.alpha),
        "csr_threshold": threshold,
        "incidents": points.size,
        "clustered": int(sum(f["properties"]["count"] for f in features)),
        "method_sv": CLUSTER_METHOD_SV,
    })


CLUSTER_METHOD_SV = ("Ett hotspot-område är en täthet av händelser som slumpmässigt utspridda händelser över samma "
                     "område når med högst 5 % sannolikhet (DBSCAN med tröskel från fullständig rumslig slump). "
                     "Trenden jämför områdets andel av kommunens händelser i de två perioderna (Fishers exakta "
                     "test, korrigerat över alla hotspots med Benjamini–Hochberg), så att en ökning eller minskning "
                     "i hela kommunen inte ser ut som en förändring på platsen.")


def _trends(regions: list[shapely.Geometry], points: Points, previous: Points, days: float,
            previous_days: float) -> list[dict[str, Any]]:
    """Each hotspot's share of the area's incidents this period against the previous one, in a region found
    on both periods together (geo.temporal.share_changes: Fisher's exact test, which conditions on both
    periods' totals, so a town-wide rise or a season changes no hotspot's trend; Benjamini–Hochberg across
    the hotspots — in a stationary run all seven hotspots once said "säkerställd minskning" together)."""
    out: list[dict[str, Any]] = []
    tested: list[tuple[int, int, int]] = []
    for region in regions:
        if region.is_empty:
            out.append({"current_count": None, "previous_count": None, "ratio": None, "p_value": None,
                        "direction": "unchanged", "text_sv": TREND_SV["unchanged"]})
            continue
        now, before = _count_in(region, points), _count_in(region, previous)
        if previous_days < days * 0.5 or previous.size == 0:
            out.append({"current_count": now, "previous_count": None, "ratio": None, "p_value": None,
                        "direction": "no_data", "text_sv": TREND_SV["no_data"]})
            continue
        tested.append((len(out), now, before))
        out.append({})
    changes = temporal.share_changes([t[1] for t in tested], [t[2] for t in tested], current_total=points.size,
                                     previous_total=previous.size)
    for (k, _, _), moved in zip(tested, changes, strict=True):
        out[k] = {"current_count": moved.current, "previous_count": moved.previous, "ratio": _round(moved.ratio),
                  "p_value": round(moved.p_value, 5), "direction": moved.direction,
                  "text_sv": TREND_SV[moved.direction]}
    return out


TREND_SV = {"up": "större andel av kommunens händelser än föregående period (säkerställt)",
            "down": "mindre andel av kommunens händelser än föregående period (säkerställt)",
            "unchanged": "ingen säkerställd förändring mot kommunen i övrigt",
            "no_data": "data saknas för föregående period"}


def _count_in(region: shapely.Geometry, points: Points) -> int:
    """Points inside a polygon; only those in its bounding box are tested (a hotspot is small, a town large)."""
    xmin, ymin, xmax, ymax = region.bounds
    near = np.flatnonzero((points.x >= xmin) & (points.x <= xmax) & (points.y >= ymin) & (points.y <= ymax))
    return int(shapely.contains_xy(region, points.x[near], points.y[near]).sum())


def _precise_only(scope: Scope) -> None:
    """Hotspot analyses never use positions known only to a place, an area or the municipality."""
    if scope.include_imprecise:
        raise InvalidInput("include_imprecise cannot be used for a hotspot analysis: incidents known only to a place, "
                           "an area or the municipality sit on one centre point and would make a false hotspot there",
                           loc=("query", "include_imprecise"))


def _reference(session: Session, scope: Scope, start: datetime, end: datetime, points: Points) -> tuple[
        NDArray[np.float64], NDArray[np.float64]]:
    """Where incidents happen at all in the period (every category and source): the study area's basis."""
    if not (scope.category or scope.source):
        return points.x, points.y
    everything = load_points(session, scope_filter(session, scope.model_copy(update={"category": None, "source": None}),
                                                   start, end))
    return everything.x, everything.y  # the selection is part of it


def _study_area(x: NDArray[np.float64], y: NDArray[np.float64], cells: int, cell: float) -> dict[str, Any]:
    outline = _to_wgs84(hotspots.footprint_outline(x, y))
    return {"basis": "populated", "footprint_m": hotspots.FOOTPRINT_CELL_M, "cells": cells,
            "km2": round(cells * cell * cell / 1e6, 3),
            "text_sv": "Analysområdet: rutor om 250 m där någon händelse (alla kategorier) finns under perioden",
            "geometry": geometry_json(outline)}


def _mask(n: int, members: NDArray[np.intp]) -> NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    mask[members] = True
    return mask


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _direction(change: temporal.Change) -> str:
    if not change.significant:
        return "unchanged"
    return "up" if change.current * 1.0 > change.previous else "down"


# -- Gi* ---------------------------------------------------------------------------------------------

def _grid_for(points: Points, cell: float, pad: float) -> Grid:
    if points.size == 0:
        raise InvalidInput("no incidents match the filter", loc=("query",))
    try:
        return Grid.covering(points.x.min() - pad, points.y.min() - pad, points.x.max() + pad,
                             points.y.max() + pad, cell)
    except GridTooLarge as exc:
        raise InvalidInput(str(exc), loc=("query", "cell")) from None


def gistar(session: Session, scope: Scope, params: GiStarParams) -> GiStar:
    start, end = scope.period(365)
    return cached(session, "gistar", (scope.model_dump_json(), params.model_dump_json(), start, end),
                  _gistar, scope, params, start, end)


GI_METHOD_SV = ("Getis-Ord Gi* på rutnät inom analysområdet; en ruta är hot spot när antalet händelser i den och "
                "grannrutorna är större än slumpen ger (exakt Poisson-test vid fullständig rumslig slump), "
                "korrigerat för många test (Benjamini–Hochberg).")


def _gistar(session: Session, scope: Scope, params: GiStarParams, start: datetime, end: datetime) -> GiStar:
    assert params.band is not None
    _precise_only(scope)
    points = load_points(session, scope_filter(session, scope, start, end))
    echo = _echo(scope, start, end, cell=params.cell, band=params.band, fdr=params.fdr,
                 permutations=params.permutations, seed=params.seed, only_significant=params.only_significant,
                 min_confidence=params.min_confidence)
    if points.size == 0:
        return GiStar(features=[], parameters=echo, grid=None, classes={}, incidents=0, study_area=None,
                      method_sv=GI_METHOD_SV)
    rx, ry = _reference(session, scope, start, end, points)
    try:
        gi = hotspots.gi_star_points(points.x, points.y, cell=params.cell, band=params.band, reference=(rx, ry),
                                     permutations=params.permutations, seed=params.seed, fdr=params.fdr,
                                     min_confidence={90: 1, 95: 2, 99: 3}[params.min_confidence])
    except GridTooLarge as exc:
        raise InvalidInput(str(exc), loc=("query", "cell")) from None
    except ValueError as exc:
        raise InvalidInput(str(exc), loc=("query", "permutations")) from None
    grid, result = gi.grid, gi.result
    keep = result.classes != 0 if params.only_significant else (result.classes != 0) | (result.counts > 0)
    index = np.flatnonzero(keep)
    rings = grid.cell_polygons_wgs84(index).round(6)
    features = _gi_features(result, index, rings)
    _name_gi_areas(session, features)
    summary = {str(c): int((result.classes == c).sum()) for c in range(-3, 4)}
    assert result.study is not None
    return GiStar.model_validate({
        "features": features, "parameters": echo,
        "grid": {"cells": int(result.counts.size), "nx": grid.nx, "ny": grid.ny, "crs": "EPSG:3006"},
        "study_area": _study_area(rx, ry, int(result.study.sum()), grid.cell),
        "inference": result.inference, "classes": summary, "incidents": points.size, "method_sv": GI_METHOD_SV})


def _gi_features(result: hotspots.GiStarResult, index: NDArray[np.intp], rings: NDArray[np.float64]) -> list[
        dict[str, Any]]:
    return [
        {"type": "Feature", "id": int(i),
         "geometry": {"type": "Polygon", "coordinates": [rings[k].tolist()]},
         "properties": {"count": int(result.counts[i]), "z": round(float(result.z[i]), 4),
                        "p": float(f"{result.p[i]:.4g}"), "class": int(result.classes[i]),
                        "label": GI_LABELS_SV[int(result.classes[i])],
                        **({"p_sim": float(result.p_sim[i])} if result.p_sim is not None else {})}}
        for k, i in enumerate(index.tolist())
    ]


GI_NAMED_AREAS = 40  # the largest groups of significant cells are named; beyond that, the map is noise


def _name_gi_areas(session: Session, features: list[dict[str, Any]]) -> None:
    """Touching significant cells of one sign form an area; each gets a name a local reads at once (as the
    hotspots do), the same on every cell of it, so a tooltip or a list says where, not only "Gi* 99 %"."""
    from shapely.geometry import shape

    for sign in (1, -1):
        cells = [f for f in features if f["properties"]["class"] * sign > 0]
        if not cells:
            continue
        shapes = [shape(f["geometry"]) for f in cells]
        merged = shapely.union_all([s.buffer(1e-7) for s in shapes])
        parts = sorted(getattr(merged, "geoms", [merged]), key=lambda g: -g.area)[:GI_NAMED_AREAS]
        names = naming.name_areas(session, parts)
        tree = shapely.STRtree(parts)
        for feature, cell in zip(cells, shapes, strict=True):
            hits = tree.query(cell.centroid, predicate="intersects")
            if len(hits):
                feature["properties"]["area"] = names[int(hits[0])]


# -- map of change -----------------------------------------------------------------------------------

CHANGE_CELL_M = 250.0
CHANGE_METHOD_SV = ("Varje ruta om 250 m prövas för sig: har rutans andel av alla händelser ändrats mer än slumpen "
                    "ger (exakt villkorat test, med hänsyn till hur många händelser hela området hade i varje "
                    "period, så att en ökning överallt inte markerar några rutor), korrigerat för att kartan "
                    "prövar många rutor samtidigt (Benjamini–Hochberg, 5 %). Ljusa rutor är förändringar som "
                    "slumpen ensam kan ge.")


def change_map(session: Session, scope: Scope) -> ChangeMap:
    """Where counts rose and fell: the period (default the last 14 days) against the one before it."""
    _precise_only(scope)
    start, end = scope.period(14)
    return cached(session, "change", (scope.model_dump_json(), start, end), _change_map, scope, start, end)


def _change_map(session: Session, scope: Scope, start: datetime, end: datetime) -> ChangeMap:
    before = (start - (end - start), start)
    keep, left_out = coverage.comparable_sources(session, before, (start, end), scope.source)
    periods = {"current": (start.isoformat(), end.isoformat()),
               "previous": (before[0].isoformat(), before[1].isoformat())}
    echo = _echo(scope, start, end, cell=CHANGE_CELL_M)
    empty = {"parameters": echo, "periods": periods, "cell_m": CHANGE_CELL_M, "compared_sources": keep,
             "left_out_sources": left_out, "method_sv": CHANGE_METHOD_SV}
    if not keep:
        return ChangeMap(features=[], tests=0, claims=0, **empty,
                         text_sv="Ingen jämförelse: ingen källa har data för både perioden och perioden före.")
    same_sources = scope.model_copy(update={"source": keep})
    now = load_points(session, scope_filter(session, same_sources, start, end))
    then = load_points(session, scope_filter(session, same_sources, *before))
    xs, ys = np.concatenate([now.x, then.x]), np.concatenate([now.y, then.y])
    if xs.size == 0:
        return ChangeMap(features=[], tests=0, claims=0, **empty,
                         text_sv="Ingen säkerställd förändring: inga händelser med position under perioderna.")
    try:
        grid = Grid.covering(float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()), CHANGE_CELL_M)
    except GridTooLarge as exc:
        raise InvalidInput(str(exc), loc=("query", "bbox")) from None
    result = change.change_map(now.x, now.y, then.x, then.y, grid)
    rings = grid.cell_polygons_wgs84(np.array([c.index for c in result.cells], dtype=np.intp)).round(6)
    claimed = [k for k, c in enumerate(result.cells) if c.significant]
    names = naming.name_areas(session, [shapely.Polygon(rings[k]) for k in claimed])
    name_of = dict(zip(claimed, names, strict=True))
    features = [{"type": "Feature", "id": c.index, "geometry": {"type": "Polygon", "coordinates": [rings[k].tolist()]},
                 "properties": {"current": c.current, "previous": c.previous, "p": float(f"{c.p_value:.4g}"),
                                "significant": c.significant, "direction": c.direction, "name": name_of.get(k)}}
                for k, c in enumerate(result.cells)]
    ups = sum(1 for c in result.claims if c.direction == "up")
    downs = len(result.claims) - ups
    whole = f" Hela området: {then.size} → {now.size} händelser."
    text_sv = (f"{ups} {'ruta' if ups == 1 else 'rutor'} med säkerställt större andel, {downs} med säkerställt "
               f"mindre andel av {result.tests} prövade." if result.claims else
               f"Ingen ruta har säkerställt ändrat sin andel av händelserna ({result.tests} prövade).") + whole
    return ChangeMap.model_validate({"features": features, "tests": result.tests, "claims": len(result.claims),
                                     **empty, "text_sv": text_sv})


# -- cause analysis: risk terrain ------------------------------------------------------------------------

RTM_CELL_M = 100.0
RTM_MIN_INCIDENTS = 50  # fewer cannot tell a factor from chance at any useful relative risk
NOT_YET_HOT = 5
RTM_BASELINE_SV = ("händelsernas eget mönster i stort (utjämnat över 150 m), så att platser som bara ligger där "
                   "det är mycket folk inte räknas")
RTM_METHOD_SV = ("Riskterrängmodell (efter Caplan & Kennedy) på rutor om 100 m: för varje faktor jämförs antalet "
                 "händelser inom 100, 200 eller 300 m med vad som väntas där med hänsyn till " + RTM_BASELINE_SV +
                 ". Jämförelsen görs också med samma faktorlager flyttat som helhet till alla andra lägen i "
                 "området, också vridet (det egna mönstret behålls; bara lika livliga lägen räknas), och en faktor "
                 "nämns bara om den sticker ut mot nästan alla "
                 "flyttade lägen, efter korrigering för alla prövade faktorer (Holm). 2,0 betyder dubbelt så "
                 "många händelser nära faktorn som väntat, med 95 % intervall (blockbootstrap). Det är ett "
                 "samband, inte ett bevis för orsak.")


def risk_terrain(session: Session, scope: Scope) -> RiskTerrain:
    """Which factors raise the incident count around them (the half-year of the hotspots by default)."""
    _precise_only(scope)
    start, end = scope.period(HOTSPOT_DAYS)
    return cached(session, "risk_terrain", (scope.model_dump_json(), start, end), _risk_terrain, scope, start, end)


def _risk_terrain(session: Session, scope: Scope, start: datetime, end: datetime) -> RiskTerrain:
    from app.causes.factors import factor_layers

    points = load_points(session, scope_filter(session, scope, start, end))
    echo = _echo(scope, start, end, cell=RTM_CELL_M)
    factors = factor_layers(session, start, end)
    if points.size < RTM_MIN_INCIDENTS or not factors:
        return RiskTerrain(features=[], factors=[], not_yet_hot=[], cells=0, incidents=points.size, tests=0,
                           parameters=echo, method_sv=RTM_METHOD_SV,
                           text_sv="Ingen orsaksanalys: " + (
                               f"för få händelser med position ({points.size}; minst {RTM_MIN_INCIDENTS} behövs)."
                               if points.size < RTM_MIN_INCIDENTS else "inga riskfaktorer finns."))
    from app.statistics.grid import population_on

    named: list[str] = []

    def residents(grid: Grid) -> NDArray[np.float64] | None:
        raster, label = population_on(session, grid.x0, grid.y0, grid.cell, grid.shape)
        if label:
            named.append(label)
        return raster

    try:
        fitted = rtm.fit_points(points.x, points.y, [f.layer for f in factors], cell=RTM_CELL_M, residents=residents)
    except GridTooLarge as exc:
        raise InvalidInput(str(exc), loc=("query", "bbox")) from None
    grid, index, counts, result = fitted.grid, fitted.index, fitted.counts, fitted.result
    baseline_sv = RTM_BASELINE_SV + (f" och jämfört med lägen där lika många bor ({named[0]})" if named else "")
    source = {f.layer.code: f.source for f in factors}
    raised = np.flatnonzero(result.relative_risk > 1.0)
    rings = grid.cell_polygons_wgs84(index[raised]).round(6)
    features = [{"type": "Feature", "id": int(index[k]),
                 "geometry": {"type": "Polygon", "coordinates": [rings[n].tolist()]},
                 "properties": {"relative_risk": round(float(result.relative_risk[k]), 3),
                                "count": int(counts[index[k]])}} for n, k in enumerate(raised)]
    significant = result.significant
    kept = ", ".join(f"{f.name.lower()} ({f.relative_risk:.1f} gånger det väntade)".replace(".", ",")
                     for f in significant if f.relative_risk)
    text_sv = (f"Fler händelser än väntat nära {len(significant)} av {len(result.factors)} prövade faktorer: {kept}, "
               f"med hänsyn till {baseline_sv}. Ett samband, inte ett bevis för orsak."
               if significant else f"Ingen av {len(result.factors)} prövade faktorer har säkerställt fler händelser "
                                   f"nära sig än väntat med hänsyn till {baseline_sv}.")
    return RiskTerrain.model_validate({
        "features": features, "parameters": echo, "cells": result.cells, "incidents": result.incidents,
        "tests": result.tests, "method_sv": RTM_METHOD_SV, "text_sv": text_sv,
        "factors": [{"code": f.code, "name": f.name, "source": source[f.code], "distance_m": f.distance_m,
                     "relative_risk": None if f.relative_risk is None else round(f.relative_risk, 3),
                     "interval": None if f.interval is None else (round(f.interval[0], 3), round(f.interval[1], 3)),
                     "p": float(f"{f.p_value:.4g}"), "significant": f.significant, "cells_near": f.cells_near}
                    for f in result.factors],
        "not_yet_hot": _not_yet_hot(session, grid, index, result.relative_risk, counts)})


def _not_yet_hot(session: Session, grid: Grid, index: NDArray[np.intp], risk: NDArray[np.float64],
                 counts: NDArray[np.float64]) -> list[dict[str, Any]]:
    """Areas where the factors make the risk high but incidents are still few: touching cells at the
    highest risk levels with no more incidents than an ordinary cell, named, highest risk first."""
    if risk.size == 0 or float(risk.max()) <= 1.0:
        return []
    ordinary = float(np.mean(counts[index][risk <= 1.0])) if (risk <= 1.0).any() else 0.0
    high = risk >= max(2.0, float(np.quantile(risk[risk > 1.0], 0.5)))
    quiet = np.flatnonzero(high & (counts[index] <= ordinary))
    if quiet.size == 0:
        return []
    rings = grid.cell_polygons_wgs84(index[quiet])
    cells = [shapely.Polygon(r) for r in rings]
    merged = shapely.union_all([c.buffer(1e-7) for c in cells])
    parts = list(getattr(merged, "geoms", [merged]))
    tree = shapely.STRtree(cells)
    scored = []
    for part in parts:
        members = tree.query(part, predicate="intersects")
        scored.append((float(np.max(risk[quiet[members]])), int(counts[index[quiet[members]]].sum()), part))
    scored.sort(key=lambda s: (-s[0], s[1]))
    top = scored[:NOT_YET_HOT * 3]
    names = naming.name_areas(session, [p for _, _, p in top])
    out: list[dict[str, Any]] = []
    for (r, n, p), name in zip(top, names, strict=True):
        if any(o["name"] == name for o in out):  # pieces of one area under one name: listed once (#35)
            continue
        out.append({"name": name, "relative_risk": round(r, 2), "incidents": n, "geometry": geometry_json(p)})
    return out[:NOT_YET_HOT]


# -- density -----------------------------------------------------------------------------------------

def density_surface(session: Session, scope: Scope, params: DensityParams) -> Density:
    start, end = scope.period(365)
    return cached(session, "density", (scope.model_dump_json(), params.model_dump_json(), start, end),
                  _density, scope, params, start, end)


def _density(session: Session, scope: Scope, params: DensityParams, start: datetime, end: datetime) -> Density:
    points = load_points(session, scope_filter(session, scope, start, end), include_imprecise=scope.include_imprecise)
    echo = _echo(scope, start, end, bandwidth=params.bandwidth, cell=params.cell, kernel=params.kernel)
    if points.size == 0:
        return Density(parameters=echo, unit="incidents per km²", grid=None, bounds=None, max=0.0, image=None,
                       incidents=0)
    grid = _grid_for(points, params.cell, params.bandwidth)
    surface = density.kernel_density(points.x, points.y, bandwidth=params.bandwidth, cell=params.cell,
                                     grid=grid, kernel=params.kernel)
    corners_lon, corners_lat = to_wgs84([grid.x0, grid.x0 + grid.nx * grid.cell],
                                        [grid.y0, grid.y0 + grid.ny * grid.cell])
    return Density.model_validate({
        "parameters": echo,
        "unit": "incidents per km²",
        "grid": {"x0": grid.x0, "y0": grid.y0, "cell": grid.cell, "nx": grid.nx, "ny": grid.ny, "crs": "EPSG:3006"},
        "bounds": [[float(corners_lat[0]), float(corners_lon[0])], [float(corners_lat[1]), float(corners_lon[1])]],
        "max": float(surface.values.max()),
        "image": density_png(surface.values),
        "incidents": points.size,
    })


def density_png(values: NDArray[np.float64]) -> str:
    """The surface as a transparent PNG data URL (north up) for an image overlay on the map."""
    from matplotlib import colormaps
    from matplotlib.image import imsave

    peak = values.max()
    scaled = values / peak if peak > 0 else values
    rgba = colormaps["YlOrRd"](scaled)
    rgba[..., 3] = np.clip(scaled * 1.6, 0, 0.85)
    rgba[scaled < 0.03, 3] = 0
    buffer = io.BytesIO()
    imsave(buffer, rgba[::-1], format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# -- time ----------------------------------------------------------------------------------------------

def time_profile(session: Session, scope: Scope) -> TimeProfile:
    start, end = scope.period(365)
    return cached(session, "time", (scope.model_dump_json(), start, end), _time_profile, scope, start, end)


def _time_profile(session: Session, scope: Scope, start: datetime, end: datetime) -> TimeProfile:
    # Counted in PostgreSQL: a 7 × 24 table needs no points in Python.
    from sqlalchemy import text

    where, params = scope_filter(session, scope, start, end).where()
    if not scope.include_imprecise:
        where += f" AND {PRECISE_SQL}"
    rows = session.execute(text(f"""
        SELECT extract(isodow FROM i.occurred_at AT TIME ZONE :tz)::int - 1,
               extract(hour FROM i.occurred_at AT TIME ZONE :tz)::int, count(*)
        FROM incidents i WHERE {where} GROUP BY 1, 2"""), {**params, "tz": get_settings().timezone}).all()
    matrix = np.zeros((7, 24), dtype=np.int64)
    for weekday, hour, n in rows:
        matrix[weekday, hour] = n
    return TimeProfile(parameters=_echo(scope, start, end), weekdays=list(temporal.WEEKDAYS_SV),
                       matrix=matrix.tolist(), by_hour=matrix.sum(axis=0).tolist(),
                       by_weekday=matrix.sum(axis=1).tolist(), incidents=int(matrix.sum()))


def compare(session: Session, scope: Scope) -> Comparison:
    """This period against the previous one and the same period a year earlier, per category and place."""
    start, end = scope.period(14)
    return cached(session, "compare", (scope.model_dump_json(), start, end),
                  _compare, scope, start, end)


def _compare(session: Session, scope: Scope, start: datetime, end: datetime) -> Comparison:
    from sqlalchemy import text

    length = end - start
    periods = {"current": (start, end), "previous": (start - length, start),
               "last_year": (start - timedelta(days=364), end - timedelta(days=364))}
    flt = scope_filter(session, scope, start - timedelta(days=364), end)
    where, params = replace(flt, start=None, end=None).where()  # the periods below set the times
    if not scope.include_imprecise:
        where += f" AND {PRECISE_SQL}"
    rows = session.execute(text(f"""
        SELECT i.category, i.source,
               count(*) FILTER (WHERE i.occurred_at >= :c0 AND i.occurred_at < :c1),
               count(*) FILTER (WHERE i.occurred_at >= :p0 AND i.occurred_at < :p1),
               count(*) FILTER (WHERE i.occurred_at >= :y0 AND i.occurred_at < :y1)
        FROM incidents i WHERE {where}
          AND ((i.occurred_at >= :p0 AND i.occurred_at < :c1) OR (i.occurred_at >= :y0 AND i.occurred_at < :y1))
        GROUP BY i.category, i.source"""), {**params, "c0": start, "c1": end, "p0": start - length, "p1": start,
                                            "y0": periods["last_year"][0], "y1": periods["last_year"][1]}).all()
    table = ComparisonTable(session, periods, scope.source)
    labels = _labels(session)
    by_category: dict[str, list[tuple[str, int, int, int]]] = {}
    for code, source, cur, prev, last in rows:
        by_category.setdefault(code, []).append((source, cur, prev, last))
    categories = [
        {"code": code, "label": labels.get(code, code), "current": sum(r[1] for r in parts),
         "vs_previous": table.change(parts, "previous"), "vs_last_year": table.change(parts, "last_year")}
        for code, parts in sorted(by_category.items(), key=lambda kv: (-sum(r[1] for r in kv[1]), kv[0]))
    ]
    every = [(source, cur, prev, last) for _, source, cur, prev, last in rows]
    total = {"current": sum(r[1] for r in every), "vs_previous": table.change(every, "previous"),
             "vs_last_year": table.change(every, "last_year")}
    table.correct()
    return Comparison.model_validate({
        "parameters": _echo(scope, start, end),
        "periods": {k: [a.isoformat(), b.isoformat()] for k, (a, b) in periods.items()},
        "total": total, "categories": categories, **table.describe()})


class ComparisonTable:
    """The changes of one table, compared only over sources whose data covers both periods, then held
    together to a false discovery rate of 5 % (Benjamini–Hochberg): with 26 uncorrected tests, 47 % of
    reports with no real change carried a "notable" one."""

    def __init__(self, session: Session, periods: dict[str, tuple[datetime, datetime]],
                 sources: list[str] | None) -> None:
        self.days = (periods["current"][1] - periods["current"][0]).total_seconds() / DAY
        self.sources = {name: coverage.comparable_sources(session, periods[name], periods["current"], sources)
                        for name in ("previous", "last_year")}
        self.changes: list[dict[str, Any]] = []

    def change(self, parts: list[tuple[str, int, int, int]], against: str) -> dict[str, Any]:
        """`parts`: (source, current, previous, last year) counts; `against`: "previous" or "last_year"."""
        keep = set(self.sources[against][0])
        current = sum(p[1] for p in parts if p[0] in keep)
        earlier = sum((p[2] if against == "previous" else p[3]) for p in parts if p[0] in keep)
        if not keep:
            entry: dict[str, Any] = {"count": None, "current": None, "ratio": None, "p_value": None, "notable": False,
                                     "direction": "no_data", "text_sv": DIRECTION_TEXT_SV["no_data"]}
        else:
            result = temporal.compare_counts(current, earlier, current_days=self.days, previous_days=self.days)
            entry = {"count": earlier, "current": current, "ratio": _round(result.ratio),
                     "p_value": round(result.p_value, 5), "notable": False, "direction": "unchanged",
                     "up": current > earlier}
        self.changes.append(entry)
        return entry

    def correct(self, alpha: float = 0.05) -> None:
        tested = [c for c in self.changes if c["p_value"] is not None]
        for entry, significant in zip(tested, temporal.significant_after_fdr([c["p_value"] for c in tested], alpha),
                                      strict=True):
            up = entry.pop("up")
            entry["notable"] = bool(significant)
            entry["direction"] = ("up" if up else "down") if significant else "unchanged"
            few = not significant and entry["current"] + entry["count"] < FEW_TO_SAY
            entry["text_sv"] = DIRECTION_TEXT_SV["few" if few else entry["direction"]]

    def describe(self) -> dict[str, Any]:
        tests = sum(1 for c in self.changes if c["p_value"] is not None)
        return {"compared_sources": {k: v[0] for k, v in self.sources.items()},
                "left_out_sources": {k: v[1] for k, v in self.sources.items()},
                "test_sv": (f"Exakt Poisson-test per rad, {tests} test korrigerade tillsammans (Benjamini–Hochberg, "
                            "5 %). Jämförelsen tar bara med källor vars data täcker båda perioderna.")}


FEW_TO_SAY = 10  # below this many in both periods together, even a halving or doubling cannot be told from chance
DIRECTION_TEXT_SV = {"few": "för få händelser för att bedöma en förändring",
                     "up": "säkerställd ökning", "down": "säkerställd minskning",
                     "unchanged": "ingen säkerställd förändring", "no_data": "data saknas för jämförelseperioden"}


# -- emerging hot spots ------------------------------------------------------------------------------

def emerging(session: Session, scope: Scope, params: EmergingParams) -> Emerging:
    _, end = scope.period(1)
    start = end - timedelta(days=params.slice_days * params.slices)
    return cached(session, "emerging", (scope.model_dump_json(), params.model_dump_json(), start, end),
                  _emerging, scope, params, start, end)


EMERGING_METHOD_SV = ("Framväxande hot spots: Getis-Ord Gi* i rum och tid (grannrutor i samma och föregående "
                      "tidsperiod) visar var det är tätare än i kommunen i övrigt. En ruta kallas ny, sammanhängande, "
                      "tilltagande, avtagande, växlande eller tidigare bara när dess andel av kommunens händelser "
                      "har ändrats säkerställt, med hänsyn till hur många händelser varje period hade i hela "
                      "kommunen (rum-tid-permutation som i Kulldorff m.fl. 2005). Alla rutor prövas tillsammans: "
                      "en kommun där inget ändrats ger ett sådant fynd i högst 5 % av fallen, räknat tillsammans "
                      "med raden om hela kommunen. En ökning i hela kommunen redovisas för sig och gör inga rutor "
                      "nya. Ihållande: hot spot nästan hela tiden utan säkerställd förändring; sporadisk: ibland.")


def _emerging(session: Session, scope: Scope, params: EmergingParams, start: datetime, end: datetime) -> Emerging:
    assert params.band is not None
    _precise_only(scope)
    points = load_points(session, scope_filter(session, scope, start, end))
    echo = _echo(scope, start, end, cell=params.cell, band=params.band, slice_days=params.slice_days,
                 slices=params.slices)
    if points.size == 0:
        return Emerging(features=[], parameters=echo, patterns={}, incidents=0, method_sv=EMERGING_METHOD_SV)
    rx, ry = _reference(session, scope, start, end, points)
    slice_index = np.floor((points.epoch - start.timestamp()) / (params.slice_days * DAY)).astype(int)
    slice_index = np.clip(slice_index, 0, params.slices - 1)
    try:
        grid, result = temporal.emerging_points(points.x, points.y, slice_index, slices=params.slices,
                                                cell=params.cell, band=params.band, reference=(rx, ry))
    except GridTooLarge as exc:
        raise InvalidInput(str(exc), loc=("query", "cell")) from None
    keep = result.patterns != "no_pattern"
    index = result.cells[keep]
    rings = grid.cell_polygons_wgs84(index).round(6)
    features = [
        {"type": "Feature", "id": int(i), "geometry": {"type": "Polygon", "coordinates": [rings[k].tolist()]},
         "properties": {"pattern": str(label), "label": i18n.label("emerging", str(label)),
                        "count": int(total), "trend": int(t), "classes": classes.tolist()}}
        for k, (i, label, total, t, classes) in enumerate(zip(
            index.tolist(), result.patterns[keep], result.totals[keep], result.trend[keep], result.classes[keep],
            strict=True))
    ]
    patterns, counts_by = np.unique(result.patterns[keep].astype(str), return_counts=True)
    return Emerging.model_validate({
        "features": features, "parameters": echo,
        "patterns": dict(zip(patterns.tolist(), counts_by.tolist(), strict=True)), "incidents": points.size,
        "study_area": _study_area(rx, ry, result.study_cells, grid.cell),
        "town": town_change(session, scope, points, end, days=result.recent * params.slice_days,
                            cube=result, slice_days=params.slice_days),
        "change_critical": None if not np.isfinite(result.share_critical) else round(result.share_critical, 4),
        "method_sv": EMERGING_METHOD_SV})


YEAR = timedelta(days=364)  # 52 weeks: the same weekdays a year earlier


def town_change(session: Session, scope: Scope, points: Points, end: datetime, *, days: int,
                cube: temporal.EmergingResult, slice_days: int) -> dict[str, Any]:
    """The whole area's last `days` against the same days a year earlier when every source's data covers
    them (seasons repeat: compare like with like), else against the cube's earlier slices; the exact
    conditional Poisson test at half the analysis' alpha (the other half is the cells')."""
    begin = end - timedelta(days=days)
    before = (begin - YEAR, end - YEAR)
    keep, left_out = coverage.comparable_sources(session, before, (begin, end), scope.source)
    if keep and not left_out:
        now = int((points.epoch >= begin.timestamp()).sum())
        where, params = scope_filter(session, scope, *before).where()  # a count: no points to load
        year = int(session.execute(text(f"SELECT count(*) FROM incidents i WHERE {where} AND {PRECISE_SQL}"),
                                   params).scalar_one())
        change = temporal.compare_counts(now, year, alpha=0.025)
        against, earlier_period = "last_year", before
    else:
        assert cube.slice_totals is not None and cube.town is not None
        change = cube.town
        against, earlier_period = "before", (end - timedelta(days=slice_days * cube.slice_totals.size), begin)
    direction = "unchanged" if not change.significant else (
        "up" if change.ratio is None or change.ratio > 1 else "down")  # per day: the periods may differ in length
    weeks = f"{days // 7} veckorna" if days % 7 == 0 else f"{days} dagarna"
    earlier_days = round((earlier_period[1] - earlier_period[0]).total_seconds() / DAY)
    against_sv = ("samma veckor i fjol" if against == "last_year" else f"de {earlier_days // 7} veckorna före"
                  if earlier_days % 7 == 0 else f"de {earlier_days} dagarna före")
    counts = (f"{change.current} mot {change.previous} händelser" if against == "last_year" else
              f"{change.current} händelser mot {change.previous}, räknat per dag")
    percent = "" if change.ratio is None else f" ({(change.ratio - 1) * 100:+.0f} %)".replace("-", "−")
    text_sv = {"up": f"Hela kommunen: säkerställd ökning{percent} de senaste {weeks} mot {against_sv}",
               "down": f"Hela kommunen: säkerställd minskning{percent} de senaste {weeks} mot {against_sv}",
               }.get(direction, f"Hela kommunen: ingen säkerställd förändring de senaste {weeks} mot {against_sv}")
    text_sv += f" ({counts})."
    if against == "before" and direction != "unchanged":  # seasons repeat: without last year, say so
        text_sv += " Data för samma tid i fjol saknas, så det kan vara årstiden."
    return {"current": change.current, "earlier": change.previous,
            "current_period": (begin.isoformat(), end.isoformat()),
            "earlier_period": (earlier_period[0].isoformat(), earlier_period[1].isoformat()),
            "against": against, "ratio": _round(change.ratio), "p_value": round(change.p_value, 6),
            "direction": direction, "text_sv": text_sv}


# -- how sure the analyses are ------------------------------------------------------------------------

VALIDITY_TABLE = Path(__file__).with_name("validity.json")


def validity_table() -> dict[str, Any] | None:
    """bench/validity.py's table of claims × nulls (false alarms) and planted patterns (found), as written
    by `bench/validity.py --write`; None before the first run."""
    import json

    try:
        data: dict[str, Any] = json.loads(VALIDITY_TABLE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return data


# -- near repeat ---------------------------------------------------------------------------------------

def near_repeat(session: Session, scope: Scope, params: NearRepeatParams) -> NearRepeat:
    start, end = scope.period(365)
    return cached(session, "near_repeat", (scope.model_dump_json(), params.model_dump_json(), start, end),
                  _near_repeat, scope, params, start, end)


def near_repeat_categories(session: Session) -> list[str]:
    return list(session.scalars(select(Category.code).where(Category.near_repeat.is_(True))))


def _near_repeat(session: Session, scope: Scope, params: NearRepeatParams, start: datetime,
                 end: datetime) -> NearRepeat:
    space, time = params.bands()
    if not scope.category:
        scope = scope.model_copy(update={"category": near_repeat_categories(session)})
    points = load_points(session, scope_filter(session, scope, start, end), include_imprecise=False)
    try:
        result = nearrepeat.knox_test(points.x, points.y, points.epoch / DAY, space_bands=space, time_bands=time,
                                      permutations=params.permutations, seed=params.seed)
    except ValueError as exc:
        raise InvalidInput(str(exc), loc=("query", "space_bands")) from None
    elevated = result.elevated()
    return NearRepeat.model_validate({
        "parameters": _echo(scope, start, end, space_bands=space, time_bands=time,
                            permutations=params.permutations, seed=params.seed),
        "incidents": points.size,
        "observed": result.observed.tolist(), "expected": np.round(result.expected, 3).tolist(),
        "ratio": np.round(np.nan_to_num(result.ratio, nan=0.0), 3).tolist(), "p_value": result.p_value.tolist(),
        "sampled_fraction": round(result.sampled_fraction, 4),
        "elevated": None if elevated is None else {"within_m": elevated[0], "for_days": elevated[1]},
        "summary_sv": (f"Förhöjd risk inom {elevated[0]:.0f} m i {elevated[1]:.0f} dagar efter en händelse"
                       if elevated else "Ingen signifikant förhöjd risk nära tidigare händelser"),
    })


# -- evaluation ----------------------------------------------------------------------------------------

def evaluate(session: Session, scope: Scope, params: EvaluateParams) -> Evaluation:
    """Build the map on the period before `start` (same length) and score it on [start, end)."""
    start, end = scope.period(28)
    return cached(session, "evaluate", (scope.model_dump_json(), params.model_dump_json(), start, end),
                  _evaluate, scope, params, start, end)


def _evaluate(session: Session, scope: Scope, params: EvaluateParams, start: datetime,
              end: datetime) -> Evaluation:
    train_start = start - (end - start)
    train = load_points(session, scope_filter(session, scope, train_start, start), include_imprecise=False)
    test = load_points(session, scope_filter(session, scope, start, end), include_imprecise=False)
    both_x, both_y = np.concatenate([train.x, test.x]), np.concatenate([train.y, test.y])
    if train.size == 0 or test.size == 0:
        raise InvalidInput("the map needs incidents in both periods; widen the time range or the filter",
                           loc=("query", "start"))
    try:
        grid = Grid.covering(both_x.min(), both_y.min(), both_x.max(), both_y.max(), params.cell)
    except GridTooLarge as exc:  # a county's or region's whole extent at street-level cells
        raise InvalidInput(str(exc), loc=("query", "cell")) from None
    # Study area: the populated footprint (250 m cells holding any incident), as for the CSR threshold;
    # a municipality's bounding box would count fields and lakes and flatter every map.
    study_area = clustering.populated_area_m2(both_x, both_y)
    cx, cy = grid.centres()
    study_cells = np.isin(clustering.footprint_keys(cx, cy), clustering.footprint_keys(both_x, both_y)).reshape(
        grid.shape)
    if params.method == "dbscan":
        result = clustering.dbscan_hotspots(train.x, train.y, eps=params.eps)
        scored = evaluation.score_polygons([c.hull for c in result.clusters], test.x, test.y, study_area)
    else:
        train_counts = grid.counts(train.x, train.y)
        if params.method == "gistar":
            gi = hotspots.gi_star(train_counts, cell=params.cell, band=2 * params.cell, study_area=study_cells)
            flagged = (gi.classes.reshape(grid.shape) > 0) & study_cells
        else:
            surface = density.kernel_density(train.x, train.y, bandwidth=2.5 * params.cell, cell=params.cell,
                                             grid=grid).values
            threshold = np.quantile(surface[study_cells], 1 - params.top_share) if study_cells.any() else np.inf
            flagged = (surface >= threshold) & study_cells
        later = grid.counts(test.x, test.y)
        scored = evaluation.score(int(later[flagged].sum()), int(later.sum()),
                                  float(flagged.sum()) * params.cell**2, study_area)
    return Evaluation(parameters=_echo(scope, start, end, method=params.method, cell=params.cell, eps=params.eps,
                                       top_share=params.top_share, train_start=train_start.isoformat()),
                      train_incidents=train.size, test_incidents=test.size, hits=scored.hits,
                      hit_rate=round(scored.hit_rate, 4), area_share=round(scored.area_share, 4),
                      pai=_round(scored.pai))
