/** What the map screen needs from a map, the same on a phone (native MapLibre) and the web. */
import type { LonLat } from "../geo/geometry";
import type { Highlight } from "./highlight";

/** A feature under a tap: an H3 cell of the risk layer or a district. */
export interface MapHit {
  layer: "risk" | "districts";
  properties: Record<string, unknown>;
}

export interface RiskMapProps {
  styleUrl: string;
  initialCenter: LonLat;
  initialZoom: number;
  userPosition: LonLat | null;
  onPress?: (hits: MapHit[], at: LonLat) => void;
  /** Called when the map stops moving, with its centre (the report screen's position picker). */
  onCenterChange?: (center: LonLat, zoom?: number) => void;
  /** A cross at the centre: "the report is here". */
  crosshair?: boolean;
  /** A selected incident drawn with its real precision (area or exact point); the camera fits it. */
  highlight?: Highlight | null;
  /** The web build exposes the map as window.halo[exposeAs] (browser test, console). */
  exposeAs?: string;
}

/** Layers of Halo's /style.json that answer a tap, and which kind of hit each gives. */
export const TAPPABLE_LAYERS: { layerId: string; layer: MapHit["layer"] }[] = [
  { layerId: "risk-fill", layer: "risk" },
  { layerId: "districts-fill", layer: "districts" },
];

/** The highlight's source and layers (added on top of Halo's style by the app). */
export const HIGHLIGHT_SOURCE = "halo-selection";
export const HIGHLIGHT_COLOUR = "#1f3b73";
