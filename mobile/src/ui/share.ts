/**
 * Links that open Halo's web map at a place, and the system share sheet. The web map keeps
 * its view in the URL fragment as MapLibre writes it (`hash: true`): `#zoom/lat/lon`, so
 * `<server>/#15.00/59.33120/18.05870` opens the map there.
 */
import { Share } from "react-native";
import type { LonLat } from "../geo/geometry";

export function webMapLink(baseUrl: string, at: LonLat, zoom: number): string {
  return `${baseUrl}/#${zoom.toFixed(2)}/${at[1].toFixed(5)}/${at[0].toFixed(5)}`;
}

/** The share sheet with the message; false where there is none (a desktop browser). */
export async function shareMessage(message: string, url: string): Promise<boolean> {
  try {
    await Share.share({ message, url, title: "Halo" });
    return true;
  } catch {
    return false;
  }
}
