/**
 * Which Halo server the app talks to. In order: a runtime choice on the web build (the `api`
 * query parameter, or `window.HALO_API_URL` set before the bundle loads), the build's
 * EXPO_PUBLIC_HALO_API_URL (app.config.ts copies it into `extra` too), else `make run`'s
 * http://127.0.0.1:8000.
 */

export const DEFAULT_API_URL = "http://127.0.0.1:8000";

export interface ApiUrlSources {
  /** The page's query string (web only), e.g. "?api=http://127.0.0.1:8765". */
  search?: string | null;
  /** window.HALO_API_URL (web only). */
  globalUrl?: unknown;
  /** EXPO_PUBLIC_HALO_API_URL as inlined at build time. */
  buildUrl?: string | null;
  /** expo-constants' expoConfig.extra.haloApiUrl. */
  configUrl?: unknown;
}

/** An http(s) URL without a trailing slash, or null for anything else. */
export function normaliseApiUrl(value: unknown): string | null {
  if (typeof value !== "string" || value.trim() === "") return null;
  const text = value.trim().replace(/\/+$/, "");
  return /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/i.test(text) ? text : null;
}

export function resolveApiBaseUrl(sources: ApiUrlSources): string {
  const fromQuery = sources.search ? new URLSearchParams(sources.search).get("api") : null;
  return (
    normaliseApiUrl(fromQuery) ??
    normaliseApiUrl(sources.globalUrl) ??
    normaliseApiUrl(sources.buildUrl) ??
    normaliseApiUrl(sources.configUrl) ??
    DEFAULT_API_URL
  );
}
