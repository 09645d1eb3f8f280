/**
 * The bundled transcript archiver against Azurite (through a fault proxy), the
 * Genesys fake and the Secrets Manager fake. Every scenario checks the vault
 * contract: each input event is archived exactly once (every blob it implies, and
 * nothing else) or quarantined with its reason. Zero lost, zero duplicated.
 */
import { createHash, randomUUID } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { AnonymousCredential, ContainerClient as SasContainerClient, newPipeline } from "@azure/storage-blob";
import { bundleFunction } from "../../../lib/bundling";
import type { SqsBatchResponse } from "../../../functions/shared/lambda-types";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import { startAzurite, type Azurite } from "../../support/azurite";
import { customerEndEvent, sqsBatch, sqsRecord, transcriptionEvent } from "../../support/events";
import { startFaultProxy, type FaultProxy } from "../../support/fault-proxy";
import { attachmentContent, startGenesysFake, type GenesysFake } from "../../support/genesys-fake";
import { emfTotals } from "../../support/emf";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";

const CONTAINER = "vault";
const MAX_EVENT_BYTES = 64 * 1024;

let azurite: Azurite;
let proxy: FaultProxy;
let genesys: GenesysFake;
let secrets: SecretsFake;
let archiver: BundleProcess;
let vault: ContainerClient; // account-key access, for assertions only
let sasToken: string;
let baseEnv: Record<string, string>;

