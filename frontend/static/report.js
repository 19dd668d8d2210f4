// Incident report form: the position is set by clicking the map; sent to the API as JSON.
(function () {
  "use strict";
  // User text reaches the map as text, never as HTML: Leaflet puts a string tooltip in innerHTML.
  function textOnly(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span;
  }
  var form = document.getElementById("report-form");
  var map = L.map("report-map", { preferCanvas: true }).setView(JSON.parse(form.dataset.centre), 14);
  if (form.dataset.tiles) {
    L.tileLayer(form.dataset.tiles, { maxZoom: 19, attribution: "© OpenStreetMap" }).addTo(map);
  }
  // Places and their names keep the map readable where no tiles can be fetched.
  fetch("/api/v1/places", { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
    L.geoJSON(fc, {
      style: { color: "#37474f", weight: 1.5, fillColor: "#fd8d3c", fillOpacity: 0.25 },
      interactive: false,
      onEachFeature: function (feature, layer) {
        placeLayers.push(layer);
        layer.bindTooltip(textOnly(feature.properties.name), { permanent: true, direction: "center", className: "place-label" });
      }
    }).addTo(map);
    declutter();
  });
  // Labels that would overlap (Gallerian over Stora torget) are hidden until a closer zoom makes room.
  function declutter() {
    var kept = [];
    document.querySelectorAll("#report-map .place-label").forEach(function (label) {
      label.style.visibility = "";
      var r = label.getBoundingClientRect();
      var clash = kept.some(function (k) { return r.left < k.right && r.right > k.left && r.top < k.bottom && r.bottom > k.top; });
      if (clash) { label.style.visibility = "hidden"; } else { kept.push(r); }
    });
  }
  map.on("zoomend moveend", function () { setTimeout(declutter, 0); });
  var marker = null;
  // The position is set by a tap or click, by the map's centre (the map pans with the arrow keys, so
  // a keyboard alone can place it), or by the device's position; it is shown in words, with the place
  // it lies in when there is one.
  function place(lat, lon) {
    var at = L.latLng(lat, lon);
    if (marker) { marker.setLatLng(at); } else { marker = L.circleMarker(at, { radius: 9, color: "#0d47a1" }).addTo(map); }
    document.getElementById("lat").value = lat.toFixed(6);
    document.getElementById("lon").value = lon.toFixed(6);
    var inside = placeAt(at);
    document.getElementById("position").textContent = form.dataset.set + (inside ? " (" + inside + ")" : "");
  }
  var placeLayers = [];
  function placeAt(at) {
    for (var i = 0; i < placeLayers.length; i++) {
      if (placeLayers[i].getBounds && placeLayers[i].getBounds().contains(at)) { return placeLayers[i].feature.properties.name; }
    }
    return "";
  }
  map.on("click", function (e) { place(e.latlng.lat, e.latlng.lng); });
  document.getElementById("use-map-centre").addEventListener("click", function () {
    var c = map.getCenter(); place(c.lat, c.lng);
  });
  document.getElementById("use-location").addEventListener("click", function () {
    if (!navigator.geolocation) { document.getElementById("position").textContent = form.dataset.denied; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      place(p.coords.latitude, p.coords.longitude); map.setView([p.coords.latitude, p.coords.longitude], 17);
    }, function () { document.getElementById("position").textContent = form.dataset.denied; },
    { enableHighAccuracy: true, timeout: 10000 });
  });
  // The wall-clock time typed in the form is the municipality's local time (data-tz), whatever zone the
  // device is set to: find that zone's offset for the moment with Intl.
  function zonedToIso(value, zone) {
    var p = value.split(/[-T:]/).map(Number);
    var guess = Date.UTC(p[0], p[1] - 1, p[2], p[3], p[4]);
    var parts = {};
    new Intl.DateTimeFormat("en-GB", { timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit",
      day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(guess)).forEach(function (x) {
      parts[x.type] = x.value; });
    var wall = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
    return new Date(guess - (wall - guess)).toISOString();
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var result = document.getElementById("result");
    var when = document.getElementById("occurred_at").value;
    var body = {
      category: document.getElementById("category").value,
      occurred_at: when ? zonedToIso(when, form.dataset.tz || "Europe/Stockholm") : "",
      lon: parseFloat(document.getElementById("lon").value),
      lat: parseFloat(document.getElementById("lat").value),
      location_precision: "exact"
    };
    var description = document.getElementById("description").value.trim();
    if (description) { body.description = description; }
    if (isNaN(body.lon) || isNaN(body.lat)) { result.textContent = document.getElementById("position").textContent; return; }
    fetch("/api/v1/incidents", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() }, body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (reply) {
      if (reply.ok) {
        result.textContent = result.dataset.sent + " (#" + reply.data.id + ")";
        result.dataset.incidentId = reply.data.id;
        form.reset();
      } else {
        var detail = reply.data.detail;
        var swedish = document.documentElement.lang === "sv";
        result.textContent = Array.isArray(detail)
          ? detail.map(function (d) { return swedish && d.msg_sv ? d.msg_sv : d.loc.slice(-1)[0] + ": " + d.msg; }).join("; ")
          : String(detail);
      }
    });
  });

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
})();
