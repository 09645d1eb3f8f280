/**
 * The bundled webhook receiver against dynalite (ordering state and the tables it
 * scales), the Secrets Manager fake and the CloudWatch fake (table consumption), with
 * the permissions of the receiver's role as the stack synthesizes it for these actions:
 * DynamoDB calls pass an IAM gate evaluating that policy, and the CloudWatch fake
 * authorizes against it. The Application Auto Scaling fake is wired with the same policy
 * and validates it as the service documents, so a receiver that changed capacity through
 * Application Auto Scaling would be refused as it would be in AWS. Two receiver processes
 * stand for two Lambda containers, so concurrent requests really run concurrently.
 * Ordering and cooldown are per table, so each test uses its own action and table unless
 * it tests their sharing.
 */
import { randomUUID } from "node:crypto";
import { CreateTableCommand, DescribeTableCommand, type CreateTableCommandInput } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { bundleFunction } from "../../../lib/bundling";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import type { HttpApiResponse } from "../../../functions/webhook-receiver/handler";
import { tableStateKey } from "../../../functions/webhook-receiver/handler";
import type { WebhookAction } from "../../../functions/shared/webhook-actions";
import { TableCapacity } from "../../../functions/webhook-receiver/table-capacity";
import { TableConsumptionReader } from "../../../functions/webhook-receiver/table-consumption";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { startApplicationAutoScalingFake, type ApplicationAutoScalingFake } from "../../support/application-autoscaling-fake";
import { startDynalite, startIamGate, type Dynalite, type IamGate } from "../../support/dynalite";
import { startCloudWatchFake, type CloudWatchFake } from "../../support/cloudwatch-fake";
import { resolveTableArns, statementsOfRole, type IamScope, type Statement } from "../../support/iam";
import { sampleEnv, synthStacks } from "../../support/synth-app";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startSecretsFake, type SecretsFake } from "../../support/secrets-fake";
import { checkOf, failedChecks, selfTestRequest } from "../../support/self-test";

/** The state table and role names the stack gives the dev environment's receiver. */
const STATE_TABLE = "gcv-dev-webhook-state";
const RECEIVER_ROLE = "gcv-dev-webhook-receiver";
/** The sample dev environment's account and region: the ARNs the synthesized policy names. */
const SCOPE: IamScope = { region: "eu-west-1", accountId: "111111111111" };
const SECRET = "s3cr3t-0123456789abcdef0123456789abcdef";
const PREVIOUS_SECRET = "old-0123456789abcdef0123456789abcdef0123";
const MAX_BODY_BYTES = 2048;

const capacityAction = (name: string, tableName: string, extra: Partial<WebhookAction> = {}): WebhookAction => ({
  name,
  type: "adjustTableCapacity",
  tableName,
  readCapacity: { perSignal: 2, min: 5, max: 100 },
  writeCapacity: { perSignal: 1, min: 5, max: 50 },
  cooldownSeconds: 0,
  ...extra,
});

const ACTIONS: WebhookAction[] = [
  capacityAction("general", "orders-general"),
  capacityAction("auth", "orders-auth"),
  capacityAction("lease", "orders-lease"),
  capacityAction("shared-a", "orders-shared", { cooldownSeconds: 300 }),
  capacityAction("shared-b", "orders-shared", { cooldownSeconds: 300 }),
  capacityAction("contended", "orders-contended"),
  capacityAction("pinned", "orders-pinned", { readCapacity: { perSignal: 2, min: 5, max: 20 } }),
  capacityAction("unregistered", "orders-unregistered"),
  capacityAction("ordering", "orders-ordering"),
  capacityAction("concurrency", "orders-concurrency"),
  capacityAction("bounds", "orders-bounds", { maxDecreasePercent: 100 }),
  capacityAction("cooled", "orders-cooled", { cooldownSeconds: 300 }),
  capacityAction("stepdown", "orders-stepdown", { readCapacity: { perSignal: 1, min: 5, max: 1000 }, writeCapacity: undefined, maxDecreasePercent: 50 }),
  capacityAction("floor", "orders-floor"),
  capacityAction("over-max", "orders-over-max"),
  capacityAction("throttled", "orders-throttled"),
  capacityAction("idle", "orders-idle"),
  capacityAction("slow-metrics", "orders-slow-metrics"),
  capacityAction("recovery", "orders-recovery"),
  capacityAction("on-demand", "sessions"),
  capacityAction("probed", "orders-probed"),
];

let dynalite: Dynalite;
let secrets: SecretsFake;
let cloudwatch: CloudWatchFake;
let scaling: ApplicationAutoScalingFake;
let gate: IamGate;
let rolePolicy: Statement[];
let receiver: BundleProcess;
let secondReceiver: BundleProcess;
let documents: DynamoDBDocumentClient;
let receiverEnv: Record<string, string>;

/**
 * The receiver role's statements as the stack synthesizes them for these tables. The role
 * depends only on the actions' tables, so the stack gets one small action per table (the
 * full list would exceed the function's environment limit). "unregistered" is left out:
 * its table stands for one the function is told about (WEBHOOK_ACTIONS) but the role was
 * not made for.
 */
