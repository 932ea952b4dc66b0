/**
 * One legend everywhere: classes and alert thresholds from GET /api/v1/legend, the same ones
 * the web map and the alert zones use. A server without the endpoint (or offline at start)
 * gets the built-in values, which match the server's defaults.
 */
import { type FetchLike, HttpError, getJson } from "./http";

export interface LegendClass {
  min: number;
  max: number;
  color: string;
  opacity: number;
  label: { sv: string; en: string };
}

export interface Legend {
  thresholds: { alert_enter: number; alert_clear: number };
  classes: LegendClass[];
  explanation: { sv: string; en: string } | null;
}

export const BUILT_IN_LEGEND: Legend = {
  thresholds: { alert_enter: 0.6, alert_clear: 0.5 },
  classes: [
    {
      min: 0,
      max: 0.5,
      color: "#ffffcc",
      opacity: 0.45,
      label: { en: "Not clearly above the city rate", sv: "Inte tydligt över stadens nivå" },
    },
    {
      min: 0.5,
      max: 0.6,
      color: "#fd8d3c",
      opacity: 0.6,
      label: {
        en: "Somewhat higher reported incident rate",
        sv: "Något fler anmälda händelser",
      },
    },
    {
      min: 0.6,
      max: 1,
      color: "#e31a1c",
      opacity: 0.7,
      label: {
        en: "Higher reported incident rate (alert level)",
        sv: "Fler anmälda händelser (varningsnivå)",
      },
    },
  ],
  explanation: null,
};

function isLegend(value: unknown): value is Legend {
  const body = value as Partial<Legend> | null;
  return (
    typeof body?.thresholds?.alert_enter === "number" &&
    typeof body.thresholds.alert_clear === "number" &&
    Array.isArray(body.classes) &&
    body.classes.length > 0 &&
    body.classes.every(
      (step) =>
        typeof step.color === "string" &&
        typeof step.label?.sv === "string" &&
        typeof step.label.en === "string",
    )
  );
}

/** The server's legend; the built-in one when the server has none (404) or sends nonsense. */
export async function fetchLegend(baseUrl: string, fetchImpl?: FetchLike): Promise<Legend> {
  try {
    const body = await getJson<unknown>(`${baseUrl}/api/v1/legend`, fetchImpl);
    if (!isLegend(body)) return BUILT_IN_LEGEND;
    return { ...body, explanation: body.explanation ?? null };
  } catch (error) {
    if (error instanceof HttpError) return BUILT_IN_LEGEND;
    throw error;
  }
}

export interface Freshness {
  newest_event_at: string | null;
  last_poll_ok_at: string | null;
  feed: "ok" | "stale" | "unreachable" | "off";
  stale: boolean;
}

/** The feed's freshness, or null when the server has no such endpoint or cannot be reached. */
export async function fetchFreshness(
  baseUrl: string,
  fetchImpl?: FetchLike,
): Promise<Freshness | null> {
  try {
    return await getJson<Freshness>(`${baseUrl}/api/v1/freshness`, fetchImpl);
  } catch (error) {
    if (error instanceof HttpError) return null;
    throw error;
  }
}
