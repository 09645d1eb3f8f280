/**
 * The interaction workflow end to end: dispatcher bundle -> StartExecution stand-in ->
 * the real definition run by aws-local-stepfunctions -> processor bundle -> Genesys fake,
 * with dynalite as the idempotency table and a recording failure queue.
 * Retry waits are overridden to 0 ms; Retry-After waits inside the processor are real.
 */
import { validateAsl } from "../../support/asl";
import {
  DEFAULT_INTERACTION_RETRY_POLICY,
  FAILURE_QUEUE_SEND_RETRY,
  INTERACTION_STATES,
  NON_RETRYABLE_ERRORS,
  RETRY_CLASS_ERRORS,
  interactionStateMachineDefinition,
  worstCaseRetryWaitSeconds,
  type TaskState,
} from "../../../constructs/interaction/state-machine-definition";
import { conversationEvent } from "../../support/conversation-events";
import { sqsBatch, sqsRecord } from "../../support/events";
import { FAILURE_QUEUE_URL, PROCESSOR_ARN, startInteractionPipeline, type InteractionPipeline } from "../../support/interaction-pipeline";

type FailureMessage = { event: { id: string; detail: { eventBody: { conversationId: string } } }; error: string; cause: string; executionId: string };

let pipeline: InteractionPipeline;

beforeAll(async () => {
  pipeline = await startInteractionPipeline();
});

afterAll(async () => {
  await pipeline?.close();
});

afterEach(() => {
  pipeline.genesys.clearFaults();
});

/** Sends events through the dispatcher (one SQS batch) and waits for every execution to close. */
async function dispatch(...events: Array<Record<string, unknown>>): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  const response = await pipeline.dispatcher.invoke<{ batchItemFailures: Array<{ itemIdentifier: string }> }>(
    sqsBatch(events.map((event) => sqsRecord(event))),
  );
  await pipeline.stepFunctions.idle();
  return response;
}

function patchesOf(conversationId: string) {
  return pipeline.genesys.requestsOf("participantAttributes").filter((r) => r.path.includes(`/conversations/${conversationId}/`));
}

function failuresOf(conversationId: string): FailureMessage[] {
  return pipeline.failureQueue.bodies<FailureMessage>().filter((m) => m.event.detail.eventBody.conversationId === conversationId);
}

/** The pipeline's promise: each event is applied exactly once, or is in the failure queue with its cause (never both, never neither). */
function expectAccountedFor(event: Record<string, unknown>, expected: "applied" | "failed"): void {
  const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
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
}

function executionFor(conversationId: string) {
  const matches = [...pipeline.stepFunctions.executions.values()].filter((e) => e.name.startsWith(conversationId));
  expect(matches).toHaveLength(1);
  return matches[0]!;
}

describe("definition", () => {
  const definition = interactionStateMachineDefinition({ processorFunctionArn: PROCESSOR_ARN, failureQueueUrl: FAILURE_QUEUE_URL });

  test("is valid Amazon States Language", () => {
    expect(validateAsl(JSON.parse(JSON.stringify(definition)))).toEqual([]);
  });

  test("retries exactly the exported retry classes with the exported numbers, FULL jitter, in order", () => {
    const task = definition.States[INTERACTION_STATES.apply] as TaskState;
    expect(task.Retry).toEqual(
      (["rateLimited", "transient", "lambdaService"] as const).map((retryClass) => ({
        ErrorEquals: [...RETRY_CLASS_ERRORS[retryClass]],
        IntervalSeconds: DEFAULT_INTERACTION_RETRY_POLICY[retryClass].intervalSeconds,
        BackoffRate: DEFAULT_INTERACTION_RETRY_POLICY[retryClass].backoffRate,
        MaxAttempts: DEFAULT_INTERACTION_RETRY_POLICY[retryClass].maxAttempts,
        MaxDelaySeconds: DEFAULT_INTERACTION_RETRY_POLICY[retryClass].maxDelaySeconds,
        JitterStrategy: "FULL",
      })),
    );
    const retried = task.Retry!.flatMap((r) => r.ErrorEquals);
    for (const error of NON_RETRYABLE_ERRORS) expect(retried).not.toContain(error);
    expect(retried).not.toContain("States.ALL");
  });

  test("catches everything into the failure queue, then fails the execution with the original error", () => {
    const task = definition.States[INTERACTION_STATES.apply] as TaskState;
    expect(task.Resource).toBe("arn:aws:states:::lambda:invoke");
    expect(task.Parameters).toEqual({ FunctionName: PROCESSOR_ARN, "Payload.$": "$" });
    expect(task.Catch).toEqual([{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: INTERACTION_STATES.sendToFailureQueue }]);
    const send = definition.States[INTERACTION_STATES.sendToFailureQueue] as TaskState;
    expect(send.Resource).toBe("arn:aws:states:::sqs:sendMessage");
    expect(send.Parameters?.QueueUrl).toBe(FAILURE_QUEUE_URL);
    expect(send.Next).toBe(INTERACTION_STATES.failed);
    expect(definition.States[INTERACTION_STATES.failed]).toMatchObject({ Type: "Fail", ErrorPath: "$.error.Error", CausePath: "$.error.Cause" });
  });

  test("gives up within bounded time: worst-case retry waits stay under 20 minutes per class", () => {
    for (const policy of [...Object.values(DEFAULT_INTERACTION_RETRY_POLICY), FAILURE_QUEUE_SEND_RETRY]) {
      expect(worstCaseRetryWaitSeconds(policy)).toBeLessThan(20 * 60);
    }
  });

  test("rejects retry tunables Step Functions would refuse", () => {
    const props = { processorFunctionArn: PROCESSOR_ARN, failureQueueUrl: FAILURE_QUEUE_URL };
    expect(() => interactionStateMachineDefinition({ ...props, retry: { rateLimited: { intervalSeconds: 0 } } })).toThrow(/intervalSeconds/);
    expect(() => interactionStateMachineDefinition({ ...props, retry: { transient: { backoffRate: 0.5 } } })).toThrow(/backoffRate/);
    expect(() => interactionStateMachineDefinition({ ...props, retry: { lambdaService: { maxDelaySeconds: 1 } } })).toThrow(/maxDelaySeconds/);
  });
});

