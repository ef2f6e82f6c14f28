/* Tandem maps, drawn by MapLibre GL JS (npm, served from /static/vendor/maplibre-gl/).

   The page describes its map in the JSON block #map-data (tandem/www/maps.py): the base context (région,
   département, EPCI and commune outlines and names: Tandem's own vector tiles, so the map shows where things are
   without the internet base map), vector-tile layers of objects (land, establishments, perimeters: each tile
   holds only what the user may see), the page's own objects as GeoJSON, and the address of each object's sheet.
   The raster base map (TANDEM_TILE_URL) is optional: when it cannot load, it is hidden and nothing else changes.

   Beside the map, a list names the objects in view (or the page's objects) with a link to their sheet and a
   button that shows the object on the map and opens its popup, whose link then has the focus: the map's content
   is reachable by keyboard. No inline style or script: Content-Security-Policy. */

const el = document.getElementById("map");
const dataEl = document.getElementById("map-data");
if (el && dataEl) {
  start().catch(function (error) {
    el.dataset.ready = "error";
    const status = document.getElementById("map-list-status");
    if (status) { status.textContent = "La carte n'a pas pu s'afficher : " + error.message; }
  });
}

const GRAND_EST = [3.38, 47.42, 8.24, 50.17];
const LIST_MAX = 200;
const LABELS_MAX = 300;
const NAMES = {
  sites: "Sites économiques",
  terrains: "Terrains",
  friches: "Friches",
  etablissements: "Établissements (SIRENE)",
  perimetres: "Périmètres",
  candidats: "Candidats",
  flux: "Flux (offres et besoins)",
  liens: "Synergies proposées",
  epcis: "EPCI",
  communes: "Communes",
  installations: "Installations industrielles (émissions)",
  zones_emploi: "Zones d'emploi"
};
const SINGULAR = {
  sites: "site", terrains: "terrain", friches: "friche", etablissements: "établissement",
  perimetres: "périmètre", candidats: "candidat", flux: "flux", liens: "synergie", epcis: "EPCI", communes: "commune",
  installations: "installation",
  zones_emploi: "zone d'emploi"
};
// Drawing of each kind of object: outline colour, fill (a colour or an expression), fill opacity, line width.
const STYLES = {
  sites: { line: "#000091", fill: "#000091", opacity: 0.08, width: 2 },
  terrains: { line: "#333333", fill: ["coalesce", ["get", "couleur"], "#666666"], opacity: 0.7, width: 1 },
  friches: { line: "#ce0500", fill: "#ce0500", opacity: 0.3, width: 2 },
  perimetres: { line: "#8d533e", fill: "#8d533e", opacity: 0.08, width: 3 },
  epcis: {
    line: "#000091", fill: ["coalesce", ["get", "couleur"], "#000091"],
    opacity: ["case", ["has", "couleur"], 0.55, 0.04], width: 3
  },
  communes: { line: "#6a6af4", fill: "#6a6af4", opacity: 0.06, width: 1 },
  zones_emploi: { line: "#3a3a3a", fill: ["coalesce", ["get", "couleur"], "#eeeeee"], opacity: 0.6, width: 1 },
  etablissements: { line: "#ffffff", fill: "#6e445a", opacity: 0.9, width: 1, radius: 3 },
  candidats: { line: "#ffffff", fill: "#18753c", opacity: 0.95, width: 2, radius: 7 },
  flux: { line: "#ffffff", fill: ["coalesce", ["get", "couleur"], "#000091"], opacity: 0.9, width: 1, radius: 6 },
  liens: { line: "#18753c", fill: "#18753c", opacity: 0.8, width: 3 },
  // Circles sized by the installation's last emissions (`rayon`, computed by the tile's selector).
  installations: { line: "#ffffff", fill: "#e1000f", opacity: 0.7, width: 1, radius: ["coalesce", ["get", "rayon"], 4] }
};
const FRENCH = {
  "AttributionControl.ToggleAttribution": "Afficher ou masquer les sources",
  "Map.Title": "Carte",
  "Marker.Title": "Repère",
  "NavigationControl.ResetBearing": "Remettre le nord en haut",
  "NavigationControl.ZoomIn": "Zoom avant",
  "NavigationControl.ZoomOut": "Zoom arrière",
  "Popup.Close": "Fermer",
  "ScaleControl.Meters": "m",
  "ScaleControl.Kilometers": "km"
};

