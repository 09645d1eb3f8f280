/**
 * Builders of Genesys conversation detail events as the EventBridge integration
 * delivers them (genesys-facts.md), and of SQS records carrying them.
 */
import { randomUUID } from "node:crypto";

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
  const eventType = fields.eventType ?? "customer.start";
  const eventTime = fields.eventTime ?? 1_750_000_000_000;
  const eventBody: Record<string, unknown> = {
    eventTime,
    conversationId,
    sessionId: fields.sessionId ?? "session-1",
    mediaType: "MESSAGE",
    direction: "INBOUND",
  };
  if (fields.participantId !== null) eventBody.participantId = fields.participantId ?? "participant-1";
  return {
    version: "0",
    id: fields.id ?? randomUUID(),
    "detail-type": `v2.detail.events.conversation.{id}.${eventType}`,
    source: "aws.partner/genesys.com/cloud/org-1/interactions",
    account: "123456789012",
    time: new Date(eventTime).toISOString().replace(/\.\d+Z$/, "Z"),
    region: "us-east-1",
    resources: [],
    detail: {
      topicName: `v2.detail.events.conversation.${conversationId}.${eventType}`,
      version: "2",
      eventBody,
      metadata: { CorrelationId: randomUUID() },
      timestamp: new Date(eventTime).toISOString(),
    },
  };
}

/** An SQS record (as the event source mapping delivers it) whose body is `body`. */
export function sqsRecord(body: unknown, messageId: string = randomUUID()): Record<string, unknown> {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: "1750000000000" },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:interaction-events",
    awsRegion: "us-east-1",
  };
}

/** An SQS batch of records. */
export function sqsBatch(records: Array<Record<string, unknown>>): { Records: Array<Record<string, unknown>> } {
  return { Records: records };
}
