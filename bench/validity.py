"""Validity harness: does any claim the analysis makes come from random data?

    .venv/bin/python bench/validity.py [--seeds 200] [--only csr|planted|cube|interventions|tables]

For every method at the parameters the pages and the API use by default it prints
  * the false-positive rate on complete spatial randomness (CSR): the share of runs with any claim
    (a significant Gi* cell, a DBSCAN/HDBSCAN cluster, an emerging pattern, a "notable" change in a
    lägesbild table, an intervention effect), on points uniform over Mjölby town (lon 15.08–15.18,
    lat 58.30–58.35, as the outside check used) and, for the spatial methods, on points that follow a
    population surface (denser in the centre: "hot" against a uniform town is then true, so those
    figures say how often a hotspot is found where only people are);
  * the recall and the false hotspots on planted patterns: single hotspots of 40 and 80 events with
    σ 25 and 50 m, two hotspots 130 m apart, space-time cubes of each emerging class, and planted
    intervention effects (real reduction, displacement, diffusion, none).
Each run is seeded; the figures are the same on every machine. tests/test_validity.py runs a reduced
set of seeds and asserts the goals of issue #15.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from geo import change, clustering, evaluation, hotspots, rtm, temporal  # noqa: E402
from geo.crs import to_sweref  # noqa: E402
from geo.grid import Grid  # noqa: E402

TOWN = (15.08, 58.30, 15.18, 58.35)           # lon/lat box of Mjölby town
CENTRE = (15.13, 58.325)
N_TOWN = 2_000                                # incidents a year in the outside check
DAY = 86_400.0

# The parameters the pages and API use by default (app/analysis/schemas.py, app/maps, app/report).
GI_VIEWS = {"map (cell 100 m, band 200 m)": (100.0, 200.0), "cell 50 m, band 100 m": (50.0, 100.0),
            "cell 250 m, band 500 m": (250.0, 500.0)}
EMERGING_VIEWS = {"API (200 m, 28 d × 12)": (200.0, 400.0, 28, 12),
                  "lägesbild (200 m, 14 d × 12)": (200.0, 400.0, 14, 12)}


def town_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform in lon/lat over the town box, in SWEREF 99 TM metres."""
    lon = rng.uniform(TOWN[0], TOWN[2], n)
    lat = rng.uniform(TOWN[1], TOWN[3], n)
    return to_sweref(lon, lat)


def population_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """An inhomogeneous town: 50 % around the centre (σ 900 m), 15 % each around two districts (σ 500 m),
    20 % uniform; clipped to the box."""
    cx, cy = to_sweref([CENTRE[0], 15.105, 15.16], [CENTRE[1], 58.338, 58.312])
    x0, y0 = to_sweref([TOWN[0]], [TOWN[1]])
    x1, y1 = to_sweref([TOWN[2]], [TOWN[3]])
    parts = rng.choice(4, n, p=[0.5, 0.15, 0.15, 0.2])
    sigma = np.array([900.0, 500.0, 500.0])
    x = np.empty(n)
    y = np.empty(n)
    for k in range(3):
        m = parts == k
        x[m] = rng.normal(cx[k], sigma[k], m.sum())
        y[m] = rng.normal(cy[k], sigma[k], m.sum())
    m = parts == 3
    x[m] = rng.uniform(x0[0], x1[0], m.sum())
    y[m] = rng.uniform(y0[0], y1[0], m.sum())
    return np.clip(x, x0[0], x1[0]), np.clip(y, y0[0], y1[0])


def planted(rng: np.random.Generator, centre: tuple[float, float], n: int,
            sigma: float) -> tuple[np.ndarray, np.ndarray]:
    return rng.normal(centre[0], sigma, n), rng.normal(centre[1], sigma, n)


def site(k: int) -> tuple[float, float]:
    """Planting sites well inside the town (metres), 1.2 km apart."""
    x, y = to_sweref([CENTRE[0]], [CENTRE[1]])
    offsets = [(0, 0), (1200, 0), (-1200, 0), (0, 1200), (0, -1200), (1200, 1200), (-1200, -1200)]
    return float(x[0] + offsets[k][0]), float(y[0] + offsets[k][1])


