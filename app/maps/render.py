"""Folium map builder: one function turns the data and the chosen layers into a map.

Used by the web pages (incidents loaded from the API by map extent and zoom) and by
`lagesbild map --out karta.html` (aggregates embedded, every script inlined: a file that works
when mailed and opened without internet). No CDN: Leaflet is served by the app or inlined, and the
map stays readable on a plain background when tiles cannot be fetched.

Incidents are never drawn one marker per incident at low zoom: the client asks for counts per cell
(cell size follows the zoom) and only draws single incidents close up, so a page stays small at a
million incidents. Popups show category, time and place — never free text or personal details.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.map import Layer
from jinja2 import Template
from markupsafe import Markup

from app.i18n import Language, text
from app.paths import FRONTEND

LAYERS = ("incidents", "density", "hotspots", "gistar", "risk", "places", "patrol", "lighting", "public")
RISK_STEPS = ((16.0, "#993404"), (8.0, "#d95f0e"), (4.0, "#fe9929"), (2.0, "#fec44f"), (1.0, "#fff7bc"))

GI_COLOURS = {3: "#d62f27", 2: "#ed7551", 1: "#fab984", -1: "#c0ccbe", -2: "#849eba", -3: "#4575b5"}
GI_LABELS = {3: "99 %", 2: "95 %", 1: "90 %"}
MAP_GI_CLASSES = (3,)  # the map pages ask for min_confidence=99 (app/maps/service.py)
LIGHTING_FAULT, LIGHTING_DARK_SPOT = "#d50000", "#4a148c"
LIGHTING_PRIORITY = ("#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")  # street segments, low to high
UNSAFE_STEPS = ((0.0, "#ffffb2"), (0.2, "#fecc5c"), (0.3, "#fd8d3c"), (0.4, "#f03b20"), (0.5, "#bd0026"))
ASSETS = FRONTEND / "static" / "vendor" / "leaflet-1.9.3"
MAP_TEMPLATES = FRONTEND / "templates" / "map"  # the layers' scripts and the legend's markup


def _load_template(name: str) -> Template:
    return Template((MAP_TEMPLATES / name).read_text(encoding="utf-8"))


def t(key: str, language: Language) -> str:
    """A map text from the one catalogue (app/i18n.py)."""
    return text(f"map_{key}", language)


@dataclass
class MapData:
    """Everything a map may show; layers whose data is None are left out."""

    categories: list[dict[str, Any]]
    places: dict[str, Any] | None = None
    incidents_url: str | None = None              # dynamic: the app's aggregated incidents endpoint
    incident_cells: dict[str, list[list[Any]]] | None = None  # static: {"cell size": [[lon, lat, n, cat]]}
    density: dict[str, Any] | None = None         # {"image": data URL, "bounds": [[s, w], [n, e]]}
    hotspots: dict[str, Any] | None = None        # clusters FeatureCollection
    gistar: dict[str, Any] | None = None          # Gi* FeatureCollection (significant cells)
    patrol: dict[str, Any] | None = None          # FeatureCollection of ranked places with hours
    lighting: dict[str, Any] | None = None        # FeatureCollection of lighting points/segments
    public: dict[str, Any] | None = None          # protected counts per cell (public view)
    extent: tuple[float, float, float, float] | None = None
    localities: list[tuple[str, float, float]] = field(default_factory=list)  # (name, lat, lon), the main first
    analysis_urls: dict[str, str] = field(default_factory=dict)  # dynamic: layer → analysis endpoint
    incident_tiles_url: str | None = None         # dynamic: vector tiles for close-ups with many incidents
    extra: dict[str, Any] = field(default_factory=dict)


def unsafe_colour(share: float | None) -> str:
    if share is None:
        return "#9e9e9e"
    colour = UNSAFE_STEPS[0][1]
    for threshold, step_colour in UNSAFE_STEPS:
        if share >= threshold:
            colour = step_colour
    return colour


class AggregatedIncidents(Layer):
    """Incidents as counts per cell (size follows the zoom), single incidents close up.

    Dynamic mode fetches `url` with the current bbox and zoom on every move; static mode picks from
    cells embedded at a few resolutions. Drawn on a canvas renderer: thousands of circles stay fast.
    """

    _template = _load_template("incidents_layer.js.j2")

    def __init__(self, name: str, *, url: str | None, embedded: dict[str, list[list[Any]]] | None,
                 categories: list[dict[str, Any]], language: Language, show: bool = True,
                 tiles_url: str | None = None) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "AggregatedIncidents"
        self.url = url
        self.tiles_url = tiles_url
        self.embedded = embedded
        self.colours = {c["code"]: c["color"] for c in categories}
        self.labels = {c["code"]: c["label_sv"] if language == "sv" else c["label_en"] for c in categories}
        self.word = t("events", language)
        self.hint = t("zoom_in", language)


class RemoteAnalysisLayer(Layer):
    """A layer whose data the page fetches after it is interactive (density, hotspots, Gi*).

    The map opens at once with places and incident counts; heavier analyses arrive when ready, so a
    cold cache at a million incidents delays those layers, not the page.
    """

    _template = _load_template("analysis_layer.js.j2")

    def __init__(self, name: str, *, kind: str, url: str, language: Language, show: bool) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "RemoteAnalysisLayer"
        self.kind = kind
        self.url = url
        self.gi_colours = {str(k): v for k, v in GI_COLOURS.items()}
        self.risk_steps = [list(step) for step in RISK_STEPS]
        self.text = {key: t(key, language) for key in ("events", "hours", "trend", "up", "down", "unchanged", "no_data",
                                                       "study_area", "count", "list_title", "relative_risk",
                                                       "risk_events")}


class MapControls(MacroElement):
    """Zoom buttons in the page's language, a metric scale, and the layer list and legend folded on phones."""

    _template = _load_template("controls.js.j2")

    def __init__(self, language: Language) -> None:
        super().__init__()
        self._name = "MapControls"
        self.zoom_in = t("zoom_in_button", language)
        self.zoom_out = t("zoom_out_button", language)
        self.layers_word = t("layers_button", language)


