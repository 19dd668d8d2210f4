// Safety walks: click the map to place a finding; existing findings are shown as dots.
(function () {
  "use strict";
  // User text reaches the map as text, never as HTML: Leaflet puts a string tooltip in innerHTML.
  function textOnly(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span;
  }
  var element = document.getElementById("walk-map");
  if (!element) { return; }
  var map = L.map("walk-map", { preferCanvas: true }).setView(JSON.parse(element.dataset.centre), 14);
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  fetch("/api/v1/places", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    L.geoJSON(fc, {
      style: { color: "#37474f", weight: 1.5, fillColor: "#fd8d3c", fillOpacity: 0.2 }, interactive: false,
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(textOnly(feature.properties.name), { permanent: true, direction: "center", className: "place-label" });
      }
    }).addTo(map);
  });
  var findings = JSON.parse(element.dataset.findings || "[]");
  L.geoJSON({ type: "FeatureCollection", features: findings }, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 6, color: "#6a1b9a", fillOpacity: 0.8 })
        .bindTooltip(textOnly(feature.properties.description));
    }
  }).addTo(map);
  var marker = null;
  map.on("click", function (e) {
    if (!document.getElementById("lat")) { return; }
    if (marker) { marker.setLatLng(e.latlng); } else { marker = L.circleMarker(e.latlng, { radius: 9, color: "#0d47a1" }).addTo(map); }
    document.getElementById("lat").value = e.latlng.lat.toFixed(6);
    document.getElementById("lon").value = e.latlng.lng.toFixed(6);
    document.getElementById("position").textContent = e.latlng.lat.toFixed(5) + ", " + e.latlng.lng.toFixed(5);
  });
})();
