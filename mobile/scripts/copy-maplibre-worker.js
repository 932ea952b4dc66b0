// Copies MapLibre GL JS's tile worker next to the web build (public/vendor/), so the page loads
// it from its own origin: no CDN, and nothing vendored into git.
const fs = require("fs");
const path = require("path");

const source = require.resolve("maplibre-gl/dist/maplibre-gl-worker.mjs");
const target = path.join(__dirname, "..", "public", "vendor", "maplibre-gl-worker.mjs");
fs.mkdirSync(path.dirname(target), { recursive: true });
fs.copyFileSync(source, target);
