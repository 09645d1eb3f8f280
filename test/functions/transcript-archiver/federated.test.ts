/**
 * The bundled archiver in federated mode, end to end on local stand-ins: the STS fake
 * issues the role's web identity token (enforcing the role's synthesized IAM statement),
 * the Entra fake checks it as a federated client assertion (issuer, audience, subject,
 * signature) and issues a storage token, the RBAC proxy enforces the deployed role's data
 * actions, and Azurite in OAuth mode (HTTPS, throw-away certificate) stores the blobs.
 * No SAS and no key is involved anywhere on the archiver's side.
 *
 * The list-only identities (the reconciler's own, and the archiver's second assignment)
 * run in this process against the same stand-ins: the RBAC proxy evaluates the deployed
 * ABAC condition (List Blobs only).
 */
import { randomUUID } from "node:crypto";
import { STSClient } from "@aws-sdk/client-sts";
import { RestError, type ContainerClient } from "@azure/storage-blob";
import { getWebIdentityTokenForAzure } from "../../../constructs/pipelines/pipeline-context";
import { LIST_ONLY_CONDITION, VAULT_LISTER_DATA_ACTIONS, VAULT_WRITER_DATA_ACTIONS } from "../../../constructs/vault/vault-writer-identity";
import { federatedContainerClient, VaultCredentialError } from "../../../functions/shared/federated-credential";
import type { ContainerAccess } from "../../../functions/shared/vault-credential";
import { Vault } from "../../../functions/transcript-archiver/vault";
import { bundleFunction } from "../../../lib/bundling";
import type { SqsBatchResponse } from "../../../functions/shared/lambda-types";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import type { ReconcileReport } from "../../../functions/vault-reconciler/handler";
import { startAzurite, type Azurite } from "../../support/azurite";
import { startEntraFake, type EntraFake } from "../../support/entra-fake";
import { idempotencyTable, startDynalite } from "../../support/dynalite";
import { startGenesysFake, type GenesysFake } from "../../support/genesys-fake";
import { startLambdaFake } from "../../support/lambda-fake";
import { sqsBatch, sqsRecord, transcriptionEvent } from "../../support/events";
import { startBundle, type BundleProcess, type LogLine } from "../../support/invoke-bundle";
import { startRbacProxy, type RbacProxy } from "../../support/rbac-proxy";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";
import { startSqsLocal } from "../../support/sqs-local";
import { startStsFake, type StsFake } from "../../support/sts-fake";
import { makeTlsCertificate, trustInThisProcess, type TlsCertificate } from "../../support/tls-cert";

const CONTAINER = "vault";
const ARCHIVER_ROLE = "arn:aws:iam::123456789012:role/gcv-dev-transcript-archiver";
const OTHER_ROLE = "arn:aws:iam::123456789012:role/some-other-function";
const READER_ROLE = "arn:aws:iam::123456789012:role/gcv-dev-vault-reader";
const RECONCILER_ROLE = "arn:aws:iam::123456789012:role/gcv-dev-vault-reconciler";

let tls: TlsCertificate;
let azurite: Azurite;
let sts: StsFake;
let entra: EntraFake;
let proxy: RbacProxy;
let secrets: SecretsFake;
let vault: ContainerClient; // account-key access, for assertions only
let entry: string;
const writer = { clientId: randomUUID(), objectId: randomUUID() };
const reader = { clientId: randomUUID(), objectId: randomUUID() };
const reconciler = { clientId: randomUUID(), objectId: randomUUID() };
const running: BundleProcess[] = [];
/** Every log line and stderr text of every archiver, for the no-secret check. */
const output: string[] = [];

