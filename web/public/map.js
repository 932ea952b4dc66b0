// Halo web map: the API's style and tiles in MapLibre GL JS, the legend the API serves, the
// recent events near the map centre, and details of a clicked place; Swedish and English.
// Served by the API itself (no CDN); strict CSP: no inline script, data shown as text only.
import * as maplibregl from "/vendor/maplibre-gl/maplibre-gl.mjs";
import {
  STRINGS, LANGUAGES, FALLBACK_EMERGENCY_NUMBER, chooseLanguage, cityAt, formatDate, timeAgo, times,
} from "/web/i18n.js";
import { selectionFeatures, boundsOf, listRadius } from "/web/selection.js";

const state = {
  lang: chooseLanguage(location.search, navigator.languages),
  legend: null,
  cities: [],
  city: null, // the city whose box holds the map's centre (/api/v1/cities)
  globalCredit: null, // the data layers' TileJSON credit: every city's sources
  freshness: null,
  listAsOf: null,
  items: [],
  selected: null,
};
// Exposed for operators' consoles and the browser test.
window.haloState = state;
const t = () => STRINGS[state.lang];

const halo = await fetch("/style.json").then((r) => r.json());
const baseStyle = halo.metadata?.["halo:base_style"];
// The base map's sources credit themselves (water, OpenStreetMap); the data layers' TileJSON
// credit names every city's sources, so the map blanks it (explicit source options win over
// TileJSON) and credits the data of the city in view itself (renderCredit).
const BASE_MAP_SOURCES = ["water", "streets"];
for (const [name, source] of Object.entries(halo.sources)) {
  if (!BASE_MAP_SOURCES.includes(name)) source.attribution = "";
}
const map = new maplibregl.Map({
  container: "map",
  style: baseStyle ?? halo,
  hash: true,
  attributionControl: false,
});
window.haloMap = map;
let attributionControl = null;
let shownCredit = null;
renderCredit();
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
// The attribution wraps on a narrow screen: the panels below it keep clear of its height.
const attribution = document.querySelector(".maplibregl-ctrl-bottom-right");
new ResizeObserver(() => {
  document.documentElement.style.setProperty("--attribution-height", `${attribution.offsetHeight}px`);
}).observe(attribution);

map.on("load", () => {
  if (baseStyle) addHaloOverlay();
  showBaseMapOnlyOverItsData();
  addSelectionLayers();
  refreshList();
  const asked = new URLSearchParams(location.search).get("incident");
  if (asked) selectIncident(Number(asked));
});
map.on("moveend", debounce(refreshList, 400));
map.on("moveend", () => chooseCity());
map.on("moveend", showBaseMapOnlyOverItsData);
map.on("mouseenter", "risk-fill", () => { map.getCanvas().style.cursor = "pointer"; });
map.on("mouseleave", "risk-fill", () => { map.getCanvas().style.cursor = ""; });
map.on("error", (event) => { setStatus(t().mapError(event.error?.message ?? "?")); });
map.on("click", (event) => { showDetails(event.lngLat); });

for (const button of document.querySelectorAll("#languages button")) {
  button.addEventListener("click", () => setLanguage(button.dataset.lang));
}
// The legend and the list fold on a phone, so the map stays visible.
if (window.matchMedia("(max-width: 640px)").matches) {
  document.getElementById("legend").open = false;
  document.getElementById("events").open = false;
}
applyLanguage();
renderCity();
loadCities();
loadGlobalCredit();
loadLegend();
loadFreshness();

// Halo's risk, district and incident layers over an operator's external base style.
function addHaloOverlay() {
  const base = new Set(["water", "streets", "district_labels"]);
  for (const [name, source] of Object.entries(halo.sources)) {
    if (!base.has(name)) map.addSource(name, source);
  }
  for (const layer of halo.layers) {
    if (layer.source && !base.has(layer.source)) map.addLayer(layer);
  }
}

// MapLibre credits every source with a layer visible at this zoom, in view or not (and asks
// for its tiles): Halo's base map (one city's water and streets) is shown, and so credited,
// only while the view meets its data's box, the bounds of its TileJSON.
function showBaseMapOnlyOverItsData() {
  const view = map.getBounds();
  for (const name of BASE_MAP_SOURCES) {
    const box = map.getSource(name)?.bounds; // absent under an external base style
    if (!box) continue;
    const visibility = meets(view, box) ? "visible" : "none";
    for (const layer of halo.layers) {
      if (layer.source === name) map.setLayoutProperty(layer.id, "visibility", visibility);
    }
  }
}

