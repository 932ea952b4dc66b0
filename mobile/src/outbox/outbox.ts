/**
 * The report outbox: every report is written to the device first, with the idempotency key
 * it keeps for life, then sent in order when the network allows, retried with backoff. The
 * key makes a resend after a lost answer or a restart harmless: the server returns the first
 * result. One sync runs at a time, so no report is in flight twice from this device.
 */
import { type KeyValueStore, readJson, writeJson } from "../storage/keyValueStore";
import type { ReportDraft } from "../reports/reportDraft";
import { type BackoffPolicy, DEFAULT_BACKOFF, retryDelayMs } from "./backoff";
import type { OutboxStatus } from "./statusText";

export type ItemState = "queued" | "sent" | "rejected";

export interface OutboxItem {
  /** The Idempotency-Key: chosen once when queued, sent with every attempt. */
  key: string;
  createdAtMs: number;
  draft: ReportDraft;
  state: ItemState;
  attempts: number;
  nextAttemptAtMs: number;
  lastError: string | null;
  settledAtMs: number | null;
  reportId: number | null;
}

export type SendResult =
  | { kind: "sent"; reportId: number | null }
  | { kind: "retry"; error: string; retryAfterS: number | null }
  | { kind: "rejected"; error: string };

export interface ReportSender {
  send(item: OutboxItem): Promise<SendResult>;
}

export interface Timers {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

export interface OutboxDeps {
  store: KeyValueStore;
  sender: ReportSender;
  newKey: () => string;
  nowMs?: () => number;
  random?: () => number;
  timers?: Timers;
  backoff?: BackoffPolicy;
  /** Called once an item is sent or rejected, e.g. to delete its photo copy. */
  onSettled?: (item: OutboxItem) => Promise<void>;
}

export interface OutboxSnapshot extends OutboxStatus {
  items: OutboxItem[];
}

export const OUTBOX_KEY = "halo.outbox.v1";
/** Settled reports are kept this long (the pill counts them), then forgotten. */
export const SETTLED_RETENTION_MS = 24 * 60 * 60 * 1000;

const systemTimers: Timers = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Outbox {
  private items: OutboxItem[] = [];
  private online = false;
  private syncing: { index: number; total: number } | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: unknown = null;
  private loaded: Promise<void> | null = null;
  private readonly listeners = new Set<(snapshot: OutboxSnapshot) => void>();
  private readonly nowMs: () => number;
  private readonly random: () => number;
  private readonly timers: Timers;

  constructor(private readonly deps: OutboxDeps) {
    this.nowMs = deps.nowMs ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.timers = deps.timers ?? systemTimers;
  }

  /** Read what an earlier run left; safe to call more than once. */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const stored = await readJson<OutboxItem[]>(this.deps.store, OUTBOX_KEY, []);
      this.items = stored.filter((item) => typeof item.key === "string" && item.draft);
      this.emit();
    })();
    return this.loaded;
  }

  subscribe(listener: (snapshot: OutboxSnapshot) => void): () => void {
    this.listeners.add(listener);
    listener(this.snapshot());
    return () => this.listeners.delete(listener);
  }

  snapshot(): OutboxSnapshot {
    const count = (state: ItemState) => this.items.filter((item) => item.state === state).length;
    return {
      online: this.online,
      queued: count("queued"),
      syncing: this.syncing,
      sent: count("sent"),
      rejected: count("rejected"),
      items: this.items.map((item) => ({ ...item })),
    };
  }

  /** Persist the report (before anything is sent), then try to send if online. */
  async enqueue(draft: ReportDraft): Promise<OutboxItem> {
    await this.load();
    const now = this.nowMs();
    const item: OutboxItem = {
      key: this.deps.newKey(),
      createdAtMs: now,
      draft,
      state: "queued",
      attempts: 0,
      nextAttemptAtMs: now,
      lastError: null,
      settledAtMs: null,
      reportId: null,
    };
    this.items = [...this.items, item];
    await this.persist();
    this.emit();
    void this.sync();
    return item;
  }

  /** The network came or went. Coming back sends at once: waiting out a backoff made for
   * being offline would only delay. */
  setOnline(online: boolean): Promise<void> {
    const cameBack = online && !this.online;
    this.online = online;
    if (cameBack) {
      const now = this.nowMs();
      this.items = this.items.map((item) =>
        item.state === "queued"
          ? { ...item, nextAttemptAtMs: Math.min(item.nextAttemptAtMs, now) }
          : item,
      );
    }
    this.emit();
    return online ? this.sync() : Promise.resolve();
  }

  /** Send what is due, oldest first; one run at a time (a call during a run asks for another). */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        await this.load();
        do {
          this.again = false;
          await this.sendDue();
        } while (this.again);
      } finally {
        this.running = null;
        this.syncing = null;
        this.emit();
      }
    })();
    return this.running;
  }

  private async sendDue(): Promise<void> {
    const batch = this.items.filter((item) => item.state === "queued");
    for (const [index, item] of batch.entries()) {
      if (!this.online) return;
      // Strict order: a report that must wait holds back the ones made after it.
      if (item.nextAttemptAtMs > this.nowMs()) return this.wakeAt(item.nextAttemptAtMs);
      this.syncing = { index: index + 1, total: batch.length };
      this.emit();
      const result = await this.sendOne(item);
      await this.apply(item.key, result);
      if (result.kind === "retry") return this.wakeAt(this.find(item.key)?.nextAttemptAtMs);
    }
    this.prune();
    await this.persist();
  }

  private async sendOne(item: OutboxItem): Promise<SendResult> {
    try {
      return await this.deps.sender.send(item);
    } catch (error) {
      return { kind: "retry", error: String(error), retryAfterS: null };
    }
  }

  private async apply(key: string, result: SendResult): Promise<void> {
    const now = this.nowMs();
    const item = this.find(key);
    if (!item) return;
    let next: OutboxItem;
    if (result.kind === "retry") {
      const attempts = item.attempts + 1;
      const delay = retryDelayMs(
        attempts,
        result.retryAfterS,
        this.random,
        this.deps.backoff ?? DEFAULT_BACKOFF,
      );
      next = { ...item, attempts, nextAttemptAtMs: now + delay, lastError: result.error };
    } else {
      next = {
        ...item,
        attempts: item.attempts + 1,
        state: result.kind,
        settledAtMs: now,
        reportId: result.kind === "sent" ? result.reportId : null,
        lastError: result.kind === "rejected" ? result.error : null,
      };
    }
    this.items = this.items.map((candidate) => (candidate.key === key ? next : candidate));
    await this.persist();
    this.emit();
    if (next.state !== "queued") await this.deps.onSettled?.(next);
  }

  private find(key: string): OutboxItem | undefined {
    return this.items.find((item) => item.key === key);
  }

  private wakeAt(atMs: number | undefined): void {
    if (atMs === undefined) return;
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(
      () => {
        this.timer = null;
        void this.sync();
      },
      Math.max(0, atMs - this.nowMs()),
    );
  }

  private prune(): void {
    const cutoff = this.nowMs() - SETTLED_RETENTION_MS;
    this.items = this.items.filter(
      (item) => item.settledAtMs === null || item.settledAtMs >= cutoff,
    );
  }

  private persist(): Promise<void> {
    return writeJson(this.deps.store, OUTBOX_KEY, this.items);
  }

  private emit(): void {
    const snapshot = this.snapshot();
    this.listeners.forEach((listener) => listener(snapshot));
  }
}
