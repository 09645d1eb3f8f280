/**
 * The bundled vault reconciler against the Genesys fake's analytics details query
 * (real request and response shapes, start-day selection, filters, paging, 429), Azurite
 * (list-only SAS), sqs-local for the archiver's queue, dynalite for the run checkpoints and a
 * Lambda Invoke stand-in for its continuations; backfills are then run through the bundled
 * archiver, so "missing -> backfilled -> archived -> not missing" is proven end to end.
 */
import { createHash, randomUUID } from "node:crypto";
import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { ContainerClient } from "@azure/storage-blob";
import { AnonymousCredential, ContainerClient as SasContainerClient, newPipeline } from "@azure/storage-blob";
import { bundleFunction } from "../../../lib/bundling";
import type { SqsBatchResponse } from "../../../functions/shared/lambda-types";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import type { ReconcileReport } from "../../../functions/vault-reconciler/handler";
import { startAzurite, type Azurite } from "../../support/azurite";
import { idempotencyTable, startDynalite, type Dynalite } from "../../support/dynalite";
import { sqsBatch, sqsRecord } from "../../support/events";
import { startGenesysFake, type AnalyticsConversation, type GenesysFake } from "../../support/genesys-fake";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startLambdaFake, type LambdaFake } from "../../support/lambda-fake";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";
import { startSqsLocal, type LocalQueue, type SqsLocal } from "../../support/sqs-local";

const CONTAINER = "vault";
/** Scheduled time of the runs: the window is the 24 h ending one hour before. */
const SCHEDULED = "2024-06-02T02:00:00Z";
const WINDOW_START = Date.parse("2024-06-01T01:00:00Z");
const WINDOW_END = Date.parse("2024-06-02T01:00:00Z");

let azurite: Azurite;
let dynalite: Dynalite;
let lambda: LambdaFake;
let genesys: GenesysFake;
let secrets: SecretsFake;
let sqs: SqsLocal;
let archiverQueue: LocalQueue;
let vault: ContainerClient;
let env: Record<string, string>;
let reconciler: BundleProcess;
let archiver: BundleProcess;

beforeAll(async () => {
  const reconcilerBundle = bundleFunction("vault-reconciler");
  const archiverBundle = bundleFunction("transcript-archiver");
  [azurite, genesys, secrets, sqs, dynalite, lambda] = await Promise.all([startAzurite(), startGenesysFake(), startSecretsFake(), startSqsLocal(), startDynalite(), startLambdaFake()]);
  await dynalite.createTable(idempotencyTable("idempotency"));
  archiverQueue = sqs.createQueue("transcript-vault");
  vault = azurite.serviceClient().getContainerClient(CONTAINER);
  await vault.create();
  const sasSecret = (name: string, permissions: string) =>
    secrets.put(name, { blobEndpoint: azurite.blobEndpoint, containerName: CONTAINER, sasToken: azurite.containerSas(CONTAINER, permissions), expiresOn: new Date(Date.now() + 3_600_000).toISOString() });
  env = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    AZURE_VAULT_SECRET_ARN: sasSecret("vault-writer", "cw"),
    AZURE_VAULT_LISTER_SECRET_ARN: sasSecret("vault-lister", "l"),
    GENESYS_REGION_DOMAIN: "mypurecloud.com",
    GENESYS_API_BASE_URL: genesys.baseUrl,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_SECRET_ARN: secrets.put("genesys-client", genesys.credentials),
    ARCHIVER_QUEUE_URL: archiverQueue.url,
    // 1 ms apart: the pace is the subject of its own tests, which set theirs.
    RECONCILE_REQUESTS_PER_MINUTE: "60000",
    RECONCILE_SLICE_MINUTES: "1440",
    POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/test",
    POWERTOOLS_SERVICE_NAME: "vault-reconciler",
    LOG_LEVEL: "INFO",
  };
  [reconciler, archiver] = await Promise.all([startBundle(reconcilerBundle.entry, env), startBundle(archiverBundle.entry, { ...env, POWERTOOLS_SERVICE_NAME: "transcript-archiver" })]);
});

