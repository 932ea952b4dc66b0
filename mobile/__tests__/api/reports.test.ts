import {
  SUBMIT_PATH,
  ReportApi,
  buildSubmitRequest,
  reportFields,
  resultOf,
} from "../../src/api/reports";
import type { OutboxItem } from "../../src/outbox/outbox";

const item: OutboxItem = {
  key: "0b7f6c1e-6a55-4a43-9d0c-3c8d1b7f2a10",
  createdAtMs: 0,
  draft: {
    category: "robbery",
    occurredAt: "2025-06-30T11:45:00.000Z",
    lat: 59.3312345678,
    lon: 18.0621234567,
    accuracyM: 12.6,
    text: "Phone taken at the bus stop",
    photo: { uri: "file:///outbox/photo.jpg", mimeType: "image/jpeg" },
    duringAlert: true,
  },
  state: "queued",
  attempts: 0,
  nextAttemptAtMs: 0,
  lastError: null,
  settledAtMs: null,
  reportId: null,
};

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

test("the form carries the report's fields, rounded, in a fixed order", () => {
  expect(reportFields(item)).toEqual([
    ["category", "robbery"],
    ["occurred_at", "2025-06-30T11:45:00.000Z"],
    ["lat", "59.331235"],
    ["lon", "18.062123"],
    ["accuracy_m", "13"],
    ["description", "Phone taken at the bus stop"],
    ["during_alert", "true"],
  ]);
  const bare = {
    ...item,
    draft: { ...item.draft, text: null, accuracyM: null, duringAlert: false },
  };
  expect(reportFields(bare).map(([name]) => name)).toEqual([
    "category",
    "occurred_at",
    "lat",
    "lon",
  ]);
});

test("the request is a multipart POST with the item's Idempotency-Key and the photo", async () => {
  // The web build's part (a Blob); on a phone it is {uri, name, type}, which only React
  // Native's FormData takes.
  const photoPart = jest.fn(async () => new Blob(["jpeg bytes"], { type: "image/jpeg" }));
  const request = await buildSubmitRequest("http://127.0.0.1:8000", item, photoPart);
  expect(request.url).toBe(`http://127.0.0.1:8000${SUBMIT_PATH}`);
  expect(request.init.method).toBe("POST");
  expect(request.init.headers).toMatchObject({ "Idempotency-Key": item.key });
  expect(request.init.headers).not.toHaveProperty("Content-Type");
  const form = request.init.body as FormData;
  expect(form.get("category")).toBe("robbery");
  expect((form.get("photo") as File).name).toBe("report.jpg");
  expect(photoPart).toHaveBeenCalledWith(item.draft.photo);
});

test("a clip goes as the `video` part of the same request, with the same key", async () => {
  const withVideo: OutboxItem = {
    ...item,
    draft: {
      ...item.draft,
      video: { uri: "blob:clip", mimeType: "video/quicktime", durationS: 12 },
    },
  };
  const photoPart = jest.fn(async () => new Blob(["jpeg bytes"], { type: "image/jpeg" }));
  const videoPart = jest.fn(async () => new Blob(["mov bytes"], { type: "video/quicktime" }));
  const request = await buildSubmitRequest("http://halo.test", withVideo, photoPart, videoPart);
  const form = request.init.body as FormData;
  expect((form.get("video") as File).name).toBe("report.mov");
  expect((form.get("photo") as File).name).toBe("report.jpg");
  expect(request.init.headers).toMatchObject({ "Idempotency-Key": item.key });
  expect(videoPart).toHaveBeenCalledWith(withVideo.draft.video);
  // A draft queued before videos existed has no `video` at all: no part is sent.
  const old = await buildSubmitRequest("http://halo.test", item, photoPart, videoPart);
  expect((old.init.body as FormData).get("video")).toBeNull();
});

test.each([
  [201, "sent"],
  [200, "sent"],
  [404, "retry"],
  [409, "retry"],
  [429, "retry"],
  [500, "retry"],
  [503, "retry"],
  [400, "rejected"],
  [413, "rejected"],
  [422, "rejected"],
])("HTTP %i means %s", async (status, kind) => {
  const body = status < 300 ? { id: 41 } : { title: "Problem", detail: "why" };
  expect((await resultOf(json(status, body))).kind).toBe(kind);
});

test("a stored report's id and the server's Retry-After are kept", async () => {
  expect(await resultOf(json(201, { id: 41, moderation_status: "pending" }))).toEqual({
    kind: "sent",
    reportId: 41,
  });
  expect(
    await resultOf(json(429, { detail: "slow down" }, { "Retry-After": "120" })),
  ).toMatchObject({
    kind: "retry",
    retryAfterS: 120,
    error: "HTTP 429: slow down",
  });
});

test("no answer at all is a retry, never a loss", async () => {
  const api = new ReportApi(
    () => "http://127.0.0.1:1",
    async () => new Blob(),
    async () => {
      throw new TypeError("Failed to fetch");
    },
  );
  expect(await api.send({ ...item, draft: { ...item.draft, photo: null } })).toMatchObject({
    kind: "retry",
  });
});
