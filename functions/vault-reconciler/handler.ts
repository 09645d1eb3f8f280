/**
 * Vault reconciler: proves, on a schedule, that every ended MESSAGE conversation is
 * in the vault, and backfills the ones that are not.
 *
 * 1. Window: conversations whose conversationEnd lies in
 *    [now - RECONCILE_SETTLE_MINUTES - RECONCILE_WINDOW_HOURS, now - RECONCILE_SETTLE_MINUTES),
 *    `now` being the scheduled time (so consecutive runs tile time). A manual invocation
 *    may pass `{"window": {"start": ISO, "end": ISO}, "dryRun": true}`.
 * 2. Expected: the analytics details query, searching conversations that started up to
 *    RECONCILE_MAX_CONVERSATION_DAYS before the window (analytics.ts), one page at a time within
 *    RECONCILE_REQUESTS_PER_MINUTE (its share of the Genesys rate budget, retries included);
 *    429s are waited out (Retry-After), 5xx and timeouts retried with backoff. Conversations that
 *    will have lasted longer than that when they end are counted (ConversationsOutlastingSearch) and logged.
 * 3. Archived: `transcripts/<id>/manifest.json` exists, checked with the list-only SAS
 *    (it proves existence, it cannot read or change content).
 * 4. Missing: re-enqueued into the archiver's queue as a synthetic `customer.end`
 *    (`id` = `reconciler-<conversationId>`, source `gcv.vault-reconciler`), page by page. Create-only
 *    writes make this idempotent. DRY_RUN=true only reports. Backfills SQS keeps refusing are named
 *    and fail the invocation after every other backfill was sent and the metrics were emitted.
 * 5. Progress: the run's cursor and totals are checkpointed after every page (checkpoint.ts); an
 *    invocation that reaches TIME_GUARD_MS hands the run over to an asynchronous invocation of
 *    itself, which continues at the cursor; a duplicate continuation does nothing. A scheduled run
 *    whose continuation was lost is reported (by failing) by the next scheduled run.
 * 6. Metrics (EMF, the environment's namespace, shared/metric-names.ts), per invocation (their sums
 *    are the run's): ConversationsExpected, ConversationsArchived, ConversationsMissing,
 *    ConversationsBackfilled, MissingAfterBackfill (missing although an earlier backfill of it was
 *    archived: its event blob exists; alarmed), ConversationsOutlastingSearch, BackfillsFailed.
 */
import { randomUUID } from "node:crypto";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
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
import { TimeBudgetError, TimeGuard } from "../shared/time-guard";
import { containerAccess, type ContainerAccess } from "../shared/vault-credential";
import { nextPage, Pacer, type PageResult, searchPlan } from "./analytics";
import { CheckpointStore, INITIAL_HANDOFF, type RunState, type RunTotals } from "./checkpoint";
import { reconcilerChecks } from "./self-test";

/** What the schedule (EventBridge) or an operator sends, or what the function sends itself. */
export interface ReconcileEvent {
  /** Scheduled events: the scheduled time. */
  time?: string;
  /** Manual run: an explicit window of conversationEnd. */
  window?: { start: string; end: string };
  /** Manual run: report only. */
  dryRun?: boolean;
  /** A continuation of a run (sent by the function itself). */
  continuation?: { runId: string; handoff: string };
}

/** Where a run stands after this invocation (also the function's result). */
export interface ReconcileReport extends RunTotals {
  runId: string;
  window: { start: string; end: string };
  dryRun: boolean;
  /** complete: the run is finished; continued: handed over to a continuation; skipped: a duplicate delivery did nothing. */
  status: "complete" | "continued" | "skipped";
  invocations: number;
  /** Up to 100 missing conversation ids, for the operator. */
  missingIds: string[];
}

const CUSTOMER_END = "v2.detail.events.conversation.{id}.customer.end";
export const SYNTHETIC_SOURCE = "gcv.vault-reconciler";
/** Vault existence checks in parallel. */
const CHECK_CONCURRENCY = 16;
/** Attempts of one SendMessageBatch entry. */
const ENQUEUE_ATTEMPTS = 3;

let lister: ContainerAccess | undefined;
let sqs: SQSClient | undefined;
let lambda: LambdaClient | undefined;

