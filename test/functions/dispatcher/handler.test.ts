/**
 * The bundled dispatcher against its real local stand-ins: dynalite (slot table), the SQS
 * stand-in (its queue, DLQ and the failure queue) and the StartExecution stand-in (a single
 * Succeed state: executions close at once and do not release their slots, so each test starts
 * from an empty slot table). test/constructs/interaction runs the real workflow.
 */
import { DeleteItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import type { SelfTestResponse } from "../../../functions/shared/self-test";
import { bundleFunction } from "../../../lib/bundling";
import { EVENT_IN_FAILURE_QUEUE_ERROR, FAILURE_QUEUE_UNAVAILABLE_ERROR, SLOT_NOT_RELEASED_ERROR } from "../../../constructs/interaction/state-machine-definition";
import { parseEnvelope } from "../../../functions/shared/envelope";
import { executionNameFor, interactionEventIdentity } from "../../../functions/shared/interaction-event";
import { retryExecutionName, retryMessageBody } from "../../../functions/shared/interaction-retry";
import { conversationEvent } from "../../support/conversation-events";
import { emfTotals } from "../../support/emf";
import { slotsTable, startDynalite, type Dynalite } from "../../support/dynalite";
import { sqsBatch, sqsRecord } from "../../support/events";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { checkOf, selfTestRequest } from "../../support/self-test";
import { startSqsLocal, type LocalQueue, type SqsLocal } from "../../support/sqs-local";
import { startStepFunctionsLocal, type StepFunctionsLocal } from "../../support/step-functions-local";

type BatchResponse = { batchItemFailures: Array<{ itemIdentifier: string }> };
const SLOTS = 3;
const TABLE = "slots";

let sfn: StepFunctionsLocal;
let ddb: Dynalite;
let sqs: SqsLocal;
let intake: LocalQueue;
let dlq: LocalQueue;
let failures: LocalQueue;
let dispatcher: BundleProcess;

beforeAll(async () => {
  [sfn, ddb, sqs] = await Promise.all([startStepFunctionsLocal(), startDynalite(), startSqsLocal()]);
  await ddb.createTable(slotsTable(TABLE));
  dlq = sqs.createQueue("dlq");
  intake = sqs.createQueue("intake", { redrive: { deadLetterQueue: dlq, maxReceiveCount: 900 } });
  failures = sqs.createQueue("failures");
  dispatcher = await startBundle(bundleFunction("dispatcher").entry, {
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.endpoint,
    STATE_MACHINE_ARN: sfn.stateMachineArn,
    SLOTS_TABLE_NAME: TABLE,
    MAX_RUNNING_EXECUTIONS: String(SLOTS),
    MAX_EVENT_AGE_SECONDS: "3600",
    INTAKE_QUEUE_URL: intake.url,
    DEAD_LETTER_QUEUE_URL: dlq.url,
    FAILURE_QUEUE_URL: failures.url,
    // Two attempts keep the throttling tests short; production uses the SDK default (3).
    AWS_MAX_ATTEMPTS: "2",
    LOG_LEVEL: "INFO",
    POWERTOOLS_SERVICE_NAME: "gcv-test-interaction-dispatcher",
    POWERTOOLS_METRICS_NAMESPACE: "GenesysVault/test",
  });
});

afterAll(async () => {
  await dispatcher?.close();
  await Promise.all([sfn?.close(), ddb?.stop(), sqs?.close()]);
});

beforeEach(async () => {
  dispatcher.takeLogs();
  sfn.throttleNext(0);
  for (const slot of await slotItems()) {
    await ddb.client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pool: { S: "interaction-workflow" }, slot: { S: slot.slot } } }));
  }
});