// Whether the view meets a [west, south, east, north] box or its copy a world away.
function meets(view, [west, south, east, north]) {
  if (view.getSouth() > north || view.getNorth() < south) return false;
  return [-360, 0, 360].some(
    (shift) => view.getWest() <= east + shift && view.getEast() >= west + shift);
}

function addSelectionLayers() {
  map.addSource("selection", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "selection-fill", type: "fill", source: "selection",
    filter: ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]],
    paint: { "fill-color": "#1f3b73", "fill-opacity": 0.12 } });
  map.addLayer({ id: "selection-line", type: "line", source: "selection",
    filter: ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]],
    paint: { "line-color": "#1f3b73", "line-width": 3 } });
  map.addLayer({ id: "selection-point", type: "circle", source: "selection",
    filter: ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]],
    paint: { "circle-radius": 6, "circle-color": "#1f3b73", "circle-stroke-color": "#fff",
             "circle-stroke-width": 2 } });
}

function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) return;
  state.lang = lang;
  const url = new URL(location.href);
  url.searchParams.set("lang", lang);
  history.replaceState(null, "", url);
  applyLanguage();
  renderCity();
  renderLegend();
  renderAsOf();
  renderList();
  renderSelected();
}

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t()[node.dataset.i18n];
  }
  for (const node of document.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t()[node.dataset.i18nLabel]);
  }
  for (const button of document.querySelectorAll("#languages button")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
}

// The cities (their boxes and numbers); the emergency line says 112 until they are in, and
// when they cannot be had.
async function loadCities() {
  try {
    const response = await fetch("/api/v1/cities");
    if (response.ok) state.cities = (await response.json()).cities;
  } catch {
    state.cities = [];
  }
  state.citiesLoaded = true;
  chooseCity(true);
}

function chooseCity(force = false) {
  const centre = map.getCenter();
  const city = cityAt(state.cities, centre.lng, centre.lat);
  if (!force && city?.code === state.city?.code) return;
  state.city = city;
  renderCity();
  renderCredit();
  renderAsOf();
  loadLegend();
}

// The data's credit outside every city (and until the cities are in): the data layers'
// TileJSON, whose credit names every city's sources.
async function loadGlobalCredit() {
  try {
    const response = await fetch(halo.sources.risk.url);
    if (response.ok) state.globalCredit = (await response.json()).attribution || null;
  } catch {
    state.globalCredit = null;
  }
  renderCredit();
}

// The credit line: the data of the city in view (its sources and boundaries, /api/v1/cities)
// beside the base map's own credits. MapLibre's control takes its custom credit once, so a
// new city gets a new control (in the same corner; the panels follow its height).
function renderCredit() {
  const credit = (state.city ? state.city.credit : state.globalCredit) ?? "";
  if (attributionControl && credit === shownCredit) return;
  if (attributionControl) map.removeControl(attributionControl);
  // The credit is text (ref.data_sources.attribution); MapLibre reads its custom credit as HTML.
  attributionControl = new maplibregl.AttributionControl(
    { compact: false, customAttribution: escapeHtml(credit) });
  map.addControl(attributionControl, "bottom-right");
  shownCredit = credit;
}

function escapeHtml(text) {
  const node = document.createElement("span");
  node.textContent = text;
  return node.innerHTML;
}

// The page title and the emergency line of the city on the map.
function renderCity() {
  const city = state.city;
  document.title = t().pageTitle(city?.name);
  document.getElementById("emergency").textContent = t().emergency(
    city?.emergency_number ?? FALLBACK_EMERGENCY_NUMBER, city?.police_number);
}

// The legend worded for the city on the map (its reference multiple), else for all cities.
async function loadLegend() {
  const code = state.city?.code;
  const response = await fetch(`/api/v1/legend${code ? `?city=${encodeURIComponent(code)}` : ""}`);
  if (!response.ok || code !== state.city?.code) return; // a newer city's legend is coming
  state.legend = await response.json();
  renderLegend();
}