/** Lambda entry point (EventBridge schedule, manual invocation or continuation; or a direct self-test invocation). */
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
    const report = await reconcile(event, guard, context);
    const level = report.missingAfterBackfill ? "error" : report.missing || report.outlasting ? "warn" : "info";
    logger[level](report.status === "continued" ? "reconciliation continues in a new invocation" : report.status === "skipped" ? "reconciliation skipped" : "reconciliation done", { ...report });
    return report;
  } catch (error) {
    logger.error("reconciliation failed", errorFields(error));
    throw error;
  } finally {
    guard.dispose();
    flushMetrics();
  }
}

async function reconcile(event: ReconcileEvent, guard: TimeGuard, context: LambdaContext): Promise<ReconcileReport> {
  const store = new CheckpointStore(requireEnv("IDEMPOTENCY_TABLE_NAME"));
  const state = await claimRun(event, store, context);
  if (!state.claimed) return reportOf(state.state, "skipped");
  const stalled = state.stalledPrevious;
  const run = state.state;
  const held = run.handoff;
  run.invocations++;

  const queueUrl = requireEnv("ARCHIVER_QUEUE_URL");
  lister ??= containerAccess(vaultListerSettings());
  const pacer = new Pacer(intEnv("RECONCILE_REQUESTS_PER_MINUTE"), { lastStart: run.lastRequestAt });
  const genesys = genesysClientFromEnv({ remainingTimeMs: () => guard.remainingMs(), maxRateLimitRetries: 0, beforeRequest: () => pacer.slot() });
  const scope = { window: run.window, maxConversationDays: intEnv("RECONCILE_MAX_CONVERSATION_DAYS"), sliceMs: intEnv("RECONCILE_SLICE_MINUTES") * 60_000 };
  const pageSize = intEnv("RECONCILE_PAGE_SIZE");
  const invocation = emptyTotals();
  const failedBackfills: Array<{ conversationId: string; reason: string }> = [];

  let outOfTime = false;
  let counted = 0;
  const countRequests = () => {
    run.totals.analyticsRequests += pacer.taken - counted;
    counted = pacer.taken;
  };
  try {
    while (run.cursor) {
      let page: PageResult;
      try {
        guard.check("analytics page");
        page = await nextPage(run.cursor, { ...scope, genesys, pageSize, guard });
      } catch (error) {
        if (!(error instanceof TimeBudgetError)) throw error;
        outOfTime = true;
        break;
      }
      await handlePage(page, run, invocation, failedBackfills, queueUrl, scope.maxConversationDays);
      run.cursor = page.cursor;
      run.lastRequestAt = pacer.lastStart;
      run.done = !run.cursor;
      countRequests();
      await save(store, run, held);
    }
    if (outOfTime) {
      countRequests();
      run.lastRequestAt = pacer.lastStart;
      await handOver(store, run, held, context);
    }
  } finally {
    // What this invocation found is reported even when it fails.
    invocation.analyticsRequests = pacer.taken;
    emitMetrics(invocation);
  }
  const problems: string[] = [];
  if (failedBackfills.length) {
    problems.push(
      `could not enqueue ${failedBackfills.length} backfill(s) into ${queueUrl} (all others were sent): ${failedBackfills
        .slice(0, 20)
        .map((f) => `${f.conversationId} (${f.reason})`)
        .join(", ")}${failedBackfills.length > 20 ? ", ..." : ""}`,
    );
  }
  if (stalled) {
    const at = stalled.cursor?.slices[0];
    problems.push(
      `the previous scheduled run ${stalled.runId} did not finish: its continuation was lost after invocation ${stalled.invocations}, at ${at ? `${iso(at.from)}/${iso(at.to)} page ${stalled.cursor!.pageNumber}` : "its end"}; run its window again by hand: {"window":{"start":"${iso(stalled.window.start)}","end":"${iso(stalled.window.end)}"}}`,
    );
  }
  if (problems.length) throw new Error(problems.join("; "));
  return reportOf(run, outOfTime ? "continued" : "complete");
}
/**
 * A run record not written for this long is not waiting for a continuation any more: Lambda keeps
 * an asynchronous event for up to 6 hours (docs/pipelines.md).
 */
const CONTINUATION_LOST_AFTER_MS = 6.5 * 3_600_000;