afterAll(async () => {
  await Promise.all([reconciler?.close(), archiver?.close()]);
  await Promise.all([genesys?.close(), secrets?.close(), sqs?.close(), lambda?.close(), dynalite?.stop()]);
  await azurite?.stop();
});

afterEach(() => {
  genesys.clearFaults();
  archiverQueue.refuseEntries(undefined);
});

const reconcile = (event: Record<string, unknown> = { time: SCHEDULED }) => reconciler.invoke<ReconcileReport>(event, { timeoutMs: 120_000 });
const queued = () => archiverQueue.sent;
const iso = (ms: number) => new Date(ms).toISOString();
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** `count` ended MESSAGE conversations spread over the window (each started 10 minutes before it ended). */
function endedInWindow(count: number, from = WINDOW_START, to = WINDOW_END): AnalyticsConversation[] {
  return Array.from({ length: count }, (_, i) => {
    const end = from + Math.floor(((i + 0.5) * (to - from)) / count);
    return { conversationId: randomUUID(), conversationStart: iso(end - 600_000), conversationEnd: iso(end), mediaType: "message" };
  });
}

/** What a complete archive run leaves: a manifest (written here with the account key). */
async function archived(conversationIds: string[]): Promise<void> {
  await Promise.all(
    conversationIds.map((id) => {
      const body = JSON.stringify({ conversationId: id, blobs: [] });
      return vault.getBlockBlobClient(`transcripts/${id}/manifest.json`).upload(body, body.length, { metadata: { sha256: sha256(body) } });
    }),
  );
}

/** The EMF metrics of the last run, by name. */
function emittedMetrics(): Record<string, number> {
  const line = reconciler.takeLogs().filter((l) => (l as any)._aws?.CloudWatchMetrics).pop() as Record<string, any> | undefined;
  expect(line).toBeDefined();
  expect(line!._aws.CloudWatchMetrics[0].Namespace).toBe("GenesysVault/test");
  return Object.fromEntries(line!._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => [m.Name, line![m.Name]]));
}

