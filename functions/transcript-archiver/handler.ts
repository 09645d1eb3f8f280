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
 * 3. For `customer.end` of a MESSAGE conversation: unless its manifest exists, fetch
 *    the transcript and archive `transcripts/<conversationId>/transcript.json`, then
 *    stream each attachment to `transcripts/<conversationId>/attachments/<attachmentId>/<file name>`,
 *    checking its size (and Content-MD5 if sent) against the transcript: a mismatch fails
 *    the record and commits nothing. Last, write `transcripts/<conversationId>/manifest.json`
 *    listing every blob with size and SHA-256: its presence means "complete".
 *    Blobs left by an earlier attempt are accepted when they match; a conflict fails the
 *    record loudly (VaultIntegrityError) and no manifest is written.
 *
 * All writes are create-only, so duplicates and retries are no-ops. A failed record
 * is reported in `batchItemFailures`; the others are not redone by SQS. Time guard: no
 * record or attachment starts with less than TIME_GUARD_MS left, and records still
 * running at that point are reported as failures, so finished ones are acked.
 *
 * Transcript source: `GET /api/v2/conversations/{id}/recordings` (messagingTranscript).
 * One call returns every message with its attachments; the messages API would need
 * the message ids first (not in the customer.end event), i.e. more calls per
 * conversation against a 300 requests/minute budget.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { createHash } from "node:crypto";
import { intEnv, vaultSettings } from "../shared/config";
import { InvalidEventError, parseEnvelope, type GenesysEvent } from "../shared/envelope";
import type { GenesysClient } from "../shared/genesys-client";
import { genesysClientFromEnv } from "../shared/genesys-runtime";
import type { LambdaContext, SqsBatchResponse, SqsEvent, SqsRecord } from "../shared/lambda-types";
import { errorFields, lazyCorrelatedLogger, logger, type CorrelatedLog } from "../shared/logger";
import type { BusinessMetricName } from "../shared/metric-names";
import { BUSINESS_METRICS, countMetric, flushMetrics } from "../shared/metrics";
import { isSelfTestInvocation, type SelfTestRequest, type SelfTestResponse } from "../shared/self-test";
import { answerSelfTest } from "../shared/self-test-checks";
import { TimeGuard } from "../shared/time-guard";
import { archiverChecks } from "./self-test";
import { safeFileName, Vault, VaultIntegrityError, type IndexTags, type ListedBlob, type WriteOutcome } from "./vault";

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

/** Lambda entry point (SQS event source with ReportBatchItemFailures; or a direct self-test invocation). */
export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse>;
export async function handler(event: SelfTestRequest, context: LambdaContext): Promise<SelfTestResponse>;
export async function handler(event: SqsEvent | SelfTestRequest, context: LambdaContext): Promise<SqsBatchResponse | SelfTestResponse> {
  logger.addContext(context as never);
  vault ??= new Vault(vaultSettings());
  if (isSelfTestInvocation(event)) {
    let genesys: GenesysClient | undefined;
    return answerSelfTest(event, context, (runId) =>
      archiverChecks({
        runId,
        functionName: context.functionName,
        vaultSettings: vaultSettings(),
        genesys: () => (genesys ??= genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() })),
        vault: () => vault!,
      }),
    );
  }
  return archiveBatch(event as SqsEvent, context, vault);
}

async function archiveBatch(event: SqsEvent, context: LambdaContext, vault: Vault): Promise<SqsBatchResponse> {
  const maxEventBytes = intEnv("MAX_EVENT_BYTES");
  const guard = new TimeGuard(() => context.getRemainingTimeInMillis(), intEnv("TIME_GUARD_MS"));
  let genesys: GenesysClient | undefined;
  const genesysClient = () => (genesys ??= genesysClientFromEnv({ remainingTimeMs: () => guard.remainingMs() }));
  try {
    const response = await processPartialResponse(
      event,
      (record: SqsRecord) => guard.race(archiveRecord(record, vault, maxEventBytes, genesysClient, guard), `record ${record.messageId}`),
      processor,
      { context: context as never, throwOnFullBatchFailure: false },
    );
    const failed = response.batchItemFailures.length;
    logger.info("batch done", { records: event.Records.length, failed });
    return response as SqsBatchResponse;
  } finally {
    guard.dispose();
    flushMetrics();
  }
}