async function slotItems(): Promise<Array<{ slot: string; holder?: string; leaseExpiresAt?: number }>> {
  const { Items = [] } = await ddb.client.send(
    new QueryCommand({ TableName: TABLE, KeyConditionExpression: "#p = :p", ExpressionAttributeNames: { "#p": "pool" }, ExpressionAttributeValues: { ":p": { S: "interaction-workflow" } } }),
  );
  return Items.map((i) => ({ slot: i.slot!.S!, holder: i.holder?.S, leaseExpiresAt: i.leaseExpiresAt ? Number(i.leaseExpiresAt.N) : undefined }));
}
const held = async () => (await slotItems()).filter((s) => s.holder);

async function holdSlot(slot: string, holder: string, leaseExpiresAt: number): Promise<void> {
  await ddb.client.send(
    new PutItemCommand({ TableName: TABLE, Item: { pool: { S: "interaction-workflow" }, slot: { S: slot }, holder: { S: holder }, leaseExpiresAt: { N: String(leaseExpiresAt) } } }),
  );
}

const startedFor = (event: Record<string, unknown>) => [...sfn.executions.values()].filter((e) => (JSON.parse(e.input) as { event: { id: string } }).event.id === event.id);
const nowSeconds = () => Math.floor(Date.now() / 1000);

test("starts one execution per event with the event and its slot as input; the slot is leased to the execution for longer than it can run", async () => {
  const events = [conversationEvent(), conversationEvent({ eventType: "acd.start" })];
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch(events.map((e) => sqsRecord(e))));

  expect(response).toEqual({ batchItemFailures: [] });
  for (const event of events) {
    const [execution] = startedFor(event);
    expect(execution!.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    const input = JSON.parse(execution!.input) as { event: unknown; slot: string };
    expect(input.event).toEqual(event);
    const slot = (await slotItems()).find((s) => s.slot === input.slot)!;
    expect(slot.holder).toBe(execution!.name);
    // Lease: the maximum event age (execution timeout) plus margin.
    expect(slot.leaseExpiresAt! - nowSeconds()).toBeGreaterThan(3600);
  }
});

test("malformed records go to the DLQ at once with the reason (not after maxReceiveCount), logged at ERROR, and are not handed back", async () => {
  const good = conversationEvent();
  const noConversation = conversationEvent() as { "detail-type": string; detail: { topicName: string; eventBody: Record<string, unknown> } };
  noConversation["detail-type"] = "v2.users.{id}.presence";
  noConversation.detail.topicName = "v2.users.user-1.presence";
  delete noConversation.detail.eventBody.conversationId;
  const before = dlq.sent.length;
  const response = await dispatcher.invoke<BatchResponse>(
    sqsBatch([sqsRecord(good, { messageId: "good" }), sqsRecord("{not json", { messageId: "not-json" }), sqsRecord({ hello: "world" }, { messageId: "not-an-envelope" }), sqsRecord(noConversation, { messageId: "no-conversation" })]),
  );

  expect(response.batchItemFailures).toEqual([]);
  expect(startedFor(good)).toHaveLength(1);
  const deadLettered = dlq.sent.slice(before);
  expect(deadLettered.map((m) => m.attributes.sourceMessageId).sort()).toEqual(["no-conversation", "not-an-envelope", "not-json"]);
  expect(deadLettered.find((m) => m.attributes.sourceMessageId === "not-json")).toMatchObject({ body: "{not json", attributes: { reason: expect.stringMatching(/^malformed: .*not valid JSON/) } });
  const errors = dispatcher
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, string>)
    .filter((line) => line.level === "ERROR" && ["no-conversation", "not-an-envelope", "not-json"].includes(line.sqsMessageId!));
  expect(errors.map((line) => [line.sqsMessageId, line.errorName]).sort()).toEqual([
    ["no-conversation", "InvalidEventError"],
    ["not-an-envelope", "InvalidEventError"],
    ["not-json", "InvalidEventError"],
  ]);
});

