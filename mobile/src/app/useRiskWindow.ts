/** How many days the server's estimates cover (a district's window_days), for the legend. */
import { useEffect, useState } from "react";
import type { MapApi } from "../api/mapApi";
import { getJson } from "../api/http";

interface FirstDistrict {
  features: { id: number }[];
}

export function useRiskWindow(mapApi: MapApi): {
  windowDays: number | null;
  sources: string | null;
} {
  const [windowDays, setWindowDays] = useState<number | null>(null);
  const [sources, setSources] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const load = async () => {
      const tileJson = await mapApi.tileJson("risk").catch(() => null);
      if (!cancelled && tileJson?.attribution) setSources(tileJson.attribution);
      // The coarsest outline list is a few kB; any district carries the window.
      const list = await getJson<FirstDistrict>(
        `${mapApi.baseUrl}/api/v1/neighborhoods?zoom=4`,
      ).catch(() => null);
      const id = list?.features[0]?.id;
      if (id === undefined) return;
      const details = await mapApi.neighborhood(id).catch(() => null);
      if (!cancelled && details) setWindowDays(details.window_days);
    };
    void load();
    return () => {
      cancelled = true;
    };
  }, [mapApi]);

  return { windowDays, sources };
}
