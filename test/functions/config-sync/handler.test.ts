/**
 * The bundled config-sync handler against the Genesys fake, dynalite (audit table),
 * the Secrets Manager fake and the Auto Scaling fake. Checks what users rely on:
 * Genesys objects change only in the synced field, only when needed, in order per
 * object, and every applied change is audited exactly once.
 */
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { bundleFunction } from "../../../lib/bundling";
import type { SqsBatchResponse, SqsRecord } from "../../../functions/shared/lambda-types";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import type { SyncRule } from "../../../functions/shared/sync-rules";
import { startAutoScalingFake, type AutoScalingFake } from "../../support/autoscaling-fake";
import { startDynalite, type Dynalite } from "../../support/dynalite";
import { sqsBatch } from "../../support/events";
import { DEFAULT_UTILIZATION, startGenesysFake, type GenesysFake } from "../../support/genesys-fake";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";
import { autoScalingEvent, fifoRecord, scheduledEvent } from "../../support/sync-events";

const AUDIT_TABLE = "config-sync-audit";

const RULES: SyncRule[] = [
  {
    name: "messaging-capacity",
    source: { autoScalingGroupName: "asg-messaging" },
    target: { kind: "orgUtilization", mediaType: "message", field: "maximumCapacity" },
    perInstance: 2,
    min: 1,
    max: 10,
  },
  {
    name: "acw-timeout",
    source: { autoScalingGroupName: "asg-acw" },
    target: { kind: "queueField", queueId: "q-acw", field: "acwSettings.timeoutMs" },
    perInstance: 1000,
    min: 5000,
    max: 60000,
  },
  {
    name: "agent-chat",
    source: { autoScalingGroupName: "asg-chat" },
    target: { kind: "userUtilization", userId: "u-1", mediaType: "chat", field: "maximumCapacity" },
    perInstance: 1,
    min: 1,
    max: 5,
  },
  {
    name: "fifo-a",
    source: { autoScalingGroupName: "asg-fifo" },
    target: { kind: "queueField", queueId: "q-fifo-a", field: "mediaSettings.call.alertingTimeoutSeconds" },
    perInstance: 1,
    min: 1,
    max: 100,
  },
  {
    name: "fifo-b",
    source: { autoScalingGroupName: "asg-fifo" },
    target: { kind: "queueField", queueId: "q-fifo-b", field: "mediaSettings.call.alertingTimeoutSeconds" },
    perInstance: 1,
    min: 1,
    max: 100,
  },
  {
    name: "cooled",
    source: { autoScalingGroupName: "asg-cool" },
    target: { kind: "queueField", queueId: "q-cool", field: "mediaSettings.message.alertingTimeoutSeconds" },
    perInstance: 1,
    min: 1,
    max: 100,
    cooldownSeconds: 300,
  },
];

let genesys: GenesysFake;
let secrets: SecretsFake;
let dynalite: Dynalite;
let autoScaling: AutoScalingFake;
let sync: BundleProcess;
let dryRunSync: BundleProcess;
let documents: DynamoDBDocumentClient;
let syncEnv: Record<string, string>;