test("an event over the 256 KiB execution-input limit goes to the DLQ, not to Step Functions", async () => {
  const event = conversationEvent() as { detail: { eventBody: Record<string, unknown> } };
  event.detail.eventBody.padding = "x".repeat(260 * 1024);
  const callsBefore = sfn.calls.length;
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event, { messageId: "too-big" })]));

  expect(response.batchItemFailures).toEqual([]);
  expect(sfn.calls.length).toBe(callsBefore);
  expect(dlq.sent.at(-1)!.attributes).toMatchObject({ sourceMessageId: "too-big", reason: expect.stringMatching(/^malformed: .*over the 262144-byte limit/) });
  expect(await held()).toEqual([]);
});

test("a redelivery (same batch or a later one, new EventBridge id) starts nothing new and gives its slot back", async () => {
  const event = conversationEvent();
  const first = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event), sqsRecord(event)]));
  const second = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord({ ...event, id: "another-delivery-id" })]));

  expect(first.batchItemFailures).toEqual([]);
  expect(second.batchItemFailures).toEqual([]);
  expect(startedFor(event)).toHaveLength(1);
  expect(sfn.calls.filter((c) => c.name === startedFor(event)[0]!.name).map((c) => c.outcome)).toEqual(["started", "ExecutionAlreadyExists"]);
  // Only the running execution holds a slot.
  expect((await held()).map((s) => s.holder)).toEqual([startedFor(event)[0]!.name]);
});

test("StartExecution throttling: retried by the SDK; when it persists the record is handed back and its slot released", async () => {
  const survives = conversationEvent();
  sfn.throttleNext(1);
  expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(survives)]))).toEqual({ batchItemFailures: [] });
  expect(startedFor(survives)).toHaveLength(1);

  const throttled = conversationEvent();
  sfn.throttleNext(2);
  expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(throttled, { messageId: "throttled" })]))).toEqual({ batchItemFailures: [{ itemIdentifier: "throttled" }] });
  expect(startedFor(throttled)).toHaveLength(0);
  expect(await held()).toHaveLength(1);
});

test("every slot taken: nothing starts, the message stays in the queue, invisible for a while, and is handed back", async () => {
  for (let i = 0; i < SLOTS; i++) await holdSlot(String(i).padStart(4, "0"), `running-${i}`, nowSeconds() + 3600);
  const event = conversationEvent();
  intake.send(JSON.stringify(event));
  const [message] = intake.receive(10);
  const record = intake.toRecord(message!);
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch([record]));

  expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  expect(startedFor(event)).toHaveLength(0);
  expect(intake.messages.get(record.messageId)!.visibleAt - Date.now()).toBeGreaterThanOrEqual(400);
  expect(dlq.sent.some((m) => m.body === record.body)).toBe(false);
  intake.delete(record.receiptHandle);
});

test("a slot whose lease expired (its holder died) is reclaimed", async () => {
  for (let i = 0; i < SLOTS; i++) await holdSlot(String(i).padStart(4, "0"), `dead-${i}`, i === 1 ? nowSeconds() - 1 : nowSeconds() + 3600);
  const event = conversationEvent();
  expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event)]))).toEqual({ batchItemFailures: [] });

  expect((await slotItems()).find((s) => s.slot === "0001")!.holder).toBe(startedFor(event)[0]!.name);
});

test("an event that waited longer than the maximum age for a slot goes to the DLQ with the reason", async () => {
  for (let i = 0; i < SLOTS; i++) await holdSlot(String(i).padStart(4, "0"), `running-${i}`, nowSeconds() + 3600);
  const event = conversationEvent();
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event, { messageId: "old", sentTimestamp: Date.now() - 3601_000, receiveCount: 40 })]));

  expect(response.batchItemFailures).toEqual([]);
  expect(dlq.sent.at(-1)).toMatchObject({ body: JSON.stringify(event), attributes: { sourceMessageId: "old", reason: "no workflow slot within 3600 s" } });
});