describe("vault reconciler", () => {
  test("pages through the details query (a 429 mid-paging is waited out), and backfills the one missing conversation exactly once", async () => {
    const conversations = endedInWindow(250);
    const outside: AnalyticsConversation[] = [
      { conversationId: randomUUID(), conversationStart: iso(WINDOW_START - 3_600_000), conversationEnd: iso(WINDOW_START - 1), mediaType: "message" },
      { conversationId: randomUUID(), conversationStart: iso(WINDOW_END - 60_000), conversationEnd: iso(WINDOW_END + 1), mediaType: "message" },
      { conversationId: randomUUID(), conversationStart: iso(WINDOW_START + 60_000), conversationEnd: iso(WINDOW_START + 120_000), mediaType: "voice" },
      { conversationId: randomUUID(), conversationStart: iso(WINDOW_START + 60_000), mediaType: "message" }, // still live
    ];
    genesys.addAnalyticsConversations([...conversations, ...outside]);
    const missing = conversations[137]!;
    await archived(conversations.filter((c) => c !== missing).map((c) => c.conversationId));
    genesys.addConversation(missing.conversationId, [{ messageText: "the one that got away", attachments: [{ id: "lost-att", name: "lost.png", size: 3_000 }] }]);
    genesys.clearRequests();
    genesys.failNext("analyticsDetails", [{ delayMs: 0 }, { status: 429, retryAfter: 1 }]); // the second request's first attempt

    const report = await reconcile();

    expect(report).toMatchObject({ status: "complete", invocations: 1, window: { start: iso(WINDOW_START), end: iso(WINDOW_END) }, dryRun: false, expected: 250, archived: 249, missing: 1, backfilled: 1, missingAfterBackfill: 0, outlasting: 0, missingIds: [missing.conversationId] });
    const calls = genesys.requestsOf("analyticsDetails");
    expect(report.analyticsRequests).toBe(calls.length);
    // The 429 is waited out and the same request sent again.
    expect(calls.map((c) => c.status).filter((status) => status !== 200)).toEqual([429]);
    expect(calls[1]!.status).toBe(429);
    expect(calls[2]!.body).toEqual(calls[1]!.body);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(1000);
    // The search reaches back RECONCILE_MAX_CONVERSATION_DAYS (30) before the window's day, one UTC day per interval
    // (an interval finds only conversations that started on a day it touches). First the oldest day's open conversations:
    const common = { order: "asc", orderBy: "conversationStart", segmentFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "mediaType", operator: "matches", value: "message" }] }] };
    const ended = { type: "dimension", dimension: "conversationEnd", operator: "exists" };
    expect(calls[0]!.body).toEqual({
      ...common,
      interval: "2024-05-02T00:00:00.000Z/2024-05-03T00:00:00.000Z",
      paging: { pageSize: 100, pageNumber: 1 },
      conversationFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "conversationEnd", operator: "notExists" }] }],
    });
    // then each day before the window, asking only for conversations that lasted at least until the window start,
    const beforeWindow = Date.parse("2024-05-03T00:00:00Z");
    expect(calls[1]!.body).toEqual({
      ...common,
      interval: "2024-05-02T00:00:00.000Z/2024-05-03T00:00:00.000Z",
      paging: { pageSize: 100, pageNumber: 1 },
      conversationFilters: [{ type: "and", predicates: [ended, { type: "metric", metric: "tConversationDuration", range: { gte: WINDOW_START - beforeWindow } }] }],
    });
    // and the window's own days, every ended conversation, paged.
    const windowDay = calls.filter((c) => (c.body as any).interval === `${iso(WINDOW_START)}/2024-06-02T00:00:00.000Z`);
    expect(windowDay.map((c) => (c.body as any).paging.pageNumber)).toEqual([1, 2, 3]);
    expect((windowDay[0]!.body as any).conversationFilters).toEqual([{ type: "and", predicates: [ended] }]);
    expect(new Set(calls.map((c) => JSON.stringify(c.body))).size).toBe(calls.length - 1); // nothing asked twice but the 429
    expect(emittedMetrics()).toEqual({
      ConversationsExpected: 250,
      ConversationsArchived: 249,
      ConversationsMissing: 1,
      MissingAfterBackfill: 0,
      ConversationsOutlastingSearch: 0,
      ConversationsBackfilled: 1,
      // The shared Genesys client counts the 429, the reconciler its retry, in the same namespace.
      GenesysRateLimited: 1,
      GenesysRetries: 1,
    });
    expect(queued()).toHaveLength(1);
    const synthetic = JSON.parse(queued()[0]!.body);
    expect(synthetic).toMatchObject({ id: `reconciler-${missing.conversationId}`, "detail-type": "v2.detail.events.conversation.{id}.customer.end", detail: { eventBody: { conversationId: missing.conversationId, mediaType: "MESSAGE" } } });

    // The archiver consumes the backfill: the conversation gets its transcript, attachment and manifest.
    const response = await archiver.invoke<SqsBatchResponse>(sqsBatch(queued().map((m) => sqsRecord(m.body))), { timeoutMs: 60_000 });
    expect(response.batchItemFailures).toEqual([]);
    const names: string[] = [];
    for await (const blob of vault.listBlobsFlat({ prefix: `transcripts/${missing.conversationId}/` })) names.push(blob.name);
    expect(names.sort()).toEqual([`transcripts/${missing.conversationId}/attachments/lost-att/lost.png`, `transcripts/${missing.conversationId}/manifest.json`, `transcripts/${missing.conversationId}/transcript.json`]);
    // The backfill's own event blob is where the reconciler looks to tell "missing after backfill".
    const marker = `events/${missing.conversationEnd!.slice(0, 10).replace(/-/g, "/")}/${missing.conversationId}/reconciler-${missing.conversationId}.json`;
    expect(await vault.getBlockBlobClient(marker).exists()).toBe(true);

    // A repeated delivery of the same schedule does nothing: the run is complete.
    genesys.clearRequests();
    expect(await reconcile()).toMatchObject({ status: "skipped", expected: 250, backfilled: 1 });
    expect(genesys.requestsOf("analyticsDetails")).toEqual([]);
    // A new run of the window finds nothing missing and enqueues nothing more.
    const again = await reconcile({ window: { start: iso(WINDOW_START), end: iso(WINDOW_END) } });
    expect(again).toMatchObject({ status: "complete", expected: 250, archived: 250, missing: 0, backfilled: 0 });
    expect(queued()).toHaveLength(1);
    expect(emittedMetrics()).toMatchObject({ ConversationsMissing: 0, ConversationsBackfilled: 0 });
  });

  test("an empty window makes one query per day searched, enqueues nothing and still reports zeros", async () => {
    genesys.clearRequests();
    const sent = queued().length;
    const report = await reconcile({ window: { start: "2023-01-01T00:00:00Z", end: "2023-01-02T00:00:00Z" } });
    // One query per day searched (the 30 days before the window and its own day) and one for the oldest day's open conversations.
    expect(report).toMatchObject({ status: "complete", expected: 0, archived: 0, missing: 0, backfilled: 0, analyticsRequests: 32 });
    expect(genesys.requestsOf("analyticsDetails")).toHaveLength(32);
    expect(queued()).toHaveLength(sent);
    expect(emittedMetrics()).toEqual({ ConversationsExpected: 0, ConversationsArchived: 0, ConversationsMissing: 0, MissingAfterBackfill: 0, ConversationsOutlastingSearch: 0, ConversationsBackfilled: 0 });
  });

  test("dry run reports the missing conversations (also one opened the day before) and enqueues nothing", async () => {
    const start = Date.parse("2024-03-01T00:30:00Z");
    // Opened on the previous day, ended inside the window: found only because the first interval reaches back.
    const overnight: AnalyticsConversation = { conversationId: randomUUID(), conversationStart: "2024-02-29T20:00:00.000Z", conversationEnd: iso(start + 60_000), mediaType: "message" };
    const conversations = [...endedInWindow(3, start, start + 3_600_000), overnight];
    genesys.addAnalyticsConversations(conversations);
    const sent = queued().length;
    const report = await reconcile({ window: { start: iso(start), end: iso(start + 3_600_000) }, dryRun: true });
    expect(report).toMatchObject({ dryRun: true, expected: 4, missing: 4, backfilled: 0 });
    expect(report.missingIds.sort()).toEqual(conversations.map((c) => c.conversationId).sort());
    expect(queued()).toHaveLength(sent);
  });

  test("a conversation still missing although its backfill was archived raises MissingAfterBackfill and an error log", async () => {
    const start = Date.parse("2024-04-01T00:00:00Z");
    const [stuck] = endedInWindow(1, start, start + 3_600_000);
    genesys.addAnalyticsConversations([stuck!]);
    // The archiver wrote the backfill's raw event, but could not complete the conversation (e.g. an integrity conflict).
    const end = Date.parse(stuck!.conversationEnd!);
    await vault.getBlockBlobClient(`events/2024/04/01/${stuck!.conversationId}/reconciler-${stuck!.conversationId}.json`).upload("{}", 2);
    const before = reconciler.stderr().length;

    const report = await reconcile({ window: { start: iso(start), end: iso(start + 3_600_000) } });

    expect(end).toBeGreaterThan(start);
    expect(report).toMatchObject({ expected: 1, missing: 1, missingAfterBackfill: 1, backfilled: 1 });
    expect(emittedMetrics()).toMatchObject({ MissingAfterBackfill: 1 });
    expect(reconciler.stderr().slice(before)).toContain(stuck!.conversationId);
  });

  test("the list-only SAS proves a manifest exists but Azurite refuses to read, write or delete with it", async () => {
    const id = randomUUID();
    await archived([id]);
    const name = `transcripts/${id}/manifest.json`;
    const lister = new SasContainerClient(`${azurite.blobEndpoint}/${CONTAINER}?${azurite.containerSas(CONTAINER, "l")}`, newPipeline(new AnonymousCredential(), { retryOptions: { maxTries: 1 } }));
    const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: any) => e.statusCode);

    const listed: string[] = [];
    for await (const blob of lister.listBlobsFlat({ prefix: name })) listed.push(blob.name);
    expect(listed).toEqual([name]);
    expect(await statusOf(lister.getBlockBlobClient(name).downloadToBuffer())).toBe(403);
    expect(await statusOf(lister.getBlockBlobClient(`probe/${id}`).upload("x", 1))).toBe(403);
    expect(await statusOf(lister.getBlockBlobClient(name).delete())).toBe(403);
  });

  test("finds a conversation that lasted up to maxConversationDays, and counts and logs one that lasts longer", async () => {
    const start = Date.parse("2025-03-10T00:30:00Z");
    const end = start + 1_800_000;
    const lasted = (hours: number): AnalyticsConversation => ({ conversationId: randomUUID(), conversationStart: iso(end - hours * 3_600_000), conversationEnd: iso(end), mediaType: "message" });
    const longLived = [lasted(40), lasted(72), lasted(29 * 24), lasted(30 * 24)];
    // Started on the oldest day searched (30 days before the window's day): still open, or ended after the window.
    const stillOpen: AnalyticsConversation = { conversationId: randomUUID(), conversationStart: "2025-02-08T12:00:00.000Z", mediaType: "message" };
    const endsLater: AnalyticsConversation = { conversationId: randomUUID(), conversationStart: "2025-02-08T13:00:00.000Z", conversationEnd: "2025-03-10T05:00:00.000Z", mediaType: "message" };
    const endedBefore: AnalyticsConversation = { conversationId: randomUUID(), conversationStart: "2025-02-08T14:00:00.000Z", conversationEnd: "2025-03-01T00:00:00.000Z", mediaType: "message" };
    genesys.addAnalyticsConversations([...longLived, stillOpen, endsLater, endedBefore]);
    reconciler.takeLogs();
    const before = reconciler.stderr().length;

    const report = await reconcile({ window: { start: iso(start), end: iso(end + 1) }, dryRun: true });

    expect(report).toMatchObject({ status: "complete", expected: 4, missing: 4, outlasting: 2 });
    expect(report.missingIds.sort()).toEqual(longLived.map((c) => c.conversationId).sort());
    expect(emittedMetrics()).toMatchObject({ ConversationsExpected: 4, ConversationsOutlastingSearch: 2 });
    const output = reconciler.stderr().slice(before) + JSON.stringify(reconciler.logs);
    expect(output).toContain(stillOpen.conversationId);
    expect(output).toContain(endsLater.conversationId);
    expect(output).not.toContain(endedBefore.conversationId);
  });

  test("no rolling window holds more requests than RECONCILE_REQUESTS_PER_MINUTE allows, retries after a 429 included", async () => {
    const start = Date.parse("2026-03-01T00:00:00Z");
    genesys.addAnalyticsConversations(endedInWindow(60, start, start + 3 * 3_600_000));
    // One day searched back (not 30): 12 pages and 2 day queries are enough requests to measure the pace.
    const paced = await startBundle(bundleFunction("vault-reconciler").entry, { ...env, RECONCILE_REQUESTS_PER_MINUTE: "600", RECONCILE_PAGE_SIZE: "5", RECONCILE_MAX_CONVERSATION_DAYS: "1" });
    try {
      genesys.clearRequests();
      genesys.failNext("analyticsDetails", [{ delayMs: 0 }, { status: 429, retryAfter: 1 }]);
      await paced.invoke({ window: { start: iso(start), end: iso(start + 3 * 3_600_000) }, dryRun: true }, { timeoutMs: 60_000 });
      const at = genesys.requestsOf("analyticsDetails").map((r) => r.at);
      expect(at.length).toBeGreaterThan(10);
      // 600 per minute is 10 per second: starts 100 ms apart, the 429 and its retry counted like any request, so
      // the request after the retry does not follow it at once (without the fix it came 3 ms later). Arrival times
      // carry the machine's scheduling jitter (tens of ms on a loaded 2-core CI machine), hence the margins; the
      // exact rolling-minute property is checked on a virtual clock in analytics.test.ts.
      const gaps = at.slice(1).map((t, i) => t - at[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(20);
      const busiest = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
      expect(busiest).toBeLessThanOrEqual(11);
    } finally {
      await paced.close();
    }
  });

  test("a 503 and a timeout are retried with backoff within the run", async () => {
    const start = Date.parse("2025-06-01T00:00:00Z");
    const conversations = endedInWindow(20, start, start + 3_600_000);
    genesys.addAnalyticsConversations(conversations);
    const impatient = await startBundle(bundleFunction("vault-reconciler").entry, { ...env, GENESYS_REQUEST_TIMEOUT_MS: "300", RECONCILE_MAX_CONVERSATION_DAYS: "1" });
    try {
      genesys.clearRequests();
      genesys.failNext("analyticsDetails", [{ status: 503 }, { hang: true }]);
      const report = await impatient.invoke<ReconcileReport>({ window: { start: iso(start), end: iso(start + 3_600_000) }, dryRun: true }, { timeoutMs: 60_000 });
      expect(report).toMatchObject({ status: "complete", expected: 20, missing: 20 });
      const calls = genesys.requestsOf("analyticsDetails");
      // The first request: 503, then no answer within the timeout, then answered; each retry waited for its backoff.
      expect(calls[0]!.status).toBe(503);
      expect(calls[1]!.body).toEqual(calls[0]!.body);
      expect(calls[2]!.body).toEqual(calls[0]!.body);
      expect(calls[2]!.status).toBe(200);
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(500);
      expect(report.analyticsRequests).toBe(calls.length);
    } finally {
      await impatient.close();
    }
  });

  test("when SQS keeps refusing one backfill, every other is sent, the metrics are emitted, and the run fails naming it", async () => {
    const start = Date.parse("2025-09-01T00:00:00Z");
    const conversations = endedInWindow(25, start, start + 3_600_000);
    genesys.addAnalyticsConversations(conversations);
    const refused = conversations[4]!.conversationId;
    archiverQueue.refuseEntries((body) => body.includes(refused));
    const sent = queued().length;
    reconciler.takeLogs();

    await expect(reconcile({ window: { start: iso(start), end: iso(start + 3_600_000) } })).rejects.toThrow(refused);

    const backfilled = queued()
      .slice(sent)
      .map((m) => JSON.parse(m.body).detail.eventBody.conversationId);
    expect(backfilled.sort()).toEqual(conversations.map((c) => c.conversationId).filter((id) => id !== refused).sort());
    expect(emittedMetrics()).toMatchObject({ ConversationsExpected: 25, ConversationsMissing: 25, ConversationsBackfilled: 24, BackfillsFailed: 1 });
  });

  test("a run that does not fit in one invocation checkpoints and continues; a duplicate continuation does nothing", async () => {
    const start = Date.parse("2025-12-01T00:00:00Z");
    const conversations = endedInWindow(150, start, start + 6 * 3_600_000);
    genesys.addAnalyticsConversations(conversations);
    const missing = conversations.filter((_, i) => i % 15 === 0);
    await archived(conversations.filter((c) => !missing.includes(c)).map((c) => c.conversationId));
    // Little time per invocation: about 6 paced requests (100 ms apart) before TIME_GUARD_MS is reached; the run
    // takes 17 (15 pages of the window's day, 2 day queries one day back).
    const short = await startBundle(bundleFunction("vault-reconciler").entry, { ...env, RECONCILE_REQUESTS_PER_MINUTE: "600", RECONCILE_PAGE_SIZE: "10", TIME_GUARD_MS: "2000", RECONCILE_MAX_CONVERSATION_DAYS: "1" });
    const invoke = (event: unknown) => short.invoke<ReconcileReport>(event, { timeoutMs: 2_600, functionName: "gcv-test-vault-reconciler" });
    try {
      genesys.clearRequests();
      const sent = queued().length;
      const handed = lambda.invocations.length;
      const event = { time: "2025-12-01T07:00:00Z" }; // window [00:00, 06:00) with the 60 min settle time
      const reports = [await invoke(event)];
      while (reports[reports.length - 1]!.status === "continued") {
        const next = lambda.invocations[handed + reports.length - 1]!;
        expect(next.functionName).toBe("gcv-test-vault-reconciler");
        reports.push(await invoke(next.payload));
      }
      expect(reports.length).toBeGreaterThanOrEqual(3);
      const last = reports[reports.length - 1]!;
      expect(last).toMatchObject({ status: "complete", invocations: reports.length, expected: 150, archived: 140, missing: 10, backfilled: 10 });
      expect(last.analyticsRequests).toBe(genesys.requestsOf("analyticsDetails").length);
      // Each missing conversation enqueued exactly once, each page asked once, across the invocations.
      const backfilled = queued().slice(sent).map((m) => JSON.parse(m.body).id);
      expect(backfilled.sort()).toEqual(missing.map((c) => `reconciler-${c.conversationId}`).sort());
      const bodies = genesys.requestsOf("analyticsDetails").map((c) => JSON.stringify(c.body));
      expect(new Set(bodies).size).toBe(bodies.length);
      // The pace holds across invocations.
      const at = genesys.requestsOf("analyticsDetails").map((r) => r.at);
      expect(Math.min(...at.slice(1).map((t, i) => t - at[i]!))).toBeGreaterThanOrEqual(50);

      // Duplicate deliveries: every continuation again, and the schedule again: nothing is asked or sent.
      genesys.clearRequests();
      for (const delivery of lambda.invocations.slice(handed)) expect(await invoke(delivery.payload)).toMatchObject({ status: "skipped" });
      expect(await invoke(event)).toMatchObject({ status: "skipped", expected: 150 });
      expect(genesys.requestsOf("analyticsDetails")).toEqual([]);
      expect(queued().length - sent).toBe(10);
      expect(lambda.invocations.length - handed).toBe(reports.length - 1);
    } finally {
      await short.close();
    }
  });

  test("a scheduled run whose continuation was lost is reported by the next scheduled run, which fails naming it", async () => {
    const short = await startBundle(bundleFunction("vault-reconciler").entry, { ...env, RECONCILE_REQUESTS_PER_MINUTE: "600", TIME_GUARD_MS: "2000" });
    const invoke = (event: unknown) => short.invoke<ReconcileReport>(event, { timeoutMs: 2_600, functionName: "gcv-test-vault-reconciler" });
    try {
      // More intervals than one short invocation allows: it hands over, and the continuation is never delivered.
      const first = await invoke({ time: "2026-06-01T07:00:00Z" });
      expect(first).toMatchObject({ status: "continued", runId: "scheduled/2026-06-01T07:00:00Z" });
      // Seven hours pass without a write (Lambda keeps an asynchronous event for at most six).
      const key = { id: { S: "vault-reconciler#scheduled/2026-06-01T07:00:00Z" } };
      const { Item } = await dynalite.client.send(new GetItemCommand({ TableName: "idempotency", Key: key }));
      const state = JSON.parse(Item!.state!.S!);
      await dynalite.client.send(new PutItemCommand({ TableName: "idempotency", Item: { ...Item!, state: { S: JSON.stringify({ ...state, savedAt: Date.now() - 7 * 3_600_000 }) } } }));

      await expect(invoke({ time: "2026-06-02T07:00:00Z" })).rejects.toThrow(
        /previous scheduled run scheduled\/2026-06-01T07:00:00Z did not finish.*"window":\{"start":"2026-05-31T06:00:00.000Z","end":"2026-06-01T06:00:00.000Z"\}/,
      );
      // Its own run went on all the same.
      const next = lambda.invocations[lambda.invocations.length - 1]!.payload as { continuation: { runId: string } };
      expect(next.continuation.runId).toBe("scheduled/2026-06-02T07:00:00Z");
    } finally {
      await short.close();
    }
  });
});

