/**
 * Vault reconciler: proves, on a schedule, that every ended MESSAGE conversation is
 * in the vault, and backfills the ones that are not.
 *
 * 1. Window: conversations whose conversationEnd lies in
 *    [now - RECONCILE_SETTLE_MINUTES - RECONCILE_WINDOW_HOURS, now - RECONCILE_SETTLE_MINUTES),
 *    `now` being the scheduled time (so consecutive runs tile time). A manual invocation
 *    may pass `{"window": {"start": ISO, "end": ISO}, "dryRun": true}`.
 * 2. Expected: the analytics details query (first interval reaching RECONCILE_LOOKBACK_HOURS
 *    back, for conversations open at the window start), paged, within RECONCILE_REQUESTS_PER_MINUTE
 *    (its share of the Genesys rate budget); 429s are waited out (Retry-After).
 * 3. Archived: `transcripts/<id>/manifest.json` exists, checked with the list-only SAS
 *    (it proves existence, it cannot read or change content).
 * 4. Missing: re-enqueued into the archiver's queue as a synthetic `customer.end`
 *    (`id` = `reconciler-<conversationId>`, source `gcv.vault-reconciler`). Create-only
 *    writes make this idempotent. DRY_RUN=true only reports.
 * 5. Metrics (EMF, the environment's namespace, shared/metric-names.ts): ConversationsExpected,
 *    ConversationsArchived, ConversationsMissing, ConversationsBackfilled, MissingAfterBackfill
 *    (missing although an earlier backfill of it was archived: its event blob exists; alarmed).
 */
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { RestError } from "@azure/storage-blob";
import { booleanEnv, intEnv, optionalEnv, requireEnv, vaultListerSettings } from "../shared/config";
import type { GenesysClient } from "../shared/genesys-client";
import { genesysClientFromEnv } from "../shared/genesys-runtime";
import type { LambdaContext } from "../shared/lambda-types";
import { errorFields, logger } from "../shared/logger";
import { BUSINESS_METRICS, flushMetrics, tallyMetric } from "../shared/metrics";
import { carriesSelfTestRequest, isSelfTestInvocation, SELF_TEST_VIA_TRIGGER_REASON, type SelfTestRequest, type SelfTestResponse } from "../shared/self-test";
import { answerSelfTest } from "../shared/self-test-checks";
import { TimeGuard } from "../shared/time-guard";
import { containerAccess, type ContainerAccess } from "../shared/vault-credential";
import { findEndedConversations, Pacer } from "./analytics";
import { reconcilerChecks } from "./self-test";

/** What the schedule (EventBridge) or an operator sends. */
export interface ReconcileEvent {
  /** Scheduled events: the scheduled time. */
  time?: string;
  /** Manual run: an explicit window of conversationEnd. */
  window?: { start: string; end: string };
  /** Manual run: report only. */
  dryRun?: boolean;
}

/** What one run found (also the function's result). */
export interface ReconcileReport {
  window: { start: string; end: string };
  dryRun: boolean;
  expected: number;
  archived: number;
  missing: number;
  backfilled: number;
  missingAfterBackfill: number;
  analyticsRequests: number;
  /** Up to 100 missing conversation ids, for the operator. */
  missingIds: string[];
}

const CUSTOMER_END = "v2.detail.events.conversation.{id}.customer.end";
export const SYNTHETIC_SOURCE = "gcv.vault-reconciler";
/** Vault existence checks in parallel. */
const CHECK_CONCURRENCY = 16;

let lister: ContainerAccess | undefined;
let sqs: SQSClient | undefined;