/** The run this invocation works on, or why it does nothing (claimed: false); for a new scheduled run, the previous one if it stalled. */
async function claimRun(event: ReconcileEvent, store: CheckpointStore, context: LambdaContext): Promise<{ claimed: boolean; state: RunState; stalledPrevious?: RunState }> {
  if (event.continuation) {
    const { runId, handoff } = event.continuation;
    const state = await store.load(runId);
    if (!state) throw new Error(`continuation of run ${runId}: no record of it (expired or never written)`);
    if (state.handoff !== handoff || state.done) {
      logger.warn("duplicate or late continuation: the run has moved on, nothing to do", { runId, handoff, current: state.handoff, done: state.done });
      return { claimed: false, state };
    }
    return { claimed: true, state };
  }
  const window = windowOf(event);
  // A scheduled time names its run: a repeated delivery resumes or skips it, never starts it over. A manual run is new each time.
  const runId = event.time && !event.window ? `scheduled/${event.time}` : `manual/${iso(window.start)}/${iso(window.end)}/${context.awsRequestId}`;
  const existing = await store.load(runId);
  if (existing) {
    if (existing.done || existing.handoff !== INITIAL_HANDOFF) {
      logger.warn("repeated delivery of a run that is complete or continues elsewhere: nothing to do", { runId, done: existing.done });
      return { claimed: false, state: existing };
    }
    return { claimed: true, state: existing }; // a retry of the first invocation: resume at its cursor
  }
  const fresh: RunState = {
    runId,
    window,
    dryRun: event.dryRun ?? booleanEnv("DRY_RUN"),
    cursor: searchPlan({ window, maxConversationDays: intEnv("RECONCILE_MAX_CONVERSATION_DAYS"), sliceMs: intEnv("RECONCILE_SLICE_MINUTES") * 60_000 }),
    handoff: INITIAL_HANDOFF,
    invocations: 0,
    totals: emptyTotals(),
    missingIds: [],
    done: false,
  };
  if (!(await store.create(fresh))) {
    logger.warn("another invocation started this run at the same time: nothing to do", { runId });
    return { claimed: false, state: fresh };
  }
  if (!runId.startsWith("scheduled/")) return { claimed: true, state: fresh };
  // A lost continuation leaves a run unfinished and nothing running: the next scheduled run reports it.
  const previousId = await store.latestScheduled();
  await store.setLatestScheduled(runId);
  const previous = previousId && previousId !== runId ? await store.load(previousId) : undefined;
  const stalled = previous && !previous.done && Date.now() - (previous.savedAt ?? 0) > CONTINUATION_LOST_AFTER_MS ? previous : undefined;
  if (stalled) logger.error("the previous scheduled run did not finish", { runId: stalled.runId, invocations: stalled.invocations, totals: stalled.totals, window: reportOf(stalled, "continued").window });
  return { claimed: true, state: fresh, stalledPrevious: stalled };
}

/** Checks one page's conversations in the vault and backfills the missing ones. */
async function handlePage(
  page: PageResult,
  run: RunState,
  invocation: RunTotals,
  failedBackfills: Array<{ conversationId: string; reason: string }>,
  queueUrl: string,
  maxConversationDays: number,
): Promise<void> {
  const add = (name: keyof RunTotals, value: number) => {
    invocation[name] += value;
    run.totals[name] += value;
  };
  const missing: Array<{ conversationId: string; end: number; backfilledBefore: boolean }> = [];
  await pool([...page.ended], CHECK_CONCURRENCY, async ([conversationId, end]) => {
    if (await exists(lister!, `transcripts/${conversationId}/manifest.json`)) return;
    missing.push({ conversationId, end, backfilledBefore: await exists(lister!, backfillEventBlob(conversationId, end)) });
  });
  missing.sort((a, b) => a.end - b.end);
  const missingAfterBackfill = missing.filter((m) => m.backfilledBefore);
  add("expected", page.ended.size);
  add("archived", page.ended.size - missing.length);
  add("missing", missing.length);
  add("missingAfterBackfill", missingAfterBackfill.length);
  add("outlasting", page.outlasting.length);
  run.missingIds.push(...missing.slice(0, 100 - run.missingIds.length).map((m) => m.conversationId));
  if (missingAfterBackfill.length) {
    logger.error("conversations still missing after a backfill was archived: the archiver cannot complete them (see its DLQ and VAULT INTEGRITY logs)", {
      conversationIds: missingAfterBackfill.slice(0, 100).map((m) => m.conversationId),
    });
  }
  if (page.outlasting.length) {
    logger.warn(`conversations open for about ${maxConversationDays} days or more: when they end they will have lasted longer than the reconciler searches back (raise maxConversationDays to find them)`, {
      conversations: page.outlasting.slice(0, 100),
    });
  }
  if (run.dryRun) return;
  for (let i = 0; i < missing.length; i += 10) {
    const { sent, failed } = await enqueue(queueUrl, missing.slice(i, i + 10));
    add("backfilled", sent);
    add("backfillsFailed", failed.length);
    failedBackfills.push(...failed);
  }
}