function renderLegend() {
  if (!state.legend) return;
  document.getElementById("explanation").textContent = state.legend.explanation[state.lang];
  const list = document.getElementById("classes");
  list.replaceChildren(...state.legend.classes.map((cls) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    const fill = document.createElement("span");
    fill.style.backgroundColor = cls.color;
    fill.style.opacity = String(cls.opacity);
    swatch.append(fill);
    item.append(swatch, cls.label[state.lang]);
    return item;
  }));
}

// The data's as-of date: the feed's freshness, else the incident list's as_of.
async function loadFreshness() {
  try {
    const response = await fetch("/api/v1/freshness");
    state.freshness = response.ok ? await response.json() : null;
  } catch {
    state.freshness = null;
  }
  renderAsOf();
}

function renderAsOf() {
  const node = document.getElementById("as-of");
  const fresh = state.freshness;
  const newest = fresh?.newest_event_at ?? state.listAsOf;
  if (!newest) {
    node.textContent = t().windowNote;
    return;
  }
  const date = formatDate(newest, state.lang, state.city?.time_zone);
  const stale = fresh ? fresh.stale : true;
  node.textContent = stale ? t().dataUpTo(date) : t().updatedAt(date);
}

async function refreshList() {
  const centre = map.getCenter();
  const query = new URLSearchParams({
    lat: centre.lat.toFixed(5), lon: centre.lng.toFixed(5),
    radius_m: String(listRadius(map)), limit: "30",
  });
  try {
    const response = await fetch(`/api/v1/incidents?${query}`);
    if (!response.ok) throw new Error(String(response.status));
    const body = await response.json();
    state.items = body.items;
    state.listAsOf = body.as_of;
    state.listError = false;
  } catch {
    state.items = [];
    state.listError = true;
  }
  renderList();
  renderAsOf();
}

function renderList() {
  const list = document.getElementById("event-list");
  if (state.listError || state.items.length === 0) {
    const item = document.createElement("li");
    item.className = "empty";
    item.textContent = state.listError ? t().listError : t().listEmpty;
    list.replaceChildren(item);
    return;
  }
  list.replaceChildren(...state.items.map((incident) => {
    const item = document.createElement("li");
    item.dataset.id = String(incident.id);
    item.setAttribute("aria-current", String(incident.id === state.selected?.id));
    item.append(eventSummary(incident));
    item.addEventListener("click", () => selectIncident(incident.id));
    return item;
  }));
}

// "2 h ago · Rån · Södermalm", then the text and a link to the source.
function eventSummary(incident) {
  const root = document.createElement("div");
  const meta = document.createElement("div");
  meta.className = "event-meta";
  const type = document.createElement("span");
  type.className = "event-type";
  type.textContent = incident.type || incident.category_label[state.lang];
  meta.append(type, ` · ${timeAgo(incident.occurred_at, state.lang)}`);
  if (incident.location.name) meta.append(` · ${incident.location.name}`);
  root.append(meta);
  // A point file's event has only its type as title ("Theft from Vehicle"): said once.
  const words = incident.summary || incident.title;
  if (words && words !== type.textContent) {
    const text = document.createElement("p");
    text.className = "event-text";
    text.textContent = words;
    root.append(text);
  }
  if (incident.url) {
    const link = document.createElement("a");
    link.href = incident.url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = t().source;
    link.addEventListener("click", (event) => event.stopPropagation());
    root.append(link);
  }
  return root;
}

// Show an incident with its real precision: the district's polygon, the place's area, or an
// exact point only when the location is exact.
async function selectIncident(id) {
  const response = await fetch(`/api/v1/incidents/${encodeURIComponent(id)}`);
  if (!response.ok) return;
  const incident = await response.json();
  let geometry = incident.location.geometry;
  if (!geometry && incident.location.district_id) {
    const district = await fetch(`/api/v1/neighborhoods/${incident.location.district_id}`);
    if (district.ok) geometry = (await district.json()).geometry;
  }
  state.selected = { ...incident, shown: geometry };
  const features = selectionFeatures(incident.location, geometry);
  map.getSource("selection").setData({ type: "FeatureCollection", features });
  const bounds = boundsOf(features);
  if (bounds) map.fitBounds(bounds, { padding: clearOfPanels(), maxZoom: 16, duration: 0 });
  const url = new URL(location.href);
  url.searchParams.set("incident", String(incident.id));
  history.replaceState(null, "", url);
  document.getElementById("events").open = true;
  renderSelected();
  renderList();
}

