import { MapApi } from "../../src/api/mapApi";
import { HttpError } from "../../src/api/http";

test("alert zones are asked for a box with the last ETag; 304 means unchanged", async () => {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const api = new MapApi("http://halo.test", async (url, init) => {
    calls.push({ url, headers: (init?.headers ?? {}) as Record<string, string> });
    return calls.length === 1
      ? new Response(JSON.stringify({ type: "FeatureCollection", generation: 3, features: [] }), {
          status: 200,
          headers: { ETag: '"g3"' },
        })
      : new Response(null, { status: 304 });
  });
  const first = await api.alertZones([18, 59.3, 18.3, 59.45], null);
  expect(first).toMatchObject({ kind: "fresh", etag: '"g3"' });
  expect(calls[0]!.url).toBe(
    "http://halo.test/api/v1/alert-zones?bbox=18.000000,59.300000,18.300000,59.450000",
  );
  expect(await api.alertZones([18, 59.3, 18.3, 59.45], '"g3"')).toEqual({ kind: "unchanged" });
  expect(calls[1]!.headers["If-None-Match"]).toBe('"g3"');
});

test("a server error becomes an HttpError that says whether to retry", async () => {
  const api = new MapApi(
    "http://halo.test",
    async () =>
      new Response(JSON.stringify({ detail: "busy" }), {
        status: 503,
        headers: { "Retry-After": "5" },
      }),
  );
  const error = await api.neighborhood(1).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(HttpError);
  expect(error).toMatchObject({ status: 503, retryAfterS: 5, retryable: true });
});