function synthesizedReceiverPolicy(): Statement[] {
  const tables = [...new Set(ACTIONS.filter((a) => a.name !== "unregistered").map((a) => a.tableName))];
  const deployed = tables.map((tableName, i) => ({ name: `t${i}`, type: "adjustTableCapacity" as const, tableName, readCapacity: { perSignal: 1, min: 1, max: 1 } }));
  const stacks = synthStacks([sampleEnv("dev", { pipelines: { webhook: { actions: deployed } } })]);
  return resolveTableArns(stacks["dev-aws"], statementsOfRole(stacks["dev-aws"], RECEIVER_ROLE), SCOPE);
}

beforeAll(async () => {
  const { entry } = bundleFunction("webhook-receiver");
  rolePolicy = synthesizedReceiverPolicy();
  [dynalite, secrets, cloudwatch] = await Promise.all([startDynalite(), startSecretsFake(), startCloudWatchFake()]);
  documents = DynamoDBDocumentClient.from(dynalite.client);
  gate = await startIamGate(dynalite.endpoint, rolePolicy, { ...SCOPE, principalArn: `arn:aws:sts::${SCOPE.accountId}:assumed-role/${RECEIVER_ROLE}/${RECEIVER_ROLE}` });
  cloudwatch.setCallerPolicy(rolePolicy);
  scaling = await startApplicationAutoScalingFake(dynalite.client, SCOPE.region);
  scaling.setCallerPolicy(rolePolicy, SCOPE);
  await dynalite.client.send(
    new CreateTableCommand({
      TableName: STATE_TABLE,
      AttributeDefinitions: [{ AttributeName: "resourceKey", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "resourceKey", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  for (const name of ["orders-ordering", "orders-concurrency", "orders-bounds", "orders-cooled", "orders-general", "orders-auth", "orders-lease"]) {
    await createProvisionedTable(name, 5, 5);
  }
  for (const name of ["orders-shared", "orders-contended", "orders-unregistered", "orders-pinned"]) await createProvisionedTable(name, 5, 5);
  await createProvisionedTable("orders-stepdown", 100, 5);
  for (const name of ["orders-floor", "orders-idle", "orders-throttled", "orders-slow-metrics"]) await createProvisionedTable(name, 100, 50);
  await createProvisionedTable("orders-over-max", 150, 30);
  await createProvisionedTable("orders-probed", 7, 3);
  await dynalite.client.send(new CreateTableCommand({ ...keyOnly("sessions"), BillingMode: "PAY_PER_REQUEST" }));
  receiverEnv = {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: gate.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: cloudwatch.endpoint,
    AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING: scaling.endpoint,
    WEBHOOK_SECRET_ARN: secrets.put("webhook", { sharedSecret: SECRET, previousSharedSecret: PREVIOUS_SECRET }),
    WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    WEBHOOK_ACTIONS: JSON.stringify(ACTIONS),
    WEBHOOK_STATE_TABLE_NAME: STATE_TABLE,
    POWERTOOLS_SERVICE_NAME: "webhook-receiver",
  };
  [receiver, secondReceiver] = await Promise.all([startBundle(entry, receiverEnv), startBundle(entry, receiverEnv)]);
});

// A test that fails midway must not leave CloudWatch failing for the next ones.
afterEach(() => cloudwatch?.setFault(undefined));

afterAll(async () => {
  await Promise.all([receiver?.close(), secondReceiver?.close()]);
  await Promise.all([secrets?.close(), cloudwatch?.close(), scaling?.close(), gate?.close()]);
  await dynalite?.stop();
});

function keyOnly(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  };
}

async function createProvisionedTable(name: string, read: number, write: number): Promise<void> {
  await dynalite.client.send(
    new CreateTableCommand({ ...keyOnly(name), BillingMode: "PROVISIONED", ProvisionedThroughput: { ReadCapacityUnits: read, WriteCapacityUnits: write } }),
  );
}

async function capacityOf(tableName: string): Promise<{ read: number; write: number; billing: string }> {
  const { Table } = await dynalite.client.send(new DescribeTableCommand({ TableName: tableName }));
  expect(Table!.TableStatus).toBe("ACTIVE");
  return {
    read: Table!.ProvisionedThroughput!.ReadCapacityUnits!,
    write: Table!.ProvisionedThroughput!.WriteCapacityUnits!,
    billing: Table!.BillingModeSummary?.BillingMode ?? "PROVISIONED",
  };
}

interface Payload {
  eventId?: string;
  resourceId?: string;
  timestamp?: string | number;
  action?: string;
  signal?: number;
  [key: string]: unknown;
}

function payload(overrides: Payload = {}): Payload {
  return { eventId: randomUUID(), resourceId: "queue-1", timestamp: new Date().toISOString(), action: "general", signal: 10, ...overrides };
}

/** An API Gateway HTTP API (payload format 2.0) request as the function receives it. */
function httpRequest(body: unknown, opts: { secret?: string | null; base64?: boolean; method?: string } = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const secret = opts.secret === undefined ? SECRET : opts.secret;
  return {
    version: "2.0",
    routeKey: "POST /genesys/events",
    rawPath: "/genesys/events",
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      "user-agent": "Genesys-DataAction",
      ...(secret === null ? {} : { "x-genesys-webhook-secret": secret }),
    },
    requestContext: {
      accountId: "123456789012",
      apiId: "api123",
      domainName: "api123.execute-api.us-east-1.amazonaws.com",
      http: { method: opts.method ?? "POST", path: "/genesys/events", protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "Genesys-DataAction" },
      requestId: randomUUID(),
      routeKey: "POST /genesys/events",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body: opts.base64 ? Buffer.from(text, "utf8").toString("base64") : text,
    isBase64Encoded: opts.base64 ?? false,
  };
}

async function post(body: unknown, opts: Parameters<typeof httpRequest>[1] = {}, fn: BundleProcess = receiver) {
  const response = await fn.invoke<HttpApiResponse>(httpRequest(body, opts));
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) as Record<string, any> };
}

const cloudwatchCallsFor = (tableName: string) => cloudwatch.calls.filter((call) => call.queries.some((q) => q.dimensions.TableName === tableName));

/** The ordering and cooldown state of a table. */
const stateOf = async (tableName: string) =>
  (await documents.send(new GetCommand({ TableName: STATE_TABLE, Key: { resourceKey: tableStateKey(tableName) }, ConsistentRead: true }))).Item;

describe("authentication", () => {
  test.each([
    ["missing", null],
    ["wrong, same length", SECRET.replace(/.$/, "x")],
    ["wrong, other length", "short"],
    ["empty", ""],
  ])("a %s secret is refused with 401 and nothing else", async (_case, secret) => {
    const resourceId = `auth-${randomUUID()}`;
    const response = await post(payload({ resourceId, action: "auth" }), { secret });
    expect(response).toMatchObject({ status: 401, body: { status: "unauthorized" } });
    expect(Object.keys(response.body)).toEqual(["status"]);
    expect(await stateOf("orders-auth")).toBeUndefined();
  });

  test("the previous secret still works during a rotation, and no secret is ever logged", async () => {
    const response = await post(payload({ resourceId: `rotation-${randomUUID()}`, signal: 3 }), { secret: PREVIOUS_SECRET });
    expect(response.status).toBe(200);
    const logs = JSON.stringify(receiver.takeLogs()) + receiver.stderr();
    expect(logs).not.toContain(SECRET);
    expect(logs).not.toContain(PREVIOUS_SECRET);
  });
});

describe("payload limits and validation", () => {
  test("a body over the limit is refused with 413, plain or base64-encoded", async () => {
    const big = payload({ resourceId: "x".repeat(100), eventId: "e".repeat(100) });
    const oversized = JSON.stringify({ ...big, padding: "p".repeat(MAX_BODY_BYTES) });
    expect(await post(oversized)).toMatchObject({ status: 413, body: { status: "tooLarge", limitBytes: MAX_BODY_BYTES } });
    expect(await post(oversized, { base64: true })).toMatchObject({ status: 413 });
  });

  test("a base64-encoded body within the limit is decoded and applied", async () => {
    const response = await post(payload({ resourceId: `b64-${randomUUID()}`, signal: 4 }), { base64: true });
    expect(response.status).toBe(200);
    expect(["applied", "unchanged"]).toContain(response.body.status);
  });

  test.each([
    ["not JSON", "{not json", "body is not valid JSON"],
    ["a JSON array", "[]", "body must be a JSON object"],
    ["missing fields", { action: "ordering" }, "eventId must be"],
    ["a bad timestamp", payload({ timestamp: "yesterday" }), "timestamp must be an ISO 8601"],
    ["a future timestamp", payload({ timestamp: new Date(Date.now() + 3_600_000).toISOString() }), "in the future"],
    ["a negative signal", payload({ signal: -1 }), "signal must be a finite number >= 0"],
    ["an unknown field", payload({ tableName: "other" }), "unknown field(s): tableName"],
    ["an unknown action", payload({ action: "drop-all-tables" }), 'action "drop-all-tables" is not configured'],
  ])("%s is refused with 400 and the reason", async (_case, body, reason) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ status: "invalid", reason: expect.stringContaining(reason) });
  });

  test("caller input is echoed bounded and sanitised, in the answer and in the log", async () => {
    const longAction = "a".repeat(20_000);
    const forged = 'x"\n{"level":"ERROR","message":"forged"}';
    const manyFields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${"f".repeat(500)}${i}`, 1]));
    // The default body limit (64 KiB), so the long inputs reach validation.
    const roomy = await startBundle(bundleFunction("webhook-receiver").entry, { ...receiverEnv, WEBHOOK_MAX_BODY_BYTES: "65536" });
    let action, injected, fields, logs;
    try {
      action = await post(payload({ action: longAction }), {}, roomy);
      injected = await post(payload({ action: forged }), {}, roomy);
      fields = await post(payload(manyFields), {}, roomy);
      // Warnings go to stderr, one JSON object a line.
      logs = roomy
        .stderr()
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } finally {
      await roomy.close();
    }

    expect(action.body.reason).toBe(`action "${"a".repeat(64)}... (20000 characters)" is not configured (known: ${ACTIONS.map((a) => a.name).join(", ")})`);
    expect(injected.body.reason).toContain('action "x????level?:?ERROR???message?:?forged??" is not configured');
    expect(fields.body.reason).toMatch(/^unknown field\(s\): (f{64}\.\.\. \(50\d characters\), ){4}f{64}\.\.\. \(50\d characters\) and 35 more$/);
    // The log says exactly what the answer says, and nothing longer.
    expect(logs.filter((line) => line.message === "webhook refused: invalid payload").map((line) => line.reason)).toEqual(
      [action, injected, fields].map((r) => r.body.reason),
    );
    const text = logs.map((line) => JSON.stringify(line)).join("\n");
    expect(text).not.toContain("a".repeat(65));
    expect(text).not.toContain("f".repeat(65));
    for (const response of [action, injected, fields]) expect(JSON.stringify(response.body).length).toBeLessThan(1000);
  });

  test("only POST is accepted", async () => {
    expect((await post(payload(), { method: "GET" })).status).toBe(405);
  });
});

describe("ordering", () => {
  test("events arriving t3, t1, t2 apply only t3", async () => {
    const base = Date.parse("2024-05-01T10:00:00Z");
    const resourceId = `queue-${randomUUID()}`;
    const event = (seconds: number, signal: number) => payload({ resourceId, action: "ordering", timestamp: new Date(base + seconds * 1000).toISOString(), signal });

    const t3 = await post(event(3, 30));
    const t1 = await post(event(1, 10));
    const t2 = await post(event(2, 20));

    expect(t3).toMatchObject({ status: 200, body: { status: "applied", readCapacityUnits: 60, writeCapacityUnits: 30 } });
    expect(t1).toMatchObject({ status: 200, body: { status: "stale", newestEventTime: "2024-05-01T10:00:03.000Z" } });
    expect(t2).toMatchObject({ status: 200, body: { status: "stale" } });
    expect(await capacityOf("orders-ordering")).toMatchObject({ read: 60, write: 30 });
    expect(await stateOf("orders-ordering")).toMatchObject({ lastEventTime: base + 3000, status: "done", outcome: "applied" });
  });

  test("epoch-millisecond timestamps order the same way as ISO ones", async () => {
    const resourceId = `queue-${randomUUID()}`;
    const t = Date.parse("2024-05-01T12:00:00Z");
    expect((await post(payload({ resourceId, action: "ordering", timestamp: new Date(t).toISOString(), signal: 4 }))).body.status).not.toBe("stale");
    expect((await post(payload({ resourceId, action: "ordering", timestamp: t - 1, signal: 40 }))).body.status).toBe("stale");
  });

  test("the table is the unit of cooldown and ordering: two resources driving one table change it once per cooldown", async () => {
    // Two Genesys queues, and two actions, scale the same table; cooldown 300 s.
    const first = await post(payload({ resourceId: "queue-a", action: "shared-a", signal: 20, timestamp: "2024-05-07T10:00:00Z" }));
    const otherResource = await post(payload({ resourceId: "queue-b", action: "shared-a", signal: 30, timestamp: "2024-05-07T10:00:10Z" }));
    const otherAction = await post(payload({ resourceId: "queue-c", action: "shared-b", signal: 40, timestamp: "2024-05-07T10:00:20Z" }));
    const olderFromAnotherResource = await post(payload({ resourceId: "queue-d", action: "shared-b", signal: 45, timestamp: "2024-05-07T10:00:15Z" }));

    expect(first.body).toMatchObject({ status: "applied", readCapacityUnits: 40, writeCapacityUnits: 20 });
    expect(otherResource.body).toMatchObject({ status: "cooldown", nextChangeAfter: expect.any(String) });
    expect(otherAction.body).toMatchObject({ status: "cooldown" });
    expect(olderFromAnotherResource.body).toMatchObject({ status: "stale", newestEventTime: "2024-05-07T10:00:20.000Z" });
    // 40/20 stays: not 60/30 (queue-b) nor 80/40 (queue-c) inside the 300 s.
    expect(await capacityOf("orders-shared")).toMatchObject({ read: 40, write: 20 });
    expect(await stateOf("orders-shared")).toMatchObject({ lastEventTime: Date.parse("2024-05-07T10:00:20Z"), outcome: "cooldown" });
  });

  test("two concurrent webhooks with the same timestamp apply once", async () => {
    const resourceId = `queue-${randomUUID()}`;
    const timestamp = "2024-05-01T13:00:00.000Z";
    const [a, b] = await Promise.all([
      post(payload({ resourceId, timestamp, action: "concurrency", signal: 20 }), {}, receiver),
      post(payload({ resourceId, timestamp, action: "concurrency", signal: 30 }), {}, secondReceiver),
    ]);

    const statuses = [a.body.status, b.body.status].sort();
    expect(statuses).toEqual(["applied", "stale"]);
    const winner = a.body.status === "applied" ? a : b;
    expect(await capacityOf("orders-concurrency")).toMatchObject({ read: winner.body.readCapacityUnits, write: winner.body.writeCapacityUnits });
  });

  test("the same event delivered twice at once is applied once", async () => {
    const event = payload({ resourceId: `queue-${randomUUID()}`, timestamp: "2024-05-01T14:00:00.000Z", action: "concurrency", signal: 45 });
    const [a, b] = await Promise.all([post(event, {}, receiver), post(event, {}, secondReceiver)]);

    const applied = [a, b].filter((r) => r.body.status === "applied" || r.body.status === "unchanged");
    const other = [a, b].find((r) => !applied.includes(r))!;
    expect(applied).toHaveLength(1);
    // The loser either saw it done (200 duplicate) or still in progress (409, told to retry).
    expect([`${other.status} ${other.body.status}`]).toEqual([expect.stringMatching(/^(200 duplicate|409 busy)$/)]);
    expect(await capacityOf("orders-concurrency")).toMatchObject({ read: 90, write: 45 });
  });
});

describe("the capacity action", () => {
  test("capacity is clamped at the action's max and min", async () => {
    const resourceId = `queue-${randomUUID()}`;
    const high = await post(payload({ resourceId, action: "bounds", signal: 1000, timestamp: "2024-05-02T10:00:00Z" }));
    expect(high.body).toMatchObject({ status: "applied", readCapacityUnits: 100, writeCapacityUnits: 50 });
    expect(await capacityOf("orders-bounds")).toMatchObject({ read: 100, write: 50 });

    const low = await post(payload({ resourceId, action: "bounds", signal: 0, timestamp: "2024-05-02T10:00:01Z" }));
    expect(low.body).toMatchObject({ status: "applied", readCapacityUnits: 5, writeCapacityUnits: 5 });
    expect(await capacityOf("orders-bounds")).toMatchObject({ read: 5, write: 5 });
  });

  test("maxDecreasePercent, when set, limits how much one change removes", async () => {
    const response = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "stepdown", signal: 0 }));
    // 100 read units, 50%: down to 50, not to the min of 5. Write capacity is not managed.
    expect(response.body).toMatchObject({ status: "applied", readCapacityUnits: 50, writeCapacityUnits: 5 });
    expect(await capacityOf("orders-stepdown")).toMatchObject({ read: 50, write: 5 });
  });

  test("a newer event inside the cooldown is recorded but changes nothing", async () => {
    const resourceId = `queue-${randomUUID()}`;
    const first = await post(payload({ resourceId, action: "cooled", signal: 20, timestamp: "2024-05-03T10:00:00Z" }));
    const second = await post(payload({ resourceId, action: "cooled", signal: 40, timestamp: "2024-05-03T10:00:05Z" }));
    const older = await post(payload({ resourceId, action: "cooled", signal: 45, timestamp: "2024-05-03T10:00:04Z" }));

    expect(first.body.status).toBe("applied");
    expect(second.body).toMatchObject({ status: "cooldown", nextChangeAfter: expect.any(String) });
    expect(older.body.status).toBe("stale");
    expect(await capacityOf("orders-cooled")).toMatchObject({ read: 40, write: 20 });
  });

  test("the change is one UpdateTable setting only the provisioned throughput, allowed by the synthesized role; Application Auto Scaling is not called", async () => {
    const tableArn = `arn:aws:dynamodb:${SCOPE.region}:${SCOPE.accountId}:table/orders-pinned`;
    const forTable = () => gate.decisions.filter((d) => d.resource === tableArn);
    const event = (signal: number, second: number) =>
      payload({ resourceId: `queue-${randomUUID()}`, action: "pinned", signal, timestamp: `2024-05-08T10:00:0${second}Z` });

    const both = await post(event(12, 0)); // read 24 -> max 20, write 12

    expect(both.body).toMatchObject({ status: "applied", readCapacityUnits: 20, writeCapacityUnits: 12 });
    expect(await capacityOf("orders-pinned")).toMatchObject({ read: 20, write: 12 });
    expect(forTable()).toEqual([
      { action: "dynamodb:DescribeTable", resource: tableArn, decision: "allowed", parameters: ["TableName"] },
      { action: "dynamodb:UpdateTable", resource: tableArn, decision: "allowed", parameters: ["ProvisionedThroughput", "TableName"] },
    ]);

    const unchanged = await post(event(12, 1));
    expect(unchanged.body.status).toBe("unchanged");
    expect(forTable().filter((d) => d.action === "dynamodb:UpdateTable")).toHaveLength(1);
    expect(scaling.calls).toEqual([]);
  });

  test("a table being updated answers 503 and releases the claim; the retry applies", async () => {
    gate.failNext("dynamodb:UpdateTable", { type: "ResourceInUseException", message: "Attempt to change a resource which is still in use: Table is being updated: orders-contended" });
    const event = payload({ resourceId: `queue-${randomUUID()}`, action: "contended", signal: 10, timestamp: "2024-05-09T10:00:00Z" });

    const refused = await post(event);

    expect(refused).toMatchObject({ status: 503, body: { status: "retryLater" } });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(await stateOf("orders-contended")).toMatchObject({ status: "failed", outcome: "failed: TableBusyError" });
    expect(await capacityOf("orders-contended")).toMatchObject({ read: 5, write: 5 });

    const retried = await post(event);
    expect(retried.body).toMatchObject({ status: "applied", readCapacityUnits: 20, writeCapacityUnits: 10 });
    expect(await capacityOf("orders-contended")).toMatchObject({ read: 20, write: 10 });
  });

  test("a table the role was not made for is not changed, and the log says why", async () => {
    const response = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "unregistered", signal: 10 }));

    expect(response).toMatchObject({ status: 500, body: { status: "error", message: "internal error" } });
    expect(await capacityOf("orders-unregistered")).toMatchObject({ read: 5, write: 5 });
    expect(gate.decisions.filter((d) => d.resource.endsWith("table/orders-unregistered")).map((d) => `${d.action} ${d.decision}`)).toEqual([
      "dynamodb:DescribeTable denied",
    ]);
    expect(receiver.stderr()).toContain("this receiver may not use table orders-unregistered: the stack grants dynamodb:DescribeTable and dynamodb:UpdateTable only on the tables of the configured actions");
  });

  test("an on-demand table is left alone, with a clear answer", async () => {
    const response = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "on-demand", signal: 50 }));
    expect(response).toMatchObject({ status: 200, body: { status: "ignored", reason: "table uses on-demand capacity" } });
    expect((await capacityOf("sessions")).billing).toBe("PAY_PER_REQUEST");
    expect(receiver.stderr()).toContain("uses on-demand (PAY_PER_REQUEST) capacity");
    expect(cloudwatchCallsFor("sessions")).toHaveLength(0);
  });

  test("a decrease stops at what the table consumes, read from CloudWatch", async () => {
    // Busiest minute: 40 reads/s and 10 writes/s; with 20% headroom the floors are 48 and 12.
    cloudwatch.setConsumption("orders-floor", { readPerSecond: [12, 40, 25], writePerSecond: [10, 3] });
    const before = Date.now();

    const response = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "floor", signal: 5 })); // wants 10 / 5

    expect(response).toMatchObject({ status: 200, body: { status: "applied", readCapacityUnits: 48, writeCapacityUnits: 12 } });
    expect(await capacityOf("orders-floor")).toMatchObject({ read: 48, write: 12 });
    const [call] = cloudwatchCallsFor("orders-floor");
    expect(call!.queries.map((q) => [q.namespace, q.metricName, q.dimensions, q.period, q.stat])).toEqual([
      ["AWS/DynamoDB", "ConsumedReadCapacityUnits", { TableName: "orders-floor" }, 60, "Sum"],
      ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", { TableName: "orders-floor" }, 60, "Sum"],
    ]);
    // The default 15-minute window, ending with the current minute.
    expect(call!.endTime - call!.startTime).toBe(15 * 60);
    expect(call!.endTime * 1000).toBeGreaterThanOrEqual(before);
  });

  test("consumption above max never raises capacity beyond max, and never lets it decrease", async () => {
    // 150 read units (set above max 100 outside this action) and 30 write units; the
    // table uses 200 reads/s and 70 writes/s: both floors exceed the maxes (100, 50).
    cloudwatch.setConsumption("orders-over-max", { readPerSecond: [200], writePerSecond: [70] });

    const response = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "over-max", signal: 0 }));

    expect(response.body).toMatchObject({ status: "applied", readCapacityUnits: 150, writeCapacityUnits: 50 });
    expect(await capacityOf("orders-over-max")).toMatchObject({ read: 150, write: 50 });
  });

  test("CloudWatch throttling answers 503 and changes nothing; the retry after recovery applies", async () => {
    cloudwatch.setConsumption("orders-throttled", { readPerSecond: [20], writePerSecond: [] });
    cloudwatch.setFault("throttle");
    const resourceId = `queue-${randomUUID()}`;
    const event = payload({ resourceId, action: "throttled", signal: 1, timestamp: "2024-05-06T10:00:00Z" });

    const refused = await post(event);

    expect(refused).toMatchObject({ status: 503, body: { status: "retryLater" } });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(await capacityOf("orders-throttled")).toMatchObject({ read: 100, write: 50 });
    expect(cloudwatchCallsFor("orders-throttled").every((call) => call.fault === "throttle")).toBe(true);
    // The claim is released, so the caller's retry of the same event is admitted.
    expect(await stateOf("orders-throttled")).toMatchObject({ status: "failed", outcome: "failed: ConsumptionUnavailableError" });

    cloudwatch.setFault(undefined);
    const retried = await post(event);

    // Floors: read ceil(20 x 1.2) = 24; write nothing consumed, so the min of 5.
    expect(retried.body).toMatchObject({ status: "applied", readCapacityUnits: 24, writeCapacityUnits: 5 });
    expect(await capacityOf("orders-throttled")).toMatchObject({ read: 24, write: 5 });
  });

  test("CloudWatch not answering in time answers 503 and changes nothing", async () => {
    const impatient = await startBundle(bundleFunction("webhook-receiver").entry, { ...receiverEnv, WEBHOOK_CONSUMPTION_READ_TIMEOUT_MS: "300" });
    try {
      cloudwatch.failNext("hang");
      const refused = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "slow-metrics", signal: 0 }), {}, impatient);
      expect(refused).toMatchObject({ status: 503, body: { status: "retryLater" } });
      expect(await capacityOf("orders-slow-metrics")).toMatchObject({ read: 100, write: 50 });
      expect(impatient.stderr()).toContain("consumption could not be read");
    } finally {
      await impatient.close();
    }
  });

  test("a table without datapoints (no traffic) decreases to the computed value, bounded by min", async () => {
    const response = await post(payload({ resourceId: `queue-${randomUUID()}`, action: "idle", signal: 1 })); // wants 2 / 1

    expect(response.body).toMatchObject({ status: "applied", readCapacityUnits: 5, writeCapacityUnits: 5 });
    expect(await capacityOf("orders-idle")).toMatchObject({ read: 5, write: 5 });
    expect(cloudwatchCallsFor("orders-idle")).toHaveLength(1);
  });

  test("a failure after the claim loses nothing: the retry of the event is applied", async () => {
    const event = payload({ resourceId: `queue-${randomUUID()}`, action: "recovery", signal: 15, timestamp: "2024-05-04T10:00:00Z" });
    const failed = await post(event); // the table does not exist yet: DescribeTable fails after the claim
    expect(failed).toMatchObject({ status: 500, body: { status: "error", message: "internal error" } });
    await createProvisionedTable("orders-recovery", 5, 5);

    const retried = await post(event);

    expect(retried.body).toMatchObject({ status: "applied", readCapacityUnits: 30, writeCapacityUnits: 15 });
    expect(await capacityOf("orders-recovery")).toMatchObject({ read: 30, write: 15 });
  });

  test("an event claimed by a crashed invocation is taken over once its lease expired, not before", async () => {
    const resourceId = `queue-${randomUUID()}`;
    const resourceKey = tableStateKey("orders-lease");
    const crashed = { eventId: "crashed-event", timestampMs: Date.parse("2024-05-05T10:00:00Z") };
    const seed = (leaseUntil: number) =>
      documents.send(
        new PutCommand({
          TableName: STATE_TABLE,
          Item: { resourceKey, lastEventTime: crashed.timestampMs, lastEventId: crashed.eventId, status: "applying", leaseUntil },
        }),
      );

    await seed(Date.now() + 60_000);
    const newer = payload({ resourceId, action: "lease", timestamp: "2024-05-05T10:00:01Z", signal: 12 });
    const blocked = await post(newer);
    expect(blocked).toMatchObject({ status: 409, body: { status: "busy" } });
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);

    await seed(Date.now() - 1);
    const retry = await post(payload({ resourceId, action: "lease", eventId: crashed.eventId, timestamp: "2024-05-05T10:00:00Z", signal: 11 }));
    expect(retry.body.status).toMatch(/^(applied|unchanged)$/);
    expect(await stateOf("orders-lease")).toMatchObject({ lastEventId: crashed.eventId, status: "done" });
  });
});

describe("the permission probe (for a live self-test)", () => {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  let tables: TableCapacity;
  beforeAll(() => {
    tables = new TableCapacity(
      new TableConsumptionReader(5000, new CloudWatchClient({ endpoint: cloudwatch.endpoint, region: SCOPE.region, credentials })),
      new DynamoDBClient({ endpoint: gate.endpoint, region: SCOPE.region, credentials }),
    );
  });

  test("on a configured table it is permitted and changes nothing: DynamoDB refuses the UpdateTable as a non-change after authorizing it", async () => {
    const tableArn = `arn:aws:dynamodb:${SCOPE.region}:${SCOPE.accountId}:table/orders-probed`;

    expect(await tables.probe("orders-probed")).toEqual({ outcome: "permitted", readCapacityUnits: 7, writeCapacityUnits: 3 });

    expect(gate.decisions.filter((d) => d.resource === tableArn).map((d) => `${d.action} ${d.decision}`)).toEqual([
      "dynamodb:DescribeTable allowed",
      "dynamodb:UpdateTable allowed",
    ]);
    expect(await capacityOf("orders-probed")).toMatchObject({ read: 7, write: 3 });
    expect(cloudwatchCallsFor("orders-probed")).toHaveLength(1);
  });

  test("on a table outside the role's policy it reports denied", async () => {
    expect(await tables.probe("orders-unregistered")).toEqual({ outcome: "denied", error: expect.stringContaining("not authorized to perform: dynamodb:DescribeTable") });
  });

  test("on an on-demand table it reads only (nothing is ever updated there)", async () => {
    const before = gate.decisions.length;
    expect(await tables.probe("sessions")).toEqual({ outcome: "onDemand" });
    expect(gate.decisions.slice(before).map((d) => d.action)).toEqual(["dynamodb:DescribeTable"]);
  });
});

describe("self-test", () => {
  const HEALTHY_ACTIONS = ACTIONS.filter((a) => ["general", "pinned", "on-demand"].includes(a.name));
  const selfTest = (fn: BundleProcess) => fn.invoke<SelfTestResponse>(selfTestRequest(), { functionName: "gcv-test-webhook-receiver" });
  const withActions = (names: string[]) => startBundle(bundleFunction("webhook-receiver").entry, { ...receiverEnv, WEBHOOK_ACTIONS: JSON.stringify(ACTIONS.filter((a) => names.includes(a.name))) });
  let healthy: BundleProcess;
  beforeAll(async () => {
    healthy = await startBundle(bundleFunction("webhook-receiver").entry, { ...receiverEnv, WEBHOOK_ACTIONS: JSON.stringify(HEALTHY_ACTIONS) });
  });
  afterAll(() => healthy.close());

  test("healthy: the tables are described and each provisioned one gets a no-op UpdateTable that IAM allowed; nothing changes", async () => {
    const before = await Promise.all(["orders-general", "orders-pinned"].map(capacityOf));
    const decisionsBefore = gate.decisions.length;
    const response = await selfTest(healthy);

    expect(response.gcvSelfTest.checks.filter((c) => !c.ok)).toEqual([]);
    expect(response.gcvSelfTest.checks.map((c) => c.name)).toEqual(["webhook secret", "state table", "action tables", "capacity change permission"]);
    const updates = gate.decisions.slice(decisionsBefore).filter((d) => d.action === "dynamodb:UpdateTable");
    expect(updates.map((d) => `${d.resource.split("/").pop()} ${d.decision}`).sort()).toEqual(["orders-general allowed", "orders-pinned allowed"]);
    expect(await Promise.all(["orders-general", "orders-pinned"].map(capacityOf))).toEqual(before);
    expect(await stateOf("gcv-self-test")).toBeUndefined();
  });

  test("a table the role was not made for fails with DynamoDB's AccessDeniedException and the fix; the capacity check is skipped", async () => {
    const fn = await withActions(["general", "unregistered"]);
    try {
      const response = await selfTest(fn);

      expect(checkOf(response, "action tables")).toMatchObject({ ok: false, reason: expect.stringMatching(/^AccessDeniedException \(HTTP 400\): .*dynamodb:DescribeTable.*orders-unregistered/) });
      expect(checkOf(response, "capacity change permission")).toMatchObject({ ok: false, skipped: true });
    } finally {
      await fn.close();
    }
  });

  test("an UpdateTable the role may not make fails the capacity check, naming the table and the permission to grant", async () => {
    gate.failNext("dynamodb:UpdateTable", { type: "AccessDeniedException", message: "User is not authorized to perform: dynamodb:UpdateTable on resource: orders-general" });
    const response = await selfTest(healthy);

    expect(failedChecks(response)).toEqual(["capacity change permission"]);
    expect(checkOf(response, "capacity change permission")).toMatchObject({
      reason: expect.stringMatching(/^DynamoDB refused the capacity change of table orders-general: AccessDeniedException/),
      fix: expect.stringMatching(/dynamodb:UpdateTable on the tables its actions name/),
    });
  });

  test("a configured table that does not exist fails the table check (ResourceNotFoundException) and skips the capacity check", async () => {
    const fn = await startBundle(bundleFunction("webhook-receiver").entry, { ...receiverEnv, WEBHOOK_ACTIONS: JSON.stringify([capacityAction("missing", "orders-never-created")]) });
    try {
      const response = await selfTest(fn);
      expect(checkOf(response, "action tables")).toMatchObject({ ok: false });
      expect(checkOf(response, "capacity change permission")).toMatchObject({ ok: false, skipped: true });
    } finally {
      await fn.close();
    }
  });

  test("a self-test request posted to the HTTP API is a 400 with the reason (401 without the secret), and runs nothing", async () => {
    const decisionsBefore = gate.decisions.length;
    const withSecret = await post(selfTestRequest());
    expect(withSecret.status).toBe(400);
    expect(withSecret.body).toMatchObject({ status: "invalid" });
    expect(withSecret.body.reason).toMatch(/^a self-test request \(gcvSelfTest\) arrived through a trigger/);
    expect((await post(selfTestRequest(), { secret: null })).status).toBe(401);
    expect(gate.decisions.slice(decisionsBefore).filter((d) => d.action !== "dynamodb:GetItem" && d.action !== "dynamodb:UpdateItem")).toEqual([]);
  });
});

// Last in the file, so it sees every call the tests above made.
test("every UpdateTable sent during this run named the table and its provisioned throughput, nothing else", () => {
  const updates = gate.decisions.filter((d) => d.action === "dynamodb:UpdateTable" && d.decision === "allowed");
  expect(updates.length).toBeGreaterThan(10);
  expect(new Set(updates.map((d) => d.parameters.join(",")))).toEqual(new Set(["ProvisionedThroughput,TableName"]));
});