describe("self-test", () => {
  const selfTest = (fn: BundleProcess, runId?: string) => fn.invoke<SelfTestResponse>(selfTestRequest(runId), { functionName: "gcv-test-vault-reconciler" });

  test("healthy: one minimal analytics query, the list-only identity lists the archiver's canary and is refused its content", async () => {
    const runId = `healthy-${randomUUID()}`;
    expect((await archiver.invoke<SelfTestResponse>(selfTestRequest(runId))).gcvSelfTest.checks.find((c) => c.name === "vault canary write")?.ok).toBe(true);
    const before = genesys.requests.length;
    const queuedBefore = queued().length;
    const response = await selfTest(reconciler, runId);

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(response.gcvSelfTest).toMatchObject({ function: "gcv-test-vault-reconciler", runId, ok: true });
    expect(response.gcvSelfTest.checks.map((c) => c.name)).toEqual(["genesys secret", "vault lister secret", "genesys login", "genesys analytics query", "vault list", "vault lister cannot read"]);
    const queries = genesys.requests.slice(before).filter((r) => r.route === "analyticsDetails");
    expect(queries).toHaveLength(1);
    const body = queries[0]!.body as { interval: string; paging: unknown };
    expect(body.paging).toEqual({ pageSize: 1, pageNumber: 1 });
    const [from, to] = body.interval.split("/").map((t) => Date.parse(t));
    expect(to! - from!).toBe(5 * 60_000);
    expect(queued().length).toBe(queuedBefore);
  });

  test("a lister credential that can read content fails the check with the reason and the fix", async () => {
    const readable = secrets.put(`vault-reader-${randomUUID()}`, {
      blobEndpoint: azurite.blobEndpoint,
      containerName: CONTAINER,
      sasToken: azurite.containerSas(CONTAINER, "rl"),
      expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const runId = `reader-${randomUUID()}`;
    await archiver.invoke(selfTestRequest(runId));
    const fn = await startBundle(bundleFunction("vault-reconciler").entry, { ...env, AZURE_VAULT_LISTER_SECRET_ARN: readable });
    try {
      const response = await selfTest(fn, runId);
      expect(failedChecks(response)).toEqual(["vault lister cannot read"]);
      expect(checkOf(response, "vault lister cannot read")).toMatchObject({
        reason: expect.stringMatching(/^the list-only credential read 127\.0\.0\.1:\d+\/devstoreaccount1\/vault\/canary\/.*: it can read blob content$/),
        fix: expect.stringMatching(/^restrict the lister to List Blobs/),
      });
    } finally {
      await fn.close();
    }
  });

  test("a Genesys 403 on the analytics query fails that check, naming the permission", async () => {
    genesys.failNext("analyticsDetails", [{ status: 403, code: "missing.permissions" }]);
    const response = await selfTest(reconciler);

    expect(failedChecks(response)).toEqual(["genesys analytics query"]);
    expect(checkOf(response, "genesys analytics query").fix).toBe("add the permission analytics:conversationDetail:view to the role of this function's Genesys OAuth client");
  });

  test("a self-test request in an EventBridge event's detail is refused with the reason and runs nothing", async () => {
    const before = genesys.requests.length;
    await expect(reconciler.invoke({ time: SCHEDULED, "detail-type": "Scheduled Event", detail: selfTestRequest() })).rejects.toMatchObject({
      message: expect.stringMatching(/^a self-test request \(gcvSelfTest\) arrived through a trigger/),
    });
    expect(genesys.requests.length).toBe(before);
  });
});