beforeAll(async () => {
  const { entry } = bundleFunction("transcript-archiver");
  [azurite, genesys, secrets] = await Promise.all([startAzurite(), startGenesysFake(), startSecretsFake()]);
  proxy = await startFaultProxy(azurite.origin);
  vault = azurite.serviceClient().getContainerClient(CONTAINER);
  await vault.create();
  sasToken = azurite.containerSas(CONTAINER, "cw");
  const vaultSecretArn = secrets.put("vault-sas", {
    blobEndpoint: `${proxy.origin}/devstoreaccount1`,
    containerName: CONTAINER,
    sasToken,
    expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const listerSecretArn = secrets.put("vault-lister", {
    blobEndpoint: `${proxy.origin}/devstoreaccount1`,
    containerName: CONTAINER,
    sasToken: azurite.containerSas(CONTAINER, "l"),
    expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
  });
  const genesysSecretArn = secrets.put("genesys-client", genesys.credentials);
  baseEnv = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AZURE_VAULT_SECRET_ARN: vaultSecretArn,
    AZURE_VAULT_LISTER_SECRET_ARN: listerSecretArn,
    // Deadlines long enough for a 5 MB attachment while the rest of the suite loads both
    // cores (1 s and 2 s failed there); the Azure hang test runs its own, shorter one.
    AZURE_REQUEST_TIMEOUT_MS: "3000",
    AZURE_MAX_TRIES: "2",
    GENESYS_REGION_DOMAIN: "mypurecloud.com",
    GENESYS_API_BASE_URL: genesys.baseUrl,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_SECRET_ARN: genesysSecretArn,
    GENESYS_REQUEST_TIMEOUT_MS: "10000",
    MAX_EVENT_BYTES: String(MAX_EVENT_BYTES),
    POWERTOOLS_SERVICE_NAME: "transcript-archiver",
    POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/test",
    LOG_LEVEL: "INFO",
    TIME_GUARD_MS: "3000",
  };
  archiver = await startBundle(entry, baseEnv);
});

afterAll(async () => {
  await archiver?.close();
  await Promise.all([proxy?.close(), genesys?.close(), secrets?.close()]);
  await azurite?.stop();
});

afterEach(() => {
  proxy.clearFaults();
  genesys.clearFaults();
});

const invoke = (records: ReturnType<typeof sqsRecord>[]) => archiver.invoke<SqsBatchResponse>(sqsBatch(records), { timeoutMs: 60_000 });
const failedIds = (response: SqsBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier).sort();

interface StoredBlob {
  name: string;
  metadata: Record<string, string>;
  lastModified: Date;
  contentType?: string;
}

/** Every blob under `prefix`, via the account key. */
async function listBlobs(prefix: string): Promise<StoredBlob[]> {
  const blobs: StoredBlob[] = [];
  for await (const blob of vault.listBlobsFlat({ prefix, includeMetadata: true })) {
    blobs.push({ name: blob.name, metadata: blob.metadata ?? {}, lastModified: blob.properties.lastModified, contentType: blob.properties.contentType });
  }
  return blobs.sort((a, b) => a.name.localeCompare(b.name));
}

async function readBlob(name: string): Promise<Buffer> {
  return vault.getBlockBlobClient(name).downloadToBuffer();
}

const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

/** Blob names a raw event implies (events/<yyyy>/<mm>/<dd>/<cid>/<id>.json from detail.timestamp). */
function eventBlobName(event: Record<string, any>, conversationId: string): string {
  const date = event.detail.timestamp.slice(0, 10).replace(/-/g, "/");
  return `events/${date}/${conversationId}/${event.id}.json`;
}

/** Error log lines (Powertools writes them to stderr) that `run` produced. */
async function errorLogsOf(fn: BundleProcess, run: () => Promise<unknown>): Promise<string> {
  const before = fn.stderr().length;
  await run();
  return fn.stderr().slice(before);
}

const manifestOf = (conversationId: string) => `transcripts/${conversationId}/manifest.json`;

/** Asserts the blobs under the conversation's prefixes are exactly `expected`, each with a content hash that matches. */
async function expectVaultExactly(conversationId: string, expected: string[]): Promise<StoredBlob[]> {
  const blobs = [...(await listBlobs("events/")).filter((b) => b.name.includes(`/${conversationId}/`)), ...(await listBlobs(`transcripts/${conversationId}/`))];
  expect(blobs.map((b) => b.name).sort()).toEqual([...expected].sort());
  for (const blob of blobs) {
    expect(blob.metadata.sha256).toBe(sha256(await readBlob(blob.name)));
    expect(blob.metadata.conversationid).toBe(conversationId);
  }
  return blobs;
}

describe("archiving", () => {
  test("a voice transcription event is archived as its raw event with conversation, topic, time and hash metadata", async () => {
    const conversationId = randomUUID();
    const event = transcriptionEvent({ conversationId });
    const body = JSON.stringify(event);

    const response = await invoke([sqsRecord(body)]);

    expect(response.batchItemFailures).toEqual([]);
    const [blob] = await expectVaultExactly(conversationId, [eventBlobName(event, conversationId)]);
    expect((await readBlob(blob!.name)).toString("utf8")).toBe(body);
    expect(blob!.metadata).toMatchObject({
      topic: `v2.conversations.${conversationId}.transcription`,
      eventtime: "2024-05-01T10:15:30.123Z",
      sha256: sha256(body),
    });
    expect(genesys.requestsOf("recordings").filter((r) => r.path.includes(conversationId))).toHaveLength(0);
  });

  test("an ended messaging conversation gets its transcript and both attachments (one of 5 MB) streamed byte-exact", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [
      { messageText: "Here is the receipt", attachments: [{ id: "att-small", name: "receipt photo (1).png", size: 2_345 }] },
      { messageText: "And the contract", attachments: [{ id: "att-large", name: "../../contract é.pdf", size: 5 * 1024 * 1024, mediaType: "application/pdf" }] },
      { messageText: "Thanks!" },
    ]);
    const event = customerEndEvent({ conversationId, mediaType: "MESSAGE" });
    archiver.takeLogs();

    const response = await invoke([sqsRecord(JSON.stringify(event))]);

    expect(response.batchItemFailures).toEqual([]);
    const metrics = emfTotals(archiver.takeLogs());
    expect(metrics.namespaces).toEqual(["GenesysVault/test"]);
    expect(metrics.totals).toMatchObject({ EventsArchived: 1, TranscriptsArchived: 1, AttachmentsArchived: 2 });
    expect(metrics.totals.BytesArchived).toBeGreaterThan(5 * 1024 * 1024 + 2_345);
    const small = `transcripts/${conversationId}/attachments/att-small/receipt_photo_1_.png`;
    const large = `transcripts/${conversationId}/attachments/att-large/contract_e_.pdf`;
    const blobs = await expectVaultExactly(conversationId, [eventBlobName(event, conversationId), `transcripts/${conversationId}/transcript.json`, small, large, manifestOf(conversationId)]);
    // Compare hashes: jest's deep equality on a 5 MB buffer takes seconds.
    expect(sha256(await readBlob(large))).toBe(sha256(attachmentContent("att-large", 5 * 1024 * 1024)));
    expect(sha256(await readBlob(small))).toBe(sha256(attachmentContent("att-small", 2_345)));
    expect(blobs.find((b) => b.name === large)).toMatchObject({ contentType: "application/pdf", metadata: { attachmentid: "att-large", topic: `v2.detail.events.conversation.${conversationId}.customer.end` } });

    const transcript = JSON.parse((await readBlob(`transcripts/${conversationId}/transcript.json`)).toString("utf8"));
    const entries = transcript.recordings[0].messagingTranscript;
    expect(entries.map((e: any) => e.messageText)).toEqual(["Here is the receipt", "And the contract", "Thanks!"]);
    expect(entries[1].messageMediaAttachments[0]).toMatchObject({ id: "att-large", vaultBlobName: large, contentLength: 5 * 1024 * 1024 });
  });

  test("a non-messaging customer.end archives the raw event only", async () => {
    const conversationId = randomUUID();
    const event = customerEndEvent({ conversationId, mediaType: "VOICE" });
    expect((await invoke([sqsRecord(JSON.stringify(event))])).batchItemFailures).toEqual([]);
    await expectVaultExactly(conversationId, [eventBlobName(event, conversationId)]);
  });
});