# -- the claims, as the services make them ----------------------------------------------------------

def gi_claims(x: np.ndarray, y: np.ndarray, cell: float, band: float) -> hotspots.GiStarMap:
    return hotspots.gi_star_points(x, y, cell=cell, band=band)


def dbscan_claims(x: np.ndarray, y: np.ndarray) -> clustering.ClusterResult:
    return clustering.dbscan_hotspots(x, y, eps=100.0)


def hdbscan_claims(x: np.ndarray, y: np.ndarray) -> clustering.ClusterResult:
    return clustering.hdbscan_hotspots(x, y, eps=100.0)


def emerging_claims(x: np.ndarray, y: np.ndarray, t_days: np.ndarray, cell: float, band: float, slice_days: int,
                    slices: int) -> tuple[Grid, temporal.EmergingResult]:
    index = np.clip(np.floor(t_days / slice_days).astype(int), 0, slices - 1)
    return temporal.emerging_points(x, y, index, slices=slices, cell=cell, band=band)


def table_claims(rng: np.random.Generator, rates: np.ndarray) -> int:
    """One lägesbild table under no change: current vs previous and vs last year per row (Poisson with
    the same rate), Benjamini–Hochberg over the table as the service does; returns notable rows."""
    current, previous, last_year = (rng.poisson(rates) for _ in range(3))
    p = [temporal.compare_counts(int(c), int(b)).p_value for c, b in zip(current, previous, strict=True)]
    p += [temporal.compare_counts(int(c), int(b)).p_value for c, b in zip(current, last_year, strict=True)]
    return int(sum(temporal.significant_after_fdr(p)))


def table_claims_uncorrected(rng: np.random.Generator, rates: np.ndarray) -> int:
    current, previous, last_year = (rng.poisson(rates) for _ in range(3))
    return sum(temporal.compare_counts(int(c), int(b)).significant
               for c, b in [*zip(current, previous, strict=True), *zip(current, last_year, strict=True)])


# -- figures ---------------------------------------------------------------------------------------

@dataclass
class Rate:
    hits: int = 0
    runs: int = 0
    extra: list[float] = field(default_factory=list)
    what: str = "mean a run"

    def add(self, hit: bool, value: float | None = None) -> None:
        self.hits += int(hit)
        self.runs += 1
        if value is not None:
            self.extra.append(value)

    @property
    def share(self) -> float:
        return self.hits / self.runs if self.runs else 0.0

    def __str__(self) -> str:
        mean = f"  ({self.what} {np.mean(self.extra):.2f})" if self.extra else ""
        return f"{self.hits:4d}/{self.runs:<4d} = {self.share * 100:5.1f} %{mean}"


def csr_rates(seeds: int, *, surface: str = "uniform") -> dict[str, Rate]:
    """Share of runs with any claim on random points (no real pattern)."""
    draw = town_points if surface == "uniform" else population_points
    out: dict[str, Rate] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(10_000 + seed)
        x, y = draw(rng, N_TOWN)
        for name, (cell, band) in GI_VIEWS.items():
            result = gi_claims(x, y, cell, band).result
            out.setdefault(f"Gi* {name}: any significant cell", Rate()).add(
                bool((result.classes != 0).any()), float((result.classes != 0).sum()))
            out.setdefault(f"Gi* {name}: any cell at 95 %", Rate()).add(bool((np.abs(result.classes) >= 2).any()))
        db = dbscan_claims(x, y)
        out.setdefault("DBSCAN eps 100 m (every page): any cluster", Rate()).add(bool(db.clusters),
                                                                                 float(len(db.clusters)))
        # the half-year behind the hotspots of the start page, maps, patrol sheet and lägesbild (HOTSPOT_DAYS)
        for days, page in ((182, "pages' half-year, 182 d"),):
            share = rng.random(N_TOWN) < days / 365
            few = dbscan_claims(x[share], y[share])
            out.setdefault(f"DBSCAN eps 100 m ({page}, ~{N_TOWN * days // 365} events): any cluster", Rate()).add(
                bool(few.clusters), float(len(few.clusters)))
        hd = hdbscan_claims(x, y)
        out.setdefault("HDBSCAN (API method=hdbscan): any cluster", Rate()).add(bool(hd.clusters),
                                                                               float(len(hd.clusters)))
        t = rng.uniform(0, 336, N_TOWN)
        for name, (cell, band, slice_days, slices) in EMERGING_VIEWS.items():
            _, em = emerging_claims(x, y, t * slice_days * slices / 336, cell, band, slice_days, slices)
            claimed = em.patterns != "no_pattern"
            out.setdefault(f"emerging {name}: any pattern", Rate()).add(bool(claimed.any()), float(claimed.sum()))
    return out