async function archiveRecord(
  record: SqsRecord,
  vault: Vault,
  maxEventBytes: number,
  genesys: () => GenesysClient,
  guard: TimeGuard,
): Promise<void> {
  guard.check(`record ${record.messageId}`);
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
  const log = lazyCorrelatedLogger({ eventId: event.id, conversationId, sqsMessageId: record.messageId });
  try {
    const meta = { conversationid: conversationId, topic: event.topicName, eventtime: event.eventTime.toISOString(), eventid: event.id };
    const body = Buffer.from(record.body, "utf8");
    const { outcome } = await vault.putBytes(`events/${datePath(event.eventTime)}/${conversationId}/${event.id}.json`, body, meta, indexTags(event, "event"));
    countArchived(outcome, BUSINESS_METRICS.eventsArchived, body.length);
    log.info("event archived", { outcome, topic: event.detailType });
    if (event.detailType === CUSTOMER_END_TOPIC && event.eventBody.mediaType === "MESSAGE") {
      const attachments = await archiveTranscriptOnce(conversationId, event, vault, genesys(), log, guard);
      log.info("transcript archived", { attachments });
    }
  } catch (error) {
    if (error instanceof VaultIntegrityError) log.error("VAULT INTEGRITY: record failed, nothing committed for the mismatching blob", errorFields(error));
    else log.error("record failed; SQS will retry it", errorFields(error));
    throw error;
  }
}

