/**
 * The little persistence the app needs (outbox, alert state, zones, settings) behind one
 * interface: AsyncStorage on the device, a Map in tests.
 */

export interface KeyValueStore {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

/** An in-memory store: for tests, and a fallback where nothing persists. */
export class MemoryStore implements KeyValueStore {
  readonly values = new Map<string, string>();

  async getItem(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }

  async setItem(key: string, value: string): Promise<void> {
    this.values.set(key, value);
  }

  async removeItem(key: string): Promise<void> {
    this.values.delete(key);
  }
}

/** Parsed JSON of a key, or `fallback` when absent or unreadable (an older app's format). */
export async function readJson<T>(store: KeyValueStore, key: string, fallback: T): Promise<T> {
  const text = await store.getItem(key);
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export async function writeJson(store: KeyValueStore, key: string, value: unknown): Promise<void> {
  await store.setItem(key, JSON.stringify(value));
}
