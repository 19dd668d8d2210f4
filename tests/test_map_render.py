"""The map builder with empty data (a new municipality, a filter that matches nothing) still renders."""

from __future__ import annotations

import pytest

from app.maps.render import LAYERS, MapData, build_map, render_html

EMPTY = {"type": "FeatureCollection", "features": []}
CATEGORIES = [{"code": "vald", "label_sv": "Våld", "label_en": "Violence", "color": "#d7191c"}]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_every_layer_renders_with_no_features(language: str) -> None:
    data = MapData(categories=CATEGORIES, places=EMPTY, hotspots=EMPTY, gistar=EMPTY, patrol=EMPTY,
                   lighting=EMPTY, public=EMPTY, incidents_url="/karta/data/incidents?x=1",
                   extent=(14.85, 58.15, 15.45, 58.50))
    html = render_html(build_map(data, layers=LAYERS, language=language), inline_assets=True)  # type: ignore[arg-type]
    assert "L.control.layers" in html and "lgb-legend" in html
    assert ("Teckenförklaring" if language == "sv" else "Legend") in html
    assert "cdn.jsdelivr" not in html


def test_unknown_layer_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown layers: heatmap"):
        build_map(MapData(categories=CATEGORIES), layers=["heatmap"])


def test_map_controls_speak_swedish_and_metres() -> None:
    from app.maps.render import MapData, build_map, render_html

    page = render_html(build_map(MapData(categories=[]), layers=("places",), language="sv"))
    assert '"Zooma in"' in page and '"Zooma ut"' in page and "imperial: false" in page
    assert "control_scale" not in page or "L.control.scale({imperial: false" in page
    assert '<details class="lgb-legend" open' in page
    english = render_html(build_map(MapData(categories=[]), layers=("places",), language="en"))
    assert '"Zoom in"' in english


def test_the_lighting_view_opens_on_its_own_layer_with_a_legend_for_it() -> None:
    from app.maps.render import MapData, build_map, render_html

    data = MapData(categories=[], lighting={"type": "FeatureCollection", "features": []},
                   incidents_url="/karta/data/incidents")
    page = render_html(build_map(data, layers=("lighting", "incidents", "places"), language="sv"))
    assert "Lampfel" in page and "Mörk plats" in page and "hög prioritet att tända" in page