// French figures, as on the pages (tandem.core.formats): « 1,46 ha », « 12 345 ».
const numberFr = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });
function fr(value) {
  const n = typeof value === "number" ? value : parseFloat(value);
  return isNaN(n) ? String(value) : numberFr.format(n);
}

async function start() {
  const config = JSON.parse(dataEl.textContent);
  const maplibregl = await import(new URL("../vendor/maplibre-gl/maplibre-gl.mjs", import.meta.url).href);
  const origin = window.location.origin;
  const objectLayers = [];   // [name, source id, source layer or null, id of its drawn layers]
  const sources = {
    contexte: { type: "vector", tiles: [origin + config.context], minzoom: 0, maxzoom: 12 }
  };
  const layers = [{ id: "fond-uni", type: "background", paint: { "background-color": "#f6f6f6" } }];
  const tileUrl = el.dataset.tileUrl;
  if (tileUrl) {
    sources.fond = {
      type: "raster", tiles: [tileUrl], tileSize: 256, maxzoom: 19,
      attribution: el.dataset.tileAttribution || ""
    };
    layers.push({ id: "fond", type: "raster", source: "fond" });
  }
  // The context: outlines from the coarsest level to the finest, drawn above the base map.
  [["communes", "#9a9ad0", 0.6], ["epcis", "#6a6af4", 1.4], ["departements", "#3a3a8a", 1.6],
   ["regions", "#000091", 2.2]].forEach(function (level) {
    layers.push({
      id: "contexte-" + level[0], type: "line", source: "contexte", "source-layer": level[0],
      paint: { "line-color": level[1], "line-width": level[2] }
    });
  });
  // Invisible fills, so that a click outside any object tells which commune or EPCI it fell in.
  ["communes", "epcis"].forEach(function (name) {
    layers.push({
      id: "contexte-" + name + "-zone", type: "fill", source: "contexte", "source-layer": name,
      paint: { "fill-opacity": 0 }
    });
  });
  (config.tiles || []).forEach(function (tile) {
    const id = "tuiles-" + tile.name;
    sources[id] = { type: "vector", tiles: [origin + tile.url], minzoom: tile.minzoom || 0, maxzoom: 16 };
    // A tile source of several layers (the land inventory: one request per tile for sites, terrains and
    // friches) draws each of its MVT layers as its own kind of object.
    // `minzooms`: the zoom from which the server puts a layer in its tiles (terrains: the land's
    // `TERRAINS_MIN_ZOOM`, given by the page), the zoom from which the style draws it.
    (tile.layers || [tile.name]).forEach(function (name) {
      objectLayers.push([name, id, name, "tuiles-" + name, (tile.minzooms || {})[name] || 0]);
    });
  });
  const geojson = config.layers || {};
  Object.keys(geojson).forEach(function (name) {
    const data = geojson[name];
    if (!data || !data.features) { return; }
    el.dataset[name + "Count"] = String(data.features.length);
    if (!data.features.length) { return; }
    const id = "page-" + name;
    sources[id] = { type: "geojson", data: data };
    objectLayers.push([name, id, null, id]);
  });
  // Areas under objects: a shaded EPCI or a perimeter never hides the terrains drawn on it.
  const ORDER = ["zones_emploi", "epcis", "communes", "perimetres", "terrains", "sites", "friches", "etablissements", "installations", "liens", "flux", "candidats"];
  objectLayers.sort(function (a, b) { return ORDER.indexOf(a[0]) - ORDER.indexOf(b[0]); });
  const interactive = [];
  const layerIdsOf = {};
  objectLayers.forEach(function (entry) {
    const name = entry[0], source = entry[1], sourceLayer = entry[2], key = entry[3], minzoom = entry[4];
    const s = STYLES[name] || STYLES.sites;
    const common = { source: source };
    if (sourceLayer) { common["source-layer"] = sourceLayer; }
    if (minzoom) { common.minzoom = minzoom; }
    const ids = [];
    function add(layer) {
      layers.push(Object.assign({}, common, layer));
      ids.push(layer.id);
      interactive.push(layer.id);
    }
    const polygon = ["==", ["geometry-type"], "Polygon"];
    add({ id: key + "-fill", type: "fill", filter: polygon, paint: { "fill-color": s.fill, "fill-opacity": s.opacity } });
    add({
      id: key + "-line", type: "line", filter: ["!=", ["geometry-type"], "Point"],
      paint: { "line-color": s.line, "line-width": s.width }
    });
    add({
      id: key + "-point", type: "circle", filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-color": s.fill,
        "circle-radius": s.radius || 5, "circle-stroke-color": s.radius ? s.line : "#ffffff",
        "circle-stroke-width": 1
      }
    });
    layerIdsOf[key] = ids;
  });

  const bounds = config.bounds || boundsOf(geojson) || GRAND_EST;
  const map = new maplibregl.Map({
    container: el,
    style: { version: 8, sources: sources, layers: layers },
    bounds: bounds,
    fitBoundsOptions: { padding: 20, maxZoom: 15 },
    maxZoom: 19,
    locale: FRENCH,
    attributionControl: { compact: true },
    dragRotate: false,
    pitchWithRotate: false
  });
  window.tandemMap = map;   // for the browser tests (queryRenderedFeatures)
  map.getCanvas().setAttribute("aria-label", config.label || "Carte");
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("error", function (event) {
    // The optional base map could not load (no internet, server down): hide it, keep everything else.
    if (event.sourceId === "fond" && map.getLayer("fond")) {
      map.setLayoutProperty("fond", "visibility", "none");
      el.classList.add("tiles-unavailable");
    }
  });

  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: "320px" });
  function openPopup(name, feature, lngLat, focus) {
    popup.setLngLat(lngLat).setDOMContent(popupContent(config, name, feature.properties || {})).addTo(map);
    if (focus) {
      const target = popup.getElement().querySelector("a") || popup.getElement().querySelector("button");
      if (target) { target.focus(); }
    }
  }
  function nameOfLayer(layerId) {
    const entry = objectLayers.find(function (e) { return layerId.indexOf(e[3] + "-") === 0; });
    return entry ? entry[0] : null;
  }
  map.on("click", function (event) {
    const hit = map.queryRenderedFeatures(event.point, { layers: interactive.filter(function (id) { return map.getLayer(id); }) });
    if (hit.length) {
      openPopup(nameOfLayer(hit[0].layer.id), hit[0], event.lngLat, false);
      return;
    }
    const zone = map.queryRenderedFeatures(event.point, { layers: ["contexte-communes-zone", "contexte-epcis-zone"] });
    if (zone.length) {
      openPopup(zone[0].sourceLayer, zone[0], event.lngLat, false);
    }
  });
  interactive.forEach(function (id) {
    map.on("mouseenter", id, function () { map.getCanvas().classList.add("pointer"); });
    map.on("mouseleave", id, function () { map.getCanvas().classList.remove("pointer"); });
  });

  layerSwitches(map, objectLayers, layerIdsOf);
  const labels = new Map();
  let pending = null;
  function refresh() {
    pending = null;
    drawLabels(maplibregl, map, labels);
    listFeatures(config, map, objectLayers, layerIdsOf, geojson, openPopup);
  }
  map.on("idle", function () {
    if (!pending) { pending = window.setTimeout(refresh, 50); }
    el.dataset.ready = "true";
  });
  map.on("movestart", function () { el.dataset.moving = "true"; });
  map.on("moveend", function () { delete el.dataset.moving; });
}

