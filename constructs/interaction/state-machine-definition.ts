/**
 * The interaction workflow as typed Amazon States Language (JSONPath). Input:
 * `{ "event": <Genesys event>, "slot": "<slot key>" }` (the dispatcher acquired the slot).
 *
 *   ApplyInteractionEvent (lambda:invoke the processor with $.event, Retry per error class)
 *     ├─ success ─► ReleaseSlot (dynamodb:updateItem) ─────────────────────────► end (SUCCEEDED)
 *     │               └─ cannot release ─► SlotNotReleased (Fail; the status change releases it)
 *     └─ Catch States.ALL (ResultPath $.error) ─► SendToFailureQueue (sqs:sendMessage)
 *          ├─ sent ─► ReleaseSlotAfterFailure ─► EventFailed (Fail EventInFailureQueue: the execution shows FAILED)
 *          └─ Catch States.ALL ─► ReleaseSlotEventUnsent ─► KeepEventInCause (Pass)
 *                                   ─► FailureQueueUnavailable (Fail; the cause holds the event, alarmed)
 *
 * Every path out releases the slot; the paths the workflow does not control (StopExecution,
 * the execution timeout, a failed release, an uncatchable `States.Runtime` error) end in a
 * FAILED / ABORTED / TIMED_OUT status change that the dispatcher receives and releases on
 * (functions/dispatcher/status-change.ts). Only `EventFailed` means "the event is in the
 * failure queue"; the dispatcher keeps the event of every other failed execution there.
 * A slot whose release is lost entirely is reclaimed when its lease expires.
 *
 * Why `arn:aws:states:::lambda:invoke` rather than the bare function ARN: both surface a
 * function error under the function's error name (`GenesysRateLimitedError`, ...) and Lambda
 * service errors as `Lambda.*`, so Retry/Catch match the same names either way; the optimized
 * integration is the one AWS maintains and documents, lets `Payload` be shaped explicitly, and
 * `ResultSelector` drops the invocation metadata (status code, headers) from the state output.
 *
 * The failure message carries the event exactly as dispatched (`$$.Execution.Input.event`) with
 * the error name and cause, so nothing is lost and an operator can replay it.
 * constructs/pipelines/interaction-processing.ts JSON.stringifies it into `aws_sfn_state_machine.definition`.
 */

import { EVENT_IN_FAILURE_QUEUE_ERROR, FAILURE_QUEUE_UNAVAILABLE_ERROR, SLOT_NOT_RELEASED_ERROR } from "../../functions/shared/workflow-errors";

/** Name of an error as Step Functions reports it (function error type, `Lambda.*` or `States.*`). */
export type ErrorName = string;

/** One entry of a state's `Retry` field. */
export interface Retrier {
  ErrorEquals: ErrorName[];
  /** Seconds before the first retry (positive integer). */
  IntervalSeconds?: number;
  /** Retries after the first attempt (0 = never retry). */
  MaxAttempts?: number;
  /** Multiplier of the interval per retry (>= 1). */
  BackoffRate?: number;
  /** Upper bound of any single wait, in seconds. */
  MaxDelaySeconds?: number;
  /** FULL: wait a random time between 0 and the computed interval (spreads retry storms). */
  JitterStrategy?: "FULL" | "NONE";
}

/** One entry of a state's `Catch` field. */
export interface Catcher {
  ErrorEquals: ErrorName[];
  Next: string;
  /** Where `{Error, Cause}` is placed in the state input; null discards the input. */
  ResultPath?: string | null;
}

/** JSON value allowed in a payload template (keys ending in `.$` hold paths). */
export type PayloadTemplate = { [key: string]: PayloadValue };
type PayloadValue = string | number | boolean | null | PayloadTemplate | PayloadValue[];

/** A `Task` state (the subset used here). */
export interface TaskState {
  Type: "Task";
  Comment?: string;
  Resource: string;
  Parameters?: PayloadTemplate;
  ResultSelector?: PayloadTemplate;
  ResultPath?: string | null;
  TimeoutSeconds?: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Next?: string;
  End?: true;
}

/** A `Fail` state; `ErrorPath`/`CausePath` take the values from the state input. */
export interface FailState {
  Type: "Fail";
  Comment?: string;
  Error?: string;
  Cause?: string;
  ErrorPath?: string;
  CausePath?: string;
}