def table_rates(seeds: int) -> dict[str, Rate]:
    out: dict[str, Rate] = {}
    categories = np.array([40, 25, 20, 15, 12, 10, 8, 6, 5, 4, 3, 2, 1], dtype=float)  # 13 categories, 14 days
    areas = np.array([60, 15, 12, 20], dtype=float)  # Mjölby, Skänninge, Mantorp, the rest
    for seed in range(seeds):
        rng = np.random.default_rng(20_000 + seed)
        out.setdefault("lägesbild categories (26 tests, BH): any notable", Rate()).add(
            table_claims(rng, categories) > 0)
        out.setdefault("lägesbild areas (8 tests, BH): any notable", Rate()).add(table_claims(rng, areas) > 0)
        out.setdefault("  before: categories uncorrected", Rate()).add(table_claims_uncorrected(rng, categories) > 0)
    return out


def planted_rates(seeds: int) -> dict[str, Rate]:
    """Recall of planted hotspots on a CSR background of 2,000 events and the false hotspots beside them."""
    out: dict[str, Rate] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(30_000 + seed)
        bx, by = town_points(rng, N_TOWN)
        for n, sigma in ((40, 50.0), (40, 25.0), (80, 50.0)):
            centres = [site(1), site(2)]
            px, py = zip(*(planted(rng, c, n, sigma) for c in centres), strict=True)
            x, y = np.concatenate([bx, *px]), np.concatenate([by, *py])
            label = f"{n} events σ {sigma:.0f} m"
            found, false = _dbscan_recall(x, y, [n] * len(centres))
            out.setdefault(f"DBSCAN recall, {label}", Rate()).add(found == len(centres))
            out.setdefault(f"DBSCAN false clusters, {label}", Rate()).add(false > 0, float(false))
            for level, name in ((1, "90 %"), (2, "95 %"), (3, "99 %")):
                gi_found, gi_false = _gi_recall(x, y, centres, level)
                out.setdefault(f"Gi* map recall at {name}, {label}", Rate()).add(gi_found == len(centres))
                out.setdefault(f"Gi* map false hot groups at {name}, {label}", Rate()).add(gi_false > 0,
                                                                                          float(gi_false))
        # two hotspots 130 m apart
        a = site(0)
        b = (a[0] + 130.0, a[1])
        px, py = zip(*(planted(rng, c, 40, 25.0) for c in (a, b)), strict=True)
        x, y = np.concatenate([bx, *px]), np.concatenate([by, *py])
        result = dbscan_claims(x, y)
        owners = [_owner(result, np.arange(x.size - 80, x.size - 40)), _owner(result, np.arange(x.size - 40, x.size))]
        out.setdefault("DBSCAN: two hotspots 130 m apart (40 events, σ 25 m) reported as two", Rate()).add(
            owners[0] is not None and owners[1] is not None and owners[0] != owners[1])
    return out


def _owner(result: clustering.ClusterResult, planted_index: np.ndarray) -> int | None:
    """The cluster holding most of a planted hotspot's events, if it holds at least half of them."""
    labels = result.labels[planted_index]
    inside = labels[labels >= 0]
    if inside.size * 2 < planted_index.size:
        return None
    return int(np.bincount(inside).argmax())


