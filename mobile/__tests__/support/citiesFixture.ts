/** Cities as GET /api/v1/cities answers them (the contract's shape): Stockholm and Vancouver. */
import type { City } from "../../src/api/cities";
import type { LonLat } from "../../src/geo/geometry";

export const STOCKHOLM_CITY: City = {
  code: "stockholm",
  name: "Stockholm",
  time_zone: "Europe/Stockholm",
  view: { lat: 59.33, lon: 18.06, zoom: 11 },
  bbox: [17.75, 59.2, 18.25, 59.45],
  emergency_number: "112",
  police_number: "114 14",
  credit: "Data: Swedish Police Authority public information; boundaries: SCB",
};

export const VANCOUVER_CITY: City = {
  code: "vancouver",
  name: "Vancouver",
  time_zone: "America/Vancouver",
  view: { lat: 49.26, lon: -123.12, zoom: 11 },
  bbox: [-123.23, 49.19, -123.02, 49.32],
  emergency_number: "911",
  police_number: "604-717-3321",
  credit: "Data: Vancouver Police Department",
};

export const SERGELS_TORG: LonLat = [18.0649, 59.3326];
export const GASTOWN: LonLat = [-123.1047, 49.2839];
/** The Atlantic, far from every city. */
export const MID_ATLANTIC: LonLat = [-30, 45];

export const CITIES_ANSWER = { cities: [STOCKHOLM_CITY, VANCOUVER_CITY] };
