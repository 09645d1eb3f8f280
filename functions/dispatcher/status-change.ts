/**
 * "Step Functions Execution Status Change" events (EventBridge, default bus, source
 * `aws.states`) of the interaction workflow, routed into the dispatcher's queue for the
 * statuses FAILED, TIMED_OUT and ABORTED. The workflow releases its slot itself on every path
 * it controls; these are the paths it does not: an operator's StopExecution, the execution
 * timeout, a failure outside the Catch. Whatever the status, the execution's slot is released
 * (by holder name: a conditional write, so a slot already released or re-acquired by another
 * execution is left alone).
 *
 * Which events are kept here: every one the workflow did not put in the failure queue itself.
 * The workflow's own failure path ends in the Fail state whose error is `EventInFailureQueue`,
 * and `SlotNotReleased` means the event was applied; any other ending (TIMED_OUT, ABORTED, or
 * FAILED with another error: `States.Runtime`, which no Catch can catch, `FailureQueueUnavailable`,
 * an error the event carried no name for) puts the event in the failure queue here, with the
 * error and cause. The detail of the status change "provides the same information as the
 * DescribeExecution API" (Step Functions developer guide, "EventBridge (CloudWatch Events) for
 * Step Functions execution status changes", https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html),
 * whose response has `error` and `cause` for a failed execution (API reference, DescribeExecution).
 * A FAILED change without an error name is kept too (error `ExecutionFailed`): a possible
 * duplicate record is safe to retry (same business identity, idempotent processor), a lost event is not.
 * The event is the execution input's `event` (or the input itself when it is a bare Genesys event),
 * which EventBridge includes when it is under 248 KiB; otherwise the message names the execution,
 * whose input Step Functions keeps for 90 days.
 */
import { parseEnvelope } from "../shared/envelope";
import { EVENT_IN_FAILURE_QUEUE_ERROR, SLOT_NOT_RELEASED_ERROR } from "../shared/workflow-errors";
import { sendWithReason } from "./queue-actions";
import type { SlotPool } from "./slots";
import { logger } from "../shared/logger";

/** The fields of the EventBridge event used here. */
export interface ExecutionStatusChange {
  source: "aws.states";
  "detail-type": "Step Functions Execution Status Change";
  detail: {
    executionArn: string;
    stateMachineArn: string;
    name: string;
    status: "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED" | "PENDING_REDRIVE";
    startDate?: number;
    stopDate?: number;
    /** The execution input as a JSON string, null when over the EventBridge limit. */
    input?: string | null;
    error?: string | null;
    cause?: string | null;
  };
}

/** Errors of FAILED executions whose event needs nothing more: in the failure queue already, or applied. */
const HANDLED_FAILURES = new Set([EVENT_IN_FAILURE_QUEUE_ERROR, SLOT_NOT_RELEASED_ERROR]);

/** The error name the failure record gets, or undefined when the workflow already accounted for the event. */
function unkeptError(detail: ExecutionStatusChange["detail"]): string | undefined {
  switch (detail.status) {
    case "TIMED_OUT":
      return "States.Timeout";
    case "ABORTED":
      return "ExecutionAborted";
    case "FAILED":
      if (detail.error && HANDLED_FAILURES.has(detail.error)) return undefined;
      return detail.error || "ExecutionFailed";
    default:
      return undefined;
  }
}

const DEFAULT_CAUSE: Record<string, string> = {
  TIMED_OUT: "the execution ran longer than its timeout (the maximum event age)",
  ABORTED: "the execution was stopped (StopExecution)",
  FAILED: "the execution failed outside the workflow's failure path; the status change named no cause",
};

/** The event of an execution input: its `event`, or the input itself when it is a bare Genesys event; null if neither. */
function eventOfInput(input: string | null | undefined): unknown {
  if (!input) return null;
  try {
    const parsed = JSON.parse(input) as { event?: unknown };
    if (parsed && typeof parsed === "object" && parsed.event !== undefined) return parsed.event;
    return parseEnvelope(parsed).raw;
  } catch {
    return null;
  }
}

export function isExecutionStatusChange(body: unknown): body is ExecutionStatusChange {
  const candidate = body as Partial<ExecutionStatusChange> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    candidate.source === "aws.states" &&
    candidate["detail-type"] === "Step Functions Execution Status Change" &&
    typeof candidate.detail?.name === "string"
  );
}

/** Releases the slot of an ended execution and keeps the event of one that never reached the failure path. */
export async function releaseEndedExecution(
  change: ExecutionStatusChange,
  s: { stateMachineArn: string; failureQueueUrl: string; slots: SlotPool },
): Promise<void> {
  const { detail } = change;
  const log = logger.createChild();
  log.appendPersistentKeys({ executionName: detail.name, status: detail.status });
  if (detail.stateMachineArn !== s.stateMachineArn) {
    log.warn("status change of another state machine ignored", { stateMachineArn: detail.stateMachineArn });
    return;
  }
  if (detail.status === "RUNNING" || detail.status === "PENDING_REDRIVE") return;
  const error = unkeptError(detail);
  if (error) {
    const event = eventOfInput(detail.input);
    const body = {
      event,
      error,
      cause: detail.cause || DEFAULT_CAUSE[detail.status],
      executionId: detail.executionArn,
      executionStartTime: detail.startDate ? new Date(detail.startDate).toISOString() : undefined,
      ...(event === null ? { note: "the event is the input of the execution: aws stepfunctions describe-execution --execution-arn <executionId>" } : {}),
    };
    // Sent before the release: if it fails, the whole status change is delivered again.
    await sendWithReason(s.failureQueueUrl, JSON.stringify(body), { reason: error });
    log.error("execution ended without reaching the failure path: its event is in the failure queue", { error });
  }
  const released = await s.slots.releaseHeldBy(detail.name);
  log.info("execution ended", { releasedSlots: released });
}
