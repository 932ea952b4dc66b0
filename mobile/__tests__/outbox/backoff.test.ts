import { DEFAULT_BACKOFF, retryDelayMs } from "../../src/outbox/backoff";

test("delays double up to five minutes, jittered within the upper half", () => {
  const low = [1, 2, 3, 4].map((attempts) => retryDelayMs(attempts, null, () => 0));
  expect(low).toEqual([1000, 2000, 4000, 8000]);
  const high = retryDelayMs(30, null, () => 0.999999);
  expect(high).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
  expect(high).toBeGreaterThan(DEFAULT_BACKOFF.maxMs * 0.99);
});

test("a longer Retry-After from the server wins", () => {
  expect(retryDelayMs(1, 60, () => 0.5)).toBe(60_000);
  expect(retryDelayMs(5, 1, () => 0)).toBe(16_000);
});