function archiveTranscriptOnce(conversationId: string, event: GenesysEvent, vault: Vault, genesys: GenesysClient, log: CorrelatedLog, guard: TimeGuard): Promise<number> {
  if (archivedTranscripts.has(conversationId)) return Promise.resolve(0);
  let work = transcriptsInFlight.get(conversationId);
  if (!work) {
    work = archiveTranscript(conversationId, event, vault, genesys, log, guard)
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

/** One line of the manifest. */
interface ManifestEntry {
  name: string;
  size: number;
  sha256: string;
}

async function archiveTranscript(conversationId: string, event: GenesysEvent, vault: Vault, genesys: GenesysClient, log: CorrelatedLog, guard: TimeGuard): Promise<number> {
  const base = `transcripts/${conversationId}`;
  const manifestName = `${base}/manifest.json`;
  // What an earlier attempt left (list-only credential: names, sizes, stored hashes).
  const existing = await vault.list(`${base}/`);
  if (existing.has(manifestName)) {
    log.info("conversation already complete (manifest present)", { manifestName });
    return 0;
  }

  const recordings = await genesys.request<Recording[] | undefined>("GET", `/api/v2/conversations/${encodeURIComponent(conversationId)}/recordings`);
  if (!Array.isArray(recordings)) throw new TranscriptNotReadyError(`recordings of ${conversationId} are not available yet`);
  const transcripts = recordings.filter((r) => Array.isArray(r?.messagingTranscript));
  if (!transcripts.length) throw new TranscriptNotReadyError(`conversation ${conversationId} has no messaging transcript yet`);

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
  const entries: ManifestEntry[] = [];

  const transcriptName = `${base}/transcript.json`;
  const earlierTranscript = existing.get(transcriptName);
  if (earlierTranscript) {
    // The transcript written by an earlier attempt stands (create-only); it is listed as stored.
    entries.push(acceptEarlier(earlierTranscript, undefined));
  } else {
    const document = { conversationId, source: `GET /api/v2/conversations/${conversationId}/recordings`, recordings: archived };
    const transcript = Buffer.from(JSON.stringify(document, null, 2));
    const written = await vault.putBytes(transcriptName, transcript, meta, indexTags(event, "transcript"));
    countArchived(written.outcome, BUSINESS_METRICS.transcriptsArchived, transcript.length);
    // A concurrent writer's transcript may differ harmlessly (e.g. media URL paths): list it as stored.
    entries.push(await entryOf(vault, transcriptName, written, undefined, base, false));
    log.info("transcript written", { outcome: written.outcome, attachments: downloads.length });
  }

  for (const { blobName, attachment } of downloads) {
    const announced = typeof attachment.contentLength === "number" ? attachment.contentLength : undefined;
    const earlier = existing.get(blobName);
    if (earlier) {
      entries.push(acceptEarlier(earlier, announced));
      continue;
    }
    guard.check(`attachment ${blobName}`);
    if (!attachment.url) throw new Error(`attachment ${blobName} has no url`);
    const download = await genesys.download(attachment.url);
    if (announced !== undefined && download.contentLength !== undefined && download.contentLength !== announced) {
      await download.body.cancel().catch(() => undefined);
      throw new VaultIntegrityError(`download for ${blobName} announces ${download.contentLength} bytes, the transcript says ${announced}; nothing committed`);
    }
    const written = await vault.putStream(
      blobName,
      download.body,
      { ...meta, attachmentid: attachment.id ?? "" },
      download.contentType ?? attachment.mediaType ?? "application/octet-stream",
      indexTags(event, "attachment"),
      { length: announced ?? download.contentLength, md5Base64: download.contentMd5, signal: guard.signal },
    );
    countArchived(written.outcome, BUSINESS_METRICS.attachmentsArchived, written.size);
    entries.push(await entryOf(vault, blobName, written, announced, base, true));
    log.info("attachment archived", { blobName, outcome: written.outcome, bytes: written.size });
  }

  const manifest = { conversationId, blobs: entries, blobCount: entries.length, writtenAt: new Date().toISOString() };
  const { outcome } = await vault.putBytes(manifestName, Buffer.from(JSON.stringify(manifest, null, 2)), meta, indexTags(event, "manifest"));
  log.info("manifest written", { manifestName, outcome, blobs: entries.length });
  return downloads.length;
}

/** A blob an earlier attempt committed: accepted if it matches what the transcript announces, else a loud failure. */
function acceptEarlier(blob: ListedBlob, announcedSize: number | undefined): ManifestEntry {
  if (!blob.sha256) throw new VaultIntegrityError(`vault blob ${blob.name} exists without a sha256 in its metadata; it cannot be verified`);
  if (announcedSize !== undefined && blob.size !== announcedSize) {
    throw new VaultIntegrityError(
      `vault blob ${blob.name} holds ${blob.size} bytes but the transcript announces ${announcedSize}; the immutable blob cannot be replaced: no manifest is written, see docs/operations.md`,
    );
  }
  return { name: blob.name, size: blob.size, sha256: blob.sha256 };
}

/** The manifest line of a blob this call wrote, or, if it raced with another writer, of the stored blob. */
async function entryOf(vault: Vault, name: string, written: { outcome: string; sha256: string; size: number }, announcedSize: number | undefined, base: string, mustMatch: boolean): Promise<ManifestEntry> {
  if (written.outcome === "created") return { name, size: written.size, sha256: written.sha256 };
  const stored = (await vault.list(`${base}/`)).get(name);
  if (!stored) throw new Error(`vault blob ${name} answered "already exists" but is not listed`);
  const entry = acceptEarlier(stored, announcedSize);
  if (mustMatch && entry.sha256 !== written.sha256) {
    throw new VaultIntegrityError(`vault blob ${name} already holds content with sha256 ${entry.sha256}, not the ${written.sha256} just received; no manifest is written`);
  }
  return entry;
}

async function quarantine(record: SqsRecord, vault: Vault, reason: string): Promise<void> {
  const sent = Number(record.attributes?.SentTimestamp ?? record.attributes?.ApproximateFirstReceiveTimestamp);
  // The SQS send time keeps the name stable across redeliveries (create-only dedupes them).
  const date = Number.isFinite(sent) && sent > 0 ? new Date(sent) : new Date();
  const messageId = safeFileName(record.messageId ?? "unknown");
  const name = `quarantine/${datePath(date)}/${messageId}.json`;
  const log = lazyCorrelatedLogger({ sqsMessageId: record.messageId });
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
    const { outcome } = await vault.putBytes(name, Buffer.from(JSON.stringify(document)), { reason: reason.slice(0, 256), messageid: record.messageId }, { kind: "quarantine", date: isoDay(date) });
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The index tags of a blob written for `event`: ids, the UTC day and the media type, never
 * personal data. For transcript blobs the event is the conversation's customer.end, so the
 * day is the conversation's end.
 */
function indexTags(event: GenesysEvent, kind: IndexTags["kind"]): IndexTags {
  const body = event.eventBody as { mediaType?: unknown; queueId?: unknown };
  return {
    conversationId: event.conversationId,
    kind,
    date: isoDay(event.eventTime),
    mediaType: typeof body.mediaType === "string" ? body.mediaType.toLowerCase() : undefined,
    queueId: typeof body.queueId === "string" && UUID.test(body.queueId) ? body.queueId : undefined,
  };
}

/** `yyyy-mm-dd` in UTC. */
function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
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
