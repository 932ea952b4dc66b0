import type { City } from "../../src/api/cities";
import { cityAt } from "../../src/geo/cityAt";
import {
  GASTOWN,
  MID_ATLANTIC,
  SERGELS_TORG,
  STOCKHOLM_CITY,
  VANCOUVER_CITY,
} from "../support/citiesFixture";

const CITIES = [STOCKHOLM_CITY, VANCOUVER_CITY];

test("a point inside a city's box is in that city", () => {
  expect(cityAt(CITIES, SERGELS_TORG)).toBe(STOCKHOLM_CITY);
  expect(cityAt(CITIES, GASTOWN)).toBe(VANCOUVER_CITY);
});

test("a point on the box's edge is inside it", () => {
  expect(cityAt(CITIES, [17.75, 59.2])).toBe(STOCKHOLM_CITY);
  expect(cityAt(CITIES, [18.25, 59.45])).toBe(STOCKHOLM_CITY);
});

test("a point outside every box is in no city, and so is any point of an empty list", () => {
  expect(cityAt(CITIES, MID_ATLANTIC)).toBeNull();
  // Just east and just north of Stockholm's box.
  expect(cityAt(CITIES, [18.26, 59.33])).toBeNull();
  expect(cityAt(CITIES, [18.06, 59.46])).toBeNull();
  expect(cityAt([], SERGELS_TORG)).toBeNull();
});

test("where boxes overlap the smallest box wins, whatever the list's order", () => {
  const county: City = {
    ...STOCKHOLM_CITY,
    code: "stockholm_county",
    bbox: [17.2, 58.7, 19.5, 60.3],
  };
  expect(cityAt([county, STOCKHOLM_CITY], SERGELS_TORG)).toBe(STOCKHOLM_CITY);
  expect(cityAt([STOCKHOLM_CITY, county], SERGELS_TORG)).toBe(STOCKHOLM_CITY);
  // Outside the city but inside the county: the county.
  expect(cityAt([STOCKHOLM_CITY, county], [17.5, 59.0])).toBe(county);
});

test("a city without a box is never chosen", () => {
  const unmapped: City = { ...STOCKHOLM_CITY, code: "unmapped", bbox: null };
  expect(cityAt([unmapped], SERGELS_TORG)).toBeNull();
  expect(cityAt([unmapped, VANCOUVER_CITY], GASTOWN)).toBe(VANCOUVER_CITY);
});

test("a box across the antimeridian (west > east) holds points on both sides of it", () => {
  const fiji: City = { ...STOCKHOLM_CITY, code: "fiji", bbox: [177, -19, -179, -16] };
  expect(cityAt([fiji], [178.4, -18.1])).toBe(fiji);
  expect(cityAt([fiji], [-179.5, -17])).toBe(fiji);
  expect(cityAt([fiji], [0, -17])).toBeNull();
});