beforeAll(async () => {
  entry = bundleFunction("transcript-archiver").entry;
  tls = makeTlsCertificate();
  trustInThisProcess(tls);
  [azurite, sts, secrets] = await Promise.all([startAzurite({ tls, oauth: true }), startStsFake(), startSecretsFake()]);
  entra = await startEntraFake({ [sts.issuer]: sts.signingKey.publicKey });
  proxy = await startRbacProxy(azurite.origin, tls, entra.signingKey.publicKey);
  vault = azurite.serviceClient().getContainerClient(CONTAINER);
  await vault.create();

  // What <env>-aws and <env>-azure deploy: the role's statement, the federated credential, the role assignment.
  sts.addRole("AKIDARCHIVER", ARCHIVER_ROLE, [getWebIdentityTokenForAzure()]);
  sts.addRole("AKIDOTHER", OTHER_ROLE, [getWebIdentityTokenForAzure()]);
  sts.addRole("AKIDREADER", READER_ROLE, [getWebIdentityTokenForAzure()]);
  sts.addRole("AKIDRECONCILER", RECONCILER_ROLE, [getWebIdentityTokenForAzure()]);
  // The same statement with a tighter lifetime: proves the fake evaluates the conditions.
  const tight = getWebIdentityTokenForAzure();
  sts.addRole("AKIDTIGHT", ARCHIVER_ROLE, [{ ...tight, Condition: { ...tight.Condition, NumericLessThanEquals: { "sts:DurationSeconds": "60" } } }]);
  const trust = (subject: string) => ({ issuer: sts.issuer, subject, audiences: ["api://AzureADTokenExchange"] });
  entra.register({ ...writer, federatedCredential: trust(ARCHIVER_ROLE) });
  entra.register({ ...reader, federatedCredential: trust(READER_ROLE) });
  entra.register({ ...reconciler, federatedCredential: trust(RECONCILER_ROLE) });
  proxy.grant(writer.objectId, VAULT_WRITER_DATA_ACTIONS);
  // As <env>-azure assigns them: the archiver's second assignment and the reconciler's only one.
  proxy.grant(writer.objectId, VAULT_LISTER_DATA_ACTIONS, LIST_ONLY_CONDITION);
  proxy.grant(reconciler.objectId, VAULT_LISTER_DATA_ACTIONS, LIST_ONLY_CONDITION);
  proxy.grant(reader.objectId, ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]);
}, 60_000);

afterAll(async () => {
  await Promise.all(running.map((p) => p.close()));
  await Promise.all([proxy?.close(), entra?.close(), sts?.close(), secrets?.close()]);
  await azurite?.stop();
  tls?.remove();
});

// Archivers a test starts are closed after it (their logs kept for the log test); those a
// describe block starts in beforeAll live until the end. Keeps the suite's memory flat.
let startedBeforeTest = 0;
beforeEach(() => {
  startedBeforeTest = running.length;
});

afterEach(async () => {
  for (const p of running) {
    output.push(...p.takeLogs().map((line) => JSON.stringify(line)), p.stderr());
  }
  await Promise.all(running.splice(startedBeforeTest).map((p) => p.close()));
  entra.tokenLifetimeSeconds = 3600;
  entra.resetNext(0);
  sts.federationEnabled = true;
});

/** A warm archiver running as `accessKeyId`'s role with the coordinates of `app`. */
async function startArchiver(accessKeyId: string, app: { clientId: string }, env: Record<string, string> = {}): Promise<BundleProcess> {
  const secretArn = secrets.put(`vault-coordinates-${randomUUID()}`, {
    blobEndpoint: `${proxy.origin}/devstoreaccount1`,
    containerName: CONTAINER,
    tenantId: entra.tenantId,
    clientId: app.clientId,
  });
  const archiver = await startBundle(entry, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "eu-west-1",
    AZURE_VAULT_AUTH: "federated",
    AZURE_AUTHORITY_HOST: entra.authorityHost,
    AZURE_VAULT_SECRET_ARN: secretArn,
    AZURE_REQUEST_TIMEOUT_MS: "2000",
    AZURE_MAX_TRIES: "2",
    NODE_EXTRA_CA_CERTS: tls.certPath,
    GENESYS_REGION_DOMAIN: "mypurecloud.com",
    POWERTOOLS_SERVICE_NAME: "transcript-archiver",
    LOG_LEVEL: "INFO",
    ...env,
  });
  running.push(archiver);
  return archiver;
}

/** The reconciler's environment in federated mode, with its own Entra application, as <env>-aws and <env>-azure configure it. */
function federatedReconcilerEnv(): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    AWS_ACCESS_KEY_ID: "AKIDRECONCILER",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_REGION: "eu-west-1",
    AZURE_VAULT_AUTH: "federated",
    AZURE_AUTHORITY_HOST: entra.authorityHost,
    // What <env>-azure delivers into <prefix>/azure-vault-lister in federated mode.
    AZURE_VAULT_LISTER_SECRET_ARN: secrets.put(`reconciler-coordinates-${randomUUID()}`, {
      blobEndpoint: `${proxy.origin}/devstoreaccount1`,
      containerName: CONTAINER,
      tenantId: entra.tenantId,
      clientId: reconciler.clientId,
    }),
    NODE_EXTRA_CA_CERTS: tls.certPath,
    GENESYS_REGION_DOMAIN: "mypurecloud.com",
    POWERTOOLS_SERVICE_NAME: "vault-reconciler",
    LOG_LEVEL: "INFO",
  };
}

