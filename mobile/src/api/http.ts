/**
 * fetch with a timeout and errors that say whether a retry can help. The only place the app
 * talks HTTP; everything above it gets parsed values or an HttpError.
 */

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class HttpError extends Error {
  /** HTTP status, or 0 when no answer came (offline, timeout, refused). */
  readonly status: number;
  /** Seconds the server asked to wait (Retry-After), if it said. */
  readonly retryAfterS: number | null;

  constructor(message: string, status: number, retryAfterS: number | null = null) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.retryAfterS = retryAfterS;
  }

  /** No answer, a timeout, too many requests or a server error: the same request may pass later. */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export const DEFAULT_TIMEOUT_MS = 15_000;

export function retryAfterSeconds(response: Response): number | null {
  const header = response.headers.get("Retry-After");
  if (header === null) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}

/** The response, or HttpError(0) when the network or the timeout stopped it. */
export async function fetchWithTimeout(
  url: string,
  init: RequestInit = {},
  timeoutMs = DEFAULT_TIMEOUT_MS,
  fetchImpl: FetchLike = fetch,
): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetchImpl(url, { ...init, signal: controller.signal });
  } catch (error) {
    const reason = controller.signal.aborted ? "timed out" : String(error);
    throw new HttpError(`No answer from ${url}: ${reason}`, 0);
  } finally {
    clearTimeout(timer);
  }
}

/** The problem detail's text (RFC 7807 `detail`/`title`), or the status line. */
export async function errorFrom(response: Response): Promise<HttpError> {
  let detail = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { detail?: unknown; title?: unknown };
    const text = typeof body.detail === "string" ? body.detail : body.title;
    if (typeof text === "string") detail = `${detail}: ${text}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return new HttpError(detail, response.status, retryAfterSeconds(response));
}

export async function getJson<T>(url: string, fetchImpl: FetchLike = fetch): Promise<T> {
  const response = await fetchWithTimeout(
    url,
    { headers: { Accept: "application/json" } },
    DEFAULT_TIMEOUT_MS,
    fetchImpl,
  );
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}
