// The unit report form: each event is placed by a named place or street (typed, with suggestions), by
// "Min position" (the browser's geolocation), by a tap on the map, or by keyboard: the map pans with the
// arrow keys and "Använd kartans mitt" takes the point under the cross. Positions are shown in words.
(function () {
  "use strict";
  var form = document.getElementById("unit-report");
  if (!form) { return; }
  var words = {
    set: "Position vald",
    none: "Ingen position vald: skriv en plats eller gata, eller välj på kartan",
    denied: "Din position kunde inte hämtas",
    active: "för händelse "
  };
  var active = 0;
  function row(n) { return form.querySelector('fieldset.event[data-row="' + n + '"]'); }
  function field(n, name) { return form.querySelector('[name="event_' + name + '_' + n + '"]'); }
  function show(n) {
    var f = row(n);
    if (!f) { return; }
    var has = field(n, "lon").value && field(n, "lat").value;
    f.querySelector("output.position").textContent = has ? words.set : words.none;
  }
  function setActive(n) {
    active = n;
    form.querySelectorAll("fieldset.event").forEach(function (f) { f.classList.toggle("active", f.dataset.row === String(n)); });
    var label = form.querySelector(".active-row");
    if (label) { label.textContent = words.active + (Number(n) + 1); }
  }
  function place(n, lat, lon, precision) {
    field(n, "lon").value = lon.toFixed(6);
    field(n, "lat").value = lat.toFixed(6);
    field(n, "precision").value = precision || "exact";
    show(n);
    if (marker) { marker.setLatLng([lat, lon]); } else if (map) { marker = L.circleMarker([lat, lon], {radius: 9, color: "#0d47a1"}).addTo(map); }
  }
  var map = null, marker = null;
  var box = document.getElementById("pick-map");
  if (box && window.L) {
    map = L.map(box, {keyboard: true}).setView(JSON.parse(form.dataset.centre), 14);
    if (form.dataset.tiles) { L.tileLayer(form.dataset.tiles, {maxZoom: 19, attribution: "© OpenStreetMap"}).addTo(map); }
    fetch("/api/v1/places", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (fc) {
      if (!fc) { return; }
      L.geoJSON(fc, {interactive: false, style: {color: "#37474f", weight: 1.5, fillColor: "#fd8d3c", fillOpacity: 0.2}}).addTo(map);
    });
    map.on("click", function (e) { place(active, e.latlng.lat, e.latlng.lng, "exact"); });
  }
  form.querySelectorAll("fieldset.event").forEach(function (f) {
    f.addEventListener("focusin", function () { setActive(f.dataset.row); });
  });
  form.querySelectorAll("button.pick-on-map").forEach(function (b) {
    b.addEventListener("click", function () { setActive(b.dataset.row); if (box) { box.scrollIntoView({block: "center"}); box.focus(); } });
  });
  form.querySelectorAll("button.clear-position").forEach(function (b) {
    b.addEventListener("click", function () {
      field(b.dataset.row, "lon").value = ""; field(b.dataset.row, "lat").value = ""; field(b.dataset.row, "precision").value = "";
      show(b.dataset.row);
    });
  });
  form.querySelectorAll("button.use-location").forEach(function (b) {
    b.addEventListener("click", function () {
      var n = b.dataset.row;
      setActive(n);
      if (!navigator.geolocation) { row(n).querySelector("output.position").textContent = words.denied; return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        place(n, p.coords.latitude, p.coords.longitude, "exact");
        if (map) { map.setView([p.coords.latitude, p.coords.longitude], 17); }
      }, function () { row(n).querySelector("output.position").textContent = words.denied; },
      {enableHighAccuracy: true, timeout: 10000});
    });
  });
  var centre = document.getElementById("use-map-centre");
  if (centre && map) {
    centre.addEventListener("click", function () { var c = map.getCenter(); place(active, c.lat, c.lng, "exact"); });
  }
  // Typing a place or street: the position comes from the name when the form is saved; a position set
  // earlier for the row would win, so a new name clears it.
  form.querySelectorAll('input[name^="event_where_"]').forEach(function (input) {
    input.addEventListener("change", function () {
      var n = input.name.split("_").pop();
      if (input.value.trim()) { field(n, "lon").value = ""; field(n, "lat").value = ""; field(n, "precision").value = ""; show(n); }
    });
  });
  setActive(0);
})();