class StreetBase(MacroElement):
    """Streets, water and parks from this server's street base under the layers, switched on when the map
    has no tiles or its tile server does not answer (the map must work without internet)."""

    _template = _load_template("street_base.js.j2")

    def __init__(self, url: str, *, has_tiles: bool, language: Language) -> None:
        super().__init__()
        self._name = "StreetBase"
        self.url = url
        self.has_tiles = has_tiles
        self.min_zoom = 13
        self.note = t("street_base_note", language)


class Legend(MacroElement):
    """A fixed, keyboard-reachable legend box in the map's corner."""

    _template = _load_template("legend.html.j2")

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.title = title
        self.body = body


def _swatches(items: Sequence[tuple[str, str]], dot: bool = False) -> str:
    cls = "sw dot" if dot else "sw"
    return "<ul>" + "".join(html('<li><span class="{cls}" style="background:{c}"></span>{label}</li>', cls=cls,
                                 c=_colour(c), label=label) for c, label in items) + "</ul>"


def _colour(value: str) -> str:
    """A CSS colour as categories store it (#rrggbb, rgb(a)(…) or a name); anything else becomes grey."""
    return value if re.fullmatch(r"#[0-9a-fA-F]{3,8}|rgba?\([0-9., ]+\)|[a-zA-Z]{3,20}", value or "") else "#999"


