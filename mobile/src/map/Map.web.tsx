/**
 * The risk map in the web build: MapLibre GL JS over Halo's /style.json. Its tile worker is
 * served beside the app (public/vendor/, copied from node_modules at export), not from a CDN.
 */
import "maplibre-gl/dist/maplibre-gl.css";
import {
  AttributionControl,
  Map as MapLibreMap,
  Marker,
  NavigationControl,
  setWorkerUrl,
} from "maplibre-gl";
import { useEffect, useRef } from "react";
import { StyleSheet, Text, View } from "react-native";
import { expose } from "../app/debugHandle";
import { boundsOf, type Highlight, highlightFeature } from "./highlight";
import {
  HIGHLIGHT_COLOUR,
  HIGHLIGHT_SOURCE,
  type MapHit,
  type RiskMapProps,
  TAPPABLE_LAYERS,
} from "./Map.types";

const WORKER_PATH = "vendor/maplibre-gl-worker.mjs";
// The attribution line stops short of the zoom buttons in the other top corner.
const ATTRIBUTION_CSS =
  ".halo-map .maplibregl-ctrl-top-left .maplibregl-ctrl-attrib" +
  "{max-width:calc(100vw - 64px);background:rgba(255,255,255,0.85)}";

function addAttributionCss(): void {
  if (document.getElementById("halo-attribution-css")) return;
  const style = document.createElement("style");
  style.id = "halo-attribution-css";
  style.textContent = ATTRIBUTION_CSS;
  document.head.appendChild(style);
}

/** Draw (or clear) the selected incident on top of the style, and fit the camera to it. */
function showHighlight(map: MapLibreMap, highlight: Highlight | null | undefined): void {
  const data = {
    type: "FeatureCollection" as const,
    features: highlight ? [highlightFeature(highlight)] : [],
  };
  const source = map.getSource(HIGHLIGHT_SOURCE) as { setData?: (d: unknown) => void } | undefined;
  if (source?.setData) source.setData(data);
  else {
    map.addSource(HIGHLIGHT_SOURCE, { type: "geojson", data });
    map.addLayer({
      id: `${HIGHLIGHT_SOURCE}-fill`,
      type: "fill",
      source: HIGHLIGHT_SOURCE,
      filter: ["==", ["get", "kind"], "area"],
      paint: { "fill-color": HIGHLIGHT_COLOUR, "fill-opacity": 0.18 },
    });
    map.addLayer({
      id: `${HIGHLIGHT_SOURCE}-line`,
      type: "line",
      source: HIGHLIGHT_SOURCE,
      filter: ["==", ["get", "kind"], "area"],
      paint: { "line-color": HIGHLIGHT_COLOUR, "line-width": 3, "line-dasharray": [2, 1] },
    });
    map.addLayer({
      id: `${HIGHLIGHT_SOURCE}-point`,
      type: "circle",
      source: HIGHLIGHT_SOURCE,
      filter: ["==", ["get", "kind"], "point"],
      paint: {
        "circle-radius": 7,
        "circle-color": HIGHLIGHT_COLOUR,
        "circle-stroke-color": "#ffffff",
        "circle-stroke-width": 2,
      },
    });
  }
  const box = highlight ? boundsOf(highlight.geometry) : null;
  if (box) {
    map.fitBounds(
      [
        [box[0], box[1]],
        [box[2], box[3]],
      ],
      { padding: { top: 60, left: 30, right: 30, bottom: 420 }, maxZoom: 15, duration: 0 },
    );
  }
}

function userMarkerElement(): HTMLElement {
  const dot = document.createElement("div");
  dot.setAttribute("data-testid", "user-position");
  Object.assign(dot.style, {
    width: "14px",
    height: "14px",
    borderRadius: "7px",
    background: "#1a73e8",
    border: "2px solid #ffffff",
    boxShadow: "0 0 4px rgba(0,0,0,0.4)",
  });
  return dot;
}

export function RiskMap(props: RiskMapProps) {
  const container = useRef<HTMLDivElement | null>(null);
  const mapRef = useRef<MapLibreMap | null>(null);
  const markerRef = useRef<Marker | null>(null);
  const handlers = useRef(props);
  handlers.current = props;

  useEffect(() => {
    if (!container.current) return;
    setWorkerUrl(new URL(WORKER_PATH, document.baseURI).href);
    addAttributionCss();
    const map = new MapLibreMap({
      container: container.current,
      style: props.styleUrl,
      center: [...props.initialCenter],
      zoom: props.initialZoom,
      attributionControl: false,
    });
    // Top corners: the screen's legend and buttons cover the bottom of the map. The
    // attribution is spelled out (not folded) and the screen's overlays start below it.
    map.addControl(new AttributionControl({ compact: false }), "top-left");
    map.addControl(new NavigationControl({ showCompass: false }), "top-right");
    map.on("click", (event) => {
      const hits: MapHit[] = [];
      for (const { layerId, layer } of TAPPABLE_LAYERS) {
        if (!map.getLayer(layerId)) continue;
        const first = map.queryRenderedFeatures(event.point, { layers: [layerId] })[0];
        if (first) hits.push({ layer, properties: { ...first.properties, id: first.id } });
      }
      handlers.current.onPress?.(hits, [event.lngLat.lng, event.lngLat.lat]);
    });
    map.on("moveend", () => {
      const center = map.getCenter();
      handlers.current.onCenterChange?.([center.lng, center.lat], map.getZoom());
    });
    mapRef.current = map;
    if (props.exposeAs) expose(props.exposeAs, map);
    return () => {
      markerRef.current = null;
      mapRef.current = null;
      map.remove();
    };
    // Built once per style URL: the first view comes from the props, then the map keeps its own camera.
  }, [props.styleUrl]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    const draw = () => showHighlight(map, props.highlight);
    if (map.isStyleLoaded()) draw();
    else map.once("load", draw);
  }, [props.highlight]);

  useEffect(() => {
    const map = mapRef.current;
    if (!map) return;
    if (!props.userPosition) {
      markerRef.current?.remove();
      markerRef.current = null;
      return;
    }
    markerRef.current ??= new Marker({ element: userMarkerElement() })
      .setLngLat([...props.userPosition])
      .addTo(map);
    markerRef.current.setLngLat([...props.userPosition]);
  }, [props.userPosition]);

  return (
    <View style={styles.fill}>
      <div
        ref={container}
        className="halo-map"
        style={{ position: "absolute", inset: 0 }}
        data-testid="risk-map"
      />
      {props.crosshair ? (
        <View pointerEvents="none" style={styles.crosshair}>
          <Text style={styles.crosshairText}>＋</Text>
        </View>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  fill: { flex: 1 },
  crosshair: { ...StyleSheet.absoluteFill, alignItems: "center", justifyContent: "center" },
  crosshairText: {
    fontSize: 40,
    fontWeight: "700",
    color: "#1f3b73",
    textShadowColor: "#ffffff",
    textShadowRadius: 3,
  },
});

// The web build offers what the phone build offers (checked by tsc, erased at run time).
import type * as PhoneBuild from "./Map.native";
({ RiskMap }) satisfies typeof PhoneBuild;