function newEvent() {
  const conversationId = randomUUID();
  const event = transcriptionEvent({ conversationId });
  return { conversationId, event, record: sqsRecord(event), blobName: `events/2024/05/01/${conversationId}/${event.id as string}.json` };
}

const invoke = (archiver: BundleProcess, records: ReturnType<typeof sqsRecord>[]) => archiver.invoke<SqsBatchResponse>(sqsBatch(records), { timeoutMs: 60_000 });
const failed = (response: SqsBatchResponse) => response.batchItemFailures.map((f) => f.itemIdentifier);
const blobsOf = async (conversationId: string) => {
  const names: string[] = [];
  for await (const blob of vault.listBlobsFlat({ prefix: `events/2024/05/01/${conversationId}/` })) names.push(blob.name);
  return names;
};
/** Error log lines (Powertools writes them to stderr). */
const errorLines = (archiver: BundleProcess): LogLine[] =>
  archiver
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.level === "ERROR");

describe("federated writer identity", () => {
  let archiver: BundleProcess;
  beforeAll(async () => {
    archiver = await startArchiver("AKIDARCHIVER", writer);
  });

  test("archives with an Entra token obtained from the role's AWS web identity token: no SAS, no key", async () => {
    const { record, blobName, event } = newEvent();
    const stsBefore = sts.calls.length;
    const entraBefore = entra.exchanges.length;
    const proxyBefore = proxy.requests.length;

    expect(failed(await invoke(archiver, [record]))).toEqual([]);

    expect((await vault.getBlockBlobClient(blobName).downloadToBuffer()).toString("utf8")).toBe(JSON.stringify(event));
    // STS: the archiver role, Entra's token-exchange audience, 5 minutes, RS256 (and the IAM statement allowed it).
    expect(sts.calls.slice(stsBefore)).toEqual([{ roleArn: ARCHIVER_ROLE, audience: ["api://AzureADTokenExchange"], durationSeconds: 300, signingAlgorithm: "RS256", outcome: "issued" }]);
    // Entra: the assertion's issuer, audience and subject are the ones the federated credential trusts.
    const [exchange] = entra.exchanges.slice(entraBefore);
    expect(exchange).toMatchObject({ clientId: writer.clientId, outcome: "issued", assertion: { iss: sts.issuer, sub: ARCHIVER_ROLE, aud: "api://AzureADTokenExchange" } });
    // Storage: every request carried the bearer token of the writer's service principal.
    const requests = proxy.requests.slice(proxyBefore);
    expect(requests.length).toBeGreaterThan(0);
    for (const request of requests) {
      expect(request).toMatchObject({ scheme: "Bearer", objectId: writer.objectId, decision: "allowed" });
      expect(request.url).not.toMatch(/[?&]sig=/);
    }
  });

  test("every blob carries its index tags (ids, day, media type; no personal data), so compliance finds it by tag", async () => {
    const { record, blobName, conversationId } = newEvent();
    expect(failed(await invoke(archiver, [record]))).toEqual([]);

    const { tags } = await vault.getBlockBlobClient(blobName).getTags();
    expect(tags).toEqual({ conversationId, kind: "event", date: "2024-05-01" });
    const found: string[] = [];
    for await (const blob of vault.findBlobsByTags(`"conversationId" = '${conversationId}'`)) found.push(blob.name);
    expect(found).toEqual([blobName]);
  });

  test("a writer role without blobs/tags/write cannot create tagged blobs: Azure's 403, and the record is not acked", async () => {
    const noTags = { clientId: randomUUID(), objectId: randomUUID() };
    entra.register({ ...noTags, federatedCredential: { issuer: sts.issuer, subject: ARCHIVER_ROLE, audiences: ["api://AzureADTokenExchange"] } });
    proxy.grant(noTags.objectId, VAULT_WRITER_DATA_ACTIONS.filter((action) => !action.endsWith("/tags/write")));
    const untagged = await startArchiver("AKIDARCHIVER", noTags);
    const { record, conversationId } = newEvent();

    expect(failed(await invoke(untagged, [record]))).toEqual([record.messageId]);
    expect(await blobsOf(conversationId)).toEqual([]);
    expect(proxy.requests.some((r) => r.objectId === noTags.objectId && r.decision === "denied")).toBe(true);
  });

  test("create-only still holds under RBAC: a redelivery is 'already existed' and changes nothing", async () => {
    const { record, blobName } = newEvent();
    expect(failed(await invoke(archiver, [record]))).toEqual([]);
    const first = await vault.getBlockBlobClient(blobName).getProperties();
    const exchanges = entra.exchanges.length;

    expect(failed(await invoke(archiver, [record]))).toEqual([]);

    expect((await vault.getBlockBlobClient(blobName).getProperties()).etag).toBe(first.etag);
    expect(archiver.logs.some((line) => line.message === "event archived" && line.outcome === "already-existed")).toBe(true);
    // A warm container reuses its token.
    expect(entra.exchanges.length).toBe(exchanges);
  });
});