def _legend_body(data: MapData, layers: Sequence[str], language: Language) -> str:
    parts = []
    if "incidents" in layers and data.categories:
        label = "label_sv" if language == "sv" else "label_en"
        parts.append(f"<h3>{t('incidents', language)}</h3>" + _swatches(
            [(c["color"], c[label]) for c in data.categories], dot=True))
    if "gistar" in layers and (data.gistar is not None or "gistar" in data.analysis_urls):
        parts.append("<h3>Gi*</h3>" + _swatches(
            [(GI_COLOURS[k], f"{t('hot', language)} {GI_LABELS[k]}") for k in MAP_GI_CLASSES]
            + [(GI_COLOURS[-k], f"{t('cold', language)} {GI_LABELS[k]}") for k in MAP_GI_CLASSES]))
    if "hotspots" in layers and (data.hotspots is not None or "hotspots" in data.analysis_urls):
        parts.append(f"<h3>{t('hotspots', language)}</h3>" + _swatches([("rgba(177,0,38,0.35)",
                                                                          t("hotspots", language))]))
    if "places" in layers and data.places is not None:
        steps = [(colour, f"≥ {int(threshold * 100)} %") for threshold, colour in UNSAFE_STEPS]
        parts.append(f"<h3>{t('unsafe', language)}</h3>" + _swatches(
            [*steps, ("#9e9e9e", t("no_survey", language))]))
    if "public" in layers and data.public is not None:
        parts.append(f"<h3>{t('public', language)}</h3>" + _swatches(
            [(colour, f"≥ {threshold}") for threshold, colour in PUBLIC_STEPS]))
    if "lighting" in layers and data.lighting is not None:
        parts.append(f"<h3>{t('lighting', language)}</h3>" + _swatches(
            [(LIGHTING_FAULT, t("lamp_fault", language)), (LIGHTING_DARK_SPOT, t("dark_spot", language))], dot=True)
            + _swatches([(LIGHTING_PRIORITY[-1], t("priority_high", language)),
                         (LIGHTING_PRIORITY[0], t("priority_low", language))]))
    if "risk" in layers and "risk" in data.analysis_urls:
        parts.append(f"<h3>{t('risk', language)}</h3>" + _swatches(
            [(colour, f"{t('relative_risk', language)} ≥ {int(step)}") for step, colour in reversed(RISK_STEPS)]))
    if "density" in layers and (data.density is not None or "density" in data.analysis_urls):
        parts.append(f"<h3>{t('density', language)}</h3>" + _swatches(
            [("#ffffb2", "låg" if language == "sv" else "low"), ("#bd0026", "hög" if language == "sv" else "high")]))
    return "".join(parts)