/** Hands the run over to an asynchronous invocation of this function, which continues at the cursor. */
async function handOver(store: CheckpointStore, run: RunState, held: string, context: LambdaContext): Promise<void> {
  const handoff = randomUUID();
  await save(store, { ...run, handoff }, held);
  try {
    lambda ??= new LambdaClient({});
    await lambda.send(
      new InvokeCommand({ FunctionName: context.functionName, InvocationType: "Event", Payload: Buffer.from(JSON.stringify({ continuation: { runId: run.runId, handoff } })) }),
    );
  } catch (error) {
    // Take the run back, so that a retry of this invocation resumes it.
    await save(store, run, handoff);
    throw new Error(`run ${run.runId}: could not invoke its continuation; a retry of this invocation resumes it`, { cause: error });
  }
  run.handoff = handoff;
}

async function save(store: CheckpointStore, run: RunState, held: string): Promise<void> {
  if (!(await store.save(run, held))) throw new Error(`run ${run.runId} was handed over to another invocation meanwhile: this one stops`);
}

function emitMetrics(invocation: RunTotals): void {
  tallyMetric(BUSINESS_METRICS.conversationsExpected, invocation.expected);
  tallyMetric(BUSINESS_METRICS.conversationsArchived, invocation.archived);
  tallyMetric(BUSINESS_METRICS.conversationsMissing, invocation.missing);
  tallyMetric(BUSINESS_METRICS.missingAfterBackfill, invocation.missingAfterBackfill);
  tallyMetric(BUSINESS_METRICS.conversationsOutlastingSearch, invocation.outlasting);
  tallyMetric(BUSINESS_METRICS.conversationsBackfilled, invocation.backfilled);
  if (invocation.backfillsFailed) tallyMetric(BUSINESS_METRICS.backfillsFailed, invocation.backfillsFailed);
}

function reportOf(run: RunState, status: ReconcileReport["status"]): ReconcileReport {
  return {
    runId: run.runId,
    window: { start: iso(run.window.start), end: iso(run.window.end) },
    dryRun: run.dryRun,
    status,
    invocations: run.invocations,
    ...run.totals,
    missingIds: run.missingIds,
  };
}

function emptyTotals(): RunTotals {
  return { expected: 0, archived: 0, missing: 0, backfilled: 0, missingAfterBackfill: 0, outlasting: 0, backfillsFailed: 0, analyticsRequests: 0 };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
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

/** Sends one batch (up to 10), retrying refused entries; what SQS still refuses is returned by conversation id. */
async function enqueue(queueUrl: string, batch: Array<{ conversationId: string; end: number }>): Promise<{ sent: number; failed: Array<{ conversationId: string; reason: string }> }> {
  sqs ??= new SQSClient({});
  let pending = batch.map((m, i) => ({ Id: String(i), conversationId: m.conversationId, MessageBody: JSON.stringify(syntheticCustomerEnd(m.conversationId, m.end)) }));
  let reasons = new Map<string, string>();
  for (let attempt = 1; attempt <= ENQUEUE_ATTEMPTS && pending.length; attempt++) {
    try {
      const result = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: pending.map(({ Id, MessageBody }) => ({ Id, MessageBody })) }));
      reasons = new Map((result.Failed ?? []).map((f) => [f.Id!, `${f.Code ?? "error"}${f.Message ? `: ${f.Message}` : ""}`]));
    } catch (error) {
      reasons = new Map(pending.map((p) => [p.Id, error instanceof Error ? `${error.name}: ${error.message}` : String(error)]));
    }
    pending = pending.filter((p) => reasons.has(p.Id));
  }
  const failed = pending.map((p) => ({ conversationId: p.conversationId, reason: reasons.get(p.Id)! }));
  if (failed.length) logger.error("backfills refused by SQS", { queueUrl, failed });
  return { sent: batch.length - failed.length, failed };
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