describe("duplicates", () => {
  test("the same event three times in one batch and again later yields one blob per name, never overwritten", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "hello", attachments: [{ id: "dup-att", name: "a.txt", size: 10_000, mediaType: "text/plain" }] }]);
    const body = JSON.stringify(customerEndEvent({ conversationId }));
    const event = JSON.parse(body);
    const expected = [eventBlobName(event, conversationId), `transcripts/${conversationId}/transcript.json`, `transcripts/${conversationId}/attachments/dup-att/a.txt`, manifestOf(conversationId)];

    const first = await invoke([sqsRecord(body), sqsRecord(body), sqsRecord(body)]);
    expect(first.batchItemFailures).toEqual([]);
    const before = await expectVaultExactly(conversationId, expected);

    const later = await invoke([sqsRecord(body)]);
    expect(later.batchItemFailures).toEqual([]);
    const after = await expectVaultExactly(conversationId, expected);
    expect(after.map((b) => b.lastModified.getTime())).toEqual(before.map((b) => b.lastModified.getTime()));
  });
});

describe("failures and retries", () => {
  test("Azure 503s and timeouts fail only the affected records; the retry completes them without duplicates", async () => {
    const conversationId = randomUUID();
    const events = [0, 1, 2, 3].map(() => transcriptionEvent({ conversationId }));
    const records = events.map((e) => sqsRecord(JSON.stringify(e)));
    proxy.addFault({ match: (r) => r.method === "PUT" && r.url.includes(`${String(events[0]!.id)}.json`), status: 503 });
    proxy.addFault({ match: (r) => r.method === "PUT" && r.url.includes(`${events[1]!.id}.json`), hang: true });
    // Small event blobs only: a shorter deadline than the shared archiver's, so the hang is waited out sooner.
    const impatient = await startBundle(bundleFunction("transcript-archiver").entry, { ...baseEnv, AZURE_REQUEST_TIMEOUT_MS: "1000" });

    let response: SqsBatchResponse | undefined;
    const errors = await errorLogsOf(impatient, async () => (response = await impatient.invoke<SqsBatchResponse>(sqsBatch(records), { timeoutMs: 60_000 }))).finally(() => impatient.close());

    expect(failedIds(response!)).toEqual([records[0]!.messageId, records[1]!.messageId].sort());
    // The operator learns which blob, where, and which setting: never a bare AbortError, never the SAS.
    expect(errors).toMatch(new RegExp(`Azure Blob upload of 127\\.0\\.0\\.1:\\d+/devstoreaccount1/vault/events/\\d{4}/\\d\\d/\\d\\d/${conversationId}/${events[1]!.id}\\.json timed out after 1000 ms \\(AZURE_REQUEST_TIMEOUT_MS`));
    expect(errors).not.toContain("sig=");
    expect(proxy.injected.filter((i) => i.url.includes(String(events[0]!.id))).length).toBeGreaterThanOrEqual(2); // retried within the call
    await expectVaultExactly(conversationId, events.slice(2).map((e) => eventBlobName(e, conversationId)));

    proxy.clearFaults();
    const retry = await invoke(records.slice(0, 2));
    expect(retry.batchItemFailures).toEqual([]);
    await expectVaultExactly(conversationId, events.map((e) => eventBlobName(e, conversationId)));
  });

  test("a Genesys 429 is waited out for the Retry-After seconds, then the transcript is archived", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "rate limited" }]);
    genesys.failNext("recordings", [{ status: 429, retryAfter: 1 }]);
    const event = customerEndEvent({ conversationId });
    archiver.takeLogs();

    const response = await invoke([sqsRecord(JSON.stringify(event))]);

    expect(response.batchItemFailures).toEqual([]);
    expect(emfTotals(archiver.takeLogs()).totals).toMatchObject({ GenesysRateLimited: 1, GenesysRetries: 1 });
    const calls = genesys.requestsOf("recordings").filter((r) => r.path.includes(conversationId));
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    await expectVaultExactly(conversationId, [eventBlobName(event, conversationId), `transcripts/${conversationId}/transcript.json`, manifestOf(conversationId)]);
  });

  test("a revoked token (401 bad.credentials) triggers one re-login and the call succeeds", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "after revocation" }]);
    // Warm the container's token first, then revoke it.
    await invoke([sqsRecord(JSON.stringify(customerEndEvent({ conversationId: randomUUID(), mediaType: "VOICE" })))]);
    genesys.revokeTokens();
    const issuedBefore = genesys.tokensIssued;
    const event = customerEndEvent({ conversationId });

    const response = await invoke([sqsRecord(JSON.stringify(event))]);

    expect(response.batchItemFailures).toEqual([]);
    expect(genesys.tokensIssued).toBe(issuedBefore + 1);
    expect(genesys.requestsOf("recordings").filter((r) => r.path.includes(conversationId)).map((r) => r.status)).toEqual([401, 200]);
    await expectVaultExactly(conversationId, [eventBlobName(event, conversationId), `transcripts/${conversationId}/transcript.json`, manifestOf(conversationId)]);
  });

  test("an attachment download failing mid-stream fails the record without a partial blob; the retry completes it", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "big file", attachments: [{ id: "cut-att", name: "video.mp4", size: 600_000, mediaType: "video/mp4" }] }]);
    genesys.failNext("media", [{ abortAfterBytes: 200_000 }]);
    const event = customerEndEvent({ conversationId });
    const record = sqsRecord(JSON.stringify(event));
    const attachment = `transcripts/${conversationId}/attachments/cut-att/video.mp4`;

    const first = await invoke([record]);

    expect(failedIds(first)).toEqual([record.messageId]);
    expect((await listBlobs(`transcripts/${conversationId}/attachments/`)).map((b) => b.name)).toEqual([]);

    const retry = await invoke([record]);
    expect(retry.batchItemFailures).toEqual([]);
    await expectVaultExactly(conversationId, [eventBlobName(event, conversationId), `transcripts/${conversationId}/transcript.json`, attachment, manifestOf(conversationId)]);
    expect(sha256(await readBlob(attachment))).toBe(sha256(attachmentContent("cut-att", 600_000)));
  });
});

