/**
 * Every word the app shows, in Swedish and English. `sv` has the type of `en`, so a key
 * missing in either language fails the type check (and the i18n test). Plain words about a
 * *reported* rate: never "dangerous", never a ranking of places.
 */

export type Language = "sv" | "en";
export const LANGUAGES: readonly Language[] = ["sv", "en"];

const MONTHS_EN = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
];
const MONTHS_SV = [
  "jan",
  "feb",
  "mars",
  "apr",
  "maj",
  "juni",
  "juli",
  "aug",
  "sep",
  "okt",
  "nov",
  "dec",
];

/** "31 Dec 2025" / "31 dec 2025" from an ISO time, in Stockholm's calendar day. */
function dayWords(iso: string, months: string[]): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // Stockholm is UTC+1 or +2: an hour's shift is enough to name the local day of a night event.
  const local = new Date(date.getTime() + 60 * 60_000);
  return `${local.getUTCDate()} ${months[local.getUTCMonth()]} ${local.getUTCFullYear()}`;
}

const times = (value: number) => `${value.toFixed(1)}×`;

const en = {
  languageName: "English",
  // Map screen
  reportIncident: "Report an incident",
  alertsOn: "Settings • alerts on",
  turnOnAlerts: "Alerts and settings",
  recentEvents: "Recent events",
  hideList: "Map only",
  districtUnavailable: "District details are not available right now.",
  // Legend and risk words
  legendTitle: (window: string) =>
    `Reported incident rate compared with the city average, ${window}`,
  legendPaler: "Paler where incidents are known only to the district.",
  legendMore: "What do the colours mean?",
  legendLess: "Fewer words",
  legendZoom:
    "Zooming in shows smaller hexagons with fewer reports each: their estimates are less certain, so fewer of them stand out.",
  legendSteps: [
    "Not clearly above the city rate",
    "Somewhat higher reported incident rate",
    "Higher reported incident rate (alert level)",
  ],
  dataUpTo: (iso: string) => `Data up to ${dayWords(iso, MONTHS_EN)}`,
  windowRecent: "recent months",
  windowYears: (years: number) => (years === 1 ? "last 12 months" : `last ${years} years`),
  windowWeeks: (weeks: number) => `last ${weeks} weeks`,
  windowDays: (days: number) => `last ${days} days`,
  noEstimate: "No estimate yet",
  scoreHigh: "Higher reported incident rate (at least 1.5× the city rate, with confidence)",
  scoreSomewhat: "Somewhat higher reported incident rate than the city average",
  scoreNotClear: "Not clearly above the city average",
  scoreUncertainAbove: "Above the city rate in the reports so far, but too few reports to be sure",
  evidencePoint: "from exactly located incidents",
  evidenceInferred: "inferred: spread from incidents known only to the district",
  evidenceNone: "no incidents reported here",
  evidenceUnknown: "unknown",
  relativeRate: (rr: number, lower: number | null, upper: number | null) =>
    `${times(rr)} the city rate` +
    (lower !== null && upper !== null ? ` (likely ${times(lower)}–${times(upper)})` : ""),
  trendUp: "more reports recently than before",
  trendDown: "fewer reports recently than before",
  trendFlat: "about as many reports recently as before",
  // Details panel
  thisHexagon: "This hexagon",
  evidence: (words: string) => `Evidence: ${words}`,
  evidenceLevel: (words: string) => `Evidence level: ${words}`,
  incidentsInWindow: (count: number, window: string) => `${count} reported incidents, ${window}`,
  hexagonsByEvidence: (point: number, inferred: number, none: number) =>
    `Hexagons by evidence: ${point} exactly located, ${inferred} inferred, ${none} without incidents`,
  computed: (day: string) => `Computed ${day}`,
  loading: "Loading…",
  sources: (sources: string) =>
    `Sources: ${sources}. A higher rate is about reports, not about the people who live there.`,
  close: "Close",
  sharePlace: "Share this place",
  // Incidents
  incidentsTitle: "Recent events near the map centre and in followed districts",
  incidentsEmpty: "No events reported here recently.",
  incidentsUnavailable: "The event list is not available on this server yet.",
  incidentsFailed: "The events could not be loaded. Check the connection and try again.",
  retry: "Try again",
  ago: (minutes: number) => {
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${Math.floor(minutes)} min ago`;
    if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
    return `${Math.floor(minutes / 1440)} days ago`;
  },
  precision: {
    point: "exact place",
    place: "somewhere in this area",
    district: "somewhere in this district",
    municipality: "somewhere in this municipality",
    county: "somewhere in the county",
  },
  source: "Source",
  openSource: "Read at the source",
  shareIncident: "Share",
  showOnMap: "Shown on the map with its real precision.",
  backToList: "Back to the list",
  sourceNames: { polisen: "Swedish Police", report: "Halo report" } as Record<string, string>,
  // Emergency
  // The numbers are the city's (GET /api/v1/cities), already written with non-breaking spaces.
  emergencyAndPolice: (emergency: string, police: string) =>
    `In an emergency call ${emergency}. To reach the police otherwise: ${police}.`,
  emergencyOnly: (emergency: string) => `In an emergency call ${emergency}.`,
  callNumber: (number: string) => `Call ${number}`,
  // Share
  shareMessage: (title: string, link: string) => `${title} – Halo map: ${link}`,
  placeTitle: "A place on the Halo map",
  linkCopied: (link: string) => `Link: ${link}`,
  // Alert banner and notifications
  alertTitle: "Higher reported incident rate nearby",
  alertBody: (high: boolean) =>
    `You are entering an area with ${high ? "a much higher" : "a higher"} reported incident rate than the city average. ` +
    "Halo checked this on your phone; your location was not sent anywhere.",
  mute: "Mute 1 h",
  mutedUntil: (time: string) => `Muted until ${time}`,
  dismiss: "Dismiss",
  alertChannel: "Alerts near areas with a higher reported incident rate",
  // Outbox pill
  pillSyncing: (index: number, total: number) => `Syncing ${index}/${total}`,
  pillOffline: "Offline",
  pillOfflineQueued: (queued: number) => `Offline • ${queued} queued`,
  pillWaiting: (queued: number) => `Waiting to send • ${queued} queued`,
  pillRejected: (count: number) => `${count} not accepted`,
  pillAllSent: "All sent",
  // Report screen
  reportWhat: "What happened?",
  reportWhen: "When?",
  reportWhere: "Where? Move the map so the cross is on the place.",
  reportText: "Anything to add? (optional)",
  reportTextPlaceholder: "Describe what happened, not who: no names or descriptions of people.",
  whenChoices: ["Now", "15 min ago", "1 h ago", "3 h ago", "12 h ago"],
  categories: {
    violent: "Violence",
    weapons: "Weapons",
    robbery: "Robbery",
    theft: "Theft",
    vandalism: "Vandalism",
    drugs: "Drugs",
    traffic: "Traffic",
    fire: "Fire",
    other: "Other",
  },
  takePhoto: "Take photo",
  addPhoto: "Add photo",
  replacePhoto: "Replace photo",
  removePhoto: "Remove photo",
  photoAlt: "Photo to send, without location data",
  photoHint: "The photo is re-encoded on this phone: its location and camera data are removed.",
  photoUnreadable: "The photo could not be read.",
  addVideo: "Add a short video",
  replaceVideo: "Replace video",
  removeVideo: "Remove video",
  videoHint: (seconds: number) =>
    `At most ${seconds} s. The server removes the video's location and camera data before storing it.`,
  videoUnreadable: "The video could not be read.",
  videoChosen: "Video attached",
  cancel: "Cancel",
  sendReport: "Send report",
  reportOffline: "Without a connection the report waits on this phone and is sent later.",
  reportModeration:
    "A moderator checks every report before it is used: it is not shown on the map until then.",
  problemCategory: "Choose a category.",
  problemTime: "The time is not valid.",
  problemFuture: "The time is in the future.",
  problemPosition: "Set the position.",
  problemText: (max: number) => `The text may be at most ${max} characters.`,
  // Settings and alerts screen
  settingsTitle: "Settings",
  language: "Language",
  alertsTitle: "Alerts near areas with a higher reported incident rate",
  alertsExplain: (cooldownMin: number, cap: number) =>
    `Halo can tell you when you walk into an area where more incidents were reported than the city average (${cooldownMin} minutes between alerts for the same area, at most ${cap} a day, and a “Mute 1 h” button on every alert).`,
  alertsPrivacy:
    "Your location stays on this phone. Halo downloads the map of areas for a wide square around you and checks it here; the server never receives your position or your movements.",
  alertsAlways:
    "To alert you while the app is closed, your phone will next ask to allow location “Always”. Halo then watches only a few circles around nearby areas, which uses little battery.",
  alertsNoLocation:
    "Without location access Halo cannot tell when you enter an area. Nothing was changed.",
  alertsOnlyOpen:
    "Alerts are on while Halo is open. Allow location “Always” in the system settings to get them when it is closed.",
  quietHours: (from: string, to: string) => `Quiet hours ${from}–${to}`,
  turnOffAlerts: "Turn off alerts",
  continueAllowLocation: "Continue and allow location",
  backToMap: "Back to the map",
  notNow: "Not now",
  // Push
  pushTitle: "Push messages about followed districts",
  pushReason:
    "Halo can send a message when the police report an event in a district you follow. The server learns only the districts you choose, never where you are. Your phone will ask to allow notifications.",
  pushTurnOn: "Allow notifications and follow",
  pushTurnOff: "Stop push messages",
  pushOn: "Push messages are on.",
  pushDenied: "Notifications are not allowed, so nothing was registered.",
  pushNoToken: "This device cannot receive push messages.",
  pushFailed: "The server could not be reached; nothing was changed. Try again later.",
  followed: "Followed districts (at most 3)",
  searchDistrict: "Type a district’s name to follow it",
  unfollow: "Unfollow",
  noFollowed: "No district followed yet.",
  threatLevels: "Which events",
  threatLevelNames: {
    critical: "Serious (e.g. shootings, explosions)",
    high: "High (e.g. robbery, assault)",
    info: "Other police events",
  } as Record<string, string>,
  pushQuietHours: (from: string, to: string) => `No push messages ${from}–${to}`,
};

export type Strings = typeof en;

const sv: Strings = {
  languageName: "Svenska",
  reportIncident: "Rapportera en händelse",
  alertsOn: "Inställningar • varningar på",
  turnOnAlerts: "Varningar och inställningar",
  recentEvents: "Senaste händelser",
  hideList: "Bara kartan",
  districtUnavailable: "Uppgifter om stadsdelen går inte att hämta just nu.",
  legendTitle: (window: string) => `Anmälda händelser jämfört med stadens genomsnitt, ${window}`,
  legendPaler: "Blekare där händelserna bara är kända på stadsdelsnivå.",
  legendMore: "Vad betyder färgerna?",
  legendLess: "Färre ord",
  legendZoom:
    "Inzoomat visas mindre sexhörningar med färre anmälningar i varje: skattningarna är osäkrare, så färre sticker ut.",
  legendSteps: [
    "Inte tydligt över stadens nivå",
    "Något fler anmälda händelser",
    "Fler anmälda händelser (varningsnivå)",
  ],
  dataUpTo: (iso: string) => `Data t.o.m. ${dayWords(iso, MONTHS_SV)}`,
  windowRecent: "de senaste månaderna",
  windowYears: (years: number) =>
    years === 1 ? "de senaste 12 månaderna" : `de senaste ${years} åren`,
  windowWeeks: (weeks: number) => `de senaste ${weeks} veckorna`,
  windowDays: (days: number) => `de senaste ${days} dagarna`,
  noEstimate: "Ingen skattning än",
  scoreHigh: "Fler anmälda händelser (minst 1,5 × stadens nivå, med säkerhet)",
  scoreSomewhat: "Något fler anmälda händelser än stadens genomsnitt",
  scoreNotClear: "Inte tydligt över stadens genomsnitt",
  scoreUncertainAbove:
    "Över stadens nivå i anmälningarna hittills, men för få anmälningar för att vara säker",
  evidencePoint: "från exakt placerade händelser",
  evidenceInferred: "härlett: utspritt från händelser som bara är kända på stadsdelsnivå",
  evidenceNone: "inga anmälda händelser här",
  evidenceUnknown: "okänt",
  relativeRate: (rr: number, lower: number | null, upper: number | null) =>
    `${times(rr).replace(".", ",")} stadens nivå` +
    (lower !== null && upper !== null
      ? ` (troligen ${times(lower).replace(".", ",")}–${times(upper).replace(".", ",")})`
      : ""),
  trendUp: "fler anmälningar på senare tid än tidigare",
  trendDown: "färre anmälningar på senare tid än tidigare",
  trendFlat: "ungefär lika många anmälningar på senare tid som tidigare",
  thisHexagon: "Den här sexhörningen",
  evidence: (words: string) => `Underlag: ${words}`,
  evidenceLevel: (words: string) => `Underlagsnivå: ${words}`,
  incidentsInWindow: (count: number, window: string) => `${count} anmälda händelser, ${window}`,
  hexagonsByEvidence: (point: number, inferred: number, none: number) =>
    `Sexhörningar efter underlag: ${point} exakt placerade, ${inferred} härledda, ${none} utan händelser`,
  computed: (day: string) => `Beräknat ${day}`,
  loading: "Laddar…",
  sources: (sources: string) =>
    `Källor: ${sources}. En högre nivå handlar om anmälningar, inte om människorna som bor där.`,
  close: "Stäng",
  sharePlace: "Dela platsen",
  incidentsTitle: "Senaste händelser nära kartans mitt och i stadsdelar du följer",
  incidentsEmpty: "Inga anmälda händelser här på senare tid.",
  incidentsUnavailable: "Händelselistan finns inte på den här servern än.",
  incidentsFailed: "Händelserna gick inte att hämta. Kontrollera anslutningen och försök igen.",
  retry: "Försök igen",
  ago: (minutes: number) => {
    if (minutes < 1) return "just nu";
    if (minutes < 60) return `för ${Math.floor(minutes)} min sedan`;
    if (minutes < 48 * 60) return `för ${Math.floor(minutes / 60)} tim sedan`;
    return `för ${Math.floor(minutes / 1440)} dagar sedan`;
  },
  precision: {
    point: "exakt plats",
    place: "någonstans i det här området",
    district: "någonstans i den här stadsdelen",
    municipality: "någonstans i kommunen",
    county: "någonstans i länet",
  },
  source: "Källa",
  openSource: "Läs hos källan",
  shareIncident: "Dela",
  showOnMap: "Visas på kartan så exakt som den är känd.",
  backToList: "Tillbaka till listan",
  sourceNames: { polisen: "Polisen", report: "Halo-rapport" },
  emergencyAndPolice: (emergency: string, police: string) =>
    `Vid nödsituation, ring ${emergency}. För att nå polisen i andra fall: ${police}.`,
  emergencyOnly: (emergency: string) => `Vid nödsituation, ring ${emergency}.`,
  callNumber: (number: string) => `Ring ${number}`,
  shareMessage: (title: string, link: string) => `${title} – Halo-kartan: ${link}`,
  placeTitle: "En plats på Halo-kartan",
  linkCopied: (link: string) => `Länk: ${link}`,
  alertTitle: "Fler anmälda händelser i närheten",
  alertBody: (high: boolean) =>
    `Du går in i ett område med ${high ? "betydligt fler" : "fler"} anmälda händelser än stadens genomsnitt. ` +
    "Halo kontrollerade det på din telefon; din position skickades ingenstans.",
  mute: "Tyst 1 tim",
  mutedUntil: (time: string) => `Tyst till ${time}`,
  dismiss: "Stäng",
  alertChannel: "Varningar nära områden med fler anmälda händelser",
  pillSyncing: (index: number, total: number) => `Skickar ${index}/${total}`,
  pillOffline: "Offline",
  pillOfflineQueued: (queued: number) => `Offline • ${queued} i kö`,
  pillWaiting: (queued: number) => `Väntar på att skicka • ${queued} i kö`,
  pillRejected: (count: number) => `${count} inte godkända`,
  pillAllSent: "Allt skickat",
  reportWhat: "Vad hände?",
  reportWhen: "När?",
  reportWhere: "Var? Flytta kartan så att korset är på platsen.",
  reportText: "Något att tillägga? (frivilligt)",
  reportTextPlaceholder: "Beskriv vad som hände, inte vem: inga namn eller signalement.",
  whenChoices: ["Nu", "För 15 min sedan", "För 1 tim sedan", "För 3 tim sedan", "För 12 tim sedan"],
  categories: {
    violent: "Våld",
    weapons: "Vapen",
    robbery: "Rån",
    theft: "Stöld",
    vandalism: "Skadegörelse",
    drugs: "Narkotika",
    traffic: "Trafik",
    fire: "Brand",
    other: "Annat",
  },
  takePhoto: "Ta foto",
  addPhoto: "Lägg till foto",
  replacePhoto: "Byt foto",
  removePhoto: "Ta bort foto",
  photoAlt: "Foto att skicka, utan platsuppgifter",
  photoHint: "Fotot kodas om på telefonen: plats- och kamerauppgifter tas bort.",
  photoUnreadable: "Fotot gick inte att läsa.",
  addVideo: "Lägg till en kort video",
  replaceVideo: "Byt video",
  removeVideo: "Ta bort video",
  videoHint: (seconds: number) =>
    `Högst ${seconds} s. Servern tar bort videons plats- och kamerauppgifter innan den sparas.`,
  videoUnreadable: "Videon gick inte att läsa.",
  videoChosen: "Video bifogad",
  cancel: "Avbryt",
  sendReport: "Skicka rapport",
  reportOffline: "Utan anslutning väntar rapporten på telefonen och skickas senare.",
  reportModeration:
    "En moderator granskar varje rapport innan den används: den syns inte på kartan förrän dess.",
  problemCategory: "Välj en kategori.",
  problemTime: "Tiden är ogiltig.",
  problemFuture: "Tiden ligger i framtiden.",
  problemPosition: "Ange platsen.",
  problemText: (max: number) => `Texten får vara högst ${max} tecken.`,
  settingsTitle: "Inställningar",
  language: "Språk",
  alertsTitle: "Varningar nära områden med fler anmälda händelser",
  alertsExplain: (cooldownMin: number, cap: number) =>
    `Halo kan säga till när du går in i ett område där fler händelser anmälts än stadens genomsnitt (${cooldownMin} minuter mellan varningar för samma område, högst ${cap} om dagen, och en knapp ”Tyst 1 tim” på varje varning).`,
  alertsPrivacy:
    "Din position stannar på telefonen. Halo hämtar kartan över områden för en stor ruta runt dig och kontrollerar den här; servern får aldrig din position eller dina rörelser.",
  alertsAlways:
    "För att varna dig när appen är stängd frågar telefonen sedan om platsåtkomst ”Alltid”. Halo bevakar då bara några cirklar runt närliggande områden, vilket drar lite batteri.",
  alertsNoLocation:
    "Utan platsåtkomst kan Halo inte veta när du går in i ett område. Inget ändrades.",
  alertsOnlyOpen:
    "Varningarna är på medan Halo är öppen. Tillåt plats ”Alltid” i systeminställningarna för att få dem när appen är stängd.",
  quietHours: (from: string, to: string) => `Tysta timmar ${from}–${to}`,
  turnOffAlerts: "Stäng av varningar",
  continueAllowLocation: "Fortsätt och tillåt plats",
  backToMap: "Tillbaka till kartan",
  notNow: "Inte nu",
  pushTitle: "Pushmeddelanden om stadsdelar du följer",
  pushReason:
    "Halo kan skicka ett meddelande när polisen rapporterar en händelse i en stadsdel du följer. Servern får bara veta vilka stadsdelar du väljer, aldrig var du är. Telefonen frågar om du tillåter aviseringar.",
  pushTurnOn: "Tillåt aviseringar och följ",
  pushTurnOff: "Stäng av pushmeddelanden",
  pushOn: "Pushmeddelanden är på.",
  pushDenied: "Aviseringar är inte tillåtna, så inget registrerades.",
  pushNoToken: "Den här enheten kan inte ta emot pushmeddelanden.",
  pushFailed: "Servern gick inte att nå; inget ändrades. Försök igen senare.",
  followed: "Stadsdelar du följer (högst 3)",
  searchDistrict: "Skriv namnet på en stadsdel för att följa den",
  unfollow: "Sluta följa",
  noFollowed: "Du följer ingen stadsdel än.",
  threatLevels: "Vilka händelser",
  threatLevelNames: {
    critical: "Allvarliga (t.ex. skottlossning, explosion)",
    high: "Höga (t.ex. rån, misshandel)",
    info: "Övriga polishändelser",
  },
  pushQuietHours: (from: string, to: string) => `Inga pushmeddelanden ${from}–${to}`,
};

export const STRINGS: Record<Language, Strings> = { sv, en };