def _dbscan_recall(x: np.ndarray, y: np.ndarray, sizes: list[int]) -> tuple[int, int]:
    """The planted hotspots are the last events of (x, y), `sizes` each, in order."""
    result = dbscan_claims(x, y)
    start = x.size - sum(sizes)
    owners = []
    for size in sizes:
        owners.append(_owner(result, np.arange(start, start + size)))
        start += size
    labels_of_clusters = {int(result.labels[c.members[0]]) for c in result.clusters}
    found = sum(o is not None for o in owners)
    return found, len(labels_of_clusters - set(owners))


def _gi_recall(x: np.ndarray, y: np.ndarray, centres: list[tuple[float, float]], level: int = 1) -> tuple[int, int]:
    """Found: a hot cell of class ≥ `level` within 150 m of the centre. False: groups of touching such
    cells farther than 400 m from every planted centre."""
    from scipy.ndimage import label

    gi = gi_claims(x, y, 100.0, 200.0)
    grid, classes = gi.grid, gi.result.classes.reshape(gi.grid.shape)
    cx, cy = grid.centres()
    hot = (gi.result.classes >= level)
    found = 0
    near_any = np.zeros(hot.size, dtype=bool)
    for c in centres:
        d = np.hypot(cx - c[0], cy - c[1])
        found += int((hot & (d <= 150)).any())
        near_any |= d <= 400
    groups, count = label(classes >= level)
    flat = groups.ravel()
    false = sum(1 for g in range(1, count + 1) if not near_any[flat == g].any())
    return found, false


# Space-time cubes: counts a site gets in each of 12 slices of 28 days, on 2,000 background events.
CUBES: dict[str, list[int]] = {
    "new_hot": [0] * 11 + [25],
    "consecutive_hot": [0] * 9 + [20, 20, 20],
    "persistent_hot": [15] * 12,
    "intensifying_hot": [12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34],
    "diminishing_hot": [36, 34, 32, 30, 28, 26, 24, 22, 20, 18, 16, 14],
    "sporadic_hot": [25, 0, 0, 25, 0, 0, 0, 25, 0, 0, 0, 25],
}


def cube_rates(seeds: int) -> dict[str, Rate]:
    out: dict[str, Rate] = {}
    slice_days, slices = 28, 12
    for seed in range(seeds):
        rng = np.random.default_rng(40_000 + seed)
        bx, by = town_points(rng, N_TOWN)
        bt = rng.uniform(0, slice_days * slices, N_TOWN)
        xs, ys, ts = [bx], [by], [bt]
        names = list(CUBES)
        for k, name in enumerate(names):
            for s, count in enumerate(CUBES[name]):
                px, py = planted(rng, site(k), count, 40.0)
                xs += [px]
                ys += [py]
                ts += [rng.uniform(s * slice_days, (s + 1) * slice_days, count)]
        x, y, t = np.concatenate(xs), np.concatenate(ys), np.concatenate(ts)
        grid, em = emerging_claims(x, y, t, 200.0, 400.0, slice_days, slices)
        cells = dict(zip(em.cells.tolist(), em.patterns.tolist(), strict=True))
        for k, name in enumerate(names):
            row, col = grid.cell_index(np.array([site(k)[0]]), np.array([site(k)[1]]))
            got = cells.get(int(row[0] * grid.nx + col[0]), "no_pattern")
            out.setdefault(f"cube {name}", Rate()).add(got == name)
        planted_cells = set()
        for k in range(len(names)):
            row, col = grid.cell_index(np.array([site(k)[0]]), np.array([site(k)[1]]))
            for dr in range(-3, 4):
                for dc in range(-3, 4):
                    planted_cells.add(int((row[0] + dr) * grid.nx + col[0] + dc))
        stray = sum(1 for c, p in cells.items() if p != "no_pattern" and c not in planted_cells)
        claimed = sum(1 for p in cells.values() if p != "no_pattern")
        out.setdefault("cube: patterns farther than 600 m from every site", Rate()).add(stray > 0, float(stray))
        out.setdefault("cube: … as a share of all pattern cells (mean)", Rate()).add(False, stray / max(claimed, 1))
    for seed in range(seeds):
        # Historical: hot for 22 of 24 fortnights, quiet in the last two (with 12 slices the previous
        # slice's neighbourhood keeps the last one hot, so Esri's ≥ 90 % rule cannot be met).
        rng = np.random.default_rng(45_000 + seed)
        bx, by = town_points(rng, N_TOWN)
        bt = rng.uniform(0, 14 * 24, N_TOWN)
        px, py = planted(rng, site(0), 15 * 22, 40.0)
        pt = rng.uniform(0, 14 * 22, 15 * 22)
        grid, em = emerging_claims(np.concatenate([bx, px]), np.concatenate([by, py]), np.concatenate([bt, pt]),
                                   200.0, 400.0, 14, 24)
        cells = dict(zip(em.cells.tolist(), em.patterns.tolist(), strict=True))
        row, col = grid.cell_index(np.array([site(0)[0]]), np.array([site(0)[1]]))
        got = cells.get(int(row[0] * grid.nx + col[0]), "no_pattern")
        out.setdefault("cube historical_hot (14 d × 24)", Rate()).add(got == "historical_hot")
    total = Rate()
    for name in [*CUBES, "historical_hot (14 d × 24)"]:
        r = out[f"cube {name}"]
        total.hits += r.hits
        total.runs += r.runs
    out["cube: all classes together"] = total
    return out


