/** Incidents as GET /api/v1/incidents answers them (the contract's shape, all supports). */
import type { Incident } from "../../src/api/incidents";

export const NOW = Date.parse("2026-12-05T20:00:00Z");

export const ROBBERY_AT_A_PLACE: Incident = {
  id: 501,
  source: "polisen",
  type: "Rån",
  category: "robbery",
  category_label: { sv: "Rån", en: "Robbery" },
  title: "Rån, Sergels torg",
  summary: "En person rånades på en mobiltelefon vid Sergels torg.",
  occurred_at: "2026-12-05T18:00:00+00:00",
  published_at: "2026-12-05T18:20:00+00:00",
  url: "https://polisen.se/aktuellt/handelser/2026/december/5/05-december-18.00-ran-stockholm/",
  location: {
    support: "place",
    name: "Sergels torg",
    district_id: 3,
    geometry: { type: "Point", coordinates: [18.0649, 59.3326] },
    radius_m: 120,
  },
};

export const ASSAULT_IN_A_DISTRICT: Incident = {
  id: 502,
  source: "polisen",
  type: "Misshandel",
  category: "violent",
  category_label: { sv: "Våld", en: "Violence" },
  title: "Misshandel, Södermalm",
  summary: null,
  occurred_at: "2026-12-05T19:10:00+00:00",
  published_at: null,
  url: "https://polisen.se/aktuellt/handelser/2026/december/5/misshandel/",
  location: { support: "district", name: "Södermalm", district_id: 7, geometry: null },
};

export const THEFT_AT_A_POINT: Incident = {
  id: 400,
  source: "report",
  type: "theft",
  category: "theft",
  category_label: { sv: "Stöld", en: "Theft" },
  title: "Cykel stulen",
  summary: null,
  occurred_at: "2026-12-02T10:00:00+00:00",
  published_at: null,
  url: null,
  location: {
    support: "point",
    name: null,
    district_id: 3,
    geometry: { type: "Point", coordinates: [18.06, 59.33] },
  },
};

export const SODERMALM_OUTLINE = {
  type: "Polygon" as const,
  coordinates: [
    [
      [18.03, 59.31],
      [18.1, 59.31],
      [18.1, 59.325],
      [18.03, 59.325],
      [18.03, 59.31],
    ],
  ],
};
