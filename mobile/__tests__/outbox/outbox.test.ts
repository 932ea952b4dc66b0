import AsyncStorage from "@react-native-async-storage/async-storage";
import {
  OUTBOX_KEY,
  Outbox,
  type OutboxDeps,
  type OutboxItem,
  type SendResult,
  type Timers,
} from "../../src/outbox/outbox";
import { statusPillText } from "../../src/outbox/statusText";
import type { ReportDraft } from "../../src/reports/reportDraft";
import { asyncStorageStore } from "../../src/storage/asyncStorageStore";
import { MemoryStore } from "../../src/storage/keyValueStore";

const draft = (text: string): ReportDraft => ({
  category: "theft",
  occurredAt: "2025-06-30T11:50:00.000Z",
  lat: 59.331,
  lon: 18.062,
  accuracyM: 12,
  text,
  photo: null,
  duringAlert: false,
});

/** A server that answers from a script and remembers every request (key and text). */
class ScriptedServer {
  readonly requests: { key: string; text: string | null }[] = [];
  readonly stored = new Map<string, number>();
  private script: SendResult["kind"][] = [];

  answer(...kinds: SendResult["kind"][]) {
    this.script.push(...kinds);
  }

  sender = {
    send: async (item: OutboxItem): Promise<SendResult> => {
      this.requests.push({ key: item.key, text: item.draft.text });
      const kind = this.script.shift() ?? "sent";
      if (kind === "retry") return { kind, error: "HTTP 503", retryAfterS: null };
      if (kind === "rejected") return { kind, error: "HTTP 422" };
      // Idempotent like the server: a known key gets its first id back, no second row.
      if (!this.stored.has(item.key)) this.stored.set(item.key, this.stored.size + 1);
      return { kind: "sent", reportId: this.stored.get(item.key) ?? null };
    },
  };
}

/** Timers under the test's control: nothing fires until `runDue`. */
class ManualTimers implements Timers {
  now = Date.parse("2025-06-30T12:00:00Z");
  private pending: { at: number; callback: () => void }[] = [];

  set = (callback: () => void, delayMs: number) => {
    const entry = { at: this.now + delayMs, callback };
    this.pending.push(entry);
    return entry;
  };

  clear = (handle: unknown) => {
    this.pending = this.pending.filter((entry) => entry !== handle);
  };

  get nextDelayMs(): number | null {
    const next = Math.min(...this.pending.map((entry) => entry.at));
    return Number.isFinite(next) ? next - this.now : null;
  }

  async advance(ms: number) {
    this.now += ms;
    const due = this.pending.filter((entry) => entry.at <= this.now);
    this.pending = this.pending.filter((entry) => entry.at > this.now);
    due.forEach((entry) => entry.callback());
    await flushPromises();
  }
}

const flushPromises = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(overrides: Partial<OutboxDeps> = {}) {
  const server = new ScriptedServer();
  const timers = new ManualTimers();
  let counter = 0;
  const deps: OutboxDeps = {
    store: new MemoryStore(),
    sender: server.sender,
    newKey: () => `key-${String(++counter).padStart(4, "0")}-0000`,
    nowMs: () => timers.now,
    random: () => 0.5,
    timers,
    ...overrides,
  };
  return { server, timers, deps, outbox: new Outbox(deps) };
}

describe("persistence", () => {
  test("a report is stored with its key before anything is sent", async () => {
    const { outbox, deps, server } = setup();
    const item = await outbox.enqueue(draft("bike stolen"));
    const stored = JSON.parse((await deps.store.getItem(OUTBOX_KEY)) ?? "[]") as OutboxItem[];
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ key: item.key, state: "queued", attempts: 0 });
    expect(server.requests).toEqual([]);
    expect(statusPillText(outbox.snapshot())).toBe("Offline • 1 queued");
  });

  test("queued reports survive a restart (AsyncStorage) and are sent once online", async () => {
    await AsyncStorage.clear();
    const first = setup({ store: asyncStorageStore });
    const item = await first.outbox.enqueue(draft("window smashed"));

    const afterRestart = setup({ store: asyncStorageStore });
    await afterRestart.outbox.load();
    expect(statusPillText(afterRestart.outbox.snapshot())).toBe("Offline • 1 queued");
    await afterRestart.outbox.setOnline(true);
    expect(afterRestart.server.requests).toEqual([{ key: item.key, text: "window smashed" }]);
    expect(statusPillText(afterRestart.outbox.snapshot())).toBe("All sent");
    const stored = JSON.parse((await AsyncStorage.getItem(OUTBOX_KEY)) ?? "[]") as OutboxItem[];
    expect(stored[0]).toMatchObject({ key: item.key, state: "sent", reportId: 1 });
  });

  test("a report whose answer was lost in a crash is resent with the same key", async () => {
    const { outbox, deps } = setup();
    const item = await outbox.enqueue(draft("lost answer"));
    // The app died while sending: the store still says queued.
    const restarted = setup({ store: deps.store });
    await restarted.outbox.setOnline(true);
    expect(restarted.server.requests.map((request) => request.key)).toEqual([item.key]);
  });
});