INTERVENTIONS = {   # (target, buffer, control) expected counts before → after, per period
    "none (10/50/1,100 → same)": ((10, 10), (50, 50), (1100, 1100)),
    "none, larger (40/80/1,100 → same)": ((40, 40), (80, 80), (1100, 1100)),
    "real reduction, buffer steady (40 → 15)": ((40, 15), (80, 80), (1100, 1100)),
    "displacement (40 → 15, buffer 80 → 130)": ((40, 15), (80, 130), (1100, 1100)),
    "diffusion (40 → 15, buffer 80 → 40)": ((40, 15), (80, 40), (1100, 1100)),
}
EXPECTED_LABEL = {
    "real reduction, buffer steady (40 → 15)": {"no_displacement_or_diffusion"},
    "displacement (40 → 15, buffer 80 → 130)": {"displacement_less_than_direct_effect",
                                                "displacement_greater_than_direct_effect"},
    "diffusion (40 → 15, buffer 80 → 40)": {"diffusion_of_benefits", "diffusion_greater_than_direct_effect"},
}
EFFECT_LABELS = {"no_displacement_or_diffusion", "displacement_less_than_direct_effect",
                 "displacement_greater_than_direct_effect", "diffusion_of_benefits",
                 "diffusion_greater_than_direct_effect"}


def intervention_rates(seeds: int) -> dict[str, Rate]:
    out: dict[str, Rate] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(50_000 + seed)
        for name, (target, buffer, control) in INTERVENTIONS.items():
            counts = [tuple(int(v) for v in rng.poisson(pair)) for pair in (target, buffer, control)]
            result = evaluation.weighted_displacement_quotient(*counts, draws=200)  # type: ignore[arg-type]
            if name.startswith("none"):
                out.setdefault(f"WDQ {name}: any effect claimed", Rate()).add(result.interpretation in EFFECT_LABELS)
            else:
                out.setdefault(f"WDQ {name}: recognised", Rate()).add(result.interpretation in EXPECTED_LABEL[name])
    return out


