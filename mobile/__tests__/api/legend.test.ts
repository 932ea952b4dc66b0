import { BUILT_IN_LEGEND, fetchFreshness, fetchLegend } from "../../src/api/legend";
import { fakeFetch } from "../support/fakeServer";

const SERVER_LEGEND = {
  thresholds: { alert_enter: 0.7, alert_clear: 0.55 },
  classes: [
    { min: 0, max: 0.55, color: "#fff7bc", opacity: 0.4, label: { sv: "Låg", en: "Low" } },
    { min: 0.55, max: 1, color: "#d7301f", opacity: 0.7, label: { sv: "Hög", en: "High" } },
  ],
  explanation: { sv: "Förklaring", en: "Explanation" },
};

test("the legend is the server's when it has one", async () => {
  const { fetch, requests } = fakeFetch(() => ({ status: 200, body: SERVER_LEGEND }));
  expect(await fetchLegend("http://halo.test", fetch)).toEqual(SERVER_LEGEND);
  expect(requests[0]?.url).toBe("http://halo.test/api/v1/legend");
});

test("without the endpoint, or with a malformed answer, the built-in legend is used", async () => {
  const absent = fakeFetch(() => undefined);
  expect(await fetchLegend("http://halo.test", absent.fetch)).toBe(BUILT_IN_LEGEND);
  const malformed = fakeFetch(() => ({ status: 200, body: { classes: "nope" } }));
  expect(await fetchLegend("http://halo.test", malformed.fetch)).toBe(BUILT_IN_LEGEND);
});

test("freshness is read as the contract says, and is null where there is none", async () => {
  const body = {
    newest_event_at: "2025-12-31T21:30:00+00:00",
    last_poll_ok_at: null,
    feed: "stale",
    stale: true,
  };
  expect(
    await fetchFreshness("http://halo.test", fakeFetch(() => ({ status: 200, body })).fetch),
  ).toEqual(body);
  expect(await fetchFreshness("http://halo.test", fakeFetch(() => undefined).fetch)).toBeNull();
});