describe("execution status changes", () => {
  function statusChange(status: string, name: string, event: Record<string, unknown>, opts: { stateMachineArn?: string; error?: string; cause?: string; input?: string } = {}) {
    const stateMachineArn = opts.stateMachineArn ?? sfn.stateMachineArn;
    return {
      version: "0",
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: {
        executionArn: `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`,
        stateMachineArn,
        name,
        status,
        startDate: Date.now() - 5000,
        stopDate: Date.now(),
        input: opts.input ?? JSON.stringify({ event, slot: "0002" }),
        ...(opts.error ? { error: opts.error, cause: opts.cause ?? null } : {}),
      },
    };
  }

  test("TIMED_OUT: the event goes to the failure queue and the execution's slot is released", async () => {
    const event = conversationEvent();
    await holdSlot("0002", "timed-out-execution", nowSeconds() + 3600);
    await holdSlot("0001", "someone-else", nowSeconds() + 3600);
    const before = failures.sent.length;
    expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(statusChange("TIMED_OUT", "timed-out-execution", event))]))).toEqual({ batchItemFailures: [] });

    expect(failures.bodies().slice(before)).toEqual([expect.objectContaining({ event, error: "States.Timeout", executionId: expect.stringContaining("timed-out-execution") })]);
    expect((await held()).map((s) => s.holder)).toEqual(["someone-else"]);
  });

  test.each([
    [EVENT_IN_FAILURE_QUEUE_ERROR, "the workflow put the event in the failure queue"],
    [SLOT_NOT_RELEASED_ERROR, "the event was applied"],
  ])("FAILED with %s (%s): only the slot is released; another state machine's change is ignored", async (error) => {
    const event = conversationEvent();
    await holdSlot("0002", "failed-execution", nowSeconds() + 3600);
    const before = failures.sent.length;
    const other = statusChange("ABORTED", "failed-execution", event, { stateMachineArn: sfn.stateMachineArn.replace("interaction-workflow", "other") });
    expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(other)]))).toEqual({ batchItemFailures: [] });
    expect(await held()).toHaveLength(1);

    expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(statusChange("FAILED", "failed-execution", event, { error, cause: "..." }))]))).toEqual({ batchItemFailures: [] });
    expect(failures.sent.length).toBe(before);
    expect(await held()).toEqual([]);
  });

  // Regression: only TIMED_OUT and ABORTED were kept; an execution failing outside the Catch lost its event.
  test.each([
    ["States.Runtime", "An error occurred while executing the state 'ApplyInteractionEvent'. The JSONPath '$.event' specified for the field 'Payload.$' could not be found in the input"],
    [FAILURE_QUEUE_UNAVAILABLE_ERROR, "{\"id\":\"...\"}"],
    ["States.DataLimitExceeded", "The state/task returned a result with a size exceeding the maximum number of bytes service limit."],
  ])("FAILED with %s (never through the workflow's failure path): the event goes to the failure queue with the error and cause, and the slot is released", async (error, cause) => {
    const event = conversationEvent();
    await holdSlot("0002", "runtime-failure", nowSeconds() + 3600);
    const before = failures.sent.length;
    expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(statusChange("FAILED", "runtime-failure", event, { error, cause }))]))).toEqual({ batchItemFailures: [] });

    expect(failures.bodies().slice(before)).toEqual([{ event, error, cause, executionId: expect.stringMatching(/:execution:interaction-workflow:runtime-failure$/), executionStartTime: expect.any(String) }]);
    expect(failures.sent.at(-1)!.attributes).toEqual({ reason: error });
    expect(await held()).toEqual([]);
  });

  test("FAILED with a bare Genesys event as input (an execution started by hand): that input is the event kept; an unreadable input is named", async () => {
    const event = conversationEvent();
    const before = failures.sent.length;
    const bare = statusChange("FAILED", "started-by-hand", event, { error: "States.Runtime", cause: "no $.event", input: JSON.stringify(event) });
    const big = statusChange("FAILED", "input-over-248k", event, { error: "States.Runtime", cause: "no $.event", input: "" });
    big.detail.input = null as unknown as string;
    expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(bare), sqsRecord(big)]))).toEqual({ batchItemFailures: [] });

    const kept = failures.bodies().slice(before);
    expect(kept).toEqual([
      expect.objectContaining({ event, error: "States.Runtime", executionId: expect.stringContaining("started-by-hand") }),
      expect.objectContaining({ event: null, error: "States.Runtime", note: expect.stringContaining("describe-execution"), executionId: expect.stringContaining("input-over-248k") }),
    ]);
  });
});

