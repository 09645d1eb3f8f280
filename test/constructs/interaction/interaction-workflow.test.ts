/**
 * The interaction workflow end to end: SQS stand-in -> event source mapping -> dispatcher
 * bundle (DynamoDB semaphore on dynalite) -> StartExecution stand-in -> the real definition run
 * by aws-local-stepfunctions -> processor bundle (reserved concurrency: throttled when busy) ->
 * Genesys fake, with dynalite as the idempotency and slot tables, and the failure queue and DLQ
 * in the SQS stand-in. Ended executions come back as status-change events, like the deployed rule.
 * Retry waits are overridden (ms); Retry-After waits inside the processor are real.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DeleteItemCommand, PutItemCommand, QueryCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { SQSClient } from "@aws-sdk/client-sqs";
import { failuresRetry } from "../../../scripts/ops/failures";
import { validateAsl } from "../../support/asl";
import {
  DEFAULT_INTERACTION_RETRY_POLICY,
  EVENT_IN_FAILURE_QUEUE_ERROR,
  FAILURE_QUEUE_SEND_RETRY,
  FAILURE_QUEUE_UNAVAILABLE_ERROR,
  INTERACTION_STATES,
  NON_RETRYABLE_ERRORS,
  RETRY_CLASS_ERRORS,
  SLOT_NOT_RELEASED_ERROR,
  interactionStateMachineDefinition,
  resolveRetryPolicy,
  throttleMaxAttempts,
  worstCaseRetryWaitSeconds,
  type RetryClass,
  type State,
  type TaskState,
} from "../../../constructs/interaction/state-machine-definition";
import { conversationEvent } from "../../support/conversation-events";
import { PROCESSOR_ARN, SLOTS_TABLE, startInteractionPipeline, type InteractionPipeline } from "../../support/interaction-pipeline";
import { onlyResource, sampleEnv, synthStacks } from "../../support/synth-app";

type FailureMessage = { event: { id: string; detail: { eventBody: { conversationId: string } } } | null; error: string; cause: string; executionId: string };

const FAILURE_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/interaction-failures";
const RETRY_ORDER: RetryClass[] = ["throttled", "transient", "crashed", "lambdaService"];

const conversationOf = (event: Record<string, unknown>) => (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;

/** Slots still held by some execution. */
async function heldSlotsOf(pipeline: InteractionPipeline): Promise<string[]> {
  const { Items = [] } = await pipeline.dynalite.client.send(
    new QueryCommand({ TableName: SLOTS_TABLE, KeyConditionExpression: "#pool = :p", ExpressionAttributeNames: { "#pool": "pool" }, ExpressionAttributeValues: { ":p": { S: "interaction-workflow" } }, ConsistentRead: true }),
  );
  return Items.filter((i) => i.holder).map((i) => `${i.slot!.S}:${i.holder!.S}`);
}

