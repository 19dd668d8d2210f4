// The public fault report: a position by a tap, by the map's centre (arrow keys, then the button) or by
// the device's position; or no position and a typed street or place, looked up when the form is sent.
(function () {
  "use strict";
  var form = document.getElementById("public-report");
  var box = document.getElementById("pick-map");
  if (!form || !box || !window.L) { return; }
  var map = L.map(box, {keyboard: true}).setView(JSON.parse(form.dataset.centre), 14);
  if (form.dataset.tiles) { L.tileLayer(form.dataset.tiles, {maxZoom: 19, attribution: "© OpenStreetMap"}).addTo(map); }
  fetch("/api/v1/places").then(function (r) { return r.ok ? r.json() : null; }).then(function (fc) {
    if (fc) { L.geoJSON(fc, {interactive: false, style: {color: "#37474f", weight: 1.5, fillColor: "#fd8d3c", fillOpacity: 0.2}}).addTo(map); }
  });
  var marker = null;
  var lon = document.getElementById("lon"), lat = document.getElementById("lat"), out = document.getElementById("position");
  function place(y, x) {
    lat.value = y.toFixed(6); lon.value = x.toFixed(6);
    if (marker) { marker.setLatLng([y, x]); } else { marker = L.circleMarker([y, x], {radius: 9, color: "#0d47a1"}).addTo(map); }
    out.textContent = form.dataset.set;
  }
  if (lat.value && lon.value) { place(parseFloat(lat.value), parseFloat(lon.value)); }
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
  document.getElementById("use-map-centre").addEventListener("click", function () { var c = map.getCenter(); place(c.lat, c.lng); });
  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { out.textContent = form.dataset.denied; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      place(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 17);
    }, function () { out.textContent = form.dataset.denied; }, {enableHighAccuracy: true, timeout: 10000});
  });
})();
