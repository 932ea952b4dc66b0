// Halo web map: the API's style and tiles in MapLibre GL JS, and details of a clicked point.
// Served by the API itself (no CDN); strict CSP: no inline script, data shown as text only.
import * as maplibregl from "/vendor/maplibre-gl/maplibre-gl.mjs";

const EVIDENCE_WORDS = {
  point: "exactly located incidents",
  inferred: "spread from incidents known only to the district",
  none: "no incidents reported here",
};

const map = new maplibregl.Map({
  container: "map",
  style: "/style.json",
  hash: true,
  attributionControl: { compact: true },
});
// Exposed for operators' consoles and the browser test.
window.haloMap = map;
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");

map.on("mouseenter", "risk-fill", () => { map.getCanvas().style.cursor = "pointer"; });
map.on("mouseleave", "risk-fill", () => { map.getCanvas().style.cursor = ""; });
map.on("error", (event) => { setStatus(`Map error: ${event.error?.message ?? "unknown"}`); });
map.on("click", (event) => { showDetails(event.lngLat); });

function setStatus(text) {
  document.getElementById("status").textContent = text;
}

function times(value) {
  return value == null ? "–" : `${Number(value).toFixed(2)}×`;
}

async function showDetails(lngLat) {
  const popup = new maplibregl.Popup({ className: "halo-popup", maxWidth: "320px" })
    .setLngLat(lngLat)
    .setDOMContent(textNode("Loading…"))
    .addTo(map);
  const query = new URLSearchParams({ lat: lngLat.lat.toFixed(6), lon: lngLat.lng.toFixed(6) });
  const response = await fetch(`/api/v1/risk?${query}`);
  if (response.status === 404) {
    popup.setDOMContent(textNode("Outside the area Halo covers."));
    return;
  }
  if (!response.ok) {
    popup.setDOMContent(textNode(`No details (HTTP ${response.status}).`));
    return;
  }
  popup.setDOMContent(detailsNode(await response.json()));
}

function textNode(text) {
  const node = document.createElement("p");
  node.textContent = text;
  return node;
}

function detailsNode(risk) {
  const root = document.createElement("div");
  root.className = "halo-details";
  const title = document.createElement("h2");
  title.textContent = risk.district.name;
  root.append(title);
  const rows = [
    ["Score", `${risk.risk_score.toFixed(2)} (0.6 = at least 1.5× the city average)`],
    ["Reported rate", `${times(risk.relative_risk)} the city average`],
    ["Likely range", `${times(risk.rr_lower)} to ${times(risk.rr_upper)}`],
    ["At this hour", `${times(risk.at.relative_risk)} (hour factor ${risk.at.factor})`],
    ["Evidence", EVIDENCE_WORDS[risk.evidence] ?? risk.evidence],
    ["Most reported", risk.why.map((c) => `${c.label_en} ${Math.round(c.share * 100)}%`).join(", ") || "–"],
    ["H3 cell", risk.cell],
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
