/**
 * Retry delays of the outbox: exponential from 2 s up to 5 min, with jitter so that many
 * phones coming back online do not all retry in the same second; a server's Retry-After wins
 * when it asks for longer.
 */

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };

/** Delay before attempt `attempts + 1`, after `attempts` failures (≥ 1); random in [0, 1). */
export function retryDelayMs(
  attempts: number,
  retryAfterS: number | null,
  random: () => number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  // "Equal jitter": at least half the ceiling, so delays still grow with each failure.
  const delay = ceiling / 2 + random() * (ceiling / 2);
  const asked = retryAfterS === null ? 0 : retryAfterS * 1000;
  return Math.round(Math.max(delay, asked));
}
