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
    epcis: { color: "#000091", weight: 3, fillOpacity: 0.05 },
    sites: { color: "#000091", weight: 2, fillOpacity: 0.03 },
    terrains: { color: "#333333", weight: 1, fillOpacity: 0.6 },
    friches: { color: "#ce0500", weight: 2, fillOpacity: 0.3 },
    flux: { color: "#000091", weight: 1, fillOpacity: 0.8 },
    liens: { color: "#18753c", weight: 3, opacity: 0.8 }
  };
  // Land layers carry their colour (availability of a terrain, available land of an EPCI) in `couleur`.
  function style(name) {
    return function (feature) {
      var base = styles[name] || {};
      var colour = feature && feature.properties && feature.properties.couleur;
      if (!colour) { return base; }
      var s = {};
      Object.keys(base).forEach(function (k) { s[k] = base[k]; });
      s.fillColor = colour;
      s.fillOpacity = name === "epcis" ? 0.55 : 0.7;
      return s;
    };
  }
  // French figures, as on the pages (tandem.core.formats): « 1,46 ha », « 12 345 ».
  var numberFr = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
  function fr(value) {
    var n = typeof value === "number" ? value : parseFloat(value);
    return isNaN(n) ? String(value) : numberFr.format(n);
  }
  function popup(feature) {
    var p = feature.properties || {};
    var text = (p.nom || "") + (p.code ? " (" + p.code + ")" : "") + (p.siren ? " — SIREN " + p.siren : "");
    if (p.libelle) { text += " — " + p.libelle; }
    if (p.surface_ha !== undefined) { text += " — " + fr(p.surface_ha) + " ha"; }
    if (p.statut) { text += " — " + p.statut; }
    if (p.note !== undefined) { text += " — note " + fr(p.note); }
    if (p.disponible_ha !== undefined) { text += " — " + fr(p.disponible_ha) + " ha disponibles"; }
    var div = document.createElement("div");
    div.textContent = text;
    if (p.lien) {
      var a = document.createElement("a");
      a.href = p.lien;
      a.textContent = " Fiche";
      div.appendChild(a);
    }
    return div;
  }
  ["communes", "epcis", "sites", "terrains", "friches", "liens", "flux"].forEach(function (name) {
    var data = layers[name];
    if (!data || !data.features || !data.features.length) { return; }
    var layer = L.geoJSON(data, {
      style: style(name),
      pointToLayer: function (f, latlng) {
        var s = style(name)(f);
        s.radius = 5;
        return L.circleMarker(latlng, s);
      },
      onEachFeature: function (f, l) { l.bindPopup(popup(f)); }
    });
    layer.eachLayer(function (l) { if (l.getElement) { l.options.className = "layer-" + name; } });
    layer.addTo(map);
    el.dataset[name + "Count"] = String(data.features.length);
    bounds.extend(layer.getBounds());
  });
  if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); } else { map.setView([48.7, 5.5], 7); }
  el.dataset.ready = "true";
})();