def trend_rates(seeds: int) -> dict[str, Rate]:
    """Hotspot trends on stationary data: two periods of the same process (2,000 random events and four
    real hotspots of 40 a period). The trend region is found on both periods together, as the service
    does; the old way (the current period's outline) is shown beside it."""
    out: dict[str, Rate] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(60_000 + seed)
        periods = []
        for _ in range(2):
            bx, by = town_points(rng, N_TOWN)
            px, py = zip(*(planted(rng, site(k), 40, 50.0) for k in range(4)), strict=True)
            periods.append((np.concatenate([bx, *px]), np.concatenate([by, *py])))
        (cx, cy), (px_, py_) = periods
        current = dbscan_claims(cx, cy).clusters
        pooled = clustering.trend_regions(current, np.concatenate([cx, px_]), np.concatenate([cy, py_]), eps=100.0)
        for name, regions in (("pooled region (now)", pooled),
                              ("current outline (before)", [c.hull for c in current])):
            for region in regions:
                if region.is_empty:
                    continue
                now = int(shapely.contains_xy(region, cx, cy).sum())
                before = int(shapely.contains_xy(region, px_, py_).sum())
                change = temporal.compare_counts(now, before)
                out.setdefault(f"trend, {name}: claimed up or down per hotspot", Rate()).add(
                    change.significant, now / max(before, 1))
    for rate in out.values():
        rate.extra = [float(np.median(rate.extra))] if rate.extra else []
        rate.what = "median ratio now/before"
    return out


def hours_rates(seeds: int) -> dict[str, Rate]:
    """Active hours of a hotspot active 18–24 (uniform over those hours, 60 events): the window shown
    must hold the busy hours without gaps."""
    out: dict[str, Rate] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(70_000 + seed)
        hours = rng.integers(18, 24, 60)
        window = clustering.active_hours(hours)
        ranges = clustering.hour_ranges(window)
        out.setdefault("active hours 18–24: one window inside 18–24", Rate()).add(
            len(ranges) == 1 and all(18 <= h < 24 for h in window))
    return out


CHANGE_CELL_M = 250.0  # the lägesbild's map of change (app/report/service.py)


def town_grid(cell: float) -> Grid:
    """The town box as a grid of `cell`-metre squares."""
    box = to_sweref(np.array([TOWN[0], TOWN[2]]), np.array([TOWN[1], TOWN[3]]))
    return Grid.covering(float(box[0].min()), float(box[1].min()), float(box[0].max()), float(box[1].max()), cell)


def change_rates(seeds: int) -> dict[str, Rate]:
    """The lägesbild's map of change: two periods of one random process must rarely mark a cell; a
    planted rise (extra events around one spot in the current period) must be marked there."""
    out: dict[str, Rate] = {}
    grid = town_grid(CHANGE_CELL_M)
    for seed in range(seeds):
        rng = np.random.default_rng(80_000 + seed)
        for label, n in (("14 d, ~77 events a period", 77), ("half-year, 1,000 a period", 1_000)):
            (ax, ay), (bx, by) = town_points(rng, rng.poisson(n)), town_points(rng, rng.poisson(n))
            result = change.change_map(ax, ay, bx, by, grid)
            out.setdefault(f"change map, no change ({label}): any cell marked", Rate()).add(
                bool(result.claims), float(len(result.claims)))
        for extra in (12, 20):
            (ax, ay), (bx, by) = town_points(rng, rng.poisson(77)), town_points(rng, rng.poisson(77))
            px, py = planted(rng, site(0), extra, 25.0)
            result = change.change_map(np.concatenate([ax, px]), np.concatenate([ay, py]), bx, by, grid)
            row, col = grid.cell_index(np.array([np.median(px)]), np.array([np.median(py)]))
            home = int(row[0] * grid.nx + col[0])
            marked = {c.index for c in result.claims if c.direction == "up"}
            near = {home + dr * grid.nx + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)}
            out.setdefault(f"change map, planted rise of {extra} events (σ 25 m) in 14 d: marked there",
                           Rate()).add(bool(marked & near), float(len(marked - near)))
    for name, rate in out.items():
        rate.what = "stray cells a run" if "planted" in name else "cells a run"
    return out


RTM_CELL_M = 100.0  # the cause analysis' grid (app/analysis/service.py)


def _town_cells() -> tuple[np.ndarray, np.ndarray]:
    return town_grid(RTM_CELL_M).centres()


def _random_layer(rng: np.random.Generator, code: str, n: int, cx: np.ndarray, cy: np.ndarray) -> rtm.FactorLayer:
    pick = rng.choice(cx.size, n, replace=False)
    return rtm.FactorLayer(code, code, cx[pick] + rng.uniform(-40, 40, n), cy[pick] + rng.uniform(-40, 40, n))


