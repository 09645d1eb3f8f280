/**
 * The bundled dispatcher against the StartExecution stand-in (AWS_ENDPOINT_URL_SFN):
 * partial batch failures, duplicates, throttling. The workflow itself is a single
 * Succeed state here; test/constructs/interaction runs the real one.
 */
import { bundleFunction } from "../../../lib/bundling";
import { conversationEvent } from "../../support/conversation-events";
import { sqsBatch, sqsRecord } from "../../support/events";
import { startBundle, type BundleProcess } from "../../support/invoke-bundle";
import { startStepFunctionsLocal, type StepFunctionsLocal } from "../../support/step-functions-local";

type BatchResponse = { batchItemFailures: Array<{ itemIdentifier: string }> };

let sfn: StepFunctionsLocal;
let dispatcher: BundleProcess;

beforeAll(async () => {
  sfn = await startStepFunctionsLocal();
  dispatcher = await startBundle(bundleFunction("dispatcher").entry, {
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    STATE_MACHINE_ARN: sfn.stateMachineArn,
    // Two attempts keep the throttling tests short; production uses the SDK default (3).
    AWS_MAX_ATTEMPTS: "2",
    LOG_LEVEL: "INFO",
  });
});

afterAll(async () => {
  await dispatcher?.close();
  await sfn?.close();
});

beforeEach(() => {
  dispatcher.takeLogs();
  sfn.throttleNext(0);
});

const startedInputs = () => [...sfn.executions.values()].map((e) => JSON.parse(e.input) as { id: string });

test("starts one execution per event, named legally, with the event as input", async () => {
  const events = [conversationEvent(), conversationEvent({ eventType: "acd.start" })];
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch(events.map((e) => sqsRecord(e))));

  expect(response).toEqual({ batchItemFailures: [] });
  for (const event of events) {
    const execution = [...sfn.executions.values()].find((e) => JSON.parse(e.input).id === event.id);
    expect(execution).toBeDefined();
    expect(JSON.parse(execution!.input)).toEqual(event);
    expect(execution!.name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  }
});

test("reports only the malformed records as failed (they reach the DLQ after maxReceiveCount), with the reason logged", async () => {
  const good = [conversationEvent(), conversationEvent()];
  const noConversation = conversationEvent() as { "detail-type": string; detail: { topicName: string; eventBody: Record<string, unknown> } };
  noConversation["detail-type"] = "v2.users.{id}.presence";
  noConversation.detail.topicName = "v2.users.user-1.presence";
  delete noConversation.detail.eventBody.conversationId;
  const records = [
    sqsRecord(good[0], { messageId: "good-1" }),
    sqsRecord("{not json", { messageId: "not-json" }),
    sqsRecord({ hello: "world" }, { messageId: "not-an-envelope" }),
    sqsRecord(noConversation, { messageId: "no-conversation" }),
    sqsRecord(good[1], { messageId: "good-2" }),
  ];
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch(records));

  expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["no-conversation", "not-an-envelope", "not-json"]);
  expect(startedInputs().map((i) => i.id)).toEqual(expect.arrayContaining([good[0]!.id, good[1]!.id]));
  // Powertools writes ERROR lines to stderr.
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
  expect(errors.find((line) => line.sqsMessageId === "not-json")!.errorMessage).toMatch(/not valid JSON/);
});

test("an event over the 256 KiB execution-input limit is reported failed, not sent", async () => {
  const event = conversationEvent() as { detail: { eventBody: Record<string, unknown> } };
  event.detail.eventBody.padding = "x".repeat(260 * 1024);
  const callsBefore = sfn.calls.length;
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event, { messageId: "too-big" })]));

  expect(response.batchItemFailures).toEqual([{ itemIdentifier: "too-big" }]);
  expect(sfn.calls.length).toBe(callsBefore);
});

test("a redelivery (same batch or a later one, same or new EventBridge id) is a success that starts nothing new", async () => {
  const event = conversationEvent();
  const again = { ...event, id: "another-delivery-id" };
  const first = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(event), sqsRecord(event)]));
  const second = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(again)]));
  await sfn.idle();

  expect(first.batchItemFailures).toEqual([]);
  expect(second.batchItemFailures).toEqual([]);
  const forEvent = [...sfn.executions.values()].filter((e) => JSON.parse(e.input).detail.topicName === (event.detail as { topicName: string }).topicName);
  expect(forEvent).toHaveLength(1);
  expect(sfn.calls.filter((c) => c.name === forEvent[0]!.name).map((c) => c.outcome)).toEqual(
    expect.arrayContaining(["started", "ExecutionAlreadyExists"]),
  );
});

test("throttling is retried by the SDK; when it persists the record is reported failed and a redelivery starts it", async () => {
  const survives = conversationEvent();
  sfn.throttleNext(1);
  expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(survives, { messageId: "survives" })]))).toEqual({ batchItemFailures: [] });
  expect(startedInputs().map((i) => i.id)).toContain(survives.id);

  const throttled = conversationEvent();
  sfn.throttleNext(2);
  const response = await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(throttled, { messageId: "throttled" })]));
  expect(response.batchItemFailures).toEqual([{ itemIdentifier: "throttled" }]);
  expect(startedInputs().map((i) => i.id)).not.toContain(throttled.id);

  // SQS delivers it again after the visibility timeout.
  expect(await dispatcher.invoke<BatchResponse>(sqsBatch([sqsRecord(throttled, { messageId: "throttled" })]))).toEqual({ batchItemFailures: [] });
  expect(startedInputs().map((i) => i.id)).toContain(throttled.id);
});
