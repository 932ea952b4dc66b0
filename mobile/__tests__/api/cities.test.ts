import { creditAt, fetchCities, parseCities } from "../../src/api/cities";
import { fakeFetch } from "../support/fakeServer";
import {
  CITIES_ANSWER,
  GASTOWN,
  MID_ATLANTIC,
  SERGELS_TORG,
  STOCKHOLM_CITY,
  VANCOUVER_CITY,
} from "../support/citiesFixture";

test("the cities are the server's, asked at /api/v1/cities as JSON", async () => {
  const { fetch, requests } = fakeFetch(() => ({ status: 200, body: CITIES_ANSWER }));
  expect(await fetchCities("http://halo.test", fetch)).toEqual([STOCKHOLM_CITY, VANCOUVER_CITY]);
  expect(requests).toHaveLength(1);
  expect(requests[0]?.url).toBe("http://halo.test/api/v1/cities");
  expect(requests[0]?.method).toBe("GET");
  expect(requests[0]?.headers.accept).toBe("application/json");
});

test("null numbers, bbox and view are kept as null: the city is still known", async () => {
  const bare = {
    code: "malmo",
    name: "Malmö",
    time_zone: "Europe/Stockholm",
    view: null,
    bbox: null,
    emergency_number: null,
    police_number: null,
    credit: null,
  };
  const { fetch } = fakeFetch(() => ({ status: 200, body: { cities: [bare] } }));
  expect(await fetchCities("http://halo.test", fetch)).toEqual([bare]);
});

test("a number that is not digits, spaces, hyphens and a leading + is dropped", () => {
  const numbers = (emergency: unknown, police: unknown) =>
    parseCities({
      cities: [{ ...STOCKHOLM_CITY, emergency_number: emergency, police_number: police }],
    })?.map((city) => [city.emergency_number, city.police_number]);
  expect(numbers("+46 8 123", " 604-717-3321 ")).toEqual([["+46 8 123", "604-717-3321"]]);
  expect(numbers("javascript:alert(1)", "112; DROP")).toEqual([[null, null]]);
  expect(numbers("1+1", "12 34 56 78 90 12 34 56 78 90")).toEqual([[null, null]]);
  expect(numbers(112, "")).toEqual([[null, null]]);
});

test("a bbox of the wrong shape or out of range is null; cities without a code are dropped", () => {
  const boxes = [
    [1, 2, 3],
    [0, 60, 1, 59],
    [-200, 0, 0, 1],
    ["17", 59, 18, 60],
    [17, 59, 18, 60],
  ];
  const parsed = parseCities({
    cities: [
      ...boxes.map((bbox, i) => ({ ...STOCKHOLM_CITY, code: `c${i}`, bbox })),
      { ...STOCKHOLM_CITY, code: "" },
      { name: "No code" },
      null,
      "stockholm",
    ],
  });
  expect(parsed?.map((city) => [city.code, city.bbox])).toEqual([
    ["c0", null],
    ["c1", null],
    ["c2", null],
    ["c3", null],
    ["c4", [17, 59, 18, 60]],
  ]);
});

test("no endpoint, a server error, no network or another shape: null, never a throw", async () => {
  const answers = [
    fakeFetch(() => undefined).fetch,
    fakeFetch(() => ({ status: 503, body: { title: "Service Unavailable" } })).fetch,
    fakeFetch(() => ({ status: 200, body: [STOCKHOLM_CITY] })).fetch,
    fakeFetch(() => ({ status: 200, body: { cities: "stockholm" } })).fetch,
    async () => {
      throw new TypeError("Network request failed");
    },
  ];
  for (const fetch of answers) expect(await fetchCities("http://halo.test", fetch)).toBeNull();
});

test("a credit is the city's text, trimmed; anything else, empty or overlong is null", () => {
  const credits = (...values: unknown[]) =>
    parseCities({
      cities: values.map((credit, i) => ({ ...STOCKHOLM_CITY, code: `c${i}`, credit })),
    })?.map((city) => city.credit);
  expect(credits(" Data: Vancouver Police Department ", "", 7, null, "x".repeat(401))).toEqual([
    "Data: Vancouver Police Department",
    null,
    null,
    null,
    null,
  ]);
});

test("a place's sources are its city's credit; outside every city, the fallback", () => {
  const everyCity = "Data: Swedish Police Authority; Data: Vancouver Police Department";
  const cities = [STOCKHOLM_CITY, VANCOUVER_CITY];
  expect(creditAt(cities, SERGELS_TORG, everyCity)).toBe(STOCKHOLM_CITY.credit);
  expect(creditAt(cities, GASTOWN, everyCity)).toBe("Data: Vancouver Police Department");
  expect(creditAt(cities, MID_ATLANTIC, everyCity)).toBe(everyCity);
  // A city that has nothing to credit yet falls back too (never an empty "Sources:").
  expect(creditAt([{ ...VANCOUVER_CITY, credit: null }], GASTOWN, everyCity)).toBe(everyCity);
});