beforeAll(async () => {
  const { entry } = bundleFunction("config-sync");
  [genesys, secrets, dynalite, autoScaling] = await Promise.all([startGenesysFake(), startSecretsFake(), startDynalite(), startAutoScalingFake()]);
  await dynalite.client.send(
    new CreateTableCommand({
      TableName: AUDIT_TABLE,
      AttributeDefinitions: [
        { AttributeName: "targetField", AttributeType: "S" },
        { AttributeName: "changeId", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "targetField", KeyType: "HASH" },
        { AttributeName: "changeId", KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  documents = DynamoDBDocumentClient.from(dynalite.client);
  const env = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    AWS_ENDPOINT_URL_AUTO_SCALING: autoScaling.endpoint,
    GENESYS_REGION_DOMAIN: "mypurecloud.com",
    GENESYS_API_BASE_URL: genesys.baseUrl,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_SECRET_ARN: secrets.put("genesys-client", genesys.credentials),
    GENESYS_REQUEST_TIMEOUT_MS: "2000",
    SYNC_RULES: JSON.stringify(RULES),
    AUDIT_TABLE_NAME: AUDIT_TABLE,
    POWERTOOLS_SERVICE_NAME: "config-sync",
  };
  syncEnv = { ...env, DRY_RUN: "false" };
  [sync, dryRunSync] = await Promise.all([startBundle(entry, syncEnv), startBundle(entry, { ...env, DRY_RUN: "true" })]);
});

afterAll(async () => {
  await Promise.all([sync?.close(), dryRunSync?.close()]);
  await Promise.all([genesys?.close(), secrets?.close(), autoScaling?.close(), dynalite?.stop()]);
});

beforeEach(() => {
  genesys.clearFaults();
  genesys.clearRequests();
  sync.takeLogs();
  dryRunSync.takeLogs();
});

const invoke = (records: SqsRecord[], fn: BundleProcess = sync) => fn.invoke<SqsBatchResponse>(sqsBatch(records));
const puts = () => genesys.requests.filter((r) => r.method === "PUT");

async function auditItems(targetField: string): Promise<Array<Record<string, any>>> {
  const result = await documents.send(new ScanCommand({ TableName: AUDIT_TABLE, ConsistentRead: true }));
  return (result.Items ?? [])
    .filter((item) => item.targetField === targetField)
    .sort((a, b) => String(a.changeId).localeCompare(String(b.changeId)));
}

/** A realistic queue: many fields the sync must carry over untouched. */
function queue(id: string, overrides: Record<string, unknown> = {}) {
  return {
    id,
    name: `Queue ${id}`,
    description: "Support queue",
    division: { id: "d-1", name: "Home", selfUri: "/api/v2/authorization/divisions/d-1" },
    memberCount: 12,
    mediaSettings: {
      call: { alertingTimeoutSeconds: 8, serviceLevel: { percentage: 0.8, durationMs: 20000 } },
      message: { alertingTimeoutSeconds: 30, serviceLevel: { percentage: 0.8, durationMs: 60000 } },
    },
    routingRules: [{ operator: "MEETS_THRESHOLD", threshold: 9, waitSeconds: 300 }],
    acwSettings: { wrapupPrompt: "MANDATORY_TIMEOUT", timeoutMs: 20000 },
    skillEvaluationMethod: "BEST",
    queueFlow: { id: "flow-1", name: "In-queue flow" },
    enableTranscription: true,
    ...overrides,
  };
}

function resetOrgUtilization(): void {
  genesys.orgUtilization = {
    ...structuredClone(DEFAULT_UTILIZATION),
    chat: { maximumCapacity: 3, interruptableMediaTypes: ["call"], includeNonAcd: true },
    message: { maximumCapacity: 4, interruptableMediaTypes: ["email"], includeNonAcd: false },
  };
}

describe("config-sync", () => {
  test("a scale-out writes the new capacity and preserves every other utilization field", async () => {
    resetOrgUtilization();
    const before = structuredClone(genesys.orgUtilization);
    autoScaling.setGroup("asg-messaging", [{ inService: 3, pending: 2, terminating: 1, unhealthy: 1 }]);
    const event = autoScalingEvent({ groupName: "asg-messaging", time: "2024-05-01T10:00:00Z" });

    const response = await invoke([fifoRecord(event, "utilization-org")]);

    expect(response.batchItemFailures).toEqual([]);
    // 3 in-service healthy instances x 2 = 6 (pending, terminating and unhealthy ones do not serve).
    const expected = structuredClone(before);
    (expected.message as { maximumCapacity: number }).maximumCapacity = 6;
    expect(puts()).toHaveLength(1);
    expect(puts()[0]!.body).toEqual({ utilization: expected });
    expect(genesys.orgUtilization).toEqual(expected);
    const audit = await auditItems("utilization-org/utilization.message.maximumCapacity");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      status: "applied",
      rule: "messaging-capacity",
      oldValue: 4,
      newValue: 6,
      instanceCount: 3,
      changeId: `2024-05-01T10:00:00.000Z#${event.id}`,
      cause: { trigger: "scaling", detailType: "EC2 Instance Launch Successful", autoScalingGroupName: "asg-messaging", eventId: event.id },
    });
    expect(Date.parse(audit[0]!.appliedAt)).not.toBeNaN();
  });

  test("a queue field is changed by a full PUT that carries every other queue field unchanged", async () => {
    const original = queue("q-acw");
    genesys.setQueue(original);
    autoScaling.setGroup("asg-acw", [{ inService: 7 }]);

    const response = await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-acw" }), "queue-q-acw")]);

    expect(response.batchItemFailures).toEqual([]);
    const [put] = puts();
    expect(put!.path).toBe("/api/v2/routing/queues/q-acw");
    expect(put!.body).toEqual({ ...original, acwSettings: { ...original.acwSettings, timeoutMs: 7000 } });
  });

  test("equal desired and current values make no PUT and no audit item", async () => {
    resetOrgUtilization();
    (genesys.orgUtilization.message as { maximumCapacity: number }).maximumCapacity = 8;
    autoScaling.setGroup("asg-messaging", [{ inService: 4 }]);
    const auditBefore = await auditItems("utilization-org/utilization.message.maximumCapacity");

    const response = await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-messaging" }), "utilization-org")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(genesys.requestsOf("utilization").map((r) => r.method)).toEqual(["GET"]);
    expect(await auditItems("utilization-org/utilization.message.maximumCapacity")).toEqual(auditBefore);
    expect(sync.takeLogs().some((line) => line.outcome === "unchanged" && line.desiredValue === 8)).toBe(true);
  });

  test("two Auto Scaling events for one target are applied in order, each reading the previous result", async () => {
    genesys.setQueue(queue("q-fifo-a"));
    autoScaling.setGroup("asg-fifo", [{ inService: 3 }, { inService: 5 }]);
    const first = autoScalingEvent({ groupName: "asg-fifo", time: "2024-05-01T11:00:00Z" });
    const second = autoScalingEvent({ groupName: "asg-fifo", time: "2024-05-01T11:00:01Z" });

    const response = await invoke([fifoRecord(first, "queue-q-fifo-a"), fifoRecord(second, "queue-q-fifo-a")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(genesys.requestsOf("queue").map((r) => `${r.method} ${(r.body as any)?.mediaSettings?.call?.alertingTimeoutSeconds ?? ""}`.trim())).toEqual([
      "GET",
      "PUT 3",
      "GET",
      "PUT 5",
    ]);
    const audit = await auditItems("queue-q-fifo-a/mediaSettings.call.alertingTimeoutSeconds");
    expect(audit.map((item) => [item.oldValue, item.newValue])).toEqual([
      [8, 3],
      [3, 5],
    ]);
  });

  test("once a record of a message group fails, the rest of that group fails unprocessed while other groups go on", async () => {
    genesys.setQueue(queue("q-fifo-a"));
    genesys.setQueue(queue("q-fifo-b"));
    autoScaling.setGroup("asg-fifo", [{ inService: 9 }]);
    genesys.failNext("queue", [{ status: 503 }]); // the first queue GET: group A's first record
    const a1 = fifoRecord(autoScalingEvent({ groupName: "asg-fifo" }), "queue-q-fifo-a");
    const a2 = fifoRecord(autoScalingEvent({ groupName: "asg-fifo" }), "queue-q-fifo-a");
    const b1 = fifoRecord(autoScalingEvent({ groupName: "asg-fifo" }), "queue-q-fifo-b");

    const response = await invoke([a1, b1, a2]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([a1.messageId, a2.messageId].sort());
    const queueRequests = genesys.requestsOf("queue").map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(queueRequests).toEqual([
      "GET /api/v2/routing/queues/q-fifo-a 503",
      "GET /api/v2/routing/queues/q-fifo-b 200",
      "PUT /api/v2/routing/queues/q-fifo-b 200",
    ]);
    expect((genesys.queues.get("q-fifo-a") as any).mediaSettings.call.alertingTimeoutSeconds).toBe(8);
    expect((genesys.queues.get("q-fifo-b") as any).mediaSettings.call.alertingTimeoutSeconds).toBe(9);
  });

  test("a Genesys 429 is waited out for its Retry-After, then the change succeeds", async () => {
    resetOrgUtilization();
    autoScaling.setGroup("asg-messaging", [{ inService: 1 }]);
    genesys.failNext("utilization", [{ status: 429, retryAfter: 1 }]);

    const response = await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-messaging", kind: "terminate" }), "utilization-org")]);

    expect(response.batchItemFailures).toEqual([]);
    const [limited, retried, put] = genesys.requestsOf("utilization");
    expect([limited!.status, retried!.method, retried!.status, put!.method]).toEqual([429, "GET", 200, "PUT"]);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(1000);
    expect((genesys.orgUtilization.message as { maximumCapacity: number }).maximumCapacity).toBe(2);
  });

  test("a revoked token is replaced by one re-login and the change still applies", async () => {
    genesys.setQueue(queue("q-acw"));
    autoScaling.setGroup("asg-acw", [{ inService: 9 }]);
    const tokensBefore = genesys.tokensIssued;
    genesys.revokeTokens();

    const response = await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-acw" }), "queue-q-acw")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(genesys.tokensIssued).toBe(tokensBefore + 1);
    expect((genesys.queues.get("q-acw") as any).acwSettings.timeoutMs).toBe(9000);
  });

  test("the written value is clamped to the rule's max and min", async () => {
    genesys.setQueue(queue("q-acw"));
    autoScaling.setGroup("asg-acw", [{ inService: 500 }, { inService: 0 }]);

    await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-acw" }), "queue-q-acw")]);
    expect((genesys.queues.get("q-acw") as any).acwSettings.timeoutMs).toBe(60000);

    await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-acw", kind: "terminate" }), "queue-q-acw")]);
    expect((genesys.queues.get("q-acw") as any).acwSettings.timeoutMs).toBe(5000);
  });

  test("a redelivered message never writes a second audit item for its change", async () => {
    genesys.setQueue(queue("q-acw"));
    autoScaling.setGroup("asg-acw", [{ inService: 11 }]);
    const event = autoScalingEvent({ groupName: "asg-acw", time: "2024-05-02T09:00:00Z" });
    const record = fifoRecord(event, "queue-q-acw");
    await invoke([record]);
    // Someone edits the field in Genesys, then SQS redelivers the same message.
    (genesys.queues.get("q-acw") as any).acwSettings.timeoutMs = 20000;
    genesys.clearRequests();

    const response = await invoke([record]);

    expect(response.batchItemFailures).toEqual([]);
    expect(puts()).toEqual([]);
    const audit = (await auditItems("queue-q-acw/acwSettings.timeoutMs")).filter((item) => item.cause.eventId === event.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ status: "applied", newValue: 11000 });
  });

  test("a change interrupted after its PUT is completed on redelivery without a second PUT", async () => {
    genesys.setQueue(queue("q-acw", { acwSettings: { wrapupPrompt: "MANDATORY_TIMEOUT", timeoutMs: 13000 } }));
    autoScaling.setGroup("asg-acw", [{ inService: 13 }]);
    const event = autoScalingEvent({ groupName: "asg-acw", time: "2024-05-03T09:00:00Z" });
    const key = { targetField: "queue-q-acw/acwSettings.timeoutMs", changeId: `2024-05-03T09:00:00.000Z#${event.id}` };
    await documents.send(
      new PutCommand({
        TableName: AUDIT_TABLE,
        Item: { ...key, status: "pending", rule: "acw-timeout", oldValue: 20000, newValue: 13000, decidedAt: "2024-05-03T09:00:01.000Z" },
      }),
    );

    await invoke([fifoRecord(event, "queue-q-acw")]);

    expect(puts()).toEqual([]);
    const audit = (await auditItems(key.targetField)).filter((item) => item.changeId === key.changeId);
    expect(audit).toEqual([expect.objectContaining({ status: "applied", oldValue: 20000, newValue: 13000 })]);
  });

  test("a change inside the rule's cooldown waits for a later event or reconciliation", async () => {
    genesys.setQueue(queue("q-cool"));
    autoScaling.setGroup("asg-cool", [{ inService: 40 }, { inService: 50 }]);

    await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-cool" }), "queue-q-cool")]);
    await invoke([fifoRecord(autoScalingEvent({ groupName: "asg-cool" }), "queue-q-cool")]);

    expect(puts().map((r) => (r.body as any).mediaSettings.message.alertingTimeoutSeconds)).toEqual([40]);
    expect(sync.takeLogs().some((line) => line.outcome === "cooldown" && line.desiredValue === 50)).toBe(true);
  });

  test("a reconciliation in a target's message group syncs only that target, here a user's utilization", async () => {
    resetOrgUtilization();
    const orgBefore = structuredClone(genesys.orgUtilization);
    autoScaling.setGroup("asg-chat", [{ inService: 2 }]);

    const response = await invoke([fifoRecord(scheduledEvent(), "utilization-user-u-1")]);

    expect(response.batchItemFailures).toEqual([]);
    expect(genesys.requests.filter((r) => r.route !== "token").map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /api/v2/routing/users/u-1/utilization",
      "PUT /api/v2/routing/users/u-1/utilization",
    ]);
    // The user inherited the org values; now has its own copy with only chat changed.
    expect(genesys.userUtilization.get("u-1")).toEqual({ ...orgBefore, chat: { ...(orgBefore.chat as object), maximumCapacity: 2 } });
    expect(genesys.orgUtilization).toEqual(orgBefore);
  });

  test("an invalid message fails with its reason and changes nothing", async () => {
    const bogus = fifoRecord({ ...autoScalingEvent({ groupName: "asg-acw" }), source: "aws.ec2" }, "queue-q-acw");
    const notJson = fifoRecord("{oops", "queue-q-acw");

    const response = await invoke([bogus, notJson]);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([bogus.messageId, notJson.messageId].sort());
    expect(genesys.requests).toEqual([]);
    // Powertools writes ERROR lines to stderr (CloudWatch receives both streams).
    const errors = sync
      .stderr()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    expect(errors).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        sqsMessageId: bogus.messageId,
        errorName: "InvalidSyncMessageError",
        errorMessage: expect.stringContaining('source "aws.ec2" is neither aws.autoscaling nor a schedule'),
      }),
    );
  });

  test("dry run computes and logs the change but writes nothing", async () => {
    genesys.setQueue(queue("q-acw"));
    autoScaling.setGroup("asg-acw", [{ inService: 30 }]);
    const event = autoScalingEvent({ groupName: "asg-acw" });

    const response = await invoke([fifoRecord(event, "queue-q-acw")], dryRunSync);

    expect(response.batchItemFailures).toEqual([]);
    expect(genesys.requestsOf("queue").map((r) => r.method)).toEqual(["GET"]);
    expect((genesys.queues.get("q-acw") as any).acwSettings.timeoutMs).toBe(20000);
    expect((await auditItems("queue-q-acw/acwSettings.timeoutMs")).filter((item) => item.cause?.eventId === event.id)).toEqual([]);
    const logged = dryRunSync.takeLogs().find((line) => line.outcome === "dryRun");
    expect(logged).toMatchObject({ rule: "acw-timeout", currentValue: 20000, desiredValue: 30000, eventId: event.id });
  });
});