def build_map(data: MapData, *, layers: Sequence[str] = LAYERS, language: Language = "sv",
              tile_url: str | None = None, attribution: str = "", asset_base: str = "/static/vendor/leaflet-1.9.3",
              zoom: int = 13, centre: tuple[float, float] | None = None,
              street_base_url: str | None = None) -> folium.Map:
    """A Folium map with the chosen layers, a layer control and a Swedish (or English) legend."""
    unknown = set(layers) - set(LAYERS)
    if unknown:
        raise ValueError(f"unknown layers: {', '.join(sorted(unknown))}; choose from {', '.join(LAYERS)}")
    if centre is None and data.localities:  # the municipality's main locality (its town centre)
        centre = data.localities[0][1], data.localities[0][2]
    if data.extent:  # no locality, or one outside what is shown (a county): the middle of the extent
        west, south, east, north = data.extent
        if centre is None or not (south <= centre[0] <= north and west <= centre[1] <= east):
            centre, zoom = ((south + north) / 2, (west + east) / 2), min(zoom, 11)
    if centre is None:  # nothing to open on (a bare map in a test): the whole country
        centre, zoom = (62.0, 16.0), 5
    fmap = folium.Map(location=centre, zoom_start=zoom, tiles=None, control_scale=False, zoom_control=False,
                      prefer_canvas=True)
    MapControls(language).add_to(fmap)
    fmap.default_js = [("leaflet", f"{asset_base}/leaflet.js")]
    fmap.default_css = [("leaflet_css", f"{asset_base}/leaflet.css")]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=attribution or " ", name="Bakgrundskarta" if language == "sv"
                         else "Base map", control=False, max_zoom=19).add_to(fmap)
    if street_base_url:
        StreetBase(street_base_url, has_tiles=bool(tile_url), language=language).add_to(fmap)
    _add_background(fmap, data)

    for kind, url in data.analysis_urls.items():
        if kind in layers:
            RemoteAnalysisLayer(t(kind, language), kind=kind, url=url, language=language,
                                show=kind == "hotspots" or (kind == "density" and "incidents" not in layers)
                                ).add_to(fmap)
    if "density" in layers and data.density and data.density.get("image"):
        folium.raster_layers.ImageOverlay(image=data.density["image"], bounds=data.density["bounds"],
                                          name=t("density", language), opacity=0.8, interactive=False,
                                          show="incidents" not in layers).add_to(fmap)
    if "gistar" in layers and data.gistar is not None:
        _gistar_layer(data.gistar, language).add_to(fmap)
    if "hotspots" in layers and data.hotspots is not None:
        _hotspot_layer(data.hotspots, language).add_to(fmap)
    if "places" in layers and data.places is not None:
        _places_layer(data.places, language).add_to(fmap)
    if "patrol" in layers and data.patrol is not None:
        _patrol_layer(data.patrol, language).add_to(fmap)
    if "lighting" in layers and data.lighting is not None:
        _lighting_layer(data.lighting, data.categories, language).add_to(fmap)
    if "public" in layers and data.public is not None:
        folium.GeoJson(data.public, name=t("public", language),
                       style_function=lambda f: {"color": "#7f2704", "weight": 0.5, "fillOpacity": 0.6,
                                                 "fillColor": _count_colour(f["properties"]["count"])},
                       tooltip=_tooltip(data.public, ["count"], aliases=[t("count", language)])).add_to(fmap)
    if "incidents" in layers and (data.incidents_url or data.incident_cells):
        if data.incident_tiles_url:
            fmap.default_js.append(("vectorgrid", f"{asset_base.rsplit('/', 1)[0]}/leaflet.vectorgrid-1.3.0/"
                                                  "Leaflet.VectorGrid.bundled.min.js"))
        AggregatedIncidents(t("incidents", language), url=data.incidents_url, embedded=data.incident_cells,
                            categories=data.categories, language=language,
                            show="lighting" not in layers,  # the lighting view opens on its own layer
                            tiles_url=data.incident_tiles_url).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().add_child(Legend(t("legend", language), _legend_body(data, layers, language)))
    fmap.get_root().header.add_child(  # type: ignore[attr-defined]
        Element(f'<meta name="lagesbild-layers" content="{",".join(layers)}">'))
    fmap.get_root().header.add_child(Element(ESCAPE_JS))  # type: ignore[attr-defined]
    fmap.get_root().header.add_child(  # type: ignore[attr-defined]
        Element(html("<title>{title}</title>", title=t("document_title", language))))
    fmap.lgb_language = language  # type: ignore[attr-defined]  # render_html writes it into <html lang>
    return fmap


# The one way our map scripts put data into tooltip and popup HTML: lgbEsc(text).
ESCAPE_JS = (MAP_TEMPLATES / "escape.html").read_text(encoding="utf-8")

# the public view withholds noisy counts under 15 (app/public/service.py)
PUBLIC_STEPS = ((15, "#fee6ce"), (25, "#fdae6b"), (50, "#f16913"), (100, "#d94801"), (200, "#8c2d04"))


def _count_colour(count: int) -> str:
    colour = PUBLIC_STEPS[0][1]
    for threshold, step in PUBLIC_STEPS:
        if count >= threshold:
            colour = step
    return colour


def _add_background(fmap: folium.Map, data: MapData) -> None:
    """Analysis extent and locality names: the map stays readable with no tiles at all."""
    if data.extent:
        west, south, east, north = data.extent
        folium.Rectangle([[south, west], [north, east]], color="#546e7a", weight=1.5, dash_array="6 4",
                         fill=False, interactive=False).add_to(fmap)
    for name, lat, lon in data.localities:
        folium.Marker([lat, lon], icon=folium.DivIcon(html=f'<div class="lgb-locality">{name}</div>',
                                                      icon_size=(90, 18), icon_anchor=(45, 9)),
                      interactive=False).add_to(fmap)