describe("token lifetime", () => {
  test("a token near expiry is replaced before it expires, without failing a write", async () => {
    // Inside the SDK's 2-minute refresh window from the start: each later request starts a refresh in
    // the background and is still sent with the valid token it has, until the refreshed one arrives.
    entra.tokenLifetimeSeconds = 119;
    const archiver = await startArchiver("AKIDARCHIVER", writer);
    const before = entra.issued.length;
    const proxyBefore = proxy.requests.length;
    const first = newEvent();
    expect(failed(await invoke(archiver, [first.record]))).toEqual([]);
    expect(entra.issued.length - before).toBe(1);
    const firstToken = entra.issued.at(-1);

    // A few writes later (the refresh runs alongside them), the writes carry the new token.
    const later: Array<ReturnType<typeof newEvent>> = [];
    let lastTokens: Array<string | undefined> = [];
    while (later.length < 5 && !lastTokens.some((token) => token !== firstToken)) {
      const event = newEvent();
      later.push(event);
      const sentBefore = proxy.requests.length;
      expect(failed(await invoke(archiver, [event.record]))).toEqual([]);
      lastTokens = proxy.requests.slice(sentBefore).map((r) => r.token);
    }

    expect(lastTokens.some((token) => token !== firstToken && entra.issued.includes(token!))).toBe(true);
    for (const event of later) expect(await blobsOf(event.conversationId)).toEqual([event.blobName]);
    expect(proxy.requests.slice(proxyBefore).every((r) => r.decision === "allowed")).toBe(true);
  });
});

