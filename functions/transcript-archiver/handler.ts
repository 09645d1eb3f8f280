/**
 * Transcript archiver: SQS (Genesys events) -> immutable Azure Blob vault.
 *
 * Per record:
 * 1. Validate the envelope. A malformed record (bad JSON, missing fields, over
 *    MAX_EVENT_BYTES, no conversation id) is quarantined at once as
 *    `quarantine/<yyyy>/<mm>/<dd>/<messageId>.json` with the reason and reported as
 *    success, so it is not retried forever. If the quarantine write fails, the record
 *    fails: SQS retries it and eventually moves it to the DLQ. Nothing is dropped.
 * 2. Archive the raw event: `events/<yyyy>/<mm>/<dd>/<conversationId>/<eventId>.json`
 *    (UTC date of the event time).
 * 3. For `customer.end` of a MESSAGE conversation: fetch the transcript and archive
 *    `transcripts/<conversationId>/transcript.json`, then stream each attachment to
 *    `transcripts/<conversationId>/attachments/<attachmentId>/<file name>`.
 *
 * All writes are create-only, so duplicates and retries are no-ops. A failed record
 * is reported in `batchItemFailures`; the others are not redone by SQS.
 *
 * Transcript source: `GET /api/v2/conversations/{id}/recordings` (messagingTranscript).
 * One call returns every message with its attachments; the messages API would need
 * the message ids first (not in the customer.end event), i.e. more calls per
 * conversation against a 300 requests/minute budget.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { createHash } from "node:crypto";
import { intEnv, vaultSettings } from "../shared/config";
import { InvalidEventError, parseEnvelope, type GenesysEvent } from "../shared/envelope";
import type { GenesysClient } from "../shared/genesys-client";
import { genesysClientFromEnv } from "../shared/genesys-runtime";
import type { LambdaContext, SqsBatchResponse, SqsEvent, SqsRecord } from "../shared/lambda-types";
import { correlatedLogger, errorFields, logger } from "../shared/logger";
import type { BusinessMetricName } from "../shared/metric-names";
import { BUSINESS_METRICS, countMetric, flushMetrics } from "../shared/metrics";
import { safeFileName, Vault, type WriteOutcome } from "./vault";

/** Topic whose MESSAGE conversations get their transcript archived. */
export const CUSTOMER_END_TOPIC = "v2.detail.events.conversation.{id}.customer.end";

interface TranscriptAttachment {
  id?: string;
  name?: string;
  url?: string;
  mediaType?: string;
  contentLength?: number;
  [key: string]: unknown;
}

interface TranscriptEntry {
  id?: string;
  messageMediaAttachments?: TranscriptAttachment[];
  [key: string]: unknown;
}

interface Recording {
  id?: string;
  messagingTranscript?: TranscriptEntry[];
  [key: string]: unknown;
}

/** The transcript is not available yet (e.g. 202 from the recordings API): retry later. */
export class TranscriptNotReadyError extends Error {
  override readonly name = "TranscriptNotReadyError";
}

const processor = new BatchProcessor(EventType.SQS);
let vault: Vault | undefined;
/** Conversations whose transcript and attachments this container already archived (blobs are immutable). */
const archivedTranscripts = new Set<string>();
/** Transcript work in progress, so duplicates inside one batch share it. */
const transcriptsInFlight = new Map<string, Promise<number>>();
const MAX_REMEMBERED = 10_000;

/** Lambda entry point (SQS event source with ReportBatchItemFailures). */
export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> {
  logger.addContext(context as never);
  vault ??= new Vault(vaultSettings());
  const maxEventBytes = intEnv("MAX_EVENT_BYTES");
  let genesys: GenesysClient | undefined;
  const genesysClient = () =>
    (genesys ??= genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() }));
  const response = await processPartialResponse(
    event,
    (record: SqsRecord) => archiveRecord(record, vault!, maxEventBytes, genesysClient),
    processor,
    { context: context as never, throwOnFullBatchFailure: false },
  );
  const failed = response.batchItemFailures.length;
  logger.info("batch done", { records: event.Records.length, failed });
  flushMetrics();
  return response as SqsBatchResponse;
}

async function archiveRecord(
  record: SqsRecord,
  vault: Vault,
  maxEventBytes: number,
  genesys: () => GenesysClient,
): Promise<void> {
  let event: GenesysEvent;
  try {
    event = parseEnvelope(record.body, { maxBytes: maxEventBytes });
    if (!event.conversationId) throw new InvalidEventError(`topic ${event.topicName} carries no conversation id`);
  } catch (error) {
    if (!(error instanceof InvalidEventError)) throw error;
    await quarantine(record, vault, error.message);
    return;
  }
  const conversationId = event.conversationId!;
  const log = correlatedLogger({ eventId: event.id, conversationId, sqsMessageId: record.messageId });
  try {
    const meta = { conversationid: conversationId, topic: event.topicName, eventtime: event.eventTime.toISOString(), eventid: event.id };
    const body = Buffer.from(record.body, "utf8");
    const outcome = await vault.putBytes(`events/${datePath(event.eventTime)}/${conversationId}/${event.id}.json`, body, meta);
    countArchived(outcome, BUSINESS_METRICS.eventsArchived, body.length);
    log.info("event archived", { outcome, topic: event.detailType });
    if (event.detailType === CUSTOMER_END_TOPIC && event.eventBody.mediaType === "MESSAGE") {
      const attachments = await archiveTranscriptOnce(conversationId, event, vault, genesys(), log);
      log.info("transcript archived", { attachments });
    }
  } catch (error) {
    log.error("record failed; SQS will retry it", errorFields(error));
    throw error;
  }
}

