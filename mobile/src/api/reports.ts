/**
 * POST /api/v1/reports/submit (issue 6): the multipart request the outbox sends and how its
 * answer is read. The one place that knows the form's field names: align it here when the
 * server's contract changes.
 */
import type { OutboxItem, ReportSender, SendResult } from "../outbox/outbox";
import type { ReportPhoto, ReportVideo } from "../reports/reportDraft";
import { type FetchLike, errorFrom, fetchWithTimeout, retryAfterSeconds } from "./http";

export const SUBMIT_PATH = "/api/v1/reports/submit";
export const SUBMIT_TIMEOUT_MS = 30_000;
const KEEP_TRYING = new Set([404, 405, 409]);

/** Turns a stored photo into a multipart part (a Blob on the web, {uri, name, type} natively). */
export type PhotoPart = (
  photo: ReportPhoto,
) => Promise<Blob | { uri: string; name: string; type: string }>;

/** Turns a stored video into a multipart part, like PhotoPart. */
export type VideoPart = (
  video: ReportVideo,
) => Promise<Blob | { uri: string; name: string; type: string }>;

/** The form fields of a report, in a fixed order: a retry sends the very same request. */
export function reportFields(item: OutboxItem): [string, string][] {
  const { draft } = item;
  const fields: [string, string][] = [
    ["category", draft.category],
    ["occurred_at", draft.occurredAt],
    ["lat", draft.lat.toFixed(6)],
    ["lon", draft.lon.toFixed(6)],
  ];
  if (draft.accuracyM !== null) fields.push(["accuracy_m", String(Math.round(draft.accuracyM))]);
  if (draft.text) fields.push(["description", draft.text]);
  if (draft.duringAlert) fields.push(["during_alert", "true"]);
  return fields;
}

export interface SubmitRequest {
  url: string;
  init: RequestInit;
}

export async function buildSubmitRequest(
  baseUrl: string,
  item: OutboxItem,
  photoPart: PhotoPart,
  videoPart?: VideoPart,
): Promise<SubmitRequest> {
  const form = new FormData();
  for (const [name, value] of reportFields(item)) form.append(name, value);
  if (item.draft.photo) {
    const extension = item.draft.photo.mimeType === "image/png" ? "png" : "jpg";
    // React Native's FormData takes {uri, name, type}; the DOM's takes a Blob and a file name.
    form.append("photo", (await photoPart(item.draft.photo)) as Blob, `report.${extension}`);
  }
  if (item.draft.video && videoPart) {
    // The server tells the type by the bytes; the name only helps a human reading logs.
    const extension = item.draft.video.mimeType === "video/quicktime" ? "mov" : "mp4";
    form.append("video", (await videoPart(item.draft.video)) as Blob, `report.${extension}`);
  }
  return {
    url: `${baseUrl}${SUBMIT_PATH}`,
    init: {
      method: "POST",
      // No Content-Type: fetch sets multipart/form-data with its boundary.
      headers: { Accept: "application/json", "Idempotency-Key": item.key },
      body: form,
    },
  };
}

/** The server's id of the stored report, whatever the answer calls it. */
function reportIdOf(body: unknown): number | null {
  if (typeof body !== "object" || body === null) return null;
  const record = body as Record<string, unknown>;
  const id = record.id ?? record.report_id;
  return typeof id === "number" ? id : null;
}

/**
 * What an answer means for the outbox: 2xx sent (a replay of the same key is also sent);
 * no answer, 408, 409 (the same key still in flight), 429 and 5xx retry, and so do 404/405
 * (a server without the route yet, or a wrong base URL: keep the report, do not drop it);
 * other 4xx will never pass as they are (bad input, the key reused with another body):
 * rejected, not retried.
 */
export async function resultOf(response: Response): Promise<SendResult> {
  if (response.ok) {
    const body: unknown = await response.json().catch(() => null);
    return { kind: "sent", reportId: reportIdOf(body) };
  }
  const error = await errorFrom(response);
  if (error.retryable || KEEP_TRYING.has(response.status)) {
    return { kind: "retry", error: error.message, retryAfterS: retryAfterSeconds(response) };
  }
  return { kind: "rejected", error: error.message };
}

export class ReportApi implements ReportSender {
  constructor(
    private readonly baseUrl: () => string,
    private readonly photoPart: PhotoPart,
    private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init),
    private readonly videoPart?: VideoPart,
  ) {}

  async send(item: OutboxItem): Promise<SendResult> {
    const request = await buildSubmitRequest(this.baseUrl(), item, this.photoPart, this.videoPart);
    try {
      const response = await fetchWithTimeout(
        request.url,
        request.init,
        SUBMIT_TIMEOUT_MS,
        this.fetchImpl,
      );
      return await resultOf(response);
    } catch (error) {
      return { kind: "retry", error: String(error), retryAfterS: null };
    }
  }
}
