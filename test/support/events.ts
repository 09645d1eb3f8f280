/**
 * Builders of Genesys EventBridge envelopes and the SQS records/batches that carry
 * them, shaped as in genesys-facts.md. Deterministic unless told otherwise.
 *
 * @example
 * const event = customerEndEvent({ conversationId: "c-1", mediaType: "MESSAGE" });
 * const batch = sqsBatch([sqsRecord(JSON.stringify(event))]);
 */
import { randomUUID } from "node:crypto";
import type { SqsEvent, SqsRecord } from "../../functions/shared/lambda-types";

const SOURCE = "aws.partner/genesys.com/cloud/11111111-2222-3333-4444-555555555555/vault-test";

/** An envelope for `detailType` whose `{id}` placeholders are filled with `ids` in order. */
export function genesysEnvelope(opts: {
  detailType: string;
  ids: string[];
  eventBody: Record<string, unknown>;
  id?: string;
  time?: string;
  timestamp?: string;
}): Record<string, unknown> {
  let index = 0;
  const topicName = opts.detailType.replace(/\{id\}/g, () => opts.ids[index++] ?? "missing-id");
  const time = opts.time ?? "2024-05-01T10:15:30Z";
  return {
    version: "0",
    id: opts.id ?? randomUUID(),
    "detail-type": opts.detailType,
    source: SOURCE,
    account: "123456789012",
    time,
    region: "us-east-1",
    resources: [],
    detail: {
      topicName,
      version: "2",
      eventBody: opts.eventBody,
      metadata: { CorrelationId: randomUUID() },
      timestamp: opts.timestamp ?? time.replace("Z", ".123Z"),
    },
  };
}

/** `v2.detail.events.conversation.{id}.customer.end` (upper-case enums, epoch-ms eventTime). */
export function customerEndEvent(opts: { conversationId: string; mediaType?: string; id?: string; time?: string }): Record<string, unknown> {
  const time = opts.time ?? "2024-05-01T10:15:30Z";
  return genesysEnvelope({
    detailType: "v2.detail.events.conversation.{id}.customer.end",
    ids: [opts.conversationId],
    id: opts.id,
    time,
    eventBody: {
      eventTime: Date.parse(time),
      conversationId: opts.conversationId,
      participantId: "p-customer",
      sessionId: "s-1",
      mediaType: opts.mediaType ?? "MESSAGE",
      direction: "INBOUND",
      disconnectType: "CLIENT",
      messageType: "WEBMESSAGING",
    },
  });
}

/** `v2.conversations.{id}.transcription` (ISO times). */
export function transcriptionEvent(opts: { conversationId: string; id?: string; time?: string }): Record<string, unknown> {
  const time = opts.time ?? "2024-05-01T10:15:30Z";
  return genesysEnvelope({
    detailType: "v2.conversations.{id}.transcription",
    ids: [opts.conversationId],
    id: opts.id,
    time,
    eventBody: {
      eventTime: time,
      organizationId: "11111111-2222-3333-4444-555555555555",
      conversationId: opts.conversationId,
      communicationId: "comm-1",
      sessionStartTimeMs: Date.parse(time) - 60_000,
      transcriptionStartTimeMs: Date.parse(time) - 59_000,
      transcripts: [{ utteranceId: "u-1", isFinal: true, channel: "EXTERNAL", alternatives: [{ confidence: 0.92, transcript: "I need help with my order" }] }],
      status: { status: "SESSION_ONGOING" },
    },
  });
}

/** An SQS record carrying `body` (a string as is, anything else as JSON; SentTimestamp fixed unless given). */
export function sqsRecord(body: unknown, opts: { messageId?: string; sentTimestamp?: number; receiveCount?: number } = {}): SqsRecord {
  return {
    messageId: opts.messageId ?? randomUUID(),
    receiptHandle: `rh-${randomUUID()}`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(opts.receiveCount ?? 1),
      SentTimestamp: String(opts.sentTimestamp ?? Date.parse("2024-05-01T10:15:31Z")),
      ApproximateFirstReceiveTimestamp: String((opts.sentTimestamp ?? Date.parse("2024-05-01T10:15:31Z")) + 5),
      SenderId: "AIDAEXAMPLE",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:transcript-vault",
    awsRegion: "us-east-1",
  };
}

/** An SQS batch of records. */
export function sqsBatch(records: SqsRecord[]): SqsEvent {
  return { Records: records };
}
