/**
 * Builders of Genesys conversation detail events as the EventBridge integration
 * delivers them (genesys-facts.md). SQS records that carry them: events.ts.
 */
import { randomUUID } from "node:crypto";
import { genesysEnvelope } from "./events";

/** Fields of a conversation detail event a test cares about. */
export interface ConversationEventFields {
  conversationId?: string;
  /** Omit the participant with `participantId: null`. */
  participantId?: string | null;
  sessionId?: string;
  /** e.g. `customer.end`, `acd.start`. @default "customer.start" */
  eventType?: string;
  /** Epoch ms. @default a fixed time */
  eventTime?: number;
  /** EventBridge id (unique per delivery). @default a random UUID */
  id?: string;
}

/** A `v2.detail.events.conversation.{id}.<eventType>` envelope. */
export function conversationEvent(fields: ConversationEventFields = {}): Record<string, unknown> {
  const conversationId = fields.conversationId ?? randomUUID();
  const eventTime = fields.eventTime ?? 1_750_000_000_000;
  const eventBody: Record<string, unknown> = {
    eventTime,
    conversationId,
    sessionId: fields.sessionId ?? "session-1",
    mediaType: "MESSAGE",
    direction: "INBOUND",
  };
  if (fields.participantId !== null) eventBody.participantId = fields.participantId ?? "participant-1";
  return genesysEnvelope({
    detailType: `v2.detail.events.conversation.{id}.${fields.eventType ?? "customer.start"}`,
    ids: [conversationId],
    eventBody,
    id: fields.id,
    time: new Date(eventTime).toISOString().replace(/\.\d+Z$/, "Z"),
    timestamp: new Date(eventTime).toISOString(),
  });
}
