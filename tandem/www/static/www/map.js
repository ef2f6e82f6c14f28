/* Tandem maps: boundaries drawn from GeoJSON embedded in the page. The base map is optional:
   when tiles cannot load, the boundaries stay visible on a plain background. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var dataEl = document.getElementById("map-data");
  if (!el || !dataEl || typeof L === "undefined") { return; }
  var layers = JSON.parse(dataEl.textContent);
  var map = L.map(el, { preferCanvas: false });
  var tileUrl = el.dataset.tileUrl;
  if (tileUrl) {
    var tiles = L.tileLayer(tileUrl, { attribution: el.dataset.tileAttribution, maxZoom: 18 });
    tiles.on("tileerror", function () { el.classList.add("tiles-unavailable"); });
    tiles.addTo(map);
  }
  var bounds = L.latLngBounds([]);
  var styles = {
    communes: { color: "#6a6af4", weight: 1, fillOpacity: 0.08 },
    epcis: { color: "#000091", weight: 3, fillOpacity: 0.05 }
  };
  function popup(feature) {
    var p = feature.properties || {};
    var text = (p.nom || "") + (p.code ? " (" + p.code + ")" : "") + (p.siren ? " — SIREN " + p.siren : "");
    var div = document.createElement("div");
    div.textContent = text;
    return div;
  }
  ["communes", "epcis"].forEach(function (name) {
    var data = layers[name];
    if (!data || !data.features || !data.features.length) { return; }
    var layer = L.geoJSON(data, { style: styles[name], onEachFeature: function (f, l) { l.bindPopup(popup(f)); } });
    layer.eachLayer(function (l) { if (l.getElement) { l.options.className = "layer-" + name; } });
    layer.addTo(map);
    el.dataset[name + "Count"] = String(data.features.length);
    bounds.extend(layer.getBounds());
  });
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); } else { map.setView([48.7, 5.5], 7); }
  el.dataset.ready = "true";
})();