describe("retries from the failure queue", () => {
  const retryRecord = (event: Record<string, unknown>, retryOf: string, messageId?: string) => sqsRecord(retryMessageBody(event, retryOf), { messageId });
  const businessName = (event: Record<string, unknown>) => executionNameFor(interactionEventIdentity(parseEnvelope(event)));

  test("a retry of a failed event starts a new execution under the retry's name with the workflow's input; a second delivery of the same retry starts nothing new", async () => {
    const event = conversationEvent();
    // The failed execution holds the event's own name (Step Functions keeps it 90 days).
    await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event)]));
    expect(startedFor(event).map((e) => e.name)).toEqual([businessName(event)]);
    await ddb.client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pool: { S: "interaction-workflow" }, slot: { S: (await held())[0]!.slot } } }));

    const first = await dispatcher.invoke<BatchResponse>(sqsBatch([retryRecord(event, "failure-record-1")]));
    const again = await dispatcher.invoke<BatchResponse>(sqsBatch([retryRecord(event, "failure-record-1")]));

    expect([first, again]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const retryName = retryExecutionName(businessName(event), "failure-record-1");
    const [, retried] = startedFor(event);
    expect(startedFor(event)).toHaveLength(2);
    expect(retried!.name).toBe(retryName);
    expect(JSON.parse(retried!.input)).toEqual({ event, slot: expect.stringMatching(/^000[0-2]$/) });
    expect(sfn.calls.filter((c) => c.name === retryName).map((c) => c.outcome)).toEqual(["started", "ExecutionAlreadyExists"]);
    expect((await held()).map((s) => s.holder)).toEqual([retryName]);
  });

  test("a retry waits for a slot like any event: every slot taken, nothing starts and it is handed back", async () => {
    for (let i = 0; i < SLOTS; i++) await holdSlot(String(i).padStart(4, "0"), `running-${i}`, nowSeconds() + 3600);
    const event = conversationEvent();
    intake.send(retryMessageBody(event, "failure-record-2"));
    const [message] = intake.receive(10);
    const record = intake.toRecord(message!);

    expect(await dispatcher.invoke<BatchResponse>(sqsBatch([record]))).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
    expect(startedFor(event)).toHaveLength(0);
    expect(dlq.sent.some((m) => m.body === record.body)).toBe(false);
    intake.delete(record.receiptHandle);
  });

  test("a retry message with an unusable record id or event goes to the DLQ with the reason, as it is (a redrive keeps it a retry)", async () => {
    const before = dlq.sent.length;
    const badId = JSON.stringify({ kind: "gcv.interaction-retry/v1", retryOf: "", event: conversationEvent() });
    const badEvent = retryMessageBody({ hello: "world" }, "failure-record-3");
    const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(badId, { messageId: "bad-id" }), sqsRecord(badEvent, { messageId: "bad-event" })]));

    expect(response.batchItemFailures).toEqual([]);
    expect(dlq.sent.slice(before)).toEqual([
      expect.objectContaining({ body: badId, attributes: expect.objectContaining({ sourceMessageId: "bad-id", reason: expect.stringMatching(/^malformed: retry message: retryOf/) }) }),
      expect.objectContaining({ body: badEvent, attributes: expect.objectContaining({ sourceMessageId: "bad-event", reason: expect.stringMatching(/^malformed: /) }) }),
    ]);
  });
});

