/**
 * The server's cities, fetched once per app start (the app mounts this hook once). The last
 * good list is kept on the device, so an offline start still knows its city's numbers; a
 * failed request changes nothing, it never empties a list the app already has.
 */
import { useEffect, useState } from "react";
import { type City, fetchCities, parseCities } from "../api/cities";
import type { FetchLike } from "../api/http";
import { type KeyValueStore, readJson, writeJson } from "../storage/keyValueStore";

export const CITIES_KEY = "halo.cities.v1";

/** The kept list first (if any), then the server's (if it answers), each given to `onCities`. */
export async function loadCities(
  baseUrl: string,
  store: KeyValueStore,
  onCities: (cities: City[]) => void,
  fetchImpl?: FetchLike,
): Promise<void> {
  // Kept in the answer's own shape, so the same parser reads it (and drops an older format).
  const kept = parseCities(await readJson<unknown>(store, CITIES_KEY, null).catch(() => null));
  if (kept !== null) onCities(kept);
  const fresh = await fetchCities(baseUrl, fetchImpl).catch(() => null);
  if (fresh === null) return;
  onCities(fresh);
  await writeJson(store, CITIES_KEY, { cities: fresh }).catch(() => undefined);
}

/** The cities known so far: none until the kept list or the server's answer arrives. */
export function useCities(
  baseUrl: string,
  store: KeyValueStore,
  fetchImpl?: FetchLike,
): readonly City[] {
  const [cities, setCities] = useState<readonly City[]>([]);
  useEffect(() => {
    let cancelled = false;
    void loadCities(baseUrl, store, (list) => !cancelled && setCities(list), fetchImpl).catch(
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [baseUrl, store, fetchImpl]);
  return cities;
}