describe("execution", () => {
  test("success: the participant gets the processed marker and event type, once", async () => {
    const event = conversationEvent({ eventType: "customer.end", eventTime: Date.UTC(2025, 5, 1, 12, 0, 0) });
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    expect(await dispatch(event)).toEqual({ batchItemFailures: [] });

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("SUCCEEDED");
    const attributes = pipeline.genesys.participantAttributes.get(`${conversationId}/participant-1`);
    expect(attributes).toEqual({
      aws_processedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      aws_eventType: "customer.end",
      aws_eventTime: "2025-06-01T12:00:00.000Z",
    });
    expectAccountedFor(event, "applied");
  });

  test("429 twice then success: a short Retry-After is waited out in the function, a long one by the workflow's rate-limit retrier", async () => {
    const event = conversationEvent();
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    // 1 s fits in the invocation: the client waits it out. 120 s does not: GenesysRateLimitedError -> Retry.
    pipeline.genesys.failNext("participantAttributes", [
      { status: 429, retryAfter: 1 },
      { status: 429, retryAfter: 120 },
    ]);
    const invocationsBefore = pipeline.processorInvocations();
    await dispatch(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("SUCCEEDED");
    const patches = patchesOf(conversationId);
    expect(patches.map((r) => r.status)).toEqual([429, 429, 202]);
    expect(patches[1]!.at - patches[0]!.at).toBeGreaterThanOrEqual(1000);
    expect(pipeline.processorInvocations() - invocationsBefore).toBe(2);
    const retries = execution.events.filter((e) => e.type === "StateRetried");
    expect(retries.map((e) => e.retry!.retrier.ErrorEquals)).toEqual([["GenesysRateLimitedError"]]);
    expectAccountedFor(event, "applied");
  });

  test("non-retryable 404 goes straight to the failure queue with its cause", async () => {
    const event = conversationEvent();
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    pipeline.genesys.failNext("participantAttributes", [{ status: 404 }]);
    const invocationsBefore = pipeline.processorInvocations();
    await dispatch(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("FAILED");
    expect(execution.error?.name).toBe("GenesysClientError");
    expect(pipeline.processorInvocations() - invocationsBefore).toBe(1);
    expect(execution.events.filter((e) => e.type === "StateRetried")).toHaveLength(0);
    const [failure] = failuresOf(conversationId);
    expect(failure).toMatchObject({ error: "GenesysClientError", executionId: execution.arn });
    expect(JSON.parse(failure!.cause)).toMatchObject({ errorType: "GenesysClientError", errorMessage: expect.stringContaining("HTTP 404") });
    expectAccountedFor(event, "failed");
  });

  test("transient errors retried until MaxAttempts, then the failure queue", async () => {
    const event = conversationEvent();
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    const attempts = DEFAULT_INTERACTION_RETRY_POLICY.transient.maxAttempts + 1;
    pipeline.genesys.failNext("participantAttributes", Array.from({ length: attempts }, () => ({ status: 503 })));
    const invocationsBefore = pipeline.processorInvocations();
    await dispatch(event);

    const execution = executionFor(conversationId);
    expect(execution.status).toBe("FAILED");
    expect(pipeline.processorInvocations() - invocationsBefore).toBe(attempts);
    expect(patchesOf(conversationId).map((r) => r.status)).toEqual(Array(attempts).fill(503));
    expect(failuresOf(conversationId)[0]).toMatchObject({ error: "GenesysTransientError" });
    expectAccountedFor(event, "failed");
  });

  test("an event without a participant is not retried and lands in the failure queue with the reason", async () => {
    const event = conversationEvent({ participantId: null });
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    await dispatch(event);

    expect(executionFor(conversationId).status).toBe("FAILED");
    expect(failuresOf(conversationId)[0]).toMatchObject({ error: "InvalidEventError", cause: expect.stringContaining("participantId") });
    expectAccountedFor(event, "failed");
  });

  test("the same event delivered twice (new EventBridge id, separate batches) starts one execution and patches once", async () => {
    const first = conversationEvent({ eventType: "acd.start" });
    const conversationId = (first.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    const redelivery = { ...first, id: "redelivered-event-id" };
    const [firstResponse, secondResponse] = [await dispatch(first), await dispatch(redelivery)];
    expect(firstResponse.batchItemFailures).toEqual([]);
    expect(secondResponse.batchItemFailures).toEqual([]);

    const execution = executionFor(conversationId);
    expect(pipeline.stepFunctions.calls.filter((c) => c.name === execution.name).map((c) => c.outcome)).toEqual([
      "started",
      "ExecutionAlreadyExists",
    ]);
    expectAccountedFor(first, "applied");
  });

  test("a failing failure-queue send is retried, so the event is still kept", async () => {
    const event = conversationEvent();
    const conversationId = (event.detail as { eventBody: { conversationId: string } }).eventBody.conversationId;
    pipeline.genesys.failNext("participantAttributes", [{ status: 400, code: "bad.request" }]);
    pipeline.failureQueue.failNextSends(2);
    await dispatch(event);

    expect(executionFor(conversationId).status).toBe("FAILED");
    expectAccountedFor(event, "failed");
  });
});
