/**
 * The bundled interaction processor invoked directly (as the workflow's lambda:invoke
 * does), against the Genesys fake, dynalite (idempotency table) and the Secrets Manager fake.
 */
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import { bundleFunction } from "../../../lib/bundling";
import { conversationEvent } from "../../support/conversation-events";
import { idempotencyTable, startDynalite, type Dynalite } from "../../support/dynalite";
import { startGenesysFake, type GenesysFake } from "../../support/genesys-fake";
import { type BundleInvocationError, startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";

let genesys: GenesysFake;
let dynalite: Dynalite;
let secrets: SecretsFake;
let env: Record<string, string>;
const processes: BundleProcess[] = [];

let sharedProcessor: Promise<BundleProcess> | undefined;

/** A processor "container" with `extraEnv`; without it, one warm container shared by the tests. */
async function startProcessor(extraEnv?: Record<string, string>): Promise<BundleProcess> {
  if (!extraEnv) return (sharedProcessor ??= startProcessor({}));
  const processor = await startBundle(bundleFunction("interaction-processor").entry, { ...env, ...extraEnv });
  processes.push(processor);
  return processor;
}

beforeAll(async () => {
  [genesys, dynalite, secrets] = await Promise.all([startGenesysFake(), startDynalite(), startSecretsFake()]);
  const { ttlAttribute: _ttl, ...table } = idempotencyTable("idempotency");
  await dynalite.createTable(table);
  env = {
    GENESYS_REGION_DOMAIN: "mypurecloud.ie",
    GENESYS_API_BASE_URL: genesys.baseUrl,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_SECRET_ARN: secrets.put("genesys", genesys.credentials),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    LOG_LEVEL: "WARN",
  };
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.close()));
  await Promise.all([genesys?.close(), dynalite?.stop(), secrets?.close()]);
});

afterEach(() => genesys.clearFaults());