/** A `Pass` state (the subset used here). */
export interface PassState {
  Type: "Pass";
  Comment?: string;
  Parameters?: PayloadTemplate;
  ResultPath?: string | null;
  Next: string;
}

/** A `Succeed` state. */
export interface SucceedState {
  Type: "Succeed";
  Comment?: string;
}

/** Any state this definition uses. */
export type State = TaskState | FailState | PassState | SucceedState;

/** A complete state machine definition. */
export interface StateMachineDefinition {
  Comment?: string;
  QueryLanguage?: "JSONPath";
  StartAt: string;
  /** Execution timeout (the execution ends TIMED_OUT). */
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

/** Tunables of one retry class, in the terms users reason about. */
export interface RetryClassPolicy {
  /** Seconds before the first retry. */
  intervalSeconds: number;
  /** Multiplier of the interval per retry. */
  backoffRate: number;
  /** Retries after the first attempt. */
  maxAttempts: number;
  /** Cap of any single wait, in seconds. */
  maxDelaySeconds: number;
}

/** Retry classes of the processor task, in the order Step Functions evaluates them. */
export type RetryClass = "throttled" | "transient" | "crashed" | "lambdaService";

/**
 * Error names each retry class matches. Anything not listed is not retried: it goes to the failure queue.
 *
 * Names Step Functions reports for a Lambda task, from the AWS documentation
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html,
 * https://repost.aws/knowledge-center/lambda-runtime-error):
 * - a function error surfaces under its `errorType` (our error classes' names);
 * - throttling by reserved concurrency is `Lambda.TooManyRequestsException`;
 * - Lambda service faults are `Lambda.ServiceException`, `Lambda.AWSLambdaException`,
 *   `Lambda.SdkClientException`, `Lambda.ClientExecutionTimeoutException`;
 * - unhandled errors Lambda reports itself (function timeout, out of memory) are `Lambda.Unknown`
 *   when the runtime gave no error type; newer runtimes report a timeout as `Sandbox.Timedout`
 *   and a crashed or killed runtime (out of memory included) as `Runtime.ExitError`;
 * - the task's own `TimeoutSeconds` elapsing is `States.Timeout`.
 */
export const RETRY_CLASS_ERRORS: Readonly<Record<RetryClass, readonly ErrorName[]>> = {
  // Genesys answered 429 and the wait did not fit in the invocation, or Lambda refused the invocation because
  // the processor's reserved concurrency is in use: both clear by themselves, so they wait (bounded by the
  // maximum event age, see throttleMaxAttempts), they never exhaust a small fixed count.
  throttled: ["GenesysRateLimitedError", "Lambda.TooManyRequestsException"],
  // 5xx, network failure or request timeout inside the function; the idempotency store unreachable
  // (IdempotencyPersistenceLayerError) or a previous attempt of the same event still running
  // (IdempotencyAlreadyInProgressError: its in-progress record expires with that invocation).
  transient: ["GenesysTransientError", "IdempotencyPersistenceLayerError", "IdempotencyAlreadyInProgressError"],
  // The function or the task timed out, or the runtime died (out of memory, crash).
  crashed: ["States.Timeout", "Sandbox.Timedout", "Runtime.ExitError", "Lambda.Unknown"],
  // Lambda could not run the function (a service fault).
  lambdaService: ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.ClientExecutionTimeoutException"],
};

/**
 * Default retry policy. Genesys counts about 300 requests per minute per token, and its
 * Retry-After can exceed 30 s, so throttled retries start at 15 s and grow to a 2-minute
 * cap; their count is derived from the maximum event age. FULL jitter on every class so
 * executions that failed together do not retry together.
 */
export const DEFAULT_INTERACTION_RETRY_POLICY: Readonly<Record<RetryClass, Readonly<RetryClassPolicy>>> = {
  throttled: { intervalSeconds: 15, backoffRate: 2, maxAttempts: 0, maxDelaySeconds: 120 },
  transient: { intervalSeconds: 2, backoffRate: 2, maxAttempts: 6, maxDelaySeconds: 60 },
  crashed: { intervalSeconds: 5, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 60 },
  lambdaService: { intervalSeconds: 2, backoffRate: 2, maxAttempts: 8, maxDelaySeconds: 60 },
};

/** Default maximum age of an event: how long throttles may make it wait (24 h). */
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;

/** Non-retryable errors the processor throws on purpose (documentation and tests; Catch takes States.ALL). */
export const NON_RETRYABLE_ERRORS: readonly ErrorName[] = ["InvalidEventError", "GenesysClientError", "GenesysAuthError"];

/** Retries of the failure-queue send (an SQS outage should not lose the event). */
export const FAILURE_QUEUE_SEND_RETRY: Readonly<RetryClassPolicy> = {
  intervalSeconds: 2,
  backoffRate: 2,
  maxAttempts: 6,
  maxDelaySeconds: 60,
};

/** Retries of a slot release (DynamoDB throttling or outage). */
export const SLOT_RELEASE_RETRY: Readonly<RetryClassPolicy> = {
  intervalSeconds: 1,
  backoffRate: 2,
  maxAttempts: 6,
  maxDelaySeconds: 30,
};

/** Names of the states, for overrides in tests and for alarms/metrics filters. */
export const INTERACTION_STATES = {
  apply: "ApplyInteractionEvent",
  releaseSlot: "ReleaseSlot",
  applied: "EventApplied",
  slotNotReleased: "SlotNotReleased",
  sendToFailureQueue: "SendToFailureQueue",
  releaseSlotAfterFailure: "ReleaseSlotAfterFailure",
  failed: "EventFailed",
  releaseSlotEventUnsent: "ReleaseSlotEventUnsent",
  keepEventInCause: "KeepEventInCause",
  failureQueueUnavailable: "FailureQueueUnavailable",
} as const;

export { EVENT_IN_FAILURE_QUEUE_ERROR, FAILURE_QUEUE_UNAVAILABLE_ERROR, SLOT_NOT_RELEASED_ERROR };

/** Props of {@link interactionStateMachineDefinition}. */
export interface InteractionStateMachineProps {
  /** ARN of the interaction processor Lambda. */
  processorFunctionArn: string;
  /** URL of the SQS queue that receives events the workflow could not apply. */
  failureQueueUrl: string;
  /** Name of the slots table (functions/dispatcher/slots.ts). */
  slotsTableName: string;
  /** Partition of the slots (dispatcher SLOT_POOL). @default "interaction-workflow" */
  slotPool?: string;
  /** Per-class overrides of {@link DEFAULT_INTERACTION_RETRY_POLICY}. @default the defaults */
  retry?: Partial<Record<RetryClass, Partial<RetryClassPolicy>>>;
  /** Timeout of one processor task attempt; keep it above the function's own timeout. @default 120 */
  taskTimeoutSeconds?: number;
  /** How long throttles may make an event wait; also the execution timeout. @default 86400 */
  maxEventAgeSeconds?: number;
}

/**
 * Attempts of the throttled class: enough that its FULL-jitter waits (mean maxDelay / 2 at the cap)
 * are expected to add up to twice the maximum event age, so the execution timeout (= the maximum
 * event age) ends the waiting, not the count. 24 h: 3 ramp attempts + 1440 = 1443 (each attempt
 * adds 3 history events: far below the 25,000-event limit).
 */
export function throttleMaxAttempts(policy: Pick<RetryClassPolicy, "intervalSeconds" | "backoffRate" | "maxDelaySeconds">, maxEventAgeSeconds: number): number {
  let ramp = 0;
  while (policy.intervalSeconds * policy.backoffRate ** ramp < policy.maxDelaySeconds && ramp < 50) ramp++;
  return ramp + Math.ceil((2 * maxEventAgeSeconds) / policy.maxDelaySeconds);
}

/** The effective policy: defaults with `overrides` applied, validated against the ASL limits. */
export function resolveRetryPolicy(
  overrides: InteractionStateMachineProps["retry"] = {},
  maxEventAgeSeconds = DEFAULT_MAX_EVENT_AGE_SECONDS,
): Record<RetryClass, RetryClassPolicy> {
  const policy = {} as Record<RetryClass, RetryClassPolicy>;
  for (const retryClass of Object.keys(DEFAULT_INTERACTION_RETRY_POLICY) as RetryClass[]) {
    const merged = { ...DEFAULT_INTERACTION_RETRY_POLICY[retryClass], ...overrides[retryClass] };
    if (retryClass === "throttled" && !overrides.throttled?.maxAttempts) merged.maxAttempts = throttleMaxAttempts(merged, maxEventAgeSeconds);
    validateRetryClass(retryClass, merged);
    policy[retryClass] = merged;
  }
  return policy;
}

/** A Retrier for `errors` with `policy`. */
export function retrier(errors: readonly ErrorName[], policy: RetryClassPolicy): Retrier {
  return {
    ErrorEquals: [...errors],
    IntervalSeconds: policy.intervalSeconds,
    BackoffRate: policy.backoffRate,
    MaxAttempts: policy.maxAttempts,
    MaxDelaySeconds: policy.maxDelaySeconds,
    JitterStrategy: "FULL",
  };
}

/**
 * Longest total time a retry class can wait before giving up (jitter only shortens waits):
 * the sum of `min(interval * rate^n, maxDelay)` over its attempts.
 */
export function worstCaseRetryWaitSeconds(policy: RetryClassPolicy): number {
  let total = 0;
  for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
    total += Math.min(policy.intervalSeconds * policy.backoffRate ** attempt, policy.maxDelaySeconds);
  }
  return total;
}

