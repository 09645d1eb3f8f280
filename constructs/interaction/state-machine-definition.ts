/**
 * The interaction workflow as typed Amazon States Language (JSONPath):
 *
 *   ApplyInteractionEvent (lambda:invoke the processor, Retry per error class)
 *     ├─ success ─────────────────────────────────────────────► end (SUCCEEDED)
 *     └─ Catch States.ALL (ResultPath $.error) ─► SendToFailureQueue (sqs:sendMessage)
 *                                                   └─► EventFailed (Fail: the execution shows FAILED)
 *
 * Why `arn:aws:states:::lambda:invoke` rather than the bare function ARN: both surface a
 * function error under the function's error name (`GenesysRateLimitedError`, ...) and Lambda
 * service errors as `Lambda.*`, so Retry/Catch match the same names either way; the optimized
 * integration is the one AWS maintains and documents, lets `Payload` be shaped explicitly, and
 * `ResultSelector` drops the invocation metadata (status code, headers) from the state output.
 *
 * The failure message carries the execution input (`$$.Execution.Input`, i.e. the event exactly as
 * dispatched) with the error name and cause, so nothing is lost and an operator can replay it.
 * constructs/pipelines/interaction-processing.ts JSON.stringifies it into `aws_sfn_state_machine.definition`.
 */

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

/** Any state this definition uses. */
export type State = TaskState | FailState;

