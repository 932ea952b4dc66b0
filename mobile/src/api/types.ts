/**
 * Shapes of the Halo map API's answers the app reads (api/map_models.py on the server).
 * Only the fields the app uses; the server may send more.
 */
import type { Geometry } from "geojson";

export type Evidence = "point" | "inferred" | "none";

export interface ZoneFeature {
  type: "Feature";
  properties: {
    level: "alert" | "clear";
    threshold: number;
    area_km2: number;
    /** Not sent today; if the server adds a zone's peak score, "high" alerts use it. */
    risk_score_max?: number;
  };
  geometry: Geometry;
}

export interface AlertZonesResponse {
  type: "FeatureCollection";
  generation: number;
  resolution: number | null;
  alert_threshold: number;
  clear_threshold: number;
  features: ZoneFeature[];
}

export interface CategoryCount {
  category: string;
  label_en: string;
  label_sv: string;
  count: number;
}

export interface NeighborhoodDetails {
  id: number;
  name: string;
  area_km2: number;
  bbox: number[];
  generation: number;
  as_of: string | null;
  window_days: number;
  risk_score: number | null;
  relative_risk: number | null;
  rr_lower: number | null;
  rr_upper: number | null;
  observed: number | null;
  expected: number | null;
  evidence: Evidence | null;
  trend: number | null;
  incidents: number;
  incidents_by_category: CategoryCount[];
  cells_by_evidence: { point: number; inferred: number; none: number };
}

export interface NeighborhoodSummary {
  id: number;
  name: string;
}

export interface TileJson {
  tilejson: string;
  attribution?: string;
  description?: string;
  version?: string;
  bounds?: number[];
  center?: number[];
}