function boundsOf(layers) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  function visit(coords) {
    if (typeof coords[0] === "number") {
      w = Math.min(w, coords[0]); e = Math.max(e, coords[0]);
      s = Math.min(s, coords[1]); n = Math.max(n, coords[1]);
    } else { coords.forEach(visit); }
  }
  Object.keys(layers).forEach(function (name) {
    ((layers[name] && layers[name].features) || []).forEach(function (f) {
      if (f.geometry) { visit(f.geometry.type === "GeometryCollection" ? [] : f.geometry.coordinates); }
    });
  });
  return isFinite(w) ? [w, s, e, n] : null;
}

function sheetLink(config, name, p) {
  if (p.lien) { return p.lien; }
  const template = (config.links || {})[name];
  if (!template) { return null; }
  let missing = false;
  const url = template.replace(/\{(\w+)\}/g, function (_, key) {
    // An EPCI's code is its SIREN (`siren` in the pages' GeoJSON, `code` in the context tiles).
    const value = p[key] !== undefined ? p[key] : (key === "code" ? p.siren : undefined);
    if (value === undefined || value === null || value === "") { missing = true; return ""; }
    return encodeURIComponent(String(value));
  });
  return missing ? null : url;
}

function describe(name, p) {
  const parts = [];
  if (name === "candidats" && p.rang !== undefined) { parts.push("n° " + p.rang); }
  let title = p.nom || p.siret || p.code || "";
  if (name === "terrains") { title = "Terrain " + title; }
  if (p.code && p.nom && name !== "communes") { title += " (" + p.code + ")"; }
  if (name === "communes" && p.code) { title += " (commune " + p.code + ")"; }
  parts.push(title);
  if (p.siret && p.nom !== p.siret) { parts.push("SIRET " + p.siret); }
  if (p.naf) { parts.push("NAF " + p.naf); }
  if (p.vocation) { parts.push(p.vocation); }
  if (p.libelle) { parts.push(p.libelle); }
  if (p.surface_ha !== undefined && p.surface_ha !== null) { parts.push(fr(p.surface_ha) + " ha"); }
  if (p.statut) { parts.push(p.statut); }
  if (p.note !== undefined) { parts.push("note " + fr(p.note)); }
  if (p.disponible_ha !== undefined) { parts.push(fr(p.disponible_ha) + " ha disponibles"); }
  if (p.emissions_t !== undefined) { parts.push(fr(Math.round(p.emissions_t)) + " tCO2e"); }
  return parts.filter(Boolean).join(" — ");
}