/** A complete state machine definition. */
export interface StateMachineDefinition {
  Comment?: string;
  QueryLanguage?: "JSONPath";
  StartAt: string;
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
export type RetryClass = "rateLimited" | "transient" | "lambdaService";

/** Error names each retry class matches. Anything not listed is not retried: it goes to the failure queue. */
export const RETRY_CLASS_ERRORS: Readonly<Record<RetryClass, readonly ErrorName[]>> = {
  // Genesys answered 429 and the wait did not fit in the invocation (the client waits out short ones itself).
  rateLimited: ["GenesysRateLimitedError"],
  // 5xx, network failure or request timeout inside the function; the task or the function timing out.
  transient: ["GenesysTransientError", "States.Timeout", "Sandbox.Timedout"],
  // Lambda could not run the function (throttled by reserved concurrency, or a service fault).
  lambdaService: [
    "Lambda.TooManyRequestsException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
  ],
};

/**
 * Default retry policy. Genesys counts about 300 requests per minute per token, and its
 * Retry-After can exceed 30 s, so rate-limited retries start at 15 s and grow to a 2-minute
 * cap: enough to outlast several rate windows. FULL jitter on every class so executions that
 * failed together do not retry together.
 */
export const DEFAULT_INTERACTION_RETRY_POLICY: Readonly<Record<RetryClass, Readonly<RetryClassPolicy>>> = {
  rateLimited: { intervalSeconds: 15, backoffRate: 2, maxAttempts: 8, maxDelaySeconds: 120 },
  transient: { intervalSeconds: 2, backoffRate: 2, maxAttempts: 5, maxDelaySeconds: 60 },
  lambdaService: { intervalSeconds: 2, backoffRate: 2, maxAttempts: 8, maxDelaySeconds: 60 },
};

/** Non-retryable errors the processor throws on purpose (documentation and tests; Catch takes States.ALL). */
export const NON_RETRYABLE_ERRORS: readonly ErrorName[] = ["InvalidEventError", "GenesysClientError", "GenesysAuthError"];

/** Retries of the failure-queue send (an SQS outage should not lose the event). */
export const FAILURE_QUEUE_SEND_RETRY: Readonly<RetryClassPolicy> = {
  intervalSeconds: 2,
  backoffRate: 2,
  maxAttempts: 6,
  maxDelaySeconds: 60,
};

/** Names of the states, for overrides in tests and for alarms/metrics filters. */
export const INTERACTION_STATES = {
  apply: "ApplyInteractionEvent",
  sendToFailureQueue: "SendToFailureQueue",
  failed: "EventFailed",
} as const;

/** Props of {@link interactionStateMachineDefinition}. */
export interface InteractionStateMachineProps {
  /** ARN of the interaction processor Lambda. */
  processorFunctionArn: string;
  /** URL of the SQS queue that receives events the workflow could not apply. */
  failureQueueUrl: string;
  /** Per-class overrides of {@link DEFAULT_INTERACTION_RETRY_POLICY}. @default the defaults */
  retry?: Partial<Record<RetryClass, Partial<RetryClassPolicy>>>;
  /** Timeout of one processor task attempt; keep it above the function's own timeout. @default 120 */
  taskTimeoutSeconds?: number;
}

/** The effective policy: defaults with `overrides` applied, validated against the ASL limits. */
export function resolveRetryPolicy(
  overrides: InteractionStateMachineProps["retry"] = {},
): Record<RetryClass, RetryClassPolicy> {
  const policy = {} as Record<RetryClass, RetryClassPolicy>;
  for (const retryClass of Object.keys(DEFAULT_INTERACTION_RETRY_POLICY) as RetryClass[]) {
    const merged = { ...DEFAULT_INTERACTION_RETRY_POLICY[retryClass], ...overrides[retryClass] };
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
 * The interaction workflow definition (see the module comment).
 *
 * @example
 * new SfnStateMachine(this, "workflow", {
 *   type: "STANDARD",
 *   definition: JSON.stringify(interactionStateMachineDefinition({ processorFunctionArn: fn.arn, failureQueueUrl: q.url })),
 *   ...
 * });
 */
export function interactionStateMachineDefinition(props: InteractionStateMachineProps): StateMachineDefinition {
  if (!props.processorFunctionArn) throw new Error("interactionStateMachineDefinition: processorFunctionArn is required");
  if (!props.failureQueueUrl) throw new Error("interactionStateMachineDefinition: failureQueueUrl is required");
  const taskTimeoutSeconds = props.taskTimeoutSeconds ?? 120;
  if (!Number.isInteger(taskTimeoutSeconds) || taskTimeoutSeconds < 1) {
    throw new Error(`interactionStateMachineDefinition: taskTimeoutSeconds must be a positive integer, got ${taskTimeoutSeconds}`);
  }
  const policy = resolveRetryPolicy(props.retry);
  const retryOrder: RetryClass[] = ["rateLimited", "transient", "lambdaService"];
  return {
    Comment: "Applies one Genesys conversation event via the interaction processor; failures go to the failure queue with their cause.",
    QueryLanguage: "JSONPath",
    StartAt: INTERACTION_STATES.apply,
    States: {
      [INTERACTION_STATES.apply]: {
        Type: "Task",
        Comment: "Patch the participant's attributes in Genesys (idempotent per event).",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: props.processorFunctionArn, "Payload.$": "$" },
        ResultSelector: { "Payload.$": "$.Payload" },
        ResultPath: "$.processorResult",
        TimeoutSeconds: taskTimeoutSeconds,
        Retry: retryOrder.map((retryClass) => retrier(RETRY_CLASS_ERRORS[retryClass], policy[retryClass])),
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: INTERACTION_STATES.sendToFailureQueue }],
        End: true,
      },
      [INTERACTION_STATES.sendToFailureQueue]: {
        Type: "Task",
        Comment: "Keep the original event with the error name and cause, for inspection and replay.",
        Resource: "arn:aws:states:::sqs:sendMessage",
        Parameters: {
          QueueUrl: props.failureQueueUrl,
          MessageBody: {
            "event.$": "$$.Execution.Input",
            "error.$": "$.error.Error",
            "cause.$": "$.error.Cause",
            "executionId.$": "$$.Execution.Id",
            "executionStartTime.$": "$$.Execution.StartTime",
          },
        },
        ResultSelector: { "MessageId.$": "$.MessageId" },
        ResultPath: "$.failureQueueMessage",
        Retry: [retrier(["States.ALL"], FAILURE_QUEUE_SEND_RETRY)],
        Next: INTERACTION_STATES.failed,
      },
      [INTERACTION_STATES.failed]: {
        Type: "Fail",
        Comment: "Failed executions stay visible (and alarmed on); the event is in the failure queue.",
        ErrorPath: "$.error.Error",
        CausePath: "$.error.Cause",
      },
    },
  };
}

function validateRetryClass(retryClass: RetryClass, policy: RetryClassPolicy): void {
  const fail = (what: string) => {
    throw new Error(`interaction retry policy "${retryClass}": ${what}`);
  };
  if (!Number.isInteger(policy.intervalSeconds) || policy.intervalSeconds < 1) fail("intervalSeconds must be an integer >= 1");
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 0) fail("maxAttempts must be an integer >= 0");
  if (!(policy.backoffRate >= 1)) fail("backoffRate must be >= 1");
  if (!Number.isInteger(policy.maxDelaySeconds) || policy.maxDelaySeconds < policy.intervalSeconds) {
    fail("maxDelaySeconds must be an integer >= intervalSeconds");
  }
}
