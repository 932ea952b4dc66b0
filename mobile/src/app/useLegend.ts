/** The server's legend and the feed's freshness, fetched once per start (built-in fallbacks). */
import { useEffect, useState } from "react";
import {
  BUILT_IN_LEGEND,
  type Freshness,
  type Legend,
  fetchFreshness,
  fetchLegend,
} from "../api/legend";

export function useLegend(baseUrl: string): { legend: Legend; freshness: Freshness | null } {
  const [legend, setLegend] = useState<Legend>(BUILT_IN_LEGEND);
  const [freshness, setFreshness] = useState<Freshness | null>(null);
  useEffect(() => {
    let cancelled = false;
    void fetchLegend(baseUrl)
      .catch(() => BUILT_IN_LEGEND)
      .then((answer) => !cancelled && setLegend(answer));
    void fetchFreshness(baseUrl)
      .catch(() => null)
      .then((answer) => !cancelled && setFreshness(answer));
    return () => {
      cancelled = true;
    };
  }, [baseUrl]);
  return { legend, freshness };
}