def html(template: str, /, **values: Any) -> str:
    """The one way user text reaches a tooltip's HTML: `template` is ours, every value is escaped.

    >>> html("<b>{name}</b>", name="<img src=x onerror=alert(1)>")
    '<b>&lt;img src=x onerror=alert(1)&gt;</b>'
    """
    return str(Markup(template).format(**values))


def _tooltip(collection: dict[str, Any], fields: list[str], **kwargs: Any) -> folium.GeoJsonTooltip | None:
    """Folium refuses a tooltip whose fields it cannot find in an empty collection: none then."""
    return folium.GeoJsonTooltip(fields, **kwargs) if collection.get("features") else None


def _gistar_layer(collection: dict[str, Any], language: Language) -> folium.GeoJson:
    def style(feature: dict[str, Any]) -> dict[str, Any]:
        cls = feature["properties"]["class"]
        return {"fillColor": GI_COLOURS.get(cls, "#ffffff"), "color": GI_COLOURS.get(cls, "#999"),
                "weight": 0.4, "fillOpacity": 0.6 if cls else 0.0}

    significant = {"type": "FeatureCollection",
                   "features": [{**f, "properties": {**f["properties"], "area": f["properties"].get("area") or "–"}}
                                for f in collection["features"] if f["properties"]["class"] != 0]}
    return folium.GeoJson(significant, name=t("gistar", language), style_function=style, show=False,
                          tooltip=_tooltip(significant, ["area", "label", "count", "z"],
                                           aliases=[t("where", language), "Gi*", t("count", language), "z"]))


def _hotspot_layer(collection: dict[str, Any], language: Language) -> folium.GeoJson:
    features = []
    for f in collection["features"]:
        p = f["properties"]
        spans = ", ".join(f"{a:02d}–{b:02d}" for a, b in p.get("active_hour_ranges", []))
        cats = ", ".join(f"{c['label']} ({c['count']})" for c in p.get("categories", [])[:3])
        trend = p.get("trend", {})
        counts = (f" ({trend['previous_count']} → {trend['current_count']})"
                  if trend.get("previous_count") is not None else "")
        summary = html("<b>{rank}. {name}</b><br>{count} {events} ({share} %)<br>{cats}<br>{hours}: {spans}<br>"
                       "{trend}: {direction}{counts}", rank=p["rank"], name=p.get("name", ""), count=p["count"],
                       events=t("events", language), share=f"{p['share'] * 100:.1f}".replace(".", ","), cats=cats,
                       hours=t("hours", language), spans=spans or "–", trend=t("trend", language),
                       direction=t(trend.get("direction", "unchanged"), language), counts=counts)
        features.append({**f, "properties": {**p, "summary": summary}})
    collection = {"type": "FeatureCollection", "features": features}
    return folium.GeoJson(collection, name=t("hotspots", language),
                          style_function=lambda _: {"color": "#b10026", "weight": 2, "fillColor": "#e31a1c",
                                                    "fillOpacity": 0.25},
                          tooltip=_tooltip(collection, ["summary"], labels=False),
                          popup=folium.GeoJsonPopup(["summary"], labels=False) if features else None)


