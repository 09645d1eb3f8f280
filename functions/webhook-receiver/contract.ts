/**
 * The webhook contract: the JSON body a Genesys Architect workflow's data action
 * POSTs to `/genesys/events`.
 *
 * ```json
 * {
 *   "eventId": "b1c9...-customer.start",   // unique per event; a retry of the same event repeats it
 *   "resourceId": "queue-5f1e...",         // what ordering is kept per (e.g. the Genesys queue id)
 *   "timestamp": "2024-05-01T10:15:30.123Z", // event time: ISO 8601 with zone, or epoch milliseconds
 *   "action": "orders-table-follows-queue",  // name of a configured action (WEBHOOK_ACTIONS)
 *   "signal": 42                              // the number the action scales with (>= 0)
 * }
 * ```
 * Unknown fields are refused, so a typo in the data action's request template fails
 * loudly (400 with the reason) instead of being ignored.
 */

import { carriesSelfTestRequest, SELF_TEST_VIA_TRIGGER_REASON } from "../shared/self-test";

/** A validated webhook event. */
export interface WebhookEvent {
  eventId: string;
  resourceId: string;
  /** Event time, epoch milliseconds. */
  timestampMs: number;
  action: string;
  signal: number;
}

/** The body breaks the contract; `message` is safe to return to the caller. */
export class InvalidWebhookError extends Error {
  override readonly name = "InvalidWebhookError";
}

const FIELDS = ["eventId", "resourceId", "timestamp", "action", "signal"];
/** Longest piece of caller input echoed back (in a 400 reason and the log). */
export const MAX_ECHO_CHARS = 64;
/** Most unknown field names listed. */
const MAX_UNKNOWN_FIELDS = 5;

/**
 * Caller input made safe to echo: at most {@link MAX_ECHO_CHARS} characters, anything
 * but letters, digits and `. _ : / -` replaced by `?` (no quotes, control characters or
 * log-forging newlines), and the original length said when it was cut.
 * @example echo("a\nb") // "a?b"
 */
export function echo(value: string): string {
  const safe = value.slice(0, MAX_ECHO_CHARS).replace(/[^A-Za-z0-9._:/-]/g, "?");
  return value.length > MAX_ECHO_CHARS ? `${safe}... (${value.length} characters)` : safe;
}
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,255}$/;
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
/** 2000-01-01: anything earlier is a unit mistake (seconds sent as milliseconds). */
const EARLIEST_MS = Date.UTC(2000, 0, 1);

/**
 * Validates a parsed body against the contract.
 * @param nowMs current time; timestamps more than `maxSkewMs` ahead are refused, since
 *   one would block every later event of its resource
 * @throws InvalidWebhookError with every problem found
 */
export function parseWebhookEvent(body: unknown, nowMs: number, maxSkewMs: number): WebhookEvent {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidWebhookError(`body must be a JSON object with ${FIELDS.join(", ")}`);
  }
  if (carriesSelfTestRequest(body)) throw new InvalidWebhookError(SELF_TEST_VIA_TRIGGER_REASON);
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(b).filter((key) => !FIELDS.includes(key));
  if (unknown.length) {
    const more = unknown.length > MAX_UNKNOWN_FIELDS ? ` and ${unknown.length - MAX_UNKNOWN_FIELDS} more` : "";
    problems.push(`unknown field(s): ${unknown.slice(0, MAX_UNKNOWN_FIELDS).map(echo).join(", ")}${more}`);
  }
  for (const key of ["eventId", "resourceId"] as const) {
    if (typeof b[key] !== "string" || !ID_PATTERN.test(b[key] as string)) {
      problems.push(`${key} must be a string of 1-256 letters, digits or . _ : / - starting with a letter or digit`);
    }
  }
  if (typeof b.action !== "string" || !b.action) problems.push("action must name a configured action");
  if (typeof b.signal !== "number" || !Number.isFinite(b.signal) || b.signal < 0) problems.push("signal must be a finite number >= 0");

  let timestampMs = Number.NaN;
  if (typeof b.timestamp === "string" && ISO_PATTERN.test(b.timestamp)) timestampMs = Date.parse(b.timestamp);
  else if (typeof b.timestamp === "number" && Number.isInteger(b.timestamp)) timestampMs = b.timestamp;
  if (Number.isNaN(timestampMs) || timestampMs < EARLIEST_MS) {
    problems.push("timestamp must be an ISO 8601 date-time with a zone (e.g. 2024-05-01T10:15:30.123Z) or epoch milliseconds after 2000");
  } else if (timestampMs > nowMs + maxSkewMs) {
    problems.push(`timestamp is more than ${Math.round(maxSkewMs / 1000)} s in the future`);
  }

  if (problems.length) throw new InvalidWebhookError(problems.join("; "));
  return {
    eventId: b.eventId as string,
    resourceId: b.resourceId as string,
    timestampMs,
    action: b.action as string,
    signal: b.signal as number,
  };
}
