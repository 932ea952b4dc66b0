/**
 * The incident list's data: events near the map's centre and in the followed districts,
 * reloaded when the list opens or the centre moves; the selected one with its geometry
 * (the detail answer) drawn on the map with its real precision.
 */
import type { Geometry } from "geojson";
import { useCallback, useRef, useState } from "react";
import { HttpError, getJson } from "../api/http";
import type { Incident, IncidentsApi } from "../api/incidents";
import type { LonLat } from "../geo/geometry";
import { type Highlight, highlightOf } from "../map/highlight";
import type { IncidentListState } from "../ui/IncidentList";

interface DistrictCollection {
  features: { id: number; geometry: Geometry }[];
}

/** A district's outline from the neighbourhood list (the fallback when an event has none). */
async function districtOutline(baseUrl: string, id: number): Promise<Geometry | null> {
  const list = await getJson<DistrictCollection>(`${baseUrl}/api/v1/neighborhoods?zoom=13`);
  return list.features.find((feature) => feature.id === id)?.geometry ?? null;
}

export function useIncidents(api: IncidentsApi) {
  const [state, setState] = useState<IncidentListState>({ kind: "loading" });
  const [selected, setSelected] = useState<Incident | null>(null);
  const [highlight, setHighlight] = useState<Highlight | null>(null);
  const request = useRef(0);

  const load = useCallback(
    async (centre: LonLat, followed: number[]) => {
      const mine = ++request.current;
      setState((current) => (current.kind === "ready" ? current : { kind: "loading" }));
      try {
        const items = await api.recent({ lon: centre[0], lat: centre[1] }, followed);
        if (mine === request.current) setState({ kind: "ready", items });
      } catch (error) {
        if (mine !== request.current) return;
        const absent = error instanceof HttpError && (error.status === 404 || error.status === 405);
        setState({ kind: absent ? "unavailable" : "failed" });
      }
    },
    [api],
  );

  const select = useCallback(
    async (incident: Incident | null) => {
      setSelected(incident);
      setHighlight(null);
      if (!incident) return;
      const full = await api.one(incident.id).catch(() => incident);
      let outline: Geometry | null = null;
      const { support, district_id: districtId } = full.location;
      if (!full.location.geometry && support === "district" && districtId !== null) {
        outline = await districtOutline(api.baseUrl, districtId).catch(() => null);
      }
      setHighlight(highlightOf(full, outline));
    },
    [api],
  );

  return { state, selected, highlight, load, select };
}