def rtm_rates(seeds: int) -> dict[str, Rate]:
    """Risk terrain model on the town's 100 m cells (about 2,000 incidents a year): with five factors
    placed at random and incidents from CSR any factor kept must be rare; with incidents three times as
    likely within 100 m of one factor (8 sites, as the town's stations and schools), that factor must be
    recovered with a 95 % interval that holds 3."""
    out: dict[str, Rate] = {}
    cx, cy = _town_cells()
    base = N_TOWN / cx.size
    for seed in range(seeds):
        rng = np.random.default_rng(90_000 + seed)
        layers = [_random_layer(rng, f"random{k}", 8, cx, cy) for k in range(5)]
        counts = rng.poisson(base, cx.size).astype(float)
        null = rtm.fit(counts, cx, cy, layers)
        out.setdefault("RTM, CSR and 5 random factors: any factor kept", Rate()).add(
            bool(null.significant), float(len(null.significant)))
        stations = _random_layer(rng, "stations", 8, cx, cy)
        near = rtm.proximity(cx, cy, stations, 100.0)
        planted_counts = rng.poisson(base * np.where(near > 0, 3.0, 1.0)).astype(float)
        found = rtm.fit(planted_counts, cx, cy, [stations, *layers[:4]])
        hit = next((f for f in found.factors if f.code == "stations" and f.significant), None)
        held = hit is not None and hit.interval is not None and hit.interval[0] <= 3.0 <= hit.interval[1]
        out.setdefault("RTM, risk ×3 within 100 m of 8 sites: recovered, interval holds 3", Rate()).add(
            held, hit.relative_risk if hit and hit.relative_risk else 0.0)
        out.setdefault("RTM, same: a random factor kept beside it", Rate()).add(
            any(f.significant and f.code != "stations" for f in found.factors))
    for name, rate in out.items():
        rate.what = "relative risk" if "recovered" in name else "factors a run"
    return out


SECTIONS: dict[str, Callable[[int], dict[str, Rate]]] = {
    "csr": csr_rates,
    "csr-population": lambda seeds: csr_rates(seeds, surface="population"),
    "tables": table_rates,
    "planted": planted_rates,
    "cube": cube_rates,
    "interventions": intervention_rates,
    "trend": trend_rates,
    "hours": hours_rates,
    "change": change_rates,
    "rtm": rtm_rates,
}
TITLES = {
    "csr": "False positives on CSR, uniform over the town (2,000 events; goal ≤ 5 % of runs)",
    "csr-population": "Points following a population surface (a real density gradient: hot against a uniform town)",
    "tables": "Lägesbild tables with no change (Poisson, equal rates; goal ≤ 5 %)",
    "planted": "Planted hotspots on 2,000 random events (goal: recall 100 % of runs ≥ 40 events, σ ≤ 50 m)",
    "cube": "Planted space-time cubes, 28 d × 12, σ 40 m (goal ≥ 90 % classed right; oscillating needs cold bins, "
            "which sparse data never makes significant, so it is not planted)",
    "interventions": "Interventions (goal: null ≤ 5 % with an effect, displacement/diffusion recognised ≥ 80 %)",
    "trend": "Hotspot trends on stationary data (goal ≤ 5 % claimed; the figure in brackets is the median ratio)",
    "hours": "Active hours",
    "change": "Map of change, 250 m cells (goal: no change ≤ 5 % of runs with a marked cell; planted rise found)",
    "rtm": "Risk terrain model, 100 m cells (goal: random factors ≤ 5 % kept; planted factor recovered ≥ 90 %)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--only", choices=list(SECTIONS), nargs="*")
    args = parser.parse_args()
    for key in args.only or SECTIONS:
        began = time.perf_counter()
        print(f"\n## {TITLES[key]}")
        seeds = {"planted": max(args.seeds // 2, 1), "interventions": args.seeds * 5}.get(key, args.seeds)
        for name, rate in SECTIONS[key](seeds).items():
            print(f"  {name:<70} {rate}")
        print(f"  ({seeds} seeds, {time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main()