describe("retry", () => {
  test("failures back off exponentially and every attempt reuses the key", async () => {
    const { outbox, server, timers } = setup();
    server.answer("retry", "retry", "retry", "sent");
    const item = await outbox.enqueue(draft("retry me"));
    await outbox.setOnline(true);
    const delays: number[] = [];
    while (timers.nextDelayMs !== null) {
      delays.push(timers.nextDelayMs);
      await timers.advance(timers.nextDelayMs);
    }
    // Equal jitter with random 0.5: 3/4 of 2 s, 4 s, 8 s.
    expect(delays).toEqual([1500, 3000, 6000]);
    expect(server.requests.map((request) => request.key)).toEqual(Array(4).fill(item.key));
    expect(outbox.snapshot().items[0]).toMatchObject({ state: "sent", attempts: 4 });
    expect(server.stored.size).toBe(1);
  });

  test("nothing is sent before the backoff ends", async () => {
    const { outbox, server, timers } = setup();
    server.answer("retry");
    await outbox.enqueue(draft("wait"));
    await outbox.setOnline(true);
    await timers.advance(1000);
    await outbox.sync();
    expect(server.requests).toHaveLength(1);
    expect(statusPillText(outbox.snapshot())).toBe("Waiting to send • 1 queued");
  });

  test("coming back online sends at once, without waiting out the backoff", async () => {
    const { outbox, server } = setup();
    server.answer("retry");
    await outbox.enqueue(draft("flaky"));
    await outbox.setOnline(true);
    await outbox.setOnline(false);
    await outbox.setOnline(true);
    expect(server.requests).toHaveLength(2);
    expect(statusPillText(outbox.snapshot())).toBe("All sent");
  });

  test("a sender that throws counts as a failure to retry, not a loss", async () => {
    const { outbox, timers } = setup({
      sender: {
        send: jest
          .fn()
          .mockRejectedValueOnce(new Error("boom"))
          .mockResolvedValue({ kind: "sent", reportId: 7 }),
      },
    });
    await outbox.enqueue(draft("throws"));
    await outbox.setOnline(true);
    expect(outbox.snapshot().items[0]).toMatchObject({ state: "queued", lastError: "Error: boom" });
    await timers.advance(timers.nextDelayMs ?? 0);
    expect(outbox.snapshot().items[0]).toMatchObject({ state: "sent", reportId: 7 });
  });

  test("a rejected report is not retried and does not block the next one", async () => {
    const { outbox, server, timers } = setup();
    server.answer("rejected", "sent");
    await outbox.enqueue(draft("bad"));
    await outbox.enqueue(draft("good"));
    await outbox.setOnline(true);
    await timers.advance(10 * 60_000);
    expect(server.requests.map((request) => request.text)).toEqual(["bad", "good"]);
    expect(outbox.snapshot().items.map((item) => item.state)).toEqual(["rejected", "sent"]);
    expect(statusPillText(outbox.snapshot())).toBe("1 not accepted");
  });
});

describe("ordering and duplicates", () => {
  test("reports are sent oldest first; a failing one holds back those after it", async () => {
    const { outbox, server, timers } = setup();
    for (const text of ["first", "second", "third"]) await outbox.enqueue(draft(text));
    server.answer("retry");
    await outbox.setOnline(true);
    expect(server.requests.map((request) => request.text)).toEqual(["first"]);
    await timers.advance(timers.nextDelayMs ?? 0);
    expect(server.requests.map((request) => request.text)).toEqual([
      "first",
      "first",
      "second",
      "third",
    ]);
  });

  test("overlapping syncs send each report exactly once", async () => {
    const { outbox, server } = setup();
    for (const text of ["a", "b", "c"]) await outbox.enqueue(draft(text));
    await Promise.all([
      outbox.setOnline(true),
      outbox.sync(),
      outbox.sync(),
      outbox.setOnline(true),
    ]);
    await outbox.sync();
    expect(server.requests.map((request) => request.text)).toEqual(["a", "b", "c"]);
    expect(new Set(server.requests.map((request) => request.key)).size).toBe(3);
  });

  test("a report queued while online is sent right away", async () => {
    const { outbox, server } = setup();
    await outbox.setOnline(true);
    await outbox.enqueue(draft("now"));
    await outbox.sync();
    expect(server.requests).toHaveLength(1);
  });
});

describe("status pill", () => {
  test("shows the progress of a sync: Syncing 1/3, 2/3, 3/3, then All sent", async () => {
    const { outbox } = setup();
    for (const text of ["a", "b", "c"]) await outbox.enqueue(draft(text));
    const texts: (string | null)[] = [];
    outbox.subscribe((snapshot) => texts.push(statusPillText(snapshot)));
    await outbox.setOnline(true);
    const distinct = texts.filter((text, i) => text !== texts[i - 1]);
    expect(distinct).toEqual([
      "Offline • 3 queued",
      "Waiting to send • 3 queued",
      "Syncing 1/3",
      "Syncing 2/3",
      "Syncing 3/3",
      "All sent",
    ]);
  });

  test("sent reports are forgotten after a day", async () => {
    const { outbox, timers } = setup();
    await outbox.setOnline(true);
    await outbox.enqueue(draft("old"));
    await outbox.sync();
    timers.now += 25 * 60 * 60 * 1000;
    await outbox.enqueue(draft("new"));
    await outbox.sync();
    expect(outbox.snapshot().items.map((item) => item.draft.text)).toEqual(["new"]);
  });
});
