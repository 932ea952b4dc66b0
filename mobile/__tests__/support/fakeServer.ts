/**
 * A fetch that records every request and answers from a handler: the app's HTTP clients run
 * unchanged against it, with the real request and response shapes of Halo's API.
 */
import type { FetchLike } from "../../src/api/http";

export interface Recorded {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export type Handler = (request: Recorded) => { status: number; body?: unknown } | undefined;

export function fakeFetch(handler: Handler): { fetch: FetchLike; requests: Recorded[] } {
  const requests: Recorded[] = [];
  const fetchImpl: FetchLike = async (input, init = {}) => {
    const headers = Object.fromEntries(
      Object.entries((init.headers ?? {}) as Record<string, string>).map(([k, v]) => [
        k.toLowerCase(),
        v,
      ]),
    );
    const body = typeof init.body === "string" ? JSON.parse(init.body) : (init.body ?? null);
    const request = { method: init.method ?? "GET", url: input, headers, body };
    requests.push(request);
    const answer = handler(request) ?? { status: 404, body: { title: "Not Found" } };
    const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
    return new Response(answer.status === 204 ? null : text, {
      status: answer.status,
      headers: { "Content-Type": "application/json" },
    });
  };
  return { fetch: fetchImpl, requests };
}