describe("failures are clear and nothing is acked", () => {
  test("an assertion Entra rejects (a role the federated credential does not name) fails the record with the AADSTS reason", async () => {
    const archiver = await startArchiver("AKIDOTHER", writer);
    const { record, conversationId } = newEvent();
    const entraBefore = entra.exchanges.length;

    expect(failed(await invoke(archiver, [record]))).toEqual([record.messageId]);

    expect(await blobsOf(conversationId)).toEqual([]);
    const refusals = entra.exchanges.slice(entraBefore);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((e) => e.outcome === "AADSTS700213" && e.assertion?.sub === OTHER_ROLE)).toBe(true);
    const [line] = errorLines(archiver);
    expect(line).toMatchObject({ message: "record failed; SQS will retry it", errorName: "VaultCredentialError" });
    expect(String(line!.errorMessage)).toMatch(new RegExp(`^Entra ID refused the token request for application ${writer.clientId} \\(HTTP 400 invalid_client\\): AADSTS700213: No matching federated identity record found for presented assertion subject`));
  });

  test("an account without outbound identity federation fails the record with the one-time step to take", async () => {
    const archiver = await startArchiver("AKIDARCHIVER", writer);
    sts.federationEnabled = false;
    const { record, conversationId } = newEvent();
    const stsBefore = sts.calls.length;

    expect(failed(await invoke(archiver, [record]))).toEqual([record.messageId]);

    expect(await blobsOf(conversationId)).toEqual([]);
    expect(sts.calls.slice(stsBefore).every((c) => c.outcome === "OutboundWebIdentityFederationDisabledException")).toBe(true);
    expect(errorLines(archiver)[0]).toMatchObject({
      errorName: "VaultCredentialError",
      errorMessage: expect.stringContaining("outbound identity federation is not enabled in this AWS account; run `aws iam enable-outbound-web-identity-federation` once"),
    });
  });

  test("a token request the role's IAM statement does not allow is refused by STS and fails the record", async () => {
    const archiver = await startArchiver("AKIDTIGHT", writer);
    const { record } = newEvent();

    expect(failed(await invoke(archiver, [record]))).toEqual([record.messageId]);

    expect(errorLines(archiver)[0]).toMatchObject({
      errorName: "VaultCredentialError",
      errorMessage: expect.stringMatching(/^AWS STS GetWebIdentityToken failed \(AccessDenied 403\): User: .* is not authorized to perform: sts:GetWebIdentityToken/),
    });
  });

  test("an unreachable Entra endpoint is retried, and a record whose retries all fail is not acked", async () => {
    const archiver = await startArchiver("AKIDARCHIVER", writer);
    entra.resetNext(1_000);
    const down = newEvent();

    expect(failed(await invoke(archiver, [down.record]))).toEqual([down.record.messageId]);
    expect(await blobsOf(down.conversationId)).toEqual([]);
    expect(String(errorLines(archiver)[0]?.errorMessage)).toMatch(/^cannot reach the Entra ID token endpoint http:\/\/127\.0\.0\.1:\d+: /);

    // One dropped connection: the exchange is retried and the write succeeds.
    entra.resetNext(1);
    const blip = newEvent();
    expect(failed(await invoke(archiver, [blip.record]))).toEqual([]);
    expect(await blobsOf(blip.conversationId)).toEqual([blip.blobName]);
  });

  test("a role without create permission gets Azure's 403 and the record is not acked", async () => {
    const archiver = await startArchiver("AKIDREADER", reader);
    const { record, conversationId } = newEvent();
    const proxyBefore = proxy.requests.length;

    expect(failed(await invoke(archiver, [record]))).toEqual([record.messageId]);

    expect(await blobsOf(conversationId)).toEqual([]);
    expect(proxy.requests.slice(proxyBefore).map((r) => r.decision)).toContain("denied");
    // Azure's code, which identity was refused, and what to check; never a token.
    expect(errorLines(archiver)[0]).toMatchObject({
      status: 403,
      code: "AuthorizationPermissionMismatch",
      errorMessage: expect.stringMatching(/refused: 403 AuthorizationPermissionMismatch, again after re-reading the federated identity in secret \S+ \(application [\w-]+\); check the application's role assignment/),
    });
  });
});

/** A container client of `app`, authenticated as `accessKeyId`'s role through STS and Entra, in this process. */
function federatedClient(accessKeyId: string, app: { clientId: string }): ContainerClient {
  const stsClient = new STSClient({ endpoint: sts.endpoint, region: "eu-west-1", credentials: { accessKeyId, secretAccessKey: "test" }, maxAttempts: 1 });
  return federatedContainerClient(
    { blobEndpoint: `${proxy.origin}/devstoreaccount1`, containerName: CONTAINER, tenantId: entra.tenantId, clientId: app.clientId, authorityHost: entra.authorityHost },
    { requestTimeoutMs: 5_000, maxTries: 1, sts: stsClient, retryOptions: { maxTries: 1 } },
  );
}

/** The RestError status and code a call ends with. */
async function refusal(call: Promise<unknown>): Promise<{ status?: number; code?: string }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RestError);
  // A download or HEAD answer's body is not parsed: Azure's code is in x-ms-error-code there.
  const e = error as RestError;
  return { status: e.statusCode, code: e.code ?? e.response?.headers.get("x-ms-error-code") };
}

const DENIED = { status: 403, code: "AuthorizationPermissionMismatch" };

