"""Small static maps (PNG) for printed sheets: hotspot or street outlines, numbered, over the street base
(streets with their names, buildings, water, green areas) and the named places, with a metric scale.

Drawn with no internet: the street base is what `lagesbild basemap import` stored (app/basemap/).
The picture's alternative text names what it shows, so the numbers and streets can also be read aloud.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, field
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as path_effects
import matplotlib.pyplot as plt
import numpy as np
import shapely
from shapely.geometry import shape

from geo.crs import to_sweref

BASE_STYLE = {"water": ("#aad3df", "#8fbccc"), "green": ("#d8ecc9", "#c2dcae"), "building": ("#d9d0c9", "#bfb4ab")}
HALO = [path_effects.withStroke(linewidth=2.5, foreground="white")]


@dataclass
class Minimap:
    png: str                                             # data URL
    streets: list[str] = field(default_factory=list)     # street names written on it
    places: list[str] = field(default_factory=list)      # place names written on it

    @property
    def alt(self) -> str:
        parts = []
        if self.places:
            parts.append("platser: " + ", ".join(self.places))
        if self.streets:
            parts.append("gator: " + ", ".join(self.streets))
        return "; ".join(parts)


def window(geometry: dict[str, Any], margin_m: float = 120.0) -> tuple[float, float, float, float]:
    """The lon/lat bounds a minimap of `geometry` shows (for fetching the street base beforehand)."""
    west, south, east, north = shape(geometry).bounds
    pad_lat = (margin_m + max(east - west, north - south) * 55_000) / 110_574
    pad_lon = pad_lat / math.cos(math.radians((south + north) / 2))
    return west - pad_lon, south - pad_lat, east + pad_lon, north + pad_lat


def _metres(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_sweref(xy[:, 0], xy[:, 1])))


def minimap(geometry: dict[str, Any], context: list[dict[str, Any]] | None = None, *, size_px: int = 220,
            margin_m: float = 120.0, colour: str = "#b10026", basemap: list[tuple[str, str | None, Any]] | None = None,
            numbers: list[tuple[int, dict[str, Any]]] | None = None,
            place_names: list[str] | None = None,
            shaded: list[tuple[dict[str, Any], str, str]] | None = None,
            localities: list[tuple[str, float, float]] | None = None) -> Minimap:
    """`geometry` (GeoJSON, WGS84) in SWEREF metres over `basemap` ((kind, name, shapely WGS84) from
    app.basemap.service.features_near) and `context` places (GeoJSON, named by `place_names`);
    `numbers`: (number, geometry) drawn as outlines with their number, for a map of several areas;
    `shaded`: (geometry, fill, edge) drawn instead of `geometry` itself (a map of change's cells);
    `localities`: (name, lat, lon) named on an overview (the municipalities' in the window)."""
    main = _metres(shape(geometry))
    fig, ax = plt.subplots(figsize=(size_px / 100, size_px / 100), dpi=100)
    ax.set_facecolor("#f2efe9" if basemap else "#eef1f4")
    x0, y0, x1, y1 = main.bounds
    span = max(x1 - x0, y1 - y0) / 2 + margin_m
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    frame = shapely.box(cx - span, cy - span, cx + span, cy + span)
    drawn = Minimap(png="")
    _draw_base(ax, basemap or [], frame, span, drawn)
    overview = span > 1500  # a whole municipality: name the localities, not every place
    if overview:
        for locality, lat, lon in localities or []:
            x, y = to_sweref([lon], [lat])
            if frame.contains(shapely.Point(x[0], y[0])):
                ax.text(x[0], y[0] + span * 0.05, locality, fontsize=8, fontweight="bold", color="#37474f",
                        ha="center", path_effects=HALO, zorder=4)
                drawn.places.append(locality)
    for k, item in enumerate(context or []):
        other = _metres(shape(item))
        if other.intersects(frame):
            _draw(ax, other, "#78909c", fill="#cfd8dc88")
            name = place_names[k] if place_names and k < len(place_names) and not overview else None
            if name:
                point = other.intersection(frame).representative_point()
                ax.text(point.x, point.y, name, fontsize=6.5, color="#37474f", ha="center", va="center",
                        style="italic", path_effects=HALO, clip_on=True)
                drawn.places.append(name)
    for item, fill, edge in shaded or []:
        _draw(ax, _metres(shape(item)), edge, fill=fill, width=0.8, zorder=1.6)  # under names and places
    if numbers:
        for number, item in numbers:
            area = _metres(shape(item))
            _draw(ax, area, colour, fill=colour + "44")
            point = area.representative_point()
            ax.text(point.x, point.y, str(number), fontsize=9, fontweight="bold", color="white", ha="center",
                    va="center", bbox={"boxstyle": "circle,pad=0.25", "facecolor": colour, "edgecolor": "white"})
    elif shaded is None:
        _draw(ax, main, colour, fill=colour + "55")
    ax.set_xlim(cx - span, cx + span)
    ax.set_ylim(cy - span, cy + span)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    bar = max((b for b in (50, 100, 250, 500, 1000, 2000, 5000, 10000) if b <= span / 2), default=50)
    ax.plot([cx - span * 0.9, cx - span * 0.9 + bar], [cy - span * 0.88] * 2, color="#263238", lw=2)
    ax.text(cx - span * 0.9, cy - span * 0.82, f"{bar} m" if bar < 1000 else f"{bar // 1000} km", fontsize=7,
            color="#263238", path_effects=HALO)
    fig.subplots_adjust(0, 0, 1, 1)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    drawn.png = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return drawn


def _draw_base(ax: Any, features: list[tuple[str, str | None, Any]], frame: shapely.Geometry, span: float,
               drawn: Minimap) -> None:
    """Water, green areas and buildings filled; streets as white lines; each street's name once, along its
    longest piece inside the frame."""
    streets: dict[str, shapely.Geometry] = {}
    for kind in ("water", "green", "building", "street"):
        for feature_kind, name, geom in features:
            if feature_kind != kind:
                continue
            shaped = _metres(geom).intersection(frame)
            if shaped.is_empty:
                continue
            if kind == "street":
                for part in getattr(shaped, "geoms", [shaped]):
                    if part.geom_type == "LineString":
                        xs, ys = part.xy
                        ax.plot(xs, ys, color="#b0a89f", linewidth=3.2, solid_capstyle="round", zorder=1)
                        ax.plot(xs, ys, color="white", linewidth=2.2, solid_capstyle="round", zorder=1.1)
                        if name and (name not in streets or part.length > streets[name].length):
                            streets[name] = part
            else:
                fill, edge = BASE_STYLE[kind]
                _draw(ax, shaped, edge, fill=fill, width=0.5, zorder=0.5)
    for name, line in sorted(streets.items(), key=lambda kv: -kv[1].length)[:12]:
        if line.length < span * 0.25:
            continue
        middle = line.interpolate(0.5, normalized=True)
        ahead = line.interpolate(min(line.length, line.project(middle) + 10))
        angle = math.degrees(math.atan2(ahead.y - middle.y, ahead.x - middle.x))
        angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
        ax.text(middle.x, middle.y, name, fontsize=6, color="#424242", rotation=angle, rotation_mode="anchor",
                ha="center", va="center", path_effects=HALO, clip_on=True, zorder=2)
        drawn.streets.append(name)


def _draw(ax: Any, geom: shapely.Geometry, edge: str, fill: str, width: float = 1.5, zorder: float = 3) -> None:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            xs, ys = part.exterior.xy
            ax.fill(xs, ys, facecolor=fill, edgecolor=edge, linewidth=width, zorder=zorder)
        elif part.geom_type == "LineString":
            xs, ys = part.xy
            ax.plot(xs, ys, color=edge, linewidth=3, zorder=zorder)
        elif part.geom_type == "Point":
            ax.plot(part.x, part.y, "o", color=edge, zorder=zorder)