/**
 * A task that frees the execution's slot (only if this execution still holds it), then goes to
 * `next` (or ends the execution); `onFailure` when DynamoDB kept failing.
 */
function releaseSlotState(slots: { table: string; pool: string }, next: string | undefined, onFailure: string): TaskState {
  return {
    Type: "Task",
    Comment: "Give the workflow slot back (conditional: only if this execution still holds it).",
    Resource: "arn:aws:states:::dynamodb:updateItem",
    Parameters: {
      TableName: slots.table,
      Key: { pool: { S: slots.pool }, slot: { "S.$": "$.slot" } },
      UpdateExpression: "REMOVE holder, leaseExpiresAt",
      ConditionExpression: "holder = :holder",
      ExpressionAttributeValues: { ":holder": { "S.$": "$$.Execution.Name" } },
    },
    ResultPath: null,
    Retry: [
      // Already released or reclaimed by its lease: nothing to do (Catch below), never retried.
      { ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], MaxAttempts: 0 },
      retrier(["States.ALL"], SLOT_RELEASE_RETRY),
    ],
    Catch: [
      { ErrorEquals: ["DynamoDB.ConditionalCheckFailedException"], ResultPath: null, Next: next ?? INTERACTION_STATES.applied },
      { ErrorEquals: ["States.ALL"], ResultPath: "$.releaseError", Next: onFailure },
    ],
    ...(next ? { Next: next } : { End: true as const }),
  };
}