describe("list-only identities (role assignment condition: List Blobs only)", () => {
  test("the reconciler's identity sees names, sizes and the stored sha256 of a manifest, and cannot read, write or delete it", async () => {
    const conversationId = randomUUID();
    const manifest = `transcripts/${conversationId}/manifest.json`;
    const content = Buffer.from(JSON.stringify({ conversationId, blobs: [] }));
    await vault.getBlockBlobClient(manifest).upload(content, content.length, { metadata: { sha256: "ab".repeat(32) } });
    const client = federatedClient("AKIDRECONCILER", reconciler);
    const proxyBefore = proxy.requests.length;

    const listed = [];
    for await (const blob of client.listBlobsFlat({ prefix: `transcripts/${conversationId}/`, includeMetadata: true })) listed.push(blob);

    expect(listed.map((b) => [b.name, b.properties.contentLength, b.metadata?.sha256])).toEqual([[manifest, content.length, "ab".repeat(32)]]);
    const blob = client.getBlockBlobClient(manifest);
    expect(await refusal(blob.downloadToBuffer())).toEqual(DENIED);
    expect(await refusal(blob.getProperties())).toEqual(DENIED);
    expect(await refusal(client.getBlockBlobClient(`transcripts/${conversationId}/other.json`).upload("x", 1, { conditions: { ifNoneMatch: "*" } }))).toEqual(DENIED);
    expect(await refusal(blob.delete())).toEqual(DENIED);
    const seen = proxy.requests.slice(proxyBefore);
    expect(seen.every((r) => r.objectId === reconciler.objectId)).toBe(true);
    expect(seen.map((r) => r.decision)).toEqual(["allowed", "denied", "denied", "denied", "denied"]);
    expect((await vault.getBlockBlobClient(manifest).downloadToBuffer()).equals(content)).toBe(true);
  });

  test("the archiver's identity lists what an earlier attempt committed (its second assignment) and still cannot read content", async () => {
    const client = federatedClient("AKIDARCHIVER", writer);
    const access: ContainerAccess = { container: async () => client, describe: () => "the archiver's federated identity", remedy: () => "" };
    const archiverVault = new Vault({ secretArn: "unused", requestTimeoutMs: 5_000, maxTries: 1, access, lister: access });
    const base = `transcripts/${randomUUID()}`;
    const written = await archiverVault.putBytes(`${base}/transcript.json`, Buffer.from("{}"), { conversationid: "c" }, { conversationId: "c", kind: "transcript", date: "2026-12-01" });

    const listed = await archiverVault.list(`${base}/`);

    expect(written.outcome).toBe("created");
    expect([...listed.values()]).toEqual([{ name: `${base}/transcript.json`, size: 2, sha256: written.sha256 }]);
    expect(await refusal(client.getBlockBlobClient(`${base}/transcript.json`).downloadToBuffer())).toEqual(DENIED);
  });

  test("each list-only application trusts only its own role", async () => {
    const error = await federatedClient("AKIDARCHIVER", reconciler)
      .getBlockBlobClient("x")
      .exists()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultCredentialError);
    expect(String((error as Error).message)).toMatch(new RegExp(`Entra ID refused the token request for application ${reconciler.clientId}`));
  });

  test("the RBAC stand-in refuses a condition it does not implement, so a changed condition cannot pass unnoticed", () => {
    expect(() => proxy.grant(randomUUID(), VAULT_LISTER_DATA_ACTIONS, LIST_ONLY_CONDITION.replace("Blob.List", "Blob.Read"))).toThrow(/unsupported role assignment condition/);
  });
});

describe("the bundled reconciler with its own list-only identity", () => {
  test("finds the conversation without a manifest through List Blobs only, and backfills it", async () => {
    const [genesys, sqs, dynalite, lambda] = await Promise.all([startGenesysFake(), startSqsLocal(), startDynalite(), startLambdaFake()]);
    try {
      // Its checkpoint table and its own continuation endpoint (unused: one day fits in one invocation).
      await dynalite.createTable(idempotencyTable("idempotency"));
      const end = Date.parse("2024-06-01T12:00:00Z");
      const [done, missing] = [randomUUID(), randomUUID()];
      genesys.addAnalyticsConversations(
        [done, missing].map((conversationId) => ({ conversationId, conversationStart: new Date(end - 600_000).toISOString(), conversationEnd: new Date(end).toISOString(), mediaType: "message" })),
      );
      const body = JSON.stringify({ conversationId: done, blobs: [] });
      await vault.getBlockBlobClient(`transcripts/${done}/manifest.json`).upload(body, body.length);
      const queue = sqs.createQueue("transcript-vault");
      const queueUrl = queue.url;
      const bundle = await startBundle(bundleFunction("vault-reconciler").entry, {
        ...federatedReconcilerEnv(),
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
        IDEMPOTENCY_TABLE_NAME: "idempotency",
        GENESYS_API_BASE_URL: genesys.baseUrl,
        GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
        GENESYS_SECRET_ARN: secrets.put(`genesys-${randomUUID()}`, genesys.credentials),
        ARCHIVER_QUEUE_URL: queueUrl,
        // The pace is the reconciler tests' subject; here 32 day queries go by quickly.
        RECONCILE_REQUESTS_PER_MINUTE: "6000",
        RECONCILE_SLICE_MINUTES: "1440",
      });
      running.push(bundle);
      const stsBefore = sts.calls.length;
      const proxyBefore = proxy.requests.length;

      const report = await bundle.invoke<ReconcileReport>({ window: { start: "2024-06-01T00:00:00Z", end: "2024-06-02T00:00:00Z" } }, { timeoutMs: 60_000 });

      expect(report).toMatchObject({ expected: 2, archived: 1, missing: 1, backfilled: 1, missingIds: [missing] });
      expect(queue.sent.map((m) => JSON.parse(m.body).detail.eventBody.conversationId)).toEqual([missing]);
      expect(sts.calls.slice(stsBefore)).toEqual([expect.objectContaining({ roleArn: RECONCILER_ROLE, outcome: "issued" })]);
      const seen = proxy.requests.slice(proxyBefore);
      expect(seen.length).toBeGreaterThanOrEqual(3); // two manifests, one earlier backfill
      for (const request of seen) {
        expect(request).toMatchObject({ scheme: "Bearer", objectId: reconciler.objectId, decision: "allowed" });
        expect(new URL(request.url, proxy.origin).searchParams.get("comp")).toBe("list");
      }
    } finally {
      await Promise.all([genesys.close(), sqs.close(), dynalite.stop(), lambda.close()]);
    }
  });
});