test("counts executions started and duplicate deliveries as business metrics", async () => {
  const first = conversationEvent({ eventType: "customer.end" });
  // Genesys re-sent the same business event under a new EventBridge id.
  const resent = { ...first, id: crypto.randomUUID() };
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(JSON.stringify(first)), sqsRecord(JSON.stringify(conversationEvent()))]));
  await dispatcher.invoke(sqsBatch([sqsRecord(JSON.stringify(resent))]));
  expect(response.batchItemFailures).toEqual([]);
  const metrics = emfTotals(dispatcher.takeLogs());
  expect(metrics.namespaces).toEqual(["GenesysVault/test"]);
  expect(metrics.totals).toEqual({ ExecutionsStarted: 2, DuplicateDeliveries: 1 });
});

describe("self-test", () => {
  test("on a healthy setup both checks pass, under a few seconds, and nothing is started or written", async () => {
    const runId = "dispatcher-healthy";
    const callsBefore = sfn.calls.length;
    const response = await dispatcher.invoke<SelfTestResponse>(selfTestRequest(runId), { functionName: "gcv-test-interaction-dispatcher" });

    expect(response.gcvSelfTest).toMatchObject({ version: 1, function: "gcv-test-interaction-dispatcher", runId, ok: true });
    expect(response.gcvSelfTest.checks.map((c) => [c.name, c.ok])).toEqual([
      ["slots table", true],
      ["state machine", true],
    ]);
    expect(Math.max(...response.gcvSelfTest.checks.map((c) => c.durationMs))).toBeLessThan(3000);
    expect(sfn.calls.length).toBe(callsBefore);
    expect(await slotItems()).toEqual([]);
  });

  test("AccessDenied on DescribeStateMachine fails that check with the action and the fix; the table check still passes", async () => {
    sfn.deny("DescribeStateMachine");
    try {
      const response = await dispatcher.invoke<SelfTestResponse>(selfTestRequest());
      expect(response.gcvSelfTest.ok).toBe(false);
      expect(checkOf(response, "slots table").ok).toBe(true);
      const check = checkOf(response, "state machine");
      expect(check).toMatchObject({ ok: false, reason: expect.stringMatching(/^AccessDeniedException \(HTTP 400\): .*states:DescribeStateMachine/) });
      expect(check.fix).toMatch(/grant the dispatcher's role states:DescribeStateMachine/);
    } finally {
      sfn.deny();
    }
  });

  test("a malformed self-test request is answered with a clear error, not run", async () => {
    await expect(dispatcher.invoke({ gcvSelfTest: { version: 2, runId: "x" } })).rejects.toMatchObject({ name: "SelfTestRequestError", message: expect.stringMatching(/version 2 is not supported/) });
    await expect(dispatcher.invoke({ gcvSelfTest: { version: 1, runId: "../etc" } })).rejects.toMatchObject({ name: "SelfTestRequestError", message: expect.stringMatching(/runId/) });
  });

  test("a self-test request arriving through SQS (as the body, or as an EventBridge event's detail) goes to the DLQ with the reason and runs nothing", async () => {
    const before = dlq.sent.length;
    const callsBefore = sfn.calls.length;
    const asDetail = { ...conversationEvent(), detail: selfTestRequest() };
    const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(selfTestRequest(), { messageId: "bare" }), sqsRecord(asDetail, { messageId: "in-detail" })]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sfn.calls.length).toBe(callsBefore);
    const deadLettered = dlq.sent.slice(before);
    expect(deadLettered.map((m) => m.attributes.sourceMessageId).sort()).toEqual(["bare", "in-detail"]);
    for (const message of deadLettered) expect(message.attributes.reason).toMatch(/^malformed: a self-test request \(gcvSelfTest\) arrived through a trigger/);
  });
});
