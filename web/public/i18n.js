// Every string of the web map in Swedish and English. The language follows the browser
// (navigator.languages) until the user picks one; the choice is kept in the page's URL.
export const STRINGS = {
  sv: {
    pageTitle: (city) => (city ? `Halo: rapporterade händelser i ${city}` : "Halo: rapporterade händelser"),
    mapLabel: "Karta över rapporterade händelser",
    legendTitle: "Rapporterade händelser jämfört med staden",
    legendToggle: "Teckenförklaring",
    emergency: (number, police) => (police
      ? `I nödsituation ring ${number}; för att nå polisen annars ${police}.`
      : `I nödsituation ring ${number}.`),
    dataUpTo: (date) => `Data t.o.m. ${date}`,
    updatedAt: (date) => `Senast uppdaterad ${date}`,
    feedStale: "Flödet är inte aktuellt just nu.",
    windowNote: "Bygger på rapporter under de senaste tolv månaderna.",
    note: "Klicka på kartan för detaljer om en plats.",
    listTitle: "Senaste händelser nära kartans mitt",
    listEmpty: "Inga händelser här just nu.",
    listError: "Händelserna kunde inte hämtas.",
    loading: "Hämtar…",
    source: "Källa",
    share: "Dela",
    copied: "Länken är kopierad.",
    close: "Stäng",
    precision: {
      point: "Exakt plats",
      place: (name) => `Ungefärlig plats: området kring ${name}`,
      district: (name) => `Platsen är bara känd till stadsdelen ${name}`,
      municipality: (name) => `Platsen är bara känd till kommunen ${name}`,
      county: () => "Platsen är bara känd till länet",
    },
    ago: "för",
    outside: "Utanför området som Halo täcker.",
    noDetails: (status) => `Inga detaljer (HTTP ${status}).`,
    mapError: (message) => `Kartfel: ${message}`,
    estimate: "Skattning",
    estimateValue: (x, lo, hi) => `${x} stadens nivå (troligen ${lo}–${hi})`,
    uncertain: "För få rapporter här för att säga att nivån är högre än i staden.",
    evidenceLabel: "Underlag",
    evidence: {
      point: "händelser med exakt plats",
      inferred: "händelser som bara är kända till stadsdelen, utspridda över den",
      none: "inga rapporterade händelser här",
    },
    mostReported: "Vanligast",
    level: "Nivå",
    language: "Språk",
  },
  en: {
    pageTitle: (city) => (city ? `Halo: reported incidents in ${city}` : "Halo: reported incidents"),
    mapLabel: "Map of reported incidents",
    legendTitle: "Reported incidents compared with the city",
    legendToggle: "Legend",
    emergency: (number, police) => (police
      ? `In an emergency call ${number}; to reach the police otherwise ${police}.`
      : `In an emergency call ${number}.`),
    dataUpTo: (date) => `Data up to ${date}`,
    updatedAt: (date) => `Last updated ${date}`,
    feedStale: "The feed is not current right now.",
    windowNote: "Based on reports over the last twelve months.",
    note: "Click the map for details of a place.",
    listTitle: "Recent events near the map centre",
    listEmpty: "No events here right now.",
    listError: "The events could not be fetched.",
    loading: "Loading…",
    source: "Source",
    share: "Share",
    copied: "Link copied.",
    close: "Close",
    precision: {
      point: "Exact location",
      place: (name) => `Approximate location: the area around ${name}`,
      district: (name) => `Location known only to the district ${name}`,
      municipality: (name) => `Location known only to the municipality ${name}`,
      county: () => "Location known only to the county",
    },
    ago: "ago",
    outside: "Outside the area Halo covers.",
    noDetails: (status) => `No details (HTTP ${status}).`,
    mapError: (message) => `Map error: ${message}`,
    estimate: "Estimate",
    estimateValue: (x, lo, hi) => `${x} the city rate (likely ${lo} to ${hi})`,
    uncertain: "Too few reports here to say the rate is higher than the city's.",
    evidenceLabel: "Evidence",
    evidence: {
      point: "exactly located incidents",
      inferred: "incidents known only to the district, spread over it",
      none: "no incidents reported here",
    },
    mostReported: "Most reported",
    level: "Level",
    language: "Language",
  },
};

export const LANGUAGES = ["sv", "en"];

// The language: ?lang= in the URL, else the browser's first Swedish or English preference.
export function chooseLanguage(search, preferred) {
  const asked = new URLSearchParams(search).get("lang");
  if (LANGUAGES.includes(asked)) return asked;
  for (const tag of preferred ?? []) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

// "2 h ago" / "för 2 tim. sedan", with Intl in the chosen language.
export function timeAgo(iso, lang, now = Date.now()) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto", style: "short" });
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
                 ["hour", 3600], ["minute", 60]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(Math.round(seconds), "second");
}

// The date in the map's city's time zone (the browser's own outside every city).
export function formatDate(iso, lang, timeZone) {
  return new Intl.DateTimeFormat(lang === "sv" ? "sv-SE" : "en-GB", {
    day: "numeric", month: "short", year: "numeric", timeZone,
  }).format(new Date(iso));
}

// Without a number of the city's own: 112, which mobile phones route to the local emergency
// service almost everywhere (GSM).
export const FALLBACK_EMERGENCY_NUMBER = "112";

// The city of /api/v1/cities whose study-area box holds [lon, lat]; the smallest such box
// when several do (a city inside a region); null outside every city.
export function cityAt(cities, lon, lat) {
  const holding = (cities ?? []).filter(({ bbox }) =>
    bbox && bbox[0] <= lon && lon <= bbox[2] && bbox[1] <= lat && lat <= bbox[3]);
  const area = ({ bbox }) => (bbox[2] - bbox[0]) * (bbox[3] - bbox[1]);
  return holding.sort((a, b) => area(a) - area(b))[0] ?? null;
}

export function times(value, lang) {
  if (value == null) return "–";
  const digits = value >= 10 ? 0 : 1;
  return `${Number(value).toLocaleString(lang === "sv" ? "sv-SE" : "en-GB", {
    minimumFractionDigits: digits, maximumFractionDigits: digits })}×`;
}