/** Lambda entry point (EventBridge schedule or manual invocation; or a direct self-test invocation). */
export async function handler(event: ReconcileEvent | undefined, context: LambdaContext): Promise<ReconcileReport>;
export async function handler(event: SelfTestRequest, context: LambdaContext): Promise<SelfTestResponse>;
export async function handler(event: ReconcileEvent | SelfTestRequest = {}, context: LambdaContext): Promise<ReconcileReport | SelfTestResponse> {
  logger.addContext(context as never);
  if (isSelfTestInvocation(event)) {
    let genesys: GenesysClient | undefined;
    return answerSelfTest(event, context, (runId) =>
      reconcilerChecks({
        runId,
        auth: optionalEnv("AZURE_VAULT_AUTH") === "federated" ? "federated" : "sas",
        genesys: () => (genesys ??= genesysClientFromEnv({ remainingTimeMs: () => context.getRemainingTimeInMillis() })),
        lister: () => (lister ??= containerAccess(vaultListerSettings())),
      }),
    );
  }
  if (carriesSelfTestRequest(event)) {
    logger.error("event refused", { reason: SELF_TEST_VIA_TRIGGER_REASON });
    throw new Error(SELF_TEST_VIA_TRIGGER_REASON);
  }
  return run(event as ReconcileEvent, context);
}

async function run(event: ReconcileEvent, context: LambdaContext): Promise<ReconcileReport> {
  const guard = new TimeGuard(() => context.getRemainingTimeInMillis(), intEnv("TIME_GUARD_MS"));
  try {
    const report = await reconcile(event, guard);
    logger[report.missingAfterBackfill ? "error" : report.missing ? "warn" : "info"]("reconciliation done", { ...report });
    return report;
  } catch (error) {
    logger.error("reconciliation failed", errorFields(error));
    throw error;
  } finally {
    guard.dispose();
    flushMetrics();
  }
}

async function reconcile(event: ReconcileEvent, guard: TimeGuard): Promise<ReconcileReport> {
  const window = windowOf(event);
  const dryRun = event.dryRun ?? booleanEnv("DRY_RUN");
  const queueUrl = requireEnv("ARCHIVER_QUEUE_URL");
  lister ??= containerAccess(vaultListerSettings());
  const genesys = genesysClientFromEnv({ remainingTimeMs: () => guard.remainingMs() });

  const { ended, requests } = await findEndedConversations({
    genesys,
    window,
    sliceMs: intEnv("RECONCILE_SLICE_MINUTES") * 60_000,
    lookbackMs: intEnv("RECONCILE_LOOKBACK_HOURS") * 3_600_000,
    pageSize: intEnv("RECONCILE_PAGE_SIZE"),
    pacer: new Pacer(intEnv("RECONCILE_REQUESTS_PER_MINUTE")),
    guard,
  });
  tallyMetric(BUSINESS_METRICS.conversationsExpected, ended.size);

  const missing: Array<{ conversationId: string; end: number; backfilledBefore: boolean }> = [];
  const ids = [...ended.keys()];
  await pool(ids, CHECK_CONCURRENCY, async (conversationId) => {
    guard.check(`vault check of ${conversationId}`);
    const end = ended.get(conversationId)!;
    if (await exists(lister!, `transcripts/${conversationId}/manifest.json`)) return;
    missing.push({ conversationId, end, backfilledBefore: await exists(lister!, backfillEventBlob(conversationId, end)) });
  });
  missing.sort((a, b) => a.end - b.end);
  const missingAfterBackfill = missing.filter((m) => m.backfilledBefore);
  tallyMetric(BUSINESS_METRICS.conversationsArchived, ended.size - missing.length);
  tallyMetric(BUSINESS_METRICS.conversationsMissing, missing.length);
  tallyMetric(BUSINESS_METRICS.missingAfterBackfill, missingAfterBackfill.length);
  if (missingAfterBackfill.length) {
    logger.error("conversations still missing after a backfill was archived: the archiver cannot complete them (see its DLQ and VAULT INTEGRITY logs)", {
      conversationIds: missingAfterBackfill.slice(0, 100).map((m) => m.conversationId),
    });
  }

  let backfilled = 0;
  if (!dryRun) {
    for (let i = 0; i < missing.length; i += 10) backfilled += await enqueue(queueUrl, missing.slice(i, i + 10));
  }
  tallyMetric(BUSINESS_METRICS.conversationsBackfilled, backfilled);

  return {
    window: { start: new Date(window.start).toISOString(), end: new Date(window.end).toISOString() },
    dryRun,
    expected: ended.size,
    archived: ended.size - missing.length,
    missing: missing.length,
    backfilled,
    missingAfterBackfill: missingAfterBackfill.length,
    analyticsRequests: requests,
    missingIds: missing.slice(0, 100).map((m) => m.conversationId),
  };
}