def _places_layer(collection: dict[str, Any], language: Language) -> folium.GeoJson:
    features = []
    for f in collection["features"]:
        p = f["properties"]
        share = p.get("unsafe_share")
        label = f"{share * 100:.0f} %" if share is not None else t("no_survey", language)
        summary = html("<b>{name}</b><br>{unsafe}: {label}<br>{source_word}: {source}<br>{confidence_word}: "
                       "{confidence}", name=p["name"], unsafe=t("unsafe", language), label=label,
                       source_word=t("source", language), source=p.get("source", ""),
                       confidence_word=t("confidence", language), confidence=p.get("confidence", ""))
        if p.get("incident_count") is not None:
            summary += html("<br>{word}: {n}", word=t("count", language), n=p["incident_count"])
        survey = p.get("police_survey") or []
        if survey:  # the police's trygghetsmätning, the three largest problems of its latest year
            summary += html("<br>{word} {year}:", word=t("police_survey", language), year=survey[0]["year"])
            for item in survey[:3]:
                summary += html("<br>· {problem} {value}", problem=item["problem"],
                                value=f"{item['value']:.1f}".replace(".", "," if language == "sv" else "."))
        features.append({**f, "properties": {"summary": summary, "colour": unsafe_colour(share),
                                             "unverified": p.get("confidence") == "unverified"}})
    collection = {"type": "FeatureCollection", "features": features}
    return folium.GeoJson(
        collection, name=t("places", language),
        style_function=lambda f: {"color": "#37474f", "weight": 1.5, "fillColor": f["properties"]["colour"],
                                  "fillOpacity": 0.55, "dashArray": "4 3" if f["properties"]["unverified"] else None},
        marker=folium.CircleMarker(radius=8, weight=1.5),
        tooltip=_tooltip(collection, ["summary"], labels=False))


def _patrol_layer(collection: dict[str, Any], language: Language) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=t("patrol", language), show=True)
    for f in collection["features"]:
        p = f["properties"]
        folium.GeoJson(f, style_function=lambda _: {"color": "#0d47a1", "weight": 3, "fillOpacity": 0.1},
                       tooltip=p.get("summary", ""),  # escaped by html() where it was built
                       popup=folium.GeoJsonPopup(["summary"], labels=False)).add_to(group)
        lat, lon = p["label_point"][1], p["label_point"][0]
        folium.Marker([lat, lon], icon=folium.DivIcon(
            html=html('<div style="background:#0d47a1;color:#fff;border-radius:10px;padding:1px 6px;'
                      'font:600 12px system-ui;white-space:nowrap">{rank}. {hours}</div>', rank=p["rank"],
                      hours=p.get("hours_label", "")),
            icon_size=(120, 20), icon_anchor=(10, 10))).add_to(group)
    return group


def _lighting_layer(collection: dict[str, Any], categories: list[dict[str, Any]],
                    language: Language) -> folium.GeoJson:
    colours = {c["code"]: c["color"] for c in categories}
    return folium.GeoJson(
        collection, name=t("lighting", language), show=True,
        style_function=lambda f: {"color": f["properties"].get("colour") or colours.get(
            f["properties"].get("category", ""), "#ffb300"), "weight": 4},
        marker=folium.CircleMarker(radius=6, fill=True, fill_opacity=0.9, weight=1),
        tooltip=_tooltip(collection, ["summary"], labels=False))


def render_html(fmap: folium.Map, *, inline_assets: bool = False, nonce: str | None = None) -> str:
    """The map page; with `inline_assets`, Leaflet's script, stylesheet and icons are embedded; with
    `nonce`, every script element Folium wrote carries it (the page's Content-Security-Policy names it).

    No text of a user's can open a script element here: data reaches the page's scripts only through
    Jinja's `tojson` (which writes < > & ' as \\u escapes) and tooltips only as escaped HTML (`html`)."""
    html = fmap.get_root().render()
    html = html.replace("<html>", f'<html lang="{getattr(fmap, "lgb_language", "sv")}">', 1)
    if nonce:
        html = re.sub(r"<script(?=[\s>])", f'<script nonce="{nonce}"', html)
    if not inline_assets:
        return html
    script = (ASSETS / "leaflet.js").read_text(encoding="utf-8")
    css = (ASSETS / "leaflet.css").read_text(encoding="utf-8")
    css = re.sub(r"url\(images/([\w.-]+\.png)\)", lambda m: "url(data:image/png;base64," + base64.b64encode(
        (ASSETS / "images" / m.group(1)).read_bytes()).decode() + ")", css)
    html = re.sub(r'<script src="[^"]*leaflet\.js"></script>', lambda _: f"<script>{script}</script>", html)
    html = re.sub(r'<link rel="stylesheet" href="[^"]*leaflet\.css"\s*/?>', lambda _: f"<style>{css}</style>", html)
    return html