// Room for the panels around a fitted selection (a phone folds them: less room).
function clearOfPanels() {
  if (window.matchMedia("(max-width: 640px)").matches) return 40;
  return { top: 40, bottom: 40, left: 330, right: 390 };
}

function renderSelected() {
  const card = document.getElementById("selected");
  const incident = state.selected;
  card.hidden = !incident;
  if (!incident) return;
  const title = document.createElement("h3");
  title.textContent = `${incident.category_label[state.lang]}: ${incident.type}`;
  const where = document.createElement("p");
  where.className = "precision";
  const words = t().precision[incident.location.support];
  where.textContent = typeof words === "function" ? words(incident.location.name ?? "?") : words;
  const share = document.createElement("input");
  share.readOnly = true;
  share.value = shareLink(incident.id);
  share.setAttribute("aria-label", t().share);
  const actions = document.createElement("div");
  actions.className = "actions";
  const shareButton = document.createElement("button");
  shareButton.type = "button";
  shareButton.textContent = t().share;
  shareButton.addEventListener("click", async () => {
    share.select();
    try {
      await navigator.clipboard.writeText(share.value);
      setStatus(t().copied);
    } catch {
      // The field is selected: the user can copy it by hand.
    }
  });
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = t().close;
  close.addEventListener("click", clearSelection);
  actions.append(shareButton, close);
  card.replaceChildren(title, where, eventSummary(incident), share, actions);
}

function clearSelection() {
  state.selected = null;
  map.getSource("selection").setData({ type: "FeatureCollection", features: [] });
  const url = new URL(location.href);
  url.searchParams.delete("incident");
  history.replaceState(null, "", url);
  renderSelected();
  renderList();
}

// A link that opens the web map at this incident, in this language, at this view.
function shareLink(id) {
  const url = new URL(location.href);
  url.search = new URLSearchParams({ incident: String(id), lang: state.lang }).toString();
  return url.toString();
}

function setStatus(text) {
  document.getElementById("status").textContent = text;
}

function debounce(fn, ms) {
  let timer;
  return () => { clearTimeout(timer); timer = setTimeout(fn, ms); };
}

function legendClass(score) {
  const classes = state.legend?.classes ?? [];
  return classes.find((c) => score >= c.min && score < c.max) ?? classes[classes.length - 1];
}

async function showDetails(lngLat) {
  const popup = new maplibregl.Popup({ className: "halo-popup", maxWidth: "320px" })
    .setLngLat(lngLat)
    .setDOMContent(textNode(t().loading))
    .addTo(map);
  const query = new URLSearchParams({ lat: lngLat.lat.toFixed(6), lon: lngLat.lng.toFixed(6) });
  const response = await fetch(`/api/v1/risk?${query}`);
  if (response.status === 404) {
    popup.setDOMContent(textNode(t().outside));
    return;
  }
  if (!response.ok) {
    popup.setDOMContent(textNode(t().noDetails(response.status)));
    return;
  }
  popup.setDOMContent(detailsNode(await response.json()));
}

function textNode(text) {
  const node = document.createElement("p");
  node.textContent = text;
  return node;
}

// The level in the legend's own words; the estimate never contradicts it: below the alert
// classes it says the range still includes the city rate.
function detailsNode(risk) {
  const root = document.createElement("div");
  root.className = "halo-details";
  const title = document.createElement("h2");
  title.textContent = risk.district.name;
  root.append(title);
  const cls = legendClass(risk.risk_score);
  const lang = state.lang;
  const confident = state.legend && risk.risk_score >= state.legend.thresholds.alert_clear;
  const rows = [
    [t().level, cls ? cls.label[lang] : "–"],
    [t().estimate, confident
      ? t().estimateValue(times(risk.relative_risk, lang), times(risk.rr_lower, lang),
                          times(risk.rr_upper, lang))
      : t().uncertain],
    [t().evidenceLabel, t().evidence[risk.evidence] ?? risk.evidence],
    [t().mostReported, risk.why.map((c) => `${lang === "sv" ? c.label_sv : c.label_en} ${Math.round(c.share * 100)} %`).join(", ") || "–"],
  ];
  const list = document.createElement("dl");
  for (const [label, value] of rows) {
    const term = document.createElement("dt");
    term.textContent = label;
    const detail = document.createElement("dd");
    detail.textContent = value;
    list.append(term, detail);
  }
  root.append(list);
  return root;
}