describe("definition", () => {
  const definition = interactionStateMachineDefinition({ processorFunctionArn: PROCESSOR_ARN, failureQueueUrl: FAILURE_QUEUE_URL, slotsTableName: SLOTS_TABLE });
  const task = definition.States[INTERACTION_STATES.apply] as TaskState;

  test("is valid Amazon States Language", () => {
    expect(validateAsl(JSON.parse(JSON.stringify(definition)))).toEqual([]);
  });

  test("retries exactly the exported retry classes with the effective numbers, FULL jitter, in order", () => {
    const policy = resolveRetryPolicy();
    expect(task.Retry).toEqual(
      RETRY_ORDER.map((retryClass) => ({
        ErrorEquals: [...RETRY_CLASS_ERRORS[retryClass]],
        IntervalSeconds: policy[retryClass].intervalSeconds,
        BackoffRate: policy[retryClass].backoffRate,
        MaxAttempts: policy[retryClass].maxAttempts,
        MaxDelaySeconds: policy[retryClass].maxDelaySeconds,
        JitterStrategy: "FULL",
      })),
    );
    const retried = task.Retry!.flatMap((r) => r.ErrorEquals);
    for (const error of NON_RETRYABLE_ERRORS) expect(retried).not.toContain(error);
    expect(retried).not.toContain("States.ALL");
  });

  test("retries the idempotency store's transient errors (regression: they went to the failure queue)", () => {
    const transient = task.Retry!.find((r) => r.ErrorEquals.includes("GenesysTransientError"))!;
    expect(transient.ErrorEquals).toEqual(expect.arrayContaining(["IdempotencyAlreadyInProgressError", "IdempotencyPersistenceLayerError"]));
    expect(transient.MaxAttempts).toBeGreaterThanOrEqual(3);
  });

  test("matches the error names Step Functions really reports for a timed-out, crashed or throttled Lambda", () => {
    const retried = task.Retry!.flatMap((r) => r.ErrorEquals);
    for (const name of ["Lambda.Unknown", "Sandbox.Timedout", "Runtime.ExitError", "States.Timeout", "Lambda.TooManyRequestsException", "Lambda.ServiceException"]) {
      expect(retried).toContain(name);
    }
  });

  test("throttles wait for the maximum event age, not a fixed small count (regression: 242 s budget)", () => {
    const throttled = task.Retry!.find((r) => r.ErrorEquals.includes("Lambda.TooManyRequestsException"))!;
    expect(throttled.ErrorEquals).toContain("GenesysRateLimitedError");
    // Mean FULL-jitter wait at the cap is maxDelay / 2: the expected total exceeds the 24 h age, so the execution timeout ends it.
    const expectedWait = worstCaseRetryWaitSeconds({ ...DEFAULT_INTERACTION_RETRY_POLICY.throttled, maxAttempts: throttled.MaxAttempts! }) / 2;
    expect(expectedWait).toBeGreaterThanOrEqual(86_400);
    expect(definition.TimeoutSeconds).toBe(86_400);
    expect(throttleMaxAttempts(DEFAULT_INTERACTION_RETRY_POLICY.throttled, 3600)).toBeLessThan(throttled.MaxAttempts!);
    // 3 history events per attempt stay far below the 25,000-event execution history limit.
    expect(throttled.MaxAttempts! * 3).toBeLessThan(25_000);
  });

  test("the processor gets the event, and every path out of the workflow passes a slot release", () => {
    expect(task.Parameters).toEqual({ FunctionName: PROCESSOR_ARN, "Payload.$": "$.event" });
    const releases = new Set<string>([INTERACTION_STATES.releaseSlot, INTERACTION_STATES.releaseSlotAfterFailure, INTERACTION_STATES.releaseSlotEventUnsent]);
    const next = (state: State): string[] => {
      const targets: string[] = [];
      if ("Next" in state && state.Next) targets.push(state.Next);
      if (state.Type === "Task") targets.push(...(state.Catch ?? []).map((c) => c.Next));
      return targets;
    };
    // Walk every path from the start; a terminal state must only be reachable through a release.
    const walk = (name: string, released: boolean, seen: string[]): void => {
      const state = definition.States[name]!;
      const nowReleased = released || releases.has(name);
      const targets = next(state);
      const terminal = state.Type === "Fail" || state.Type === "Succeed" || ("End" in state && state.End);
      if (terminal) expect({ path: [...seen, name], released: nowReleased || releases.has(name) }).toEqual({ path: [...seen, name], released: true });
      for (const target of targets) if (!seen.includes(target)) walk(target, nowReleased, [...seen, name]);
    };
    walk(definition.StartAt, false, []);
    const release = definition.States[INTERACTION_STATES.releaseSlot] as TaskState;
    expect(release).toMatchObject({
      Resource: "arn:aws:states:::dynamodb:updateItem",
      Parameters: { TableName: SLOTS_TABLE, ConditionExpression: "holder = :holder", ExpressionAttributeValues: { ":holder": { "S.$": "$$.Execution.Name" } } },
    });
  });

  test("the failure sink has a fallback: a Fail state whose cause carries the event", () => {
    const send = definition.States[INTERACTION_STATES.sendToFailureQueue] as TaskState;
    expect(send.Resource).toBe("arn:aws:states:::sqs:sendMessage");
    expect(send.Parameters?.QueueUrl).toBe(FAILURE_QUEUE_URL);
    expect(send.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.failureQueueError", Next: INTERACTION_STATES.releaseSlotEventUnsent }]);
    expect(definition.States[INTERACTION_STATES.failureQueueUnavailable]).toMatchObject({ Type: "Fail", Error: FAILURE_QUEUE_UNAVAILABLE_ERROR, CausePath: "$.cause" });
  });

  test("only a failure-queue send that succeeded leads to the EventInFailureQueue error, and no Fail state takes its error from the input (the dispatcher keeps every other FAILED execution's event)", () => {
    const edges = Object.entries(definition.States).flatMap(([from, state]) => [
      ...("Next" in state && state.Next ? [{ from, to: state.Next, via: "Next" }] : []),
      ...(state.Type === "Task" ? (state.Catch ?? []).map((c) => ({ from, to: c.Next, via: "Catch" })) : []),
    ]);
    const into = (to: string) => edges.filter((e) => e.to === to).map(({ from, via }) => `${via} from ${from}`);
    const fails = Object.entries(definition.States).filter(([, state]) => state.Type === "Fail");
    expect(fails.filter(([, state]) => "ErrorPath" in state)).toEqual([]);
    expect(fails.filter(([, state]) => "Error" in state && state.Error === EVENT_IN_FAILURE_QUEUE_ERROR).map(([name]) => name)).toEqual([INTERACTION_STATES.failed]);
    expect(into(INTERACTION_STATES.failed)).toEqual([`Next from ${INTERACTION_STATES.releaseSlotAfterFailure}`, `Catch from ${INTERACTION_STATES.releaseSlotAfterFailure}`, `Catch from ${INTERACTION_STATES.releaseSlotAfterFailure}`]);
    expect(into(INTERACTION_STATES.releaseSlotAfterFailure)).toEqual([`Next from ${INTERACTION_STATES.sendToFailureQueue}`]);
  });

  test("gives up within bounded time: worst-case waits of the fixed-count classes stay under 20 minutes", () => {
    for (const policy of [DEFAULT_INTERACTION_RETRY_POLICY.transient, DEFAULT_INTERACTION_RETRY_POLICY.crashed, DEFAULT_INTERACTION_RETRY_POLICY.lambdaService, FAILURE_QUEUE_SEND_RETRY]) {
      expect(worstCaseRetryWaitSeconds(policy)).toBeLessThan(20 * 60);
    }
  });

  test("rejects tunables Step Functions would refuse", () => {
    const props = { processorFunctionArn: PROCESSOR_ARN, failureQueueUrl: FAILURE_QUEUE_URL, slotsTableName: SLOTS_TABLE };
    expect(() => interactionStateMachineDefinition({ ...props, retry: { throttled: { intervalSeconds: 0 } } })).toThrow(/intervalSeconds/);
    expect(() => interactionStateMachineDefinition({ ...props, retry: { transient: { backoffRate: 0.5 } } })).toThrow(/backoffRate/);
    expect(() => interactionStateMachineDefinition({ ...props, retry: { lambdaService: { maxDelaySeconds: 1 } } })).toThrow(/maxDelaySeconds/);
    expect(() => interactionStateMachineDefinition({ ...props, slotsTableName: "" })).toThrow(/slotsTableName/);
  });
});

describe("execution", () => {
  let pipeline: InteractionPipeline;

  // Retry waits: throttled 0 ms, transient 300 ms (outlasts an overlapping invocation), crashed 0, Lambda service 0.
  const RETRY_INTERVALS_MS = [0, 300, 0, 0];

  beforeAll(async () => {
    pipeline = await startInteractionPipeline({ processorConcurrency: 2, retryIntervalsMs: RETRY_INTERVALS_MS });
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  afterEach(() => {
    pipeline.genesys.clearFaults();
    pipeline.failureQueue.failNextSends(0);
    pipeline.failNextReleases(0);
    pipeline.setRetryIntervalsMs(RETRY_INTERVALS_MS);
  });

  async function run(...events: Array<Record<string, unknown>>): Promise<void> {
    pipeline.send(events);
    await pipeline.drained();
  }

  const patchesOf = (conversationId: string) =>
    pipeline.genesys.requestsOf("participantAttributes").filter((r) => r.path.includes(`/conversations/${conversationId}/`));
  const failuresOf = (conversationId: string) =>
    pipeline.failureQueue.bodies<FailureMessage>().filter((m) => m.event?.detail.eventBody.conversationId === conversationId);

  const heldSlots = () => heldSlotsOf(pipeline);

  /** The pipeline's promise: each event is applied exactly once, or is in the failure queue with its cause (never both, never neither), and its slot is free again. */
  async function expectAccountedFor(event: Record<string, unknown>, expected: "applied" | "failed"): Promise<void> {
    const conversationId = conversationOf(event);
    const applied = patchesOf(conversationId).filter((r) => r.status === 202);
    const failed = failuresOf(conversationId);
    if (expected === "applied") {
      expect(applied).toHaveLength(1);
      expect(failed).toHaveLength(0);
    } else {
      expect(applied).toHaveLength(0);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.event).toEqual(event);
      expect(failed[0]!.cause).toBeTruthy();
    }
    expect(await heldSlots()).toEqual([]);
  }

  function executionFor(conversationId: string) {
    const matches = [...pipeline.stepFunctions.executions.values()].filter((e) => e.name.startsWith(conversationId));
    expect(matches).toHaveLength(1);
    return matches[0]!;
  }

  test("success: the participant gets the processed marker and event type, once, and the slot is released", async () => {
    const event = conversationEvent({ eventType: "customer.end", eventTime: Date.UTC(2025, 5, 1, 12, 0, 0) });
    const conversationId = conversationOf(event);
    await run(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("SUCCEEDED");
    expect(JSON.parse(execution.input)).toEqual({ event, slot: expect.stringMatching(/^000[01]$/) });
    expect(pipeline.genesys.participantAttributes.get(`${conversationId}/participant-1`)).toEqual({
      aws_processedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      aws_eventType: "customer.end",
      aws_eventTime: "2025-06-01T12:00:00.000Z",
    });
    // The happy path: apply, release.
    expect(execution.events.filter((e) => e.type.endsWith("StateEntered")).map((e) => e.state?.name)).toEqual([INTERACTION_STATES.apply, INTERACTION_STATES.releaseSlot]);
    await expectAccountedFor(event, "applied");
  });

  test("429 twice then success: a short Retry-After is waited out in the function, a long one by the workflow's throttle retrier", async () => {
    const event = conversationEvent();
    const conversationId = conversationOf(event);
    pipeline.genesys.failNext("participantAttributes", [
      { status: 429, retryAfter: 1 },
      { status: 429, retryAfter: 120 },
    ]);
    const invocationsBefore = pipeline.processorInvocations();
    await run(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("SUCCEEDED");
    const patches = patchesOf(conversationId);
    expect(patches.map((r) => r.status)).toEqual([429, 429, 202]);
    expect(patches[1]!.at - patches[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(pipeline.processorInvocations() - invocationsBefore).toBe(2);
    const retries = execution.events.filter((e) => e.type === "StateRetried");
    expect(retries.map((e) => e.retry!.retrier.ErrorEquals)).toEqual([[...RETRY_CLASS_ERRORS.throttled]]);
    await expectAccountedFor(event, "applied");
  });

  test("non-retryable 404 goes straight to the failure queue with its cause, and the slot is released", async () => {
    const event = conversationEvent();
    const conversationId = conversationOf(event);
    pipeline.genesys.failNext("participantAttributes", [{ status: 404 }]);
    const invocationsBefore = pipeline.processorInvocations();
    await run(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("FAILED");
    // The execution's error says where the event is; the failure record keeps the original error.
    expect(execution.error?.name).toBe(EVENT_IN_FAILURE_QUEUE_ERROR);
    expect(pipeline.processorInvocations() - invocationsBefore).toBe(1);
    expect(execution.events.filter((e) => e.type === "StateRetried")).toHaveLength(0);
    const [failure] = failuresOf(conversationId);
    expect(failure).toMatchObject({ error: "GenesysClientError", executionId: execution.arn });
    expect(JSON.parse(failure!.cause)).toMatchObject({ errorType: "GenesysClientError", errorMessage: expect.stringContaining("HTTP 404") });
    await expectAccountedFor(event, "failed");
  });

  test("transient errors retried until MaxAttempts, then the failure queue", async () => {
    const event = conversationEvent();
    const conversationId = conversationOf(event);
    const attempts = DEFAULT_INTERACTION_RETRY_POLICY.transient.maxAttempts + 1;
    pipeline.genesys.failNext("participantAttributes", Array.from({ length: attempts }, () => ({ status: 503 })));
    pipeline.setRetryIntervalsMs(0); // no invocation overlaps here: the count of attempts is the subject
    await run(event);

    expect(executionFor(conversationId).status).toBe("FAILED");
    expect(patchesOf(conversationId).map((r) => r.status)).toEqual(Array(attempts).fill(503));
    expect(failuresOf(conversationId)[0]).toMatchObject({ error: "GenesysTransientError" });
    await expectAccountedFor(event, "failed");
  });

  test("an event without a participant is not retried and lands in the failure queue with the reason", async () => {
    const event = conversationEvent({ participantId: null });
    const conversationId = conversationOf(event);
    await run(event);

    expect(executionFor(conversationId).status).toBe("FAILED");
    expect(failuresOf(conversationId)[0]).toMatchObject({ error: "InvalidEventError", cause: expect.stringContaining("participantId") });
    await expectAccountedFor(event, "failed");
  });

  test("the same event delivered twice (new EventBridge id) starts one execution, patches once, and gives the second slot back", async () => {
    const first = conversationEvent({ eventType: "acd.start" });
    const conversationId = conversationOf(first);
    await run(first);
    await run({ ...first, id: "redelivered-event-id" });

    const execution = executionFor(conversationId);
    expect(pipeline.stepFunctions.calls.filter((c) => c.name === execution.name).map((c) => c.outcome)).toEqual(["started", "ExecutionAlreadyExists"]);
    await expectAccountedFor(first, "applied");
  });

  test("the idempotency store unreachable for one attempt: retried, applied once (regression: straight to the failure queue)", async () => {
    const event = conversationEvent();
    const conversationId = conversationOf(event);
    // The idempotency store answers 500 to the first 10 requests (every SDK attempt of the first invocations):
    // Powertools reports IdempotencyPersistenceLayerError, then DynamoDB recovers.
    pipeline.processorDynamo.addFault({ match: () => true, status: 500, times: 10 });
    await run(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("SUCCEEDED");
    const failedAttempts = execution.events.filter((e) => e.type === "StateFailed").map((e) => e.Error);
    expect(failedAttempts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(failedAttempts)).toEqual(new Set(["IdempotencyPersistenceLayerError"]));
    await expectAccountedFor(event, "applied");
  });

  test("an attempt overlapping a still-running one waits for it (IdempotencyAlreadyInProgressError retried): applied once, no failure message", async () => {
    const event = conversationEvent();
    const conversationId = conversationOf(event);
    // The first invocation (a direct one, like an attempt Step Functions gave up on) holds the event for 1.5 s,
    // in the container the workflow's pool picks last (it takes the most recently idle one first).
    pipeline.genesys.failNext("participantAttributes", [{ delayMs: 1500 }]);
    const first = pipeline.processors[0]!.invoke(event, { functionName: "interaction-processor" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await run(event);
    await first;

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("SUCCEEDED");
    const retriedOn = execution.events.filter((e) => e.type === "StateRetried").map((e) => e.retry!.retrier.ErrorEquals);
    expect(retriedOn.length).toBeGreaterThanOrEqual(1);
    expect(retriedOn[0]).toContain("IdempotencyAlreadyInProgressError");
    await expectAccountedFor(event, "applied");
  });

  test("a failure-queue send failing twice is retried, so the event is still kept", async () => {
    const event = conversationEvent();
    pipeline.genesys.failNext("participantAttributes", [{ status: 400, code: "bad.request" }]);
    pipeline.failureQueue.failNextSends(2);
    await run(event);

    expect(executionFor(conversationOf(event)).status).toBe("FAILED");
    await expectAccountedFor(event, "failed");
  });

  test("failure queue down through the workflow's retries: the execution fails as FailureQueueUnavailable with the event in its cause; once SQS takes it again, the status change keeps the event", async () => {
    const event = conversationEvent();
    pipeline.genesys.failNext("participantAttributes", [{ status: 400, code: "bad.request" }]);
    pipeline.failureQueue.failNextSends(FAILURE_QUEUE_SEND_RETRY.maxAttempts + 1);
    await run(event);

    const execution = executionFor(conversationOf(event));
    expect(execution.status).toBe("FAILED");
    expect(execution.error?.name).toBe(FAILURE_QUEUE_UNAVAILABLE_ERROR);
    expect(JSON.parse(execution.error!.cause)).toEqual(event);
    expect(execution.events.find((e) => e.type === "StateFailed" && e.Error === "GenesysClientError")).toBeDefined();
    expect(failuresOf(conversationOf(event))).toEqual([expect.objectContaining({ event, error: FAILURE_QUEUE_UNAVAILABLE_ERROR, executionId: execution.arn })]);
    expect(pipeline.deadLetters.depth).toBe(0);
    expect(await heldSlots()).toEqual([]);
  });

  test("an aborted execution: its status change releases the slot and puts the event in the failure queue", async () => {
    const event = conversationEvent();
    const conversationId = conversationOf(event);
    pipeline.genesys.failNext("participantAttributes", [{ delayMs: 1500 }]);
    pipeline.send([event]);
    while (![...pipeline.stepFunctions.executions.values()].some((e) => e.name.startsWith(conversationId))) await new Promise((r) => setTimeout(r, 20));
    expect(await heldSlots()).toHaveLength(1);
    executionFor(conversationId).abort();
    await pipeline.drained();

    expect(executionFor(conversationId).status).toBe("ABORTED");
    expect(failuresOf(conversationId)).toEqual([expect.objectContaining({ error: "ExecutionAborted", event })]);
    expect(await heldSlots()).toEqual([]);
  });

  test("a slot release that keeps failing after success: the execution fails as SlotNotReleased, its status change frees the slot, nothing is in the failure queue", async () => {
    const event = conversationEvent();
    pipeline.failNextReleases(100);
    await run(event);
    pipeline.failNextReleases(0);
    await pipeline.drained();

    const execution = executionFor(conversationOf(event));
    expect(execution.error?.name).toBe(SLOT_NOT_RELEASED_ERROR);
    await expectAccountedFor(event, "applied");
  });
});

describe("failures retry (npm run ops -- failures retry), end to end", () => {
  let pipeline: InteractionPipeline;
  const SLOTS = 2;

  beforeAll(async () => {
    // The workflow exactly as synthesized into the dev stack, its Terraform references bound to the stand-ins.
    const synthesized: string = onlyResource(synthStacks([sampleEnv("dev")])["dev-aws"]!, "aws_sfn_state_machine").definition;
    pipeline = await startInteractionPipeline({
      processorConcurrency: SLOTS,
      // A queue second lasts 100 ms: records the dispatcher hands back while every slot is taken return sooner.
      secondMs: 100,
      definition: (local) => {
        const bound = synthesized
          .replace(/\$\{aws_lambda_function\.[^}]+\.arn\}/g, local.processorFunctionArn)
          .replace(/\$\{aws_sqs_queue\.[^}]+\.url\}/g, local.failureQueueUrl)
          .replace(/\$\{aws_dynamodb_table\.[^}]+\.name\}/g, local.slotsTableName);
        expect(bound).not.toContain("${");
        return JSON.parse(bound);
      },
    });
  }, 60_000);

  afterAll(async () => {
    await pipeline?.close();
  });

  afterEach(() => {
    pipeline.genesys.clearFaults();
  });

  /** Runs `failures retry --yes` as an operator would, against the pipeline's queues. */
  async function retryFailures(): Promise<{ code: number; out: string }> {
    const config = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const out: string[] = [];
    const code = await failuresRetry({
      args: { command: "failures retry", env: "test", dryRun: false, yes: true, max: 100 },
      inventory: {
        environment: "test",
        accountId: "123456789012",
        region: "us-east-1",
        partition: "aws",
        metricsNamespace: "GenesysVault/test",
        eventBusName: "genesys",
        archiveName: "genesys-archive",
        alarmTopicName: "gcv-test-alarms",
        selfTests: [],
        pipelines: [{ id: "interaction", queue: pipeline.intake.name, deadLetterQueue: pipeline.deadLetters.name, fifo: false, ruleNames: [], deliveryDeadLetterQueues: [], functions: [] }],
        interactionWorkflow: { stateMachineName: "interaction-workflow", failureQueue: pipeline.failureQueue.name },
        functions: [],
      },
      aws: {
        sqs: new SQSClient({ ...config, endpoint: pipeline.sqs.endpoint }),
        sfn: new SFNClient({ ...config, endpoint: pipeline.stepFunctions.endpoint }),
        events: new EventBridgeClient(config),
        cloudwatch: new CloudWatchClient(config),
      },
      io: { out: (l) => out.push(l), err: (l) => out.push(l), confirm: async () => true, interactive: false },
      pollIntervalMs: 0,
      now: () => new Date(),
    });
    return { code, out: out.join("\n") };
  }

  const appliedPatches = (event: Record<string, unknown>) =>
    pipeline.genesys.requestsOf("participantAttributes").filter((r) => r.status === 202 && r.path.includes(`/conversations/${conversationOf(event)}/`));
  const executionsOf = (event: Record<string, unknown>) => [...pipeline.stepFunctions.executions.values()].filter((e) => e.name.startsWith(conversationOf(event)));
  const slotItem = (slot: string) => ({ pool: { S: "interaction-workflow" }, slot: { S: slot } });

  async function failAndFix(events: Array<Record<string, unknown>>): Promise<void> {
    pipeline.genesys.failNext("participantAttributes", events.map(() => ({ status: 403, code: "missing.permissions" })));
    pipeline.send(events);
    await pipeline.drained();
    expect(pipeline.failureQueue.depth).toBe(events.length);
    pipeline.genesys.clearFaults(); // the cause is fixed (the OAuth client got its permission)
  }

  test("a failed event, its cause fixed, retried: applied exactly once through the workflow, failure queue empty, slot free (regression: the retry failed with States.Runtime and was lost)", async () => {
    const event = conversationEvent({ eventType: "customer.end" });
    await failAndFix([event]);

    const { code, out } = await retryFailures();
    await pipeline.drained();

    expect(appliedPatches(event)).toHaveLength(1);
    expect(pipeline.failureQueue.depth).toBe(0);
    expect(code).toBe(0);
    expect(out).toContain("Done: 1 queued for retry, 0 kept.");
    const [failed, retried] = executionsOf(event);
    expect([failed!.status, retried!.status]).toEqual(["FAILED", "SUCCEEDED"]);
    expect(retried!.name).toMatch(new RegExp(`^${failed!.name}-r[0-9a-f]{8}$`));
    expect(JSON.parse(retried!.input)).toEqual({ event, slot: expect.stringMatching(/^000[01]$/) });
    expect(pipeline.deadLetters.depth).toBe(0);
    expect(await heldSlotsOf(pipeline)).toEqual([]);
  });

  test("retries while every slot is taken wait in the queue, then run within the limit once slots free", async () => {
    const events = [conversationEvent(), conversationEvent(), conversationEvent()];
    await failAndFix(events);
    for (let i = 0; i < SLOTS; i++) {
      await pipeline.dynalite.client.send(new PutItemCommand({ TableName: SLOTS_TABLE, Item: { ...slotItem(`000${i}`), holder: { S: `busy-${i}` }, leaseExpiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) } } }));
    }
    const peakBefore = pipeline.stepFunctions.peakRunning();

    expect((await retryFailures()).code).toBe(0);
    // The dispatcher has seen them (each received at least once) and started none.
    while ([...pipeline.intake.messages.values()].some((m) => m.receiveCount === 0)) await new Promise((r) => setTimeout(r, 50));
    expect(events.map((e) => executionsOf(e).length)).toEqual([1, 1, 1]);
    expect(pipeline.intake.depth).toBe(3);
    expect(pipeline.failureQueue.depth).toBe(0); // safely back on the normal path

    for (let i = 0; i < SLOTS; i++) await pipeline.dynalite.client.send(new DeleteItemCommand({ TableName: SLOTS_TABLE, Key: slotItem(`000${i}`) }));
    await pipeline.drained();
    expect(events.map((e) => appliedPatches(e).length)).toEqual([1, 1, 1]);
    expect(pipeline.stepFunctions.peakRunning()).toBeLessThanOrEqual(Math.max(peakBefore, SLOTS));
    expect(pipeline.failureQueue.depth).toBe(0);
  }, 60_000);

  test("an execution that fails outside the workflow's failure path (started by hand with the bare event: States.Runtime) has its event kept by the status change, and a retry applies it", async () => {
    const event = conversationEvent();
    const sfn = new SFNClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, endpoint: pipeline.stepFunctions.endpoint });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: pipeline.stepFunctions.stateMachineArn, name: "started-by-hand", input: JSON.stringify(event) }));
    await pipeline.drained();

    expect(pipeline.stepFunctions.executions.get("started-by-hand")!.error?.name).toBe("States.Runtime");
    const kept = pipeline.failureQueue.storedBodies().map((b) => JSON.parse(b) as { event: unknown; error: string });
    expect(kept).toEqual([expect.objectContaining({ event, error: "States.Runtime" })]);

    expect((await retryFailures()).code).toBe(0);
    await pipeline.drained();
    expect(appliedPatches(event)).toHaveLength(1);
    expect(pipeline.failureQueue.depth).toBe(0);
  });
});