describe("integrity and completeness", () => {
  const recordingsOf = (conversationId: string) => genesys.requestsOf("recordings").filter((r) => r.path.includes(conversationId));
  const mediaOf = (id: string) => genesys.requests.filter((r) => (r.route === "media" || r.route === "presigned") && r.path.includes(id));

  test("the manifest, written last, lists every transcript blob with its real size and SHA-256; a later delivery skips Genesys", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "two files", attachments: [{ id: "mf-1", name: "a.png", size: 70_000 }, { id: "mf-2", name: "b.pdf", size: 300_000, mediaType: "application/pdf" }] }]);
    const body = JSON.stringify(customerEndEvent({ conversationId }));

    expect((await invoke([sqsRecord(body)])).batchItemFailures).toEqual([]);

    const manifestBlob = (await listBlobs(manifestOf(conversationId)))[0]!;
    const manifest = JSON.parse((await readBlob(manifestOf(conversationId))).toString("utf8"));
    const stored = (await listBlobs(`transcripts/${conversationId}/`)).filter((b) => b.name !== manifestOf(conversationId));
    expect(manifest.conversationId).toBe(conversationId);
    expect(manifest.blobs.map((b: any) => b.name).sort()).toEqual(stored.map((b) => b.name).sort());
    for (const entry of manifest.blobs) {
      const content = await readBlob(entry.name);
      expect(entry).toEqual({ name: entry.name, size: content.length, sha256: sha256(content) });
    }
    expect(manifest.blobs.find((b: any) => b.name.endsWith("b.pdf")).size).toBe(300_000);
    expect(Math.max(...stored.map((b) => b.lastModified.getTime()))).toBeLessThanOrEqual(manifestBlob.lastModified.getTime());

    // A second delivery (e.g. a reconciler backfill) finds the manifest and calls Genesys no more.
    const calls = recordingsOf(conversationId).length;
    expect((await invoke([sqsRecord(body)])).batchItemFailures).toEqual([]);
    expect(recordingsOf(conversationId)).toHaveLength(calls);
  });

  test("a short download (200 with fewer bytes than the transcript's contentLength) fails the record and commits nothing; the retry completes it", async () => {
    const conversationId = randomUUID();
    const size = 600_000; // the 5 MiB case in production; smaller here so a loaded machine cannot time the retry out
    genesys.addConversation(conversationId, [{ messageText: "receipt", attachments: [{ id: "short-att", name: "receipt.pdf", size }] }]);
    genesys.failNext("media", [{ truncateTo: 14 }]);
    const record = sqsRecord(JSON.stringify(customerEndEvent({ conversationId })));
    const errors = await errorLogsOf(archiver, async () => expect(failedIds(await invoke([record]))).toEqual([record.messageId]));

    expect((await listBlobs(`transcripts/${conversationId}/`)).map((b) => b.name)).toEqual([`transcripts/${conversationId}/transcript.json`]);
    expect(errors).toMatch(/announces 14 bytes, the transcript says 600000/);

    expect((await invoke([record])).batchItemFailures).toEqual([]);
    const attachment = `transcripts/${conversationId}/attachments/short-att/receipt.pdf`;
    expect(sha256(await readBlob(attachment))).toBe(sha256(attachmentContent("short-att", size)));
    expect((await listBlobs(manifestOf(conversationId))).length).toBe(1);
  });

  test("a short chunked download (no Content-Length) is caught by the bytes received and commits nothing", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "chunked", attachments: [{ id: "chunked-att", name: "c.bin", size: 300_000 }] }]);
    genesys.failNext("media", [{ truncateTo: 100_000, chunked: true }]);
    const record = sqsRecord(JSON.stringify(customerEndEvent({ conversationId })));

    const errors = await errorLogsOf(archiver, async () => expect(failedIds(await invoke([record]))).toEqual([record.messageId]));

    expect(errors).toContain(`download for transcripts/${conversationId}/attachments/chunked-att/c.bin delivered 100000 of 300000 bytes; nothing committed`);
    expect(await listBlobs(`transcripts/${conversationId}/attachments/`)).toEqual([]);
    expect(await listBlobs(manifestOf(conversationId))).toEqual([]);
  });

  test("an earlier blob that conflicts with the transcript (a stored short attachment) fails loudly and no manifest is written", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "receipt", attachments: [{ id: "old-short", name: "r.png", size: 50_000 }] }]);
    // What the archiver stored before sizes were checked: 14 bytes, create-only, forever.
    const name = `transcripts/${conversationId}/attachments/old-short/r.png`;
    const short = attachmentContent("old-short", 14);
    await vault.getBlockBlobClient(name).upload(short, short.length, { metadata: { sha256: sha256(short), conversationid: conversationId } });
    const record = sqsRecord(JSON.stringify(customerEndEvent({ conversationId })));
    const errors = await errorLogsOf(archiver, async () => expect(failedIds(await invoke([record]))).toEqual([record.messageId]));

    expect(errors).toContain("VAULT INTEGRITY: record failed, nothing committed for the mismatching blob");
    expect(errors).toContain(`vault blob ${name} holds 14 bytes but the transcript announces 50000`);
    expect(await listBlobs(manifestOf(conversationId))).toEqual([]);
    expect(mediaOf("old-short")).toHaveLength(0); // nothing downloaded that could not be stored
  });

  test("blobs an interrupted attempt committed are accepted (not downloaded again) and the manifest covers them", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "files", attachments: [{ id: "part-1", name: "1.bin", size: 100_000 }, { id: "part-2", name: "2.bin", size: 400_000 }] }]);
    genesys.failNext("media", [{ abortAfterBytes: 50_000, mediaId: "part-2" }]);
    const record = sqsRecord(JSON.stringify(customerEndEvent({ conversationId })));

    const first = await invoke([record]);
    expect(failedIds(first)).toEqual([record.messageId]);
    expect((await listBlobs(`transcripts/${conversationId}/attachments/`)).map((b) => b.name)).toEqual([`transcripts/${conversationId}/attachments/part-1/1.bin`]);

    expect((await invoke([record])).batchItemFailures).toEqual([]);
    expect(mediaOf("part-1")).toHaveLength(1); // accepted from the vault, not downloaded again
    expect(mediaOf("part-2")).toHaveLength(2);
    const manifest = JSON.parse((await readBlob(manifestOf(conversationId))).toString("utf8"));
    expect(manifest.blobs).toHaveLength(3);
    for (const entry of manifest.blobs) expect(entry.sha256).toBe(sha256(await readBlob(entry.name)));
  });

  test("with one slow attachment among 5 records, the time guard fails only that record; the 4 finished ones are acked", async () => {
    const slowId = randomUUID();
    genesys.addConversation(slowId, [{ messageText: "slow", attachments: [{ id: "slow-att", name: "movie.mp4", size: 2 * 1024 * 1024 }] }]);
    genesys.failNext("media", [{ bytesPerSecond: 256 * 1024 }]); // ~8 s
    const others = [0, 1, 2, 3].map(() => randomUUID());
    const otherEvents = others.map((conversationId) => transcriptionEvent({ conversationId }));
    const records = [sqsRecord(JSON.stringify(customerEndEvent({ conversationId: slowId }))), ...otherEvents.map((e) => sqsRecord(JSON.stringify(e)))];

    const started = Date.now();
    const response = await archiver.invoke<SqsBatchResponse>(sqsBatch(records), { timeoutMs: 5_000 }); // guard at 3 s left
    const took = Date.now() - started;

    expect(failedIds(response)).toEqual([records[0]!.messageId]);
    expect(took).toBeLessThan(5_000);
    for (const [i, conversationId] of others.entries()) await expectVaultExactly(conversationId, [eventBlobName(otherEvents[i]!, conversationId)]);
    expect(await listBlobs(`transcripts/${slowId}/attachments/`)).toEqual([]);
    expect(await listBlobs(manifestOf(slowId))).toEqual([]);

    expect((await invoke([records[0]!])).batchItemFailures).toEqual([]);
    expect((await listBlobs(manifestOf(slowId))).length).toBe(1);
  });

  test("an expired pre-signed media URL is retryable, named by host and path only, and the retry succeeds with a fresh URL", async () => {
    const conversationId = randomUUID();
    genesys.addConversation(conversationId, [{ messageText: "signed", attachments: [{ id: "signed-att", name: "s.png", size: 20_000, presigned: true }] }]);
    const record = sqsRecord(JSON.stringify(customerEndEvent({ conversationId })));
    // The URL has expired by the time it is fetched.
    genesys.presignedLifetimeSeconds = 0;
    let first: SqsBatchResponse | undefined;
    const error = await errorLogsOf(archiver, async () => (first = await invoke([record]))).finally(() => (genesys.presignedLifetimeSeconds = 300));

    expect(failedIds(first!)).toEqual([record.messageId]);
    expect(error).toContain('"errorName":"GenesysTransientError"');
    expect(error).toMatch(/download http:\/\/127\.0\.0\.1:\d+\/blobs\/signed-att: HTTP 403: the pre-signed media URL was refused, most likely expired \(X-Amz-Date \+ X-Amz-Expires/);
    expect(error).not.toContain("signature=");

    expect((await invoke([record])).batchItemFailures).toEqual([]);
    expect((await listBlobs(manifestOf(conversationId))).length).toBe(1);
  });
});

