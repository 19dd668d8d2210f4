"""Small static maps (PNG) for printed sheets: a hotspot or street outline on a plain background."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import shapely
from shapely.geometry import shape

from geo.crs import to_sweref


def _metres(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda xy: np.column_stack(to_sweref(xy[:, 0], xy[:, 1])))


def minimap(geometry: dict[str, Any], context: list[dict[str, Any]] | None = None, *, size_px: int = 220,
            margin_m: float = 120.0, colour: str = "#b10026") -> str:
    """PNG data URL: the geometry (GeoJSON, WGS84) drawn in SWEREF metres with a scale bar; `context`
    geometries (places) in grey underneath."""
    main = _metres(shape(geometry))
    fig, ax = plt.subplots(figsize=(size_px / 100, size_px / 100), dpi=100)
    ax.set_facecolor("#eef1f4")
    x0, y0, x1, y1 = main.bounds
    span = max(x1 - x0, y1 - y0) / 2 + margin_m
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    window = shapely.box(cx - span, cy - span, cx + span, cy + span)
    for item in context or []:
        other = _metres(shape(item))
        if other.intersects(window):
            _draw(ax, other, "#78909c", fill="#cfd8dc")
    _draw(ax, main, colour, fill=colour + "55")
    ax.set_xlim(cx - span, cx + span)
    ax.set_ylim(cy - span, cy + span)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    bar = max((b for b in (50, 100, 250, 500, 1000, 2000, 5000, 10000) if b <= span / 2), default=50)
    ax.plot([cx - span * 0.9, cx - span * 0.9 + bar], [cy - span * 0.88] * 2, color="#263238", lw=2)
    ax.text(cx - span * 0.9, cy - span * 0.82, f"{bar} m" if bar < 1000 else f"{bar // 1000} km", fontsize=7,
            color="#263238")
    fig.subplots_adjust(0, 0, 1, 1)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _draw(ax: Any, geom: shapely.Geometry, edge: str, fill: str) -> None:
    for part in getattr(geom, "geoms", [geom]):
        if part.geom_type == "Polygon":
            xs, ys = part.exterior.xy
            ax.fill(xs, ys, facecolor=fill, edgecolor=edge, linewidth=1.5)
        elif part.geom_type == "LineString":
            xs, ys = part.xy
            ax.plot(xs, ys, color=edge, linewidth=3)
        elif part.geom_type == "Point":
            ax.plot(part.x, part.y, "o", color=edge)