describe("self-test (federated mode)", () => {
  let genesys: GenesysFake;
  let genesysEnv: Record<string, string>;
  beforeAll(async () => {
    genesys = await startGenesysFake();
    genesysEnv = {
      GENESYS_API_BASE_URL: genesys.baseUrl,
      GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
      GENESYS_SECRET_ARN: secrets.put(`genesys-${randomUUID()}`, genesys.credentials),
    };
  });
  afterAll(() => genesys.close());

  const selfTest = (archiver: BundleProcess, runId?: string) => archiver.invoke<SelfTestResponse>(selfTestRequest(runId), { functionName: "gcv-dev-transcript-archiver" });

  test("healthy: STS issues the role's token, Entra exchanges it, the canary is created under the writer's role assignment", async () => {
    const archiver = await startArchiver("AKIDARCHIVER", writer, genesysEnv);
    const runId = `federated-${randomUUID()}`;
    const [stsBefore, entraBefore] = [sts.calls.length, entra.exchanges.length];
    const response = await selfTest(archiver, runId);

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(response.gcvSelfTest.ok).toBe(true);
    expect(checkOf(response, "vault SAS days left")).toMatchObject({ ok: true, skipped: true, reason: expect.stringMatching(/applies in sas mode/) });
    expect(checkOf(response, "sts web identity token").skipped).toBeUndefined();
    expect(checkOf(response, "entra token exchange").skipped).toBeUndefined();
    expect(sts.calls.slice(stsBefore).every((c) => c.roleArn === ARCHIVER_ROLE && c.outcome === "issued")).toBe(true);
    expect(entra.exchanges.slice(entraBefore).map((e) => e.outcome)).toContain("issued");
    const canaries: string[] = [];
    for await (const blob of vault.listBlobsFlat({ prefix: "canary/" })) if (blob.name.endsWith(`/${runId}.json`)) canaries.push(blob.name);
    expect(canaries).toHaveLength(1);
  });

  test("Entra refusing the subject (the function runs under another role) fails the exchange with AADSTS700213 and the fix; the canary is not tried", async () => {
    const archiver = await startArchiver("AKIDOTHER", writer, genesysEnv);
    const response = await selfTest(archiver);

    expect(failedChecks(response)).toEqual(["entra token exchange"]);
    expect(checkOf(response, "entra token exchange")).toMatchObject({
      reason: expect.stringMatching(/^Entra ID refused the token request for application [\w-]+ \(HTTP 400 invalid_client\): AADSTS700213/),
      fix: expect.stringMatching(/^Entra refused: subject mismatch \(AADSTS700213\).*function role's ARN as subject/),
    });
    expect(checkOf(response, "vault canary write")).toMatchObject({ ok: false, skipped: true });
  });

  test("Entra refusing the issuer (the credential names another AWS account's issuer) fails with AADSTS700211", async () => {
    const wrongIssuer = { clientId: randomUUID(), objectId: randomUUID() };
    entra.register({ ...wrongIssuer, federatedCredential: { issuer: "https://00000000-0000-0000-0000-000000000000.tokens.sts.global.api.aws", subject: ARCHIVER_ROLE, audiences: ["api://AzureADTokenExchange"] } });
    const archiver = await startArchiver("AKIDARCHIVER", wrongIssuer, genesysEnv);
    const response = await selfTest(archiver);

    expect(failedChecks(response)).toEqual(["entra token exchange"]);
    expect(checkOf(response, "entra token exchange")).toMatchObject({ reason: expect.stringMatching(/AADSTS700211/), fix: expect.stringMatching(/^Entra refused: issuer mismatch \(AADSTS700211\)/) });
  });

  test("STS AccessDenied (the role's statement does not allow the request) fails the STS check with the statement to grant", async () => {
    const archiver = await startArchiver("AKIDTIGHT", writer, genesysEnv);
    const response = await selfTest(archiver);

    expect(failedChecks(response)).toEqual(["sts web identity token"]);
    expect(checkOf(response, "sts web identity token")).toMatchObject({
      reason: expect.stringMatching(/^AccessDenied \(HTTP 403\): User: .* is not authorized to perform: sts:GetWebIdentityToken/),
      fix: expect.stringMatching(/^grant the function's role sts:GetWebIdentityToken with sts:IdentityTokenAudience api:\/\/AzureADTokenExchange/),
    });
    expect(checkOf(response, "entra token exchange")).toMatchObject({ ok: false, skipped: true });
  });

  test("an account without outbound identity federation fails the STS check with the one-time step", async () => {
    const archiver = await startArchiver("AKIDARCHIVER", writer, genesysEnv);
    sts.federationEnabled = false;
    const response = await selfTest(archiver);

    expect(failedChecks(response)).toEqual(["sts web identity token"]);
    expect(checkOf(response, "sts web identity token")).toMatchObject({
      reason: expect.stringMatching(/^OutboundWebIdentityFederationDisabledException/),
      fix: expect.stringMatching(/aws iam enable-outbound-web-identity-federation/),
    });
  });

  test("an Azure RBAC refusal (the identity has no create permission) fails the canary with 403 AuthorizationPermissionMismatch", async () => {
    const archiver = await startArchiver("AKIDREADER", reader, genesysEnv);
    const response = await selfTest(archiver);

    expect(failedChecks(response)).toEqual(["vault canary write"]);
    expect(checkOf(response, "vault canary write")).toMatchObject({
      reason: expect.stringMatching(/refused: 403 AuthorizationPermissionMismatch/),
      fix: expect.stringMatching(/check the identity's role assignment on the vault container/),
    });
  });

  test("the reconciler's list-only identity passes its vault checks: it lists the canary and is refused its content", async () => {
    const runId = `lister-${randomUUID()}`;
    await selfTest(await startArchiver("AKIDARCHIVER", writer, genesysEnv), runId);
    const reconcilerFn = await startBundle(bundleFunction("vault-reconciler").entry, {
      ...genesysEnv,
      ...federatedReconcilerEnv(),
      ARCHIVER_QUEUE_URL: "http://127.0.0.1:1/unused",
    });
    running.push(reconcilerFn);
    const proxyBefore = proxy.requests.length;
    const response = await reconcilerFn.invoke<SelfTestResponse>(selfTestRequest(runId));

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    const decisions = proxy.requests.slice(proxyBefore).map((r) => [new URL(r.url, proxy.origin).searchParams.get("comp") ?? "read", r.decision]);
    expect(decisions).toEqual([
      ["list", "allowed"],
      ["read", "denied"],
    ]);
  });
});

describe("logs", () => {
  test("no web identity token, storage token or assertion appears in any log line", () => {
    for (const p of running) output.push(...p.takeLogs().map((line) => JSON.stringify(line)), p.stderr());
    const tokens = [...sts.issued, ...entra.issued];
    expect(sts.issued.length).toBeGreaterThan(3);
    expect(entra.issued.length).toBeGreaterThan(2);
    const text = output.join("\n");
    expect(text).toContain("record failed"); // the logs checked are the real ones
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split(".")[2]); // not even the signature
    }
    expect(text).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/); // no JWT at all
    expect(text).not.toMatch(/client_assertion=|Bearer /);
  });
});
