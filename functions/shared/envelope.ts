/**
 * Parser of the Genesys EventBridge envelope (see genesys-facts.md):
 * `{ id, "detail-type", source, time, detail: { topicName, eventBody, timestamp, ... } }`.
 * Anything malformed throws {@link InvalidEventError} with a reason a person can act on.
 */

import { carriesSelfTestRequest, SELF_TEST_VIA_TRIGGER_REASON } from "./self-test";

/** The event is malformed; retrying will not fix it (quarantine or DLQ it with `message`). */
export class InvalidEventError extends Error {
  override readonly name = "InvalidEventError";
}

/** A validated Genesys event. */
export interface GenesysEvent<Body extends Record<string, unknown> = Record<string, unknown>> {
  /** EventBridge event id (unique per delivery to the bus). */
  id: string;
  /** Topic pattern with `{id}` placeholders, e.g. `v2.conversations.{id}.transcription`. */
  detailType: string;
  source: string;
  /** EventBridge `time` (ISO 8601). */
  time: string;
  /** Topic with real ids, e.g. `v2.conversations.5d1c....transcription`. */
  topicName: string;
  /** The topic's own payload. */
  eventBody: Body;
  /** `detail.timestamp` when present (ISO 8601). */
  timestamp?: string;
  /** `detail.metadata.CorrelationId` when present (meaning undocumented: not a business id). */
  correlationId?: string;
  /** Conversation id from the topic name or the body; undefined for non-conversation topics. */
  conversationId?: string;
  /** When the event happened: `detail.timestamp`, else the envelope `time`. */
  eventTime: Date;
  /** The envelope as received. */
  raw: Record<string, unknown>;
}

/** Options of {@link parseEnvelope}. */
export interface ParseOptions {
  /** Reject string inputs longer than this many UTF-8 bytes. @default no limit */
  maxBytes?: number;
}

/** Ids that become blob-name segments and keys: letters, digits, `-`, `_`, `.` (no `..`). */
const SAFE_ID = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Parses and validates an envelope given as JSON text (an SQS body) or an object
 * (an EventBridge/Lambda event).
 * @throws InvalidEventError
 * @example
 * const event = parseEnvelope(record.body, { maxBytes: 1_048_576 });
 * if (event.detailType === "v2.conversations.{id}.transcription") ...
 */
export function parseEnvelope(input: unknown, opts: ParseOptions = {}): GenesysEvent {
  let value = input;
  if (typeof input === "string") {
    if (opts.maxBytes !== undefined) {
      const bytes = Buffer.byteLength(input, "utf8");
      if (bytes > opts.maxBytes) throw new InvalidEventError(`body is ${bytes} bytes, over the ${opts.maxBytes}-byte limit`);
    }
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new InvalidEventError(`body is not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(value)) throw new InvalidEventError("event is not a JSON object");
  if (carriesSelfTestRequest(value)) throw new InvalidEventError(SELF_TEST_VIA_TRIGGER_REASON);
  const id = requireString(value, "id", "id");
  if (!SAFE_ID.test(id)) throw new InvalidEventError(`id "${truncate(id)}" has characters outside [A-Za-z0-9._-] or is too long`);
  const detailType = requireString(value, "detail-type", "detail-type");
  const source = requireString(value, "source", "source");
  const time = requireString(value, "time", "time");
  if (!isIsoDate(time)) throw new InvalidEventError(`time "${truncate(time)}" is not an ISO 8601 date`);
  const detail = value.detail;
  if (!isObject(detail)) throw new InvalidEventError("detail is missing or not an object");
  const topicName = requireString(detail, "topicName", "detail.topicName");
  const eventBody = detail.eventBody;
  if (!isObject(eventBody)) throw new InvalidEventError("detail.eventBody is missing or not an object");
  let timestamp: string | undefined;
  if (detail.timestamp !== undefined) {
    if (typeof detail.timestamp !== "string" || !isIsoDate(detail.timestamp)) {
      throw new InvalidEventError("detail.timestamp is not an ISO 8601 date");
    }
    timestamp = detail.timestamp;
  }
  const topicIds = matchTopic(detailType, topicName);
  const conversationId = conversationIdOf(detailType, topicIds, eventBody);
  const metadata = isObject(detail.metadata) ? detail.metadata : undefined;
  return {
    id,
    detailType,
    source,
    time,
    topicName,
    eventBody,
    timestamp,
    correlationId: typeof metadata?.CorrelationId === "string" ? metadata.CorrelationId : undefined,
    conversationId,
    eventTime: new Date(timestamp ?? time),
    raw: value,
  };
}

/** Short name of a topic pattern, e.g. `customer.end` for `v2.detail.events.conversation.{id}.customer.end`. */
export function topicSuffix(detailType: string): string {
  const at = detailType.lastIndexOf("{id}.");
  return at >= 0 ? detailType.slice(at + 5) : detailType;
}

/** Values of the `{id}` placeholders of `detailType` found in `topicName`; throws if they do not match. */
function matchTopic(detailType: string, topicName: string): string[] {
  const pattern = new RegExp(`^${detailType.split("{id}").map(escapeRegExp).join("([^.]+)")}$`);
  const match = pattern.exec(topicName);
  if (!match) throw new InvalidEventError(`detail.topicName "${truncate(topicName)}" does not match detail-type "${truncate(detailType)}"`);
  return match.slice(1);
}

function conversationIdOf(detailType: string, topicIds: string[], body: Record<string, unknown>): string | undefined {
  // The `{id}` right after "conversation(s)." is the conversation id.
  const parts = detailType.split("{id}");
  let fromTopic: string | undefined;
  for (let i = 0; i < topicIds.length; i++) {
    if (/(^|\.)conversations?\.$/.test(parts[i]!)) fromTopic = topicIds[i];
  }
  const fromBody = typeof body.conversationId === "string" && body.conversationId ? body.conversationId : undefined;
  if (fromTopic && fromBody && fromTopic !== fromBody) {
    throw new InvalidEventError(`conversation id differs between topicName (${fromTopic}) and eventBody (${truncate(fromBody)})`);
  }
  const conversationId = fromTopic ?? fromBody;
  if (conversationId !== undefined && !SAFE_ID.test(conversationId)) {
    throw new InvalidEventError(`conversation id "${truncate(conversationId)}" has characters outside [A-Za-z0-9._-]`);
  }
  return conversationId;
}

function requireString(obj: Record<string, unknown>, key: string, label: string): string {
  const value = obj[key];
  if (value === undefined || value === null) throw new InvalidEventError(`${label} is missing`);
  if (typeof value !== "string" || value.trim() === "") throw new InvalidEventError(`${label} must be a non-empty string`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isIsoDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) && !Number.isNaN(Date.parse(value));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}...` : text;
}