describe("self-test", () => {
  const GROUPS = ["asg-messaging", "asg-acw", "asg-chat", "asg-fifo", "asg-cool"];
  const QUEUES = ["q-acw", "q-fifo-a", "q-fifo-b", "q-cool"];
  beforeEach(() => {
    for (const group of GROUPS) autoScaling.setGroup(group, [{ inService: 2 }]);
    for (const id of QUEUES) genesys.queues.set(id, queue(id));
  });

  const selfTest = () => sync.invoke<SelfTestResponse>(selfTestRequest(), { functionName: "gcv-test-config-sync" });

  test("healthy: every configured group is described and every Genesys target read (GET only); nothing is written or audited", async () => {
    const auditBefore = (await documents.send(new ScanCommand({ TableName: AUDIT_TABLE, ConsistentRead: true }))).Items?.length;
    const response = await selfTest();

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(response.gcvSelfTest.checks.map((c) => c.name)).toEqual(["genesys secret", "auto scaling groups", "genesys login", "genesys targets readable"]);
    expect(autoScaling.calls.at(-1)!.sort()).toEqual([...GROUPS].sort());
    const api = genesys.requests.filter((r) => r.route !== "token");
    expect(api.every((r) => r.method === "GET")).toBe(true);
    expect(api.map((r) => r.path).sort()).toEqual(
      ["/api/v2/routing/utilization", "/api/v2/routing/users/u-1/utilization", ...QUEUES.map((id) => `/api/v2/routing/queues/${id}`)].sort(),
    );
    expect((await documents.send(new ScanCommand({ TableName: AUDIT_TABLE, ConsistentRead: true }))).Items?.length).toBe(auditBefore);
  });

  test("AccessDenied on DescribeAutoScalingGroups, and a group that does not exist, fail the groups check clearly", async () => {
    autoScaling.deny(true);
    try {
      const denied = await selfTest();
      expect(failedChecks(denied)).toEqual(["auto scaling groups"]);
      expect(checkOf(denied, "auto scaling groups")).toMatchObject({
        reason: expect.stringMatching(/^AccessDenied \(HTTP 403\): .*autoscaling:DescribeAutoScalingGroups/),
        fix: "grant config sync's role autoscaling:DescribeAutoScalingGroups (re-apply <env>-aws)",
      });
    } finally {
      autoScaling.deny(false);
    }
    const fresh = await startBundle(bundleFunction("config-sync").entry, { ...syncEnv, SYNC_RULES: JSON.stringify([...RULES, { ...RULES[0]!, name: "gone", source: { autoScalingGroupName: "asg-gone" }, target: { kind: "queueField", queueId: "q-acw", field: "mediaSettings.email.alertingTimeoutSeconds" } }]) });
    try {
      const missing = await fresh.invoke<SelfTestResponse>(selfTestRequest());
      expect(checkOf(missing, "auto scaling groups")).toMatchObject({ ok: false, reason: "DescribeAutoScalingGroups does not return asg-gone (of 6 group(s) in SYNC_RULES)" });
    } finally {
      await fresh.close();
    }
  });

  test("a Genesys 403 on reading utilization fails the targets check, naming the request", async () => {
    genesys.failNext("utilization", [{ status: 403, code: "missing.permissions" }]);
    const response = await selfTest();

    expect(failedChecks(response)).toEqual(["genesys targets readable"]);
    expect(checkOf(response, "genesys targets readable")).toMatchObject({
      reason: expect.stringMatching(/^Genesys refused GET \/api\/v2\/routing\/utilization: .*HTTP 403 missing\.permissions/),
      fix: expect.stringMatching(/config sync's Genesys OAuth client/),
    });
  });

  test("a self-test request delivered through the FIFO queue (or in an event's detail) fails as a malformed message and runs nothing", async () => {
    const records = [fifoRecord(selfTestRequest(), "utilization-org"), fifoRecord({ ...scheduledEvent(), detail: selfTestRequest() }, "queue-q-acw")];
    const response = await invoke(records);

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(records.map((r) => r.messageId).sort());
    expect(genesys.requests).toEqual([]);
    const errors = sync.stderr().split("\n").filter((line) => line.includes(records[0]!.messageId));
    expect(errors.join("\n")).toMatch(/"errorName":"InvalidSyncMessageError","errorMessage":"a self-test request \(gcvSelfTest\) arrived through a trigger/);
  });
});