function popupContent(config, name, p) {
  const div = document.createElement("div");
  div.className = "map-popup";
  const text = document.createElement("p");
  text.textContent = describe(name, p);
  div.appendChild(text);
  const url = sheetLink(config, name, p);
  if (url) {
    const a = document.createElement("a");
    a.href = url;
    a.textContent = name === "terrains" ? "Fiche du site" : (name === "etablissements" ? "Fiche de l'entreprise" : "Ouvrir la fiche");
    div.appendChild(a);
  }
  return div;
}

function layerSwitches(map, objectLayers, layerIdsOf) {
  const box = document.getElementById("map-layers");
  if (!box || objectLayers.length < 2) { return; }
  objectLayers.forEach(function (entry) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = true;
    input.dataset.layer = entry[0];
    input.addEventListener("change", function () {
      layerIdsOf[entry[3]].forEach(function (id) {
        map.setLayoutProperty(id, "visibility", input.checked ? "visible" : "none");
      });
    });
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + (NAMES[entry[0]] || entry[0])));
    box.appendChild(label);
  });
  box.hidden = false;
}

// Names of the territories (région, département, EPCI, commune, by zoom: tandem.territories.selectors
// CONTEXT_LEVELS), as HTML labels placed at the label points of the context tiles: no glyph server needed.
function drawLabels(maplibregl, map, labels) {
  const view = map.getBounds();
  const wanted = new Map();
  map.querySourceFeatures("contexte", { sourceLayer: "etiquettes" }).forEach(function (f) {
    const p = f.properties || {};
    const key = p.niveau + ":" + p.code;
    if (wanted.has(key) || wanted.size >= LABELS_MAX || !f.geometry || f.geometry.type !== "Point") { return; }
    const lngLat = f.geometry.coordinates;
    if (view.contains(lngLat)) { wanted.set(key, { name: p.nom, level: p.niveau, lngLat: lngLat }); }
  });
  // No two names over each other: coarser levels first, then a name is kept only where it has room
  // (its box estimated from its length).
  const LEVELS = ["regions", "departements", "epcis", "communes"];
  const placed = [];
  Array.from(wanted.entries())
    .sort(function (a, b) { return LEVELS.indexOf(a[1].level) - LEVELS.indexOf(b[1].level); })
    .forEach(function (entry) {
      const p = map.project(entry[1].lngLat);
      const half = (entry[1].name || "").length * 3.6 + 4;
      const box = [p.x - half, p.y - 9, p.x + half, p.y + 9];
      const clash = placed.some(function (o) { return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]; });
      if (clash) { wanted.delete(entry[0]); } else { placed.push(box); }
    });
  labels.forEach(function (marker, key) {
    if (!wanted.has(key)) { marker.remove(); labels.delete(key); }
  });
  wanted.forEach(function (label, key) {
    if (labels.has(key)) { return; }
    const span = document.createElement("span");
    span.className = "map-label map-label-" + label.level;
    span.textContent = label.name;
    span.setAttribute("aria-hidden", "true");
    labels.set(key, new maplibregl.Marker({ element: span }).setLngLat(label.lngLat).addTo(map));
  });
  map.getContainer().dataset.labels = String(labels.size);
}

