/**
 * Business identity of a Genesys conversation event, shared by the interaction
 * dispatcher (execution name) and processor (idempotency key).
 *
 * Why not the EventBridge `id`: it is unique per delivery to the bus, and Genesys
 * re-sends undelivered events for up to four days, so one business event can reach
 * us under several ids. The identity is what the event is about: its topic
 * (`detail-type`), conversation, participant, session and when it happened. The same
 * event redelivered has the same identity; two different events differ in at least
 * one of these.
 */
import { createHash } from "node:crypto";
import { InvalidEventError, topicSuffix, type GenesysEvent } from "./envelope";

/** The parts of a conversation event that identify it. */
export interface InteractionEventIdentity {
  /** Versioned canonical string of the parts below (hash it, do not parse it). */
  key: string;
  conversationId: string;
  /** Undefined for events that are not about one participant. */
  participantId?: string;
  sessionId?: string;
  /** Short event type, e.g. `customer.end`. */
  eventType: string;
  /** The full topic pattern, e.g. `v2.detail.events.conversation.{id}.customer.end`. */
  detailType: string;
  /** When the event happened, epoch ms (`eventBody.eventTime`, else `detail.timestamp`, else envelope `time`). */
  eventTimeMs: number;
}

/** Step Functions execution names: at most 80 characters of `A-Za-z0-9-_`. */
export const EXECUTION_NAME_MAX_LENGTH = 80;
/** Hex characters of the identity hash in an execution name (80 bits: collisions are not a practical concern). */
const NAME_HASH_LENGTH = 20;

/**
 * The identity of a parsed event.
 * @throws InvalidEventError if the event names no conversation or has an unusable event time
 * @example const { key } = interactionEventIdentity(parseEnvelope(record.body));
 */
export function interactionEventIdentity(event: GenesysEvent): InteractionEventIdentity {
  if (!event.conversationId) {
    throw new InvalidEventError(`event ${event.id} (${event.detailType}) names no conversation: not an interaction event`);
  }
  const participantId = optionalId(event, "participantId");
  const sessionId = optionalId(event, "sessionId");
  const eventTimeMs = eventTimeOf(event);
  const eventType = topicSuffix(event.detailType);
  const key = JSON.stringify([
    "genesys-conversation-event/v1",
    event.detailType,
    event.conversationId,
    participantId ?? null,
    sessionId ?? null,
    eventTimeMs,
  ]);
  return { key, conversationId: event.conversationId, participantId, sessionId, eventType, detailType: event.detailType, eventTimeMs };
}

/**
 * A Step Functions execution name for an identity: a readable prefix
 * (`<conversationId>-<event_type>`, illegal characters replaced by `_`, cut to fit) and
 * a hash of the whole identity. The hash is always present, so names are unique per
 * identity even when the prefix was cut or had characters replaced, and a redelivery
 * always maps to the same name.
 * @example executionNameFor(identity) // "5d1c0f3e-...-customer_end-3f9a0c2b7d41e8a65c10"
 */
export function executionNameFor(identity: Pick<InteractionEventIdentity, "key" | "conversationId" | "eventType">): string {
  const hash = createHash("sha256").update(identity.key).digest("hex").slice(0, NAME_HASH_LENGTH);
  const readable = `${identity.conversationId}-${identity.eventType}`.replace(/[^A-Za-z0-9_-]/g, "_");
  const room = EXECUTION_NAME_MAX_LENGTH - NAME_HASH_LENGTH - 1;
  return `${readable.slice(0, room)}-${hash}`;
}

function optionalId(event: GenesysEvent, field: "participantId" | "sessionId"): string | undefined {
  const value = event.eventBody[field];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value)) {
    throw new InvalidEventError(`eventBody.${field} must be an id of letters, digits, ".", "_" or "-"`);
  }
  return value;
}

function eventTimeOf(event: GenesysEvent): number {
  // Conversation detail events carry eventTime as epoch ms; other topics may use ISO strings.
  const bodyTime = event.eventBody.eventTime;
  if (typeof bodyTime === "number") {
    if (!Number.isSafeInteger(bodyTime) || bodyTime <= 0) throw new InvalidEventError(`eventBody.eventTime ${bodyTime} is not epoch milliseconds`);
    return bodyTime;
  }
  if (typeof bodyTime === "string") {
    const parsed = Date.parse(bodyTime);
    if (Number.isNaN(parsed)) throw new InvalidEventError(`eventBody.eventTime "${bodyTime.slice(0, 40)}" is not a date`);
    return parsed;
  }
  return event.eventTime.getTime();
}
