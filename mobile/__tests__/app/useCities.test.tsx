import { act, render, renderHook, screen, waitFor } from "@testing-library/react-native";
import type { City } from "../../src/api/cities";
import type { FetchLike } from "../../src/api/http";
import { CITIES_KEY, loadCities, useCities } from "../../src/app/useCities";
import { CurrentCityContext, useCityAt } from "../../src/app/useCityAt";
import type { LonLat } from "../../src/geo/geometry";
import { MemoryStore } from "../../src/storage/keyValueStore";
import { EmergencyNote } from "../../src/ui/EmergencyNote";
import { fakeFetch } from "../support/fakeServer";
import {
  CITIES_ANSWER,
  GASTOWN,
  MID_ATLANTIC,
  SERGELS_TORG,
  STOCKHOLM_CITY,
  VANCOUVER_CITY,
} from "../support/citiesFixture";

const BASE = "http://halo.test";
const offline: FetchLike = async () => {
  throw new TypeError("Network request failed");
};
/** A captive portal's page: 200, but not JSON. */
const portal: FetchLike = async () => new Response("<html>Log in</html>", { status: 200 });

async function loaded(store: MemoryStore, fetch: FetchLike): Promise<City[][]> {
  const seen: City[][] = [];
  await loadCities(BASE, store, (cities) => seen.push(cities), fetch);
  return seen;
}

test("the server's list is given and kept on the device", async () => {
  const store = new MemoryStore();
  const { fetch, requests } = fakeFetch(() => ({ status: 200, body: CITIES_ANSWER }));
  expect(await loaded(store, fetch)).toEqual([[STOCKHOLM_CITY, VANCOUVER_CITY]]);
  expect(requests.map((request) => request.url)).toEqual([`${BASE}/api/v1/cities`]);
  expect(JSON.parse(store.values.get(CITIES_KEY) ?? "null")).toEqual(CITIES_ANSWER);
});

test("an offline start gives the kept list, and a failed request leaves it as it was", async () => {
  const store = new MemoryStore();
  await store.setItem(CITIES_KEY, JSON.stringify({ cities: [VANCOUVER_CITY] }));
  for (const fetch of [offline, portal, fakeFetch(() => ({ status: 500 })).fetch]) {
    expect(await loaded(store, fetch)).toEqual([[VANCOUVER_CITY]]);
  }
  expect(JSON.parse(store.values.get(CITIES_KEY) ?? "null")).toEqual({ cities: [VANCOUVER_CITY] });
});

test("the kept list comes first, then the server's replaces it", async () => {
  const store = new MemoryStore();
  await store.setItem(CITIES_KEY, JSON.stringify({ cities: [VANCOUVER_CITY] }));
  const { fetch } = fakeFetch(() => ({ status: 200, body: { cities: [STOCKHOLM_CITY] } }));
  expect(await loaded(store, fetch)).toEqual([[VANCOUVER_CITY], [STOCKHOLM_CITY]]);
  expect(JSON.parse(store.values.get(CITIES_KEY) ?? "null")).toEqual({ cities: [STOCKHOLM_CITY] });
});

test("nothing kept and no answer: no list at all; an unreadable kept value is ignored", async () => {
  const store = new MemoryStore();
  expect(await loaded(store, offline)).toEqual([]);
  await store.setItem(CITIES_KEY, "{not json");
  expect(await loaded(store, offline)).toEqual([]);
  await store.setItem(CITIES_KEY, JSON.stringify(["an older format"]));
  expect(await loaded(store, offline)).toEqual([]);
});

test("the hook asks once per mount, however often the screen renders", async () => {
  const { fetch, requests } = fakeFetch(() => ({ status: 200, body: CITIES_ANSWER }));
  const store = new MemoryStore();
  const { result, rerender } = renderHook(() => useCities(BASE, store, fetch));
  await waitFor(() => expect(result.current).toEqual([STOCKHOLM_CITY, VANCOUVER_CITY]));
  rerender({});
  rerender({});
  expect(requests).toHaveLength(1);
});

test("the city follows the position when known, else the map's centre", async () => {
  const cities = [STOCKHOLM_CITY, VANCOUVER_CITY];
  const { result, rerender } = renderHook(
    ({ position }: { position: LonLat | null }) => useCityAt(cities, position, SERGELS_TORG),
    { initialProps: { position: null as LonLat | null } },
  );
  expect(result.current.city).toBe(STOCKHOLM_CITY);
  act(() => result.current.followCentre(GASTOWN));
  expect(result.current.city).toBe(VANCOUVER_CITY);
  act(() => result.current.followCentre(MID_ATLANTIC));
  expect(result.current.city).toBeNull();
  // The phone's position wins over the map's centre.
  rerender({ position: SERGELS_TORG });
  expect(result.current.city).toBe(STOCKHOLM_CITY);
});

test("moving the map re-renders the city even when the list arrived after the centre", async () => {
  const { result, rerender } = renderHook(
    ({ cities }: { cities: readonly City[] }) => useCityAt(cities, null, MID_ATLANTIC),
    { initialProps: { cities: [] as readonly City[] } },
  );
  expect(result.current.city).toBeNull();
  act(() => result.current.followCentre(GASTOWN));
  expect(result.current.city).toBeNull();
  rerender({ cities: [VANCOUVER_CITY] });
  expect(result.current.city).toBe(VANCOUVER_CITY);
  act(() => result.current.followCentre(MID_ATLANTIC));
  expect(result.current.city).toBeNull();
});

/** The app's wiring, without the map: list, chooser, context, note. */
function NoteAt({ fetch, store, at }: { fetch: FetchLike; store: MemoryStore; at: LonLat }) {
  const cities = useCities(BASE, store, fetch);
  const { city } = useCityAt(cities, at, at);
  return (
    <CurrentCityContext.Provider value={city}>
      <EmergencyNote />
    </CurrentCityContext.Provider>
  );
}

test("when the request fails the note stays, with 112", async () => {
  const { fetch, requests } = fakeFetch(() => ({ status: 503 }));
  render(<NoteAt fetch={fetch} store={new MemoryStore()} at={GASTOWN} />);
  await waitFor(() => expect(requests).toHaveLength(1));
  expect(screen.getByTestId("emergency-note")).toHaveTextContent("In an emergency call 112.", {
    exact: false,
  });
  expect(screen.getByTestId("emergency-call-112")).toBeTruthy();
});

test("once the list arrives the note in Vancouver names 911 and the police line", async () => {
  const { fetch } = fakeFetch(() => ({ status: 200, body: CITIES_ANSWER }));
  render(<NoteAt fetch={fetch} store={new MemoryStore()} at={GASTOWN} />);
  await waitFor(() =>
    expect(screen.getByTestId("emergency-note")).toHaveTextContent(
      /In an emergency call 911\. To reach the police otherwise: 604-717-3321\./,
    ),
  );
});