function featureKey(name, f) {
  const p = f.properties || {};
  return name + ":" + (f.id !== undefined ? f.id : (p.id !== undefined ? p.id : (p.siret || p.code || p.nom)));
}

function pointOf(f) {
  const b = boundsOf({ x: { features: [f] } });
  return b ? [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2] : null;
}

function listFeatures(config, map, objectLayers, layerIdsOf, geojson, openPopup) {
  const list = document.getElementById("map-list");
  const status = document.getElementById("map-list-status");
  if (!list) { return; }
  const rows = [];
  const seen = new Set();
  let more = 0;
  const LISTED = ["liens", "flux", "candidats", "installations", "sites", "friches", "terrains", "perimetres", "etablissements", "epcis", "communes"];
  objectLayers.slice().sort(function (a, b) {
    return LISTED.indexOf(a[0]) - LISTED.indexOf(b[0]);
  }).forEach(function (entry) {
    const name = entry[0], fromPage = !entry[2];
    const visible = layerIdsOf[entry[3]].filter(function (id) { return map.getLayoutProperty(id, "visibility") !== "none"; });
    if (!visible.length) { return; }
    // The page's own objects are all listed; tile layers list what is drawn in view.
    const features = fromPage ? geojson[name].features : map.queryRenderedFeatures({ layers: visible });
    features.forEach(function (f) {
      const key = featureKey(name, f);
      if (seen.has(key)) { return; }
      seen.add(key);
      if (rows.length >= LIST_MAX) { more += 1; return; }
      rows.push([name, f]);
    });
  });
  list.textContent = "";
  rows.forEach(function (row) {
    const name = row[0], f = row[1], p = f.properties || {};
    const li = document.createElement("li");
    li.dataset.layer = name;
    const url = sheetLink(config, name, p);
    const title = describe(name, p);
    if (url) {
      const a = document.createElement("a");
      a.href = url;
      a.textContent = title;
      li.appendChild(a);
    } else {
      li.appendChild(document.createTextNode(title));
    }
    const kind = document.createElement("small");
    kind.textContent = " (" + (SINGULAR[name] || name) + ")";
    li.appendChild(kind);
    const where = pointOf(f);
    if (where) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "btn-link";
      button.textContent = "Situer sur la carte";
      button.setAttribute("aria-label", "Situer sur la carte : " + title);
      button.addEventListener("click", function () {
        map.once("moveend", function () { openPopup(name, f, where, true); });
        map.easeTo({ center: where, duration: 0 });
      });
      li.appendChild(document.createTextNode(" "));
      li.appendChild(button);
    }
    list.appendChild(li);
  });
  if (status) {
    status.textContent = rows.length
      ? rows.length + " objet" + (rows.length > 1 ? "s" : "") + " sur la carte" +
        (more ? " (et " + more + " autres : zoomez pour les lister)" : "") + "."
      : "Aucun objet dans cette vue de la carte.";
  }
  map.getContainer().dataset.listed = String(rows.length);
}