const conversationOf = (event: Record<string, unknown>) => (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
const patchesOf = (conversationId: string) =>
  genesys.requestsOf("participantAttributes").filter((r) => r.path === `/api/v2/conversations/${conversationId}/participants/participant-1/attributes`);

async function invocationError(promise: Promise<unknown>): Promise<BundleInvocationError> {
  try {
    await promise;
  } catch (error) {
    return error as BundleInvocationError;
  }
  throw new Error("expected the invocation to fail");
}

test("patches the participant with the configured attributes and returns what it applied", async () => {
  const processor = await startProcessor();
  const event = conversationEvent({ eventType: "acw", eventTime: Date.UTC(2025, 0, 2, 3, 4, 5) });
  const result = await processor.invoke<{ status: string; attributes: Record<string, string> }>(event);

  const [patch] = patchesOf(conversationOf(event));
  expect(patch).toMatchObject({ method: "PATCH", status: 202, auth: "bearer" });
  expect(patch!.body).toEqual({ attributes: result.attributes });
  expect(result).toMatchObject({
    status: "applied",
    attributes: { aws_eventType: "acw", aws_eventTime: "2025-01-02T03:04:05.000Z", aws_processedAt: expect.any(String) },
  });
});

test("is idempotent per business event: a redelivery under a new EventBridge id patches nothing and replays the result", async () => {
  const processor = await startProcessor();
  const event = conversationEvent();
  const first = await processor.invoke(event);
  const second = await processor.invoke({ ...event, id: "a-different-delivery" });

  expect(patchesOf(conversationOf(event))).toHaveLength(1);
  expect(second).toEqual(first);
});

test("a failed attempt leaves no idempotency record, so the retry applies the event", async () => {
  const processor = await startProcessor();
  const event = conversationEvent();
  genesys.failNext("participantAttributes", [{ status: 503 }]);
  const error = await invocationError(processor.invoke(event));
  expect(error.name).toBe("GenesysTransientError");

  await processor.invoke(event);
  expect(patchesOf(conversationOf(event)).map((r) => r.status)).toEqual([503, 202]);
});

test.each([
  [404, "GenesysClientError"],
  [400, "GenesysClientError"],
  [500, "GenesysTransientError"],
])("HTTP %i surfaces as %s (the name the workflow matches)", async (status, name) => {
  const processor = await startProcessor();
  genesys.failNext("participantAttributes", [{ status }]);
  expect((await invocationError(processor.invoke(conversationEvent()))).name).toBe(name);
});

test("refused client credentials surface as GenesysAuthError", async () => {
  const processor = await startProcessor({ GENESYS_SECRET_ARN: secrets.put("wrong", { clientId: genesys.credentials.clientId, clientSecret: "wrong" }) });
  const error = await invocationError(processor.invoke(conversationEvent()));
  expect(error.name).toBe("GenesysAuthError");
  expect(error.message).not.toContain("wrong");
});

test("an event without a participant fails as InvalidEventError without calling Genesys", async () => {
  const processor = await startProcessor();
  const event = conversationEvent({ participantId: null });
  const error = await invocationError(processor.invoke(event));
  expect(error).toMatchObject({ name: "InvalidEventError", message: expect.stringContaining("participantId") });
  expect(genesys.requestsOf("participantAttributes").filter((r) => r.path.includes(conversationOf(event)))).toHaveLength(0);
});

test("a malformed event fails as InvalidEventError", async () => {
  const processor = await startProcessor();
  expect((await invocationError(processor.invoke({ hello: "world" }))).name).toBe("InvalidEventError");
});

test("attribute names follow INTERACTION_ATTRIBUTE_PREFIX; an unusable prefix is a ConfigError", async () => {
  const prefixed = await startProcessor({ INTERACTION_ATTRIBUTE_PREFIX: "cx.pipeline." });
  const result = await prefixed.invoke<{ attributes: Record<string, string> }>(conversationEvent());
  expect(Object.keys(result.attributes).sort()).toEqual(["cx.pipeline.eventTime", "cx.pipeline.eventType", "cx.pipeline.processedAt"]);

  const broken = await startProcessor({ INTERACTION_ATTRIBUTE_PREFIX: "no spaces/please" });
  expect((await invocationError(broken.invoke(conversationEvent()))).name).toBe("ConfigError");
});

describe("self-test", () => {
  const attributePatches = () => genesys.requestsOf("participantAttributes");
  const idempotencyRecords = async () => (await dynalite.client.send(new ScanCommand({ TableName: "idempotency", Select: "COUNT" }))).Count;

  test("healthy: a fresh login and the attributes PATCH on an unknown conversation with no attribute; nothing is written to the idempotency table", async () => {
    const processor = await startProcessor();
    const [tokensBefore, patchesBefore, recordsBefore] = [genesys.tokensIssued, attributePatches().length, await idempotencyRecords()];
    const response = await processor.invoke<SelfTestResponse>(selfTestRequest("processor-healthy"), { functionName: "gcv-test-interaction-processor" });

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(response.gcvSelfTest).toMatchObject({ function: "gcv-test-interaction-processor", runId: "processor-healthy", ok: true });
    expect(response.gcvSelfTest.checks.map((c) => c.name)).toEqual(["genesys secret", "genesys login", "genesys participant attributes permission"]);
    expect(genesys.tokensIssued).toBe(tokensBefore + 1); // a fresh login, not the cached token
    const [probe] = attributePatches().slice(patchesBefore);
    expect(probe!.path).toMatch(/^\/api\/v2\/conversations\/[0-9a-f-]{36}\/participants\/[0-9a-f-]{36}\/attributes$/);
    expect(probe!.body).toEqual({ attributes: {} });
    expect(await idempotencyRecords()).toBe(recordsBefore);
  });

  test("Genesys answering 404 for the unknown conversation is the expected pass; 403 fails with the permission hint", async () => {
    const processor = await startProcessor();
    genesys.failNext("participantAttributes", [{ status: 404, code: "not.found" }]);
    expect((await processor.invoke<SelfTestResponse>(selfTestRequest())).gcvSelfTest.ok).toBe(true);

    genesys.failNext("participantAttributes", [{ status: 403, code: "missing.permissions" }]);
    const refused = await processor.invoke<SelfTestResponse>(selfTestRequest());
    expect(failedChecks(refused)).toEqual(["genesys participant attributes permission"]);
    expect(checkOf(refused, "genesys participant attributes permission")).toMatchObject({
      reason: expect.stringMatching(/^Genesys refused PATCH \/api\/v2\/conversations\/<unknown id>\/participants\/<unknown id>\/attributes: .*HTTP 403 missing\.permissions/),
      fix: expect.stringMatching(/^add the permission Genesys names in the 403 message/),
    });
  });

  test("a self-test request inside the workflow's event (its detail) is a malformed event, not run", async () => {
    const processor = await startProcessor();
    const before = attributePatches().length;
    const error = await invocationError(processor.invoke({ ...conversationEvent(), detail: selfTestRequest() }));

    expect(error).toMatchObject({ name: "InvalidEventError", message: expect.stringMatching(/^a self-test request \(gcvSelfTest\) arrived through a trigger/) });
    expect(attributePatches().length).toBe(before);
  });
});