function archiveTranscriptOnce(conversationId: string, event: GenesysEvent, vault: Vault, genesys: GenesysClient, log: Logger): Promise<number> {
  if (archivedTranscripts.has(conversationId)) return Promise.resolve(0);
  let work = transcriptsInFlight.get(conversationId);
  if (!work) {
    work = archiveTranscript(conversationId, event, vault, genesys, log)
      .then((count) => {
        if (archivedTranscripts.size >= MAX_REMEMBERED) archivedTranscripts.clear();
        archivedTranscripts.add(conversationId);
        return count;
      })
      .finally(() => transcriptsInFlight.delete(conversationId));
    transcriptsInFlight.set(conversationId, work);
  }
  return work;
}

async function archiveTranscript(conversationId: string, event: GenesysEvent, vault: Vault, genesys: GenesysClient, log: Logger): Promise<number> {
  const recordings = await genesys.request<Recording[] | undefined>("GET", `/api/v2/conversations/${encodeURIComponent(conversationId)}/recordings`);
  if (!Array.isArray(recordings)) throw new TranscriptNotReadyError(`recordings of ${conversationId} are not available yet`);
  const transcripts = recordings.filter((r) => Array.isArray(r?.messagingTranscript));
  if (!transcripts.length) throw new TranscriptNotReadyError(`conversation ${conversationId} has no messaging transcript yet`);

  const base = `transcripts/${conversationId}`;
  const downloads: Array<{ blobName: string; attachment: TranscriptAttachment }> = [];
  const archived = transcripts.map((recording, r) => ({
    ...recording,
    messagingTranscript: recording.messagingTranscript!.map((entry, m) => ({
      ...entry,
      messageMediaAttachments: (entry.messageMediaAttachments ?? []).map((attachment, a) => {
        const id = attachmentIdOf(attachment, `r${r}-m${m}-a${a}`);
        const blobName = `${base}/attachments/${id}/${safeFileName(attachment.name ?? "attachment")}`;
        downloads.push({ blobName, attachment });
        // Query strings of media URLs may be credentials (pre-signed): keep them out of the vault.
        return { ...attachment, url: stripQuery(attachment.url), vaultBlobName: blobName };
      }),
    })),
  }));
  const meta = { conversationid: conversationId, topic: event.topicName, eventtime: event.eventTime.toISOString() };
  const document = { conversationId, source: `GET /api/v2/conversations/${conversationId}/recordings`, recordings: archived };
  const transcript = Buffer.from(JSON.stringify(document, null, 2));
  const outcome = await vault.putBytes(`${base}/transcript.json`, transcript, meta);
  countArchived(outcome, BUSINESS_METRICS.transcriptsArchived, transcript.length);
  log.info("transcript written", { outcome, attachments: downloads.length });

  for (const { blobName, attachment } of downloads) {
    if (!attachment.url) throw new Error(`attachment ${blobName} has no url`);
    const download = await genesys.download(attachment.url);
    const attachmentOutcome = await vault.putStream(
      blobName,
      download.body,
      { ...meta, attachmentid: attachment.id ?? "" },
      download.contentType ?? attachment.mediaType ?? "application/octet-stream",
      download.contentLength,
    );
    countArchived(attachmentOutcome, BUSINESS_METRICS.attachmentsArchived, download.contentLength ?? 0);
    log.info("attachment archived", { blobName, outcome: attachmentOutcome, bytes: download.contentLength });
  }
  return downloads.length;
}

async function quarantine(record: SqsRecord, vault: Vault, reason: string): Promise<void> {
  const sent = Number(record.attributes?.SentTimestamp ?? record.attributes?.ApproximateFirstReceiveTimestamp);
  // The SQS send time keeps the name stable across redeliveries (create-only dedupes them).
  const date = Number.isFinite(sent) && sent > 0 ? new Date(sent) : new Date();
  const messageId = safeFileName(record.messageId ?? "unknown");
  const name = `quarantine/${datePath(date)}/${messageId}.json`;
  const log = correlatedLogger({ sqsMessageId: record.messageId });
  const document = {
    reason,
    messageId: record.messageId,
    eventSourceARN: record.eventSourceARN,
    sentTimestamp: record.attributes?.SentTimestamp,
    approximateReceiveCount: record.attributes?.ApproximateReceiveCount,
    bodySha256: createHash("sha256").update(record.body ?? "").digest("hex"),
    body: record.body,
  };
  try {
    const outcome = await vault.putBytes(name, Buffer.from(JSON.stringify(document)), { reason: reason.slice(0, 256), messageid: record.messageId });
    if (outcome === "created") countMetric(BUSINESS_METRICS.recordsQuarantined);
    log.warn("malformed record quarantined", { reason, blobName: name, outcome });
  } catch (error) {
    log.error("quarantine write failed; SQS will retry the record", { reason, ...errorFields(error) });
    throw error;
  }
}

/** Counts a blob this invocation newly wrote (a duplicate delivery adds nothing). */
function countArchived(outcome: WriteOutcome, metric: BusinessMetricName, bytes: number): void {
  if (outcome !== "created") return;
  countMetric(metric);
  countMetric(BUSINESS_METRICS.bytesArchived, bytes, "Bytes");
}

/** `yyyy/mm/dd` in UTC. */
function datePath(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, "/");
}

function attachmentIdOf(attachment: TranscriptAttachment, fallback: string): string {
  const id = typeof attachment.id === "string" ? attachment.id : "";
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id) && !id.includes("..")) return id;
  // Missing or unsafe id: a stable one derived from it (or from the URL path and position).
  const seed = id || `${stripQuery(attachment.url) ?? ""}|${fallback}`;
  return `h-${createHash("sha256").update(seed).digest("hex").slice(0, 32)}`;
}

function stripQuery(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}