/** The window of conversationEnd this run covers. */
export function windowOf(event: ReconcileEvent, now = Date.now()): { start: number; end: number } {
  if (event.window) {
    const start = Date.parse(event.window.start);
    const end = Date.parse(event.window.end);
    if (!(start < end)) throw new Error(`window ${JSON.stringify(event.window)}: start and end must be ISO dates, start before end`);
    return { start, end };
  }
  const scheduled = event.time ? Date.parse(event.time) : Number.NaN;
  const end = (Number.isFinite(scheduled) ? scheduled : now) - intEnv("RECONCILE_SETTLE_MINUTES") * 60_000;
  return { start: end - intEnv("RECONCILE_WINDOW_HOURS") * 3_600_000, end };
}

/** The event blob the archiver writes for a backfill of this conversation. */
export function backfillEventBlob(conversationId: string, end: number): string {
  const date = new Date(end).toISOString().slice(0, 10).replace(/-/g, "/");
  return `events/${date}/${conversationId}/reconciler-${conversationId}.json`;
}

/** A synthetic `customer.end` envelope the archiver accepts like a Genesys one. */
export function syntheticCustomerEnd(conversationId: string, end: number): Record<string, unknown> {
  const time = new Date(end).toISOString();
  return {
    version: "0",
    id: `reconciler-${conversationId}`,
    "detail-type": CUSTOMER_END,
    source: SYNTHETIC_SOURCE,
    time,
    resources: [],
    detail: {
      topicName: CUSTOMER_END.replace("{id}", conversationId),
      version: "2",
      eventBody: { eventTime: end, conversationId, mediaType: "MESSAGE", synthetic: true },
      metadata: { CorrelationId: `reconciler-${conversationId}` },
      timestamp: time,
    },
  };
}

async function enqueue(queueUrl: string, batch: Array<{ conversationId: string; end: number }>): Promise<number> {
  sqs ??= new SQSClient({});
  let entries = batch.map((m, i) => ({ Id: String(i), MessageBody: JSON.stringify(syntheticCustomerEnd(m.conversationId, m.end)) }));
  for (let attempt = 1; ; attempt++) {
    const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    const failed = new Set((result.Failed ?? []).map((f) => f.Id));
    if (!failed.size) return batch.length;
    if (attempt === 3) throw new Error(`could not enqueue ${failed.size} backfill(s) into ${queueUrl}: ${(result.Failed ?? []).map((f) => f.Code).join(", ")}`);
    entries = entries.filter((e) => failed.has(e.Id));
  }
}

/** Whether blob `name` exists (one List Blobs call); a 403 re-reads the credential once (it may have been rotated). */
async function exists(access: ContainerAccess, name: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const container = await access.container({ refresh: attempt > 1 });
    try {
      const page = await container.listBlobsFlat({ prefix: name }).byPage({ maxPageSize: 1 }).next();
      return !page.done && page.value.segment.blobItems.some((b) => b.name === name);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 403 && attempt === 1) continue;
      const url = new URL(container.url);
      const reason = error instanceof RestError ? `HTTP ${error.statusCode ?? "no response"} ${error.code ?? ""}` : String(error);
      throw new Error(`listing ${url.host}${url.pathname}/${name} with ${access.describe()} failed: ${reason}`.trim(), { cause: error });
    }
  }
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
