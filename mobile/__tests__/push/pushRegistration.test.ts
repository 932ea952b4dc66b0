/**
 * The push registration flow against the real request shapes of api/routes/devices.py:
 * POST (201, device id and secret once), PUT with the Bearer secret, DELETE (204) on opt-out.
 */
import { DevicesApi } from "../../src/api/devices";
import {
  PUSH_DEVICE_KEY,
  PushRegistration,
  type PushTokenProvider,
} from "../../src/push/pushRegistration";
import { MemoryStore } from "../../src/storage/keyValueStore";
import { fakeFetch, type Recorded } from "../support/fakeServer";

const TOKEN = "ExponentPushToken[abcdefghijklmnop1234]";
const DEVICE_ID = "3f2c8a0e-6d7b-4c55-9a1e-0b6a4f3e2d11";
const SECRET = "s3cr3t-device-secret-from-the-server";

/** Answers as the server does: 201 on POST, 200 on PUT and 204 on DELETE with the secret. */
function halo(known = true) {
  return fakeFetch((request: Recorded) => {
    if (request.method === "POST" && request.url === "http://halo.test/api/v1/devices") {
      const body = request.body as Record<string, unknown>;
      const { expo_push_token: _token, ...preferences } = body;
      return { status: 201, body: { device_id: DEVICE_ID, device_secret: SECRET, ...preferences } };
    }
    const own = request.url === `http://halo.test/api/v1/devices/${DEVICE_ID}`;
    const authorised = request.headers.authorization === `Bearer ${SECRET}`;
    if (!own || !authorised || !known) return { status: 404, body: { title: "Unknown device" } };
    if (request.method === "PUT") return { status: 200, body: request.body };
    if (request.method === "DELETE") return { status: 204 };
    return undefined;
  });
}

function tokens(
  granted = true,
  token: string | null = TOKEN,
): PushTokenProvider & {
  asked: number;
} {
  const provider = {
    platform: "android" as const,
    asked: 0,
    async requestPermission() {
      provider.asked += 1;
      return granted;
    },
    async token() {
      return token;
    },
  };
  return provider;
}

function setUp(server = halo(), provider = tokens()) {
  const store = new MemoryStore();
  const push = new PushRegistration({
    store,
    api: new DevicesApi("http://halo.test", server.fetch),
    tokens: provider,
    language: () => "sv",
  });
  return { store, push, requests: server.requests, provider };
}

test("turning push on asks permission, then registers the token with the preferences", async () => {
  const { push, requests, provider, store } = setUp();
  const settings = await push.settings();
  const outcome = await push.apply({
    ...settings,
    enabled: true,
    followed: [12, 40],
    quietHours: true,
  });
  expect(outcome).toBe("on");
  expect(provider.asked).toBe(1);
  expect(requests).toHaveLength(1);
  expect(requests[0]).toMatchObject({
    method: "POST",
    url: "http://halo.test/api/v1/devices",
    headers: { "content-type": "application/json" },
    body: {
      expo_push_token: TOKEN,
      platform: "android",
      language: "sv",
      followed_district_ids: [12, 40],
      threat_levels: ["critical", "high"],
      quiet_hours: { start: "22:00", end: "07:00" },
    },
  });
  // Exactly the fields DeviceRegistration accepts (extra="forbid" on the server).
  expect(Object.keys(requests[0]!.body as object).sort()).toEqual(
    [
      "expo_push_token",
      "followed_district_ids",
      "language",
      "platform",
      "quiet_hours",
      "threat_levels",
    ].sort(),
  );
  expect(JSON.parse((await store.getItem(PUSH_DEVICE_KEY))!)).toEqual({
    device_id: DEVICE_ID,
    device_secret: SECRET,
  });
  expect((await push.settings()).enabled).toBe(true);
});

test("a change is sent with PUT and the device secret; opting out unregisters with DELETE", async () => {
  const { push, requests, store } = setUp();
  const on = { ...(await push.settings()), enabled: true, followed: [12] };
  await push.apply(on);
  expect(await push.apply({ ...on, followed: [12, 7], threatLevels: ["critical"] })).toBe("on");
  expect(requests[1]).toMatchObject({
    method: "PUT",
    url: `http://halo.test/api/v1/devices/${DEVICE_ID}`,
    headers: { authorization: `Bearer ${SECRET}` },
    body: { followed_district_ids: [12, 7], threat_levels: ["critical"], quiet_hours: null },
  });
  expect(await push.apply({ ...on, enabled: false })).toBe("off");
  expect(requests[2]).toMatchObject({
    method: "DELETE",
    url: `http://halo.test/api/v1/devices/${DEVICE_ID}`,
    headers: { authorization: `Bearer ${SECRET}` },
  });
  expect(await store.getItem(PUSH_DEVICE_KEY)).toBeNull();
  expect((await push.settings()).enabled).toBe(false);
});

test("refused permission or no token registers nothing and keeps push off", async () => {
  const refused = setUp(halo(), tokens(false));
  expect(await refused.push.apply({ ...(await refused.push.settings()), enabled: true })).toBe(
    "denied",
  );
  expect(refused.requests).toHaveLength(0);
  const tokenless = setUp(halo(), tokens(true, null));
  expect(await tokenless.push.apply({ ...(await tokenless.push.settings()), enabled: true })).toBe(
    "no-token",
  );
  expect(tokenless.requests).toHaveLength(0);
  expect((await tokenless.push.settings()).enabled).toBe(false);
});

test("a device the server forgot (404 on PUT) registers afresh", async () => {
  const server = halo(false);
  const { push, store, requests } = setUp(server);
  await store.setItem(
    PUSH_DEVICE_KEY,
    JSON.stringify({ device_id: DEVICE_ID, device_secret: "an-old-secret" }),
  );
  expect(await push.apply({ ...(await push.settings()), enabled: true })).toBe("on");
  expect(requests.map((request) => request.method)).toEqual(["PUT", "POST"]);
});

test("a server that cannot be reached leaves the settings as they were", async () => {
  const down = fakeFetch(() => ({ status: 503, body: { title: "Unavailable" } }));
  const { push } = setUp(down);
  expect(await push.apply({ ...(await push.settings()), enabled: true })).toBe("failed");
  expect((await push.settings()).enabled).toBe(false);
});