/**
 * The interaction workflow definition (see the module comment).
 *
 * @example
 * new SfnStateMachine(this, "workflow", {
 *   type: "STANDARD",
 *   definition: JSON.stringify(interactionStateMachineDefinition({ processorFunctionArn: fn.arn, failureQueueUrl: q.url, slotsTableName: t.name })),
 *   ...
 * });
 */
export function interactionStateMachineDefinition(props: InteractionStateMachineProps): StateMachineDefinition {
  if (!props.processorFunctionArn) throw new Error("interactionStateMachineDefinition: processorFunctionArn is required");
  if (!props.failureQueueUrl) throw new Error("interactionStateMachineDefinition: failureQueueUrl is required");
  if (!props.slotsTableName) throw new Error("interactionStateMachineDefinition: slotsTableName is required");
  const taskTimeoutSeconds = props.taskTimeoutSeconds ?? 120;
  if (!Number.isInteger(taskTimeoutSeconds) || taskTimeoutSeconds < 1) {
    throw new Error(`interactionStateMachineDefinition: taskTimeoutSeconds must be a positive integer, got ${taskTimeoutSeconds}`);
  }
  const maxEventAgeSeconds = props.maxEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS;
  if (!Number.isInteger(maxEventAgeSeconds) || maxEventAgeSeconds < taskTimeoutSeconds) {
    throw new Error(`interactionStateMachineDefinition: maxEventAgeSeconds must be an integer >= taskTimeoutSeconds, got ${maxEventAgeSeconds}`);
  }
  const policy = resolveRetryPolicy(props.retry, maxEventAgeSeconds);
  const retryOrder: RetryClass[] = ["throttled", "transient", "crashed", "lambdaService"];
  const slots = { table: props.slotsTableName, pool: props.slotPool ?? "interaction-workflow" };
  const S = INTERACTION_STATES;
  return {
    Comment: "Applies one Genesys conversation event via the interaction processor; failures go to the failure queue with their cause.",
    QueryLanguage: "JSONPath",
    StartAt: S.apply,
    // The hard stop behind the throttle retries; a TIMED_OUT execution's event goes to the failure queue.
    TimeoutSeconds: maxEventAgeSeconds,
    States: {
      [S.apply]: {
        Type: "Task",
        Comment: "Patch the participant's attributes in Genesys (idempotent per event).",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: props.processorFunctionArn, "Payload.$": "$.event" },
        ResultSelector: { "Payload.$": "$.Payload" },
        ResultPath: "$.processorResult",
        TimeoutSeconds: taskTimeoutSeconds,
        Retry: retryOrder.map((retryClass) => retrier(RETRY_CLASS_ERRORS[retryClass], policy[retryClass])),
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: S.sendToFailureQueue }],
        Next: S.releaseSlot,
      },
      [S.releaseSlot]: releaseSlotState(slots, undefined, S.slotNotReleased),
      [S.applied]: { Type: "Succeed", Comment: "Applied; the slot had already been released or reclaimed." },
      [S.slotNotReleased]: {
        Type: "Fail",
        Comment: "The event WAS applied; the slot could not be freed. The FAILED status change frees it, else its lease.",
        Error: SLOT_NOT_RELEASED_ERROR,
        Cause: "The event was applied, but its workflow slot could not be released (DynamoDB); the execution status change releases it.",
      },
      [S.sendToFailureQueue]: {
        Type: "Task",
        Comment: "Keep the original event with the error name and cause, for inspection and replay.",
        Resource: "arn:aws:states:::sqs:sendMessage",
        Parameters: {
          QueueUrl: props.failureQueueUrl,
          MessageBody: {
            "event.$": "$$.Execution.Input.event",
            "error.$": "$.error.Error",
            "cause.$": "$.error.Cause",
            "executionId.$": "$$.Execution.Id",
            "executionStartTime.$": "$$.Execution.StartTime",
          },
        },
        ResultSelector: { "MessageId.$": "$.MessageId" },
        ResultPath: "$.failureQueueMessage",
        Retry: [retrier(["States.ALL"], FAILURE_QUEUE_SEND_RETRY)],
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failureQueueError", Next: S.releaseSlotEventUnsent }],
        Next: S.releaseSlotAfterFailure,
      },
      [S.releaseSlotAfterFailure]: releaseSlotState(slots, S.failed, S.failed),
      [S.failed]: {
        Type: "Fail",
        Comment:
          "Failed executions stay visible (and alarmed on). The error name says the event is in the failure queue (the status change keeps any other FAILED execution's event); the original error is in the record and the history.",
        Error: EVENT_IN_FAILURE_QUEUE_ERROR,
        CausePath: "$.error.Cause",
      },
      [S.releaseSlotEventUnsent]: releaseSlotState(slots, S.keepEventInCause, S.keepEventInCause),
      [S.keepEventInCause]: {
        Type: "Pass",
        Comment: "The failure queue refused the event: carry it (as JSON) in the execution's failure cause; the original error is in the history.",
        Parameters: { "cause.$": "States.JsonToString($.event)" },
        Next: S.failureQueueUnavailable,
      },
      [S.failureQueueUnavailable]: {
        Type: "Fail",
        Comment: "Alarmed (metric filter on the execution log). The event is in the cause and in the execution input (kept 90 days).",
        Error: FAILURE_QUEUE_UNAVAILABLE_ERROR,
        CausePath: "$.cause",
      },
    },
  };
}

function validateRetryClass(retryClass: RetryClass, policy: RetryClassPolicy): void {
  const fail = (what: string) => {
    throw new Error(`interaction retry policy "${retryClass}": ${what}`);
  };
  if (!Number.isInteger(policy.intervalSeconds) || policy.intervalSeconds < 1) fail("intervalSeconds must be an integer >= 1");
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 0 || policy.maxAttempts > 99_999_999) fail("maxAttempts must be an integer from 0 to 99999999");
  if (!(policy.backoffRate >= 1)) fail("backoffRate must be >= 1");
  if (!Number.isInteger(policy.maxDelaySeconds) || policy.maxDelaySeconds < policy.intervalSeconds) {
    fail("maxDelaySeconds must be an integer >= intervalSeconds");
  }
}