describe("burst", () => {
  // Three slots and containers against two competing dispatchers: the same races as five, in less memory.
  test("150 events at once, 3 slots, fast clock: every event applied once, none failed, never more than 3 running, no throttles", async () => {
    const pipeline = await startInteractionPipeline({
      processorConcurrency: 3,
      maxRunningExecutions: 3,
      genesys: { rateLimitPerMinute: 300, minuteMs: 1000, rateLimitScope: "client" },
      genesysRequestsPerMinute: 300,
      secondMs: 20,
      retryIntervalsMs: [50, 0, 0, 0],
    });
    try {
      const events = Array.from({ length: 150 }, (_, i) => conversationEvent({ eventTime: 1_760_000_000_000 + i }));
      pipeline.send(events);
      await pipeline.drained();

      const applied = new Map<string, number>();
      for (const r of pipeline.genesys.requestsOf("participantAttributes")) {
        if (r.status === 202) applied.set(r.path.split("/")[4]!, (applied.get(r.path.split("/")[4]!) ?? 0) + 1);
      }
      expect(events.filter((e) => applied.get(conversationOf(e)) !== 1)).toEqual([]);
      expect(pipeline.failureQueue.sent).toEqual([]);
      expect(pipeline.deadLetters.sent).toEqual([]);
      expect(pipeline.stepFunctions.peakRunning()).toBeLessThanOrEqual(3);
      expect(pipeline.processorThrottles()).toBe(0);
    } finally {
      await pipeline.close();
    }
  }, 180_000);
});
