/**
 * The city the resident is in, for the emergency note: where the phone is when the app knows
 * its position, else where the map is centred. Screens read it from `CurrentCityContext`.
 */
import { createContext, useCallback, useEffect, useRef, useState } from "react";
import type { City } from "../api/cities";
import { cityAt } from "../geo/cityAt";
import type { LonLat } from "../geo/geometry";

/** null: no city known (no list, outside every city): the note falls back to 112. */
export const CurrentCityContext = createContext<City | null>(null);

/**
 * The current city and `followCentre`, to call when the map's centre moves. The centre is kept
 * in a ref; state changes (a re-render) only when the city under the centre changes.
 */
export function useCityAt(
  cities: readonly City[],
  userPosition: LonLat | null,
  initialCentre: LonLat,
): { city: City | null; followCentre: (centre: LonLat) => void } {
  const centre = useRef<LonLat>(initialCentre);
  const latest = useRef(cities);
  latest.current = cities;
  // Always the city under the centre in the current list; setting an equal value renders nothing.
  const [, setCityUnderCentre] = useState<City | null>(null);
  useEffect(() => setCityUnderCentre(cityAt(cities, centre.current)), [cities]);
  const followCentre = useCallback((point: LonLat) => {
    centre.current = point;
    setCityUnderCentre(cityAt(latest.current, point));
  }, []);
  return { city: cityAt(cities, userPosition ?? centre.current), followCentre };
}
