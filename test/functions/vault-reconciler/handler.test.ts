/**
 * The bundled vault reconciler against the Genesys fake's analytics details query
 * (real request and response shapes, paging, 429), Azurite (list-only SAS) and an
 * SQS fake for the archiver's queue; backfills are then run through the bundled
 * archiver, so "missing -> backfilled -> archived -> not missing" is proven end to end.
 */
import { createHash, randomUUID } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { AnonymousCredential, ContainerClient as SasContainerClient, newPipeline } from "@azure/storage-blob";
import { bundleFunction } from "../../../lib/bundling";
import type { SqsBatchResponse } from "../../../functions/shared/lambda-types";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import type { ReconcileReport } from "../../../functions/vault-reconciler/handler";
import { startAzurite, type Azurite } from "../../support/azurite";
import { sqsBatch, sqsRecord } from "../../support/events";
import { startGenesysFake, type AnalyticsConversation, type GenesysFake } from "../../support/genesys-fake";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";
import { startSqsLocal, type LocalQueue, type SqsLocal } from "../../support/sqs-local";

const CONTAINER = "vault";
/** Scheduled time of the runs: the window is the 24 h ending one hour before. */
const SCHEDULED = "2024-06-02T02:00:00Z";
const WINDOW_START = Date.parse("2024-06-01T01:00:00Z");
const WINDOW_END = Date.parse("2024-06-02T01:00:00Z");

let azurite: Azurite;
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
  [azurite, genesys, secrets, sqs] = await Promise.all([startAzurite(), startGenesysFake(), startSecretsFake(), startSqsLocal()]);
  archiverQueue = sqs.createQueue("transcript-vault");
  vault = azurite.serviceClient().getContainerClient(CONTAINER);
  await vault.create();
  const sasSecret = (name: string, permissions: string) =>
    secrets.put(name, { blobEndpoint: azurite.blobEndpoint, containerName: CONTAINER, sasToken: azurite.containerSas(CONTAINER, permissions), expiresOn: new Date(Date.now() + 3_600_000).toISOString() });
  env = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    AZURE_VAULT_SECRET_ARN: sasSecret("vault-writer", "cw"),
    AZURE_VAULT_LISTER_SECRET_ARN: sasSecret("vault-lister", "l"),
    GENESYS_REGION_DOMAIN: "mypurecloud.com",
    GENESYS_API_BASE_URL: genesys.baseUrl,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_SECRET_ARN: secrets.put("genesys-client", genesys.credentials),
    ARCHIVER_QUEUE_URL: archiverQueue.url,
    RECONCILE_REQUESTS_PER_MINUTE: "600",
    RECONCILE_SLICE_MINUTES: "1440",
    POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/test",
    POWERTOOLS_SERVICE_NAME: "vault-reconciler",
    LOG_LEVEL: "INFO",
  };
  [reconciler, archiver] = await Promise.all([startBundle(reconcilerBundle.entry, env), startBundle(archiverBundle.entry, { ...env, POWERTOOLS_SERVICE_NAME: "transcript-archiver" })]);
});

afterAll(async () => {
  await Promise.all([reconciler?.close(), archiver?.close()]);
  await Promise.all([genesys?.close(), secrets?.close(), sqs?.close()]);
  await azurite?.stop();
});

afterEach(() => genesys.clearFaults());

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
    genesys.failNext("analyticsDetails", [{ delayMs: 0 }, { status: 429, retryAfter: 1 }]); // page 2's first attempt

    const report = await reconcile();

    expect(report).toMatchObject({ window: { start: iso(WINDOW_START), end: iso(WINDOW_END) }, dryRun: false, expected: 250, archived: 249, missing: 1, backfilled: 1, missingAfterBackfill: 0, missingIds: [missing.conversationId] });
    const calls = genesys.requestsOf("analyticsDetails");
    expect(calls.map((c) => [c.status, (c.body as any).paging.pageNumber])).toEqual([[200, 1], [429, 2], [200, 2], [200, 3]]);
    expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(1000);
    expect(calls[0]!.body).toEqual({
      // Reaching back RECONCILE_LOOKBACK_HOURS (24): the query finds only conversations that started on a day it touches.
      interval: `${iso(WINDOW_START - 24 * 3_600_000)}/${iso(WINDOW_END)}`,
      order: "asc",
      orderBy: "conversationStart",
      paging: { pageSize: 100, pageNumber: 1 },
      segmentFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "mediaType", operator: "matches", value: "message" }] }],
      conversationFilters: [{ type: "and", predicates: [{ type: "dimension", dimension: "conversationEnd", operator: "exists" }] }],
    });
    expect(emittedMetrics()).toEqual({
      ConversationsExpected: 250,
      ConversationsArchived: 249,
      ConversationsMissing: 1,
      MissingAfterBackfill: 0,
      ConversationsBackfilled: 1,
      // The shared Genesys client counts the 429 and its retry in the same namespace.
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

    // The next run finds nothing missing and enqueues nothing more.
    const again = await reconcile();
    expect(again).toMatchObject({ expected: 250, archived: 250, missing: 0, backfilled: 0 });
    expect(queued()).toHaveLength(1);
    expect(emittedMetrics()).toMatchObject({ ConversationsMissing: 0, ConversationsBackfilled: 0 });
  });

  test("an empty window makes one query, enqueues nothing and still reports zeros", async () => {
    genesys.clearRequests();
    const sent = queued().length;
    const report = await reconcile({ window: { start: "2023-01-01T00:00:00Z", end: "2023-01-02T00:00:00Z" } });
    expect(report).toMatchObject({ expected: 0, archived: 0, missing: 0, backfilled: 0, analyticsRequests: 1 });
    expect(genesys.requestsOf("analyticsDetails")).toHaveLength(1);
    expect(queued()).toHaveLength(sent);
    expect(emittedMetrics()).toEqual({ ConversationsExpected: 0, ConversationsArchived: 0, ConversationsMissing: 0, MissingAfterBackfill: 0, ConversationsBackfilled: 0 });
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

  test("requests are paced to RECONCILE_REQUESTS_PER_MINUTE", async () => {
    const start = Date.parse("2024-05-01T00:00:00Z");
    genesys.addAnalyticsConversations(endedInWindow(5, start, start + 3 * 3_600_000));
    const paced = await startBundle(bundleFunction("vault-reconciler").entry, { ...env, RECONCILE_REQUESTS_PER_MINUTE: "120", RECONCILE_SLICE_MINUTES: "60" });
    try {
      genesys.clearRequests();
      const invoked = Date.now();
      await paced.invoke({ window: { start: iso(start), end: iso(start + 3 * 3_600_000) }, dryRun: true }, { timeoutMs: 60_000 });
      const at = genesys.requestsOf("analyticsDetails").map((r) => r.at);
      expect(at).toHaveLength(3); // one slice per hour
      // 120 per minute: request starts are at least 500 ms apart, so the third cannot arrive before 1 s.
      expect(at[2]! - invoked).toBeGreaterThanOrEqual(1000);
    } finally {
      await paced.close();
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
