import { IncidentsApi, incidentsUrl } from "../../src/api/incidents";
import { fakeFetch } from "../support/fakeServer";
import {
  ASSAULT_IN_A_DISTRICT,
  ROBBERY_AT_A_PLACE,
  THEFT_AT_A_POINT,
} from "../support/incidentsFixture";

const BASE = "http://halo.test";

test("the list asks near the centre (radius capped at 20 km) or for a district", () => {
  const near = new URL(
    incidentsUrl(BASE, { near: { lon: 18.0686, lat: 59.3293, radiusM: 50_000 } }),
  );
  expect(near.pathname).toBe("/api/v1/incidents");
  expect(Object.fromEntries(near.searchParams)).toEqual({
    lat: "59.32930",
    lon: "18.06860",
    radius_m: "20000",
    limit: "30",
  });
  const district = new URL(incidentsUrl(BASE, { district: 7, limit: 10 }));
  expect(Object.fromEntries(district.searchParams)).toEqual({ district: "7", limit: "10" });
});

test("events near the centre and in followed districts come once each, newest first", async () => {
  const { fetch, requests } = fakeFetch((request) => {
    const url = new URL(request.url);
    if (url.searchParams.get("district") === "7") {
      return {
        status: 200,
        body: {
          items: [ASSAULT_IN_A_DISTRICT, ROBBERY_AT_A_PLACE],
          next_cursor: null,
          as_of: null,
        },
      };
    }
    if (url.searchParams.has("lat")) {
      return {
        status: 200,
        body: {
          items: [ROBBERY_AT_A_PLACE, THEFT_AT_A_POINT],
          next_cursor: "abc",
          as_of: "2026-12-05T19:55:00+00:00",
        },
      };
    }
    return undefined;
  });
  const api = new IncidentsApi(BASE, fetch);
  const items = await api.recent({ lon: 18.06, lat: 59.33 }, [7]);
  expect(items.map((item) => item.id)).toEqual([502, 501, 400]);
  expect(requests).toHaveLength(2);
  expect(requests.every((request) => request.method === "GET")).toBe(true);
});

test("a server without the incidents endpoint answers 404: an HttpError the list can name", async () => {
  const { fetch } = fakeFetch(() => undefined);
  await expect(
    new IncidentsApi(BASE, fetch).recent({ lon: 18, lat: 59 }, []),
  ).rejects.toMatchObject({ status: 404 });
});