describe("secrets recover while warm", () => {
  test("a Genesys secret and a vault SAS fixed after a failure are re-read once, single-flight, without waiting for the cache TTL", async () => {
    const genesysArn = secrets.put("genesys-client-warm", { clientId: genesys.credentials.clientId, clientSecret: "wrong" });
    const vaultArn = secrets.put("vault-sas-warm", {
      blobEndpoint: `${proxy.origin}/devstoreaccount1`,
      containerName: CONTAINER,
      sasToken: azurite.containerSas(CONTAINER, "r"), // cannot create: 403
      expiresOn: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const warm = await startBundle(bundleFunction("transcript-archiver").entry, { ...baseEnv, GENESYS_SECRET_ARN: genesysArn, AZURE_VAULT_SECRET_ARN: vaultArn });
    try {
      const reads = (arn: string) => secrets.calls.filter((c) => c.operation === "GetSecretValue" && c.secretId === arn).length;
      const ids = [0, 1, 2, 3, 4].map(() => randomUUID());
      for (const id of ids) genesys.addConversation(id, [{ messageText: "hi" }]);
      const records = ids.map((conversationId) => sqsRecord(JSON.stringify(customerEndEvent({ conversationId }))));

      // Both credentials are refused: 5 concurrent records share one read and one re-read of each secret.
      const vaultErrors = await errorLogsOf(warm, async () => expect((await warm.invoke<SqsBatchResponse>(sqsBatch(records))).batchItemFailures).toHaveLength(5));
      expect(reads(vaultArn)).toBe(2);
      expect(vaultErrors).toMatch(/refused: 403 \w+, again after re-reading the SAS in secret .*vault-sas-warm/);

      // Vault fixed: the Genesys secret is now the one failing (invalid_client), re-read once.
      secrets.put("vault-sas-warm", { blobEndpoint: `${proxy.origin}/devstoreaccount1`, containerName: CONTAINER, sasToken, expiresOn: new Date(Date.now() + 3_600_000).toISOString() });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      const genesysErrors = await errorLogsOf(warm, async () => expect((await warm.invoke<SqsBatchResponse>(sqsBatch(records))).batchItemFailures).toHaveLength(5));
      expect(reads(genesysArn)).toBe(2);
      expect(genesysErrors).toMatch(/invalid_client/);

      secrets.put("genesys-client-warm", genesys.credentials);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect((await warm.invoke<SqsBatchResponse>(sqsBatch(records))).batchItemFailures).toEqual([]);
      expect(reads(genesysArn)).toBe(3);
      for (const id of ids) expect((await listBlobs(manifestOf(id))).length).toBe(1);
    } finally {
      await warm.close();
    }
  });
});

describe("malformed records", () => {
  async function quarantined(messageId: string): Promise<{ name: string; document: any; metadata: Record<string, string> }> {
    const [blob] = (await listBlobs("quarantine/")).filter((b) => b.name.endsWith(`/${messageId}.json`));
    expect(blob).toBeDefined();
    return { name: blob!.name, metadata: blob!.metadata, document: JSON.parse((await readBlob(blob!.name)).toString("utf8")) };
  }

  test("bad JSON, missing fields and an oversized body are quarantined with their reason and not retried", async () => {
    const missingTopic = transcriptionEvent({ conversationId: randomUUID() }) as any;
    delete missingTopic.detail.topicName;
    const oversized = transcriptionEvent({ conversationId: randomUUID() }) as any;
    oversized.detail.eventBody.padding = "x".repeat(MAX_EVENT_BYTES);
    const records = [
      sqsRecord("{not json", { sentTimestamp: Date.parse("2024-05-02T23:59:59Z") }),
      sqsRecord(JSON.stringify(missingTopic)),
      sqsRecord(JSON.stringify(oversized)),
    ];
    archiver.takeLogs();

    const response = await invoke(records);

    expect(response.batchItemFailures).toEqual([]);
    const metrics = emfTotals(archiver.takeLogs()).totals;
    expect(metrics.RecordsQuarantined).toBe(3);
    expect(metrics.EventsArchived).toBeUndefined();
    const [badJson, missing, big] = await Promise.all(records.map((r) => quarantined(r.messageId)));
    expect(badJson!.name).toBe(`quarantine/2024/05/02/${records[0]!.messageId}.json`);
    expect(badJson!.document).toMatchObject({ reason: expect.stringMatching(/^body is not valid JSON/), body: "{not json", messageId: records[0]!.messageId });
    expect(missing!.document.reason).toBe("detail.topicName is missing");
    expect(big!.document.reason).toMatch(/over the 65536-byte limit/);
    expect(big!.document.body).toBe(records[2]!.body);
    expect(missing!.metadata.sha256).toBe(sha256(await readBlob(missing!.name)));
    expect(await listBlobs(`events/2024/05/01/${missingTopic.detail.eventBody.conversationId}/`)).toEqual([]);
  });

  test("if the quarantine write fails the record fails (SQS retries, then DLQ); the retry quarantines it once", async () => {
    const record = sqsRecord('{"id": 42}');
    proxy.addFault({ match: (r) => r.url.includes("/quarantine/"), status: 503 });

    expect(failedIds(await invoke([record]))).toEqual([record.messageId]);
    expect((await listBlobs("quarantine/")).filter((b) => b.name.includes(record.messageId))).toEqual([]);

    proxy.clearFaults();
    expect((await invoke([record])).batchItemFailures).toEqual([]);
    expect((await invoke([record])).batchItemFailures).toEqual([]);
    expect((await quarantined(record.messageId)).document.reason).toBe("id must be a non-empty string");
    expect((await listBlobs("quarantine/")).filter((b) => b.name.includes(record.messageId))).toHaveLength(1);
  });
});

describe("credentials and logs", () => {
  test("the vault SAS the function gets can create blobs but Azurite refuses reads, lists and deletes with it", async () => {
    const sasVault = new SasContainerClient(`${azurite.blobEndpoint}/${CONTAINER}?${sasToken}`, newPipeline(new AnonymousCredential(), { retryOptions: { maxTries: 1 } }));
    const name = `probe/${randomUUID()}.txt`;
    await sasVault.getBlockBlobClient(name).upload("x", 1, { conditions: { ifNoneMatch: "*" } });
    const statusOf = (p: Promise<unknown>) => p.then(() => 200, (e: any) => e.statusCode);

    expect(await statusOf(sasVault.getBlockBlobClient(name).downloadToBuffer())).toBe(403);
    expect(await statusOf(sasVault.listBlobsFlat().next())).toBe(403);
    expect(await statusOf(sasVault.getBlockBlobClient(name).delete())).toBe(403);
  });

  test("log lines are JSON with event and conversation ids, and never contain a secret", async () => {
    archiver.takeLogs();
    const conversationId = randomUUID();
    const event = transcriptionEvent({ conversationId });
    await invoke([sqsRecord(JSON.stringify(event))]);

    const logs = archiver.takeLogs();
    expect(logs.find((l) => l.message === "event archived")).toMatchObject({ eventId: event.id, conversationId, service: "transcript-archiver", level: "INFO" });
    const text = JSON.stringify(logs);
    expect(text).not.toContain(genesys.credentials.clientSecret);
    expect(text).not.toContain(new URLSearchParams(sasToken).get("sig") as string);
  });
});

describe("self-test (sas mode)", () => {
  let selfTested: BundleProcess;
  /** Functions a test started for itself: stopped when it ends, so they do not pile up in memory. */
  const started: BundleProcess[] = [];

  /** An archiver whose vault secret says the SAS expires in `daysLeft` days. */
  async function archiverWithSas(daysLeft: number): Promise<BundleProcess> {
    const vaultSecretArn = secrets.put(`vault-sas-${randomUUID()}`, {
      blobEndpoint: `${proxy.origin}/devstoreaccount1`,
      containerName: CONTAINER,
      sasToken,
      expiresOn: new Date(Date.now() + daysLeft * 86_400_000 + 3_600_000).toISOString(),
    });
    const fn = await startBundle(bundleFunction("transcript-archiver").entry, { ...baseEnv, AZURE_VAULT_SECRET_ARN: vaultSecretArn });
    started.push(fn);
    return fn;
  }

  beforeAll(async () => {
    selfTested = await archiverWithSas(30);
    started.length = 0;
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((fn) => fn.close()));
  });
  afterAll(async () => {
    await selfTested?.close();
  });

  const selfTest = (fn: BundleProcess, runId?: string) => fn.invoke<SelfTestResponse>(selfTestRequest(runId), { functionName: "gcv-test-transcript-archiver" });

  test("healthy: every check passes (federated-only ones skipped), the only write is one small canary blob named for the run", async () => {
    const runId = `healthy-${randomUUID()}`;
    const genesysCalls = genesys.requests.length;
    const response = await selfTest(selfTested, runId);

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(response.gcvSelfTest).toMatchObject({ version: 1, function: "gcv-test-transcript-archiver", runId, ok: true });
    expect(response.gcvSelfTest.checks.map((c) => [c.name, c.ok, c.skipped ?? false])).toEqual([
      ["genesys secret", true, false],
      ["vault secret", true, false],
      ["vault lister secret", true, false],
      ["genesys login", true, false],
      ["genesys recordings permission", true, false],
      ["sts web identity token", true, true],
      ["entra token exchange", true, true],
      ["vault canary write", true, false],
      ["vault SAS days left", true, false],
    ]);
    expect(checkOf(response, "sts web identity token").reason).toMatch(/applies in federated mode/);
    // The probe asked Genesys for an unknown conversation's recordings and got 404.
    const probes = genesys.requests.slice(genesysCalls).filter((r) => r.route === "recordings");
    expect(probes.map((r) => r.status)).toEqual([404]);
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, "/");
    const canaries = (await listBlobs("canary/")).filter((b) => b.name.includes(runId));
    expect(canaries.map((b) => b.name)).toEqual([`canary/${today}/${runId}.json`]);
    const content = await readBlob(canaries[0]!.name);
    expect(content.length).toBeLessThan(300);
    expect(JSON.parse(content.toString("utf8"))).toMatchObject({ kind: "self-test canary", runId });
    expect(canaries[0]!.metadata).toMatchObject({ canary: "true", runid: runId, sha256: sha256(content) });
  });

  test("the Azure firewall refusing the NAT IP (403 AuthorizationFailure) fails the canary check with the firewall fix", async () => {
    proxy.addFault({ match: (r) => r.url.includes("/canary/"), status: 403, code: "AuthorizationFailure" });
    const response = await selfTest(selfTested);

    expect(response.gcvSelfTest.ok).toBe(false);
    expect(failedChecks(response)).toEqual(["vault canary write"]);
    const check = checkOf(response, "vault canary write");
    expect(check.reason).toMatch(/^Azure Blob upload of 127\.0\.0\.1:\d+\/devstoreaccount1\/vault\/canary\/.+ refused: 403 AuthorizationFailure/);
    expect(check.fix).toMatch(/storage firewall refused .*NAT IPs must be in the account's ip_rules/);
  });

  test("a SAS without create permission (403 AuthorizationPermissionMismatch) fails the canary check with the permission fix", async () => {
    const readOnly = secrets.put(`vault-sas-${randomUUID()}`, {
      blobEndpoint: `${proxy.origin}/devstoreaccount1`,
      containerName: CONTAINER,
      sasToken: azurite.containerSas(CONTAINER, "l"),
      expiresOn: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    const fn = await startBundle(bundleFunction("transcript-archiver").entry, { ...baseEnv, AZURE_VAULT_SECRET_ARN: readOnly });
    started.push(fn);
    const response = await selfTest(fn);

    expect(failedChecks(response)).toEqual(["vault canary write"]);
    expect(checkOf(response, "vault canary write")).toMatchObject({
      reason: expect.stringMatching(/403 AuthorizationPermissionMismatch/),
      fix: expect.stringMatching(/lacks this permission/),
    });
  });

  test("a Genesys 403 on the recordings probe fails that check, naming the permission to add", async () => {
    genesys.failNext("recordings", [{ status: 403, code: "missing.permissions" }]);
    const response = await selfTest(selfTested);

    expect(failedChecks(response)).toEqual(["genesys recordings permission"]);
    expect(checkOf(response, "genesys recordings permission")).toMatchObject({
      reason: expect.stringMatching(/^Genesys refused GET .*\/recordings: .*HTTP 403 missing\.permissions/),
      fix: "add the permission recording:recording:view to the role of this function's Genesys OAuth client",
    });
  });

  test("a SAS with fewer than 7 days left fails the days-left check; a refused Genesys login skips the probe after it", async () => {
    const fn = await archiverWithSas(2);
    genesys.failNext("token", [{ status: 401, code: "invalid_client" }]);
    const response = await selfTest(fn);

    expect(checkOf(response, "vault SAS days left")).toMatchObject({ ok: false, reason: expect.stringMatching(/^the vault SAS expires in 2 day\(s\)/), fix: expect.stringMatching(/re-apply <env>-azure/) });
    expect(checkOf(response, "genesys login")).toMatchObject({ ok: false, reason: expect.stringMatching(/Genesys login refused: HTTP 401/), fix: expect.stringMatching(/client credentials/) });
    expect(checkOf(response, "genesys recordings permission")).toMatchObject({ ok: false, skipped: true, reason: 'not run: "genesys login" did not pass' });
  });

  test("a secret missing a field fails its check by field name, never printing a value; logs hold no secret", async () => {
    const partial = secrets.put(`genesys-${randomUUID()}`, { clientId: genesys.credentials.clientId });
    const fn = await startBundle(bundleFunction("transcript-archiver").entry, { ...baseEnv, GENESYS_SECRET_ARN: partial });
    started.push(fn);
    const response = await selfTest(fn);

    expect(checkOf(response, "genesys secret")).toMatchObject({ ok: false, reason: expect.stringMatching(/lacks string field\(s\): clientSecret$/) });
    const everything = JSON.stringify(response) + JSON.stringify(fn.takeLogs()) + fn.stderr() + JSON.stringify(selfTested.takeLogs()) + selfTested.stderr();
    expect(everything).not.toContain(genesys.credentials.clientSecret);
    expect(everything).not.toContain(new URLSearchParams(sasToken).get("sig") as string);
  });

  test("a self-test request delivered through SQS is quarantined as malformed, with the reason, and runs nothing", async () => {
    const record = sqsRecord(JSON.stringify(selfTestRequest("via-sqs")));
    const asDetail = sqsRecord(JSON.stringify({ ...transcriptionEvent({ conversationId: randomUUID() }), detail: selfTestRequest("via-sqs-detail") }));
    const response = await invoke([record, asDetail]);

    expect(response.batchItemFailures).toEqual([]);
    for (const r of [record, asDetail]) {
      const [blob] = (await listBlobs("quarantine/")).filter((b) => b.name.endsWith(`/${r.messageId}.json`));
      const document = JSON.parse((await readBlob(blob!.name)).toString("utf8"));
      expect(document.reason).toMatch(/^a self-test request \(gcvSelfTest\) arrived through a trigger/);
    }
    expect((await listBlobs("canary/")).filter((b) => b.name.includes("via-sqs"))).toEqual([]);
  });
});
