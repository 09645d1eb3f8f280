/**
 * "Step Functions Execution Status Change" events (EventBridge, default bus, source
 * `aws.states`) of the interaction workflow, routed into the dispatcher's queue for the
 * statuses FAILED, TIMED_OUT and ABORTED. The workflow releases its slot itself on every path
 * it controls; these are the paths it does not: an operator's StopExecution, the execution
 * timeout, a failure outside the Catch. Whatever the status, the execution's slot is released
 * (by holder name: a conditional write, so a slot already released or re-acquired by another
 * execution is left alone).
 *
 * TIMED_OUT and ABORTED executions never reached the workflow's failure path, so their event
 * is put in the failure queue here, with the status as the error. The event is the execution
 * input, which EventBridge includes when it is under 248 KiB; otherwise the message names the
 * execution, whose input Step Functions keeps for 90 days.
 */
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

/** Statuses whose event was not sent to the failure queue by the workflow. */
const UNSENT_STATUSES = new Set(["TIMED_OUT", "ABORTED"]);

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
  if (UNSENT_STATUSES.has(detail.status)) {
    let event: unknown = null;
    try {
      event = detail.input ? (JSON.parse(detail.input) as { event?: unknown }).event ?? null : null;
    } catch {
      event = null;
    }
    const error = detail.status === "TIMED_OUT" ? "States.Timeout" : "ExecutionAborted";
    const body = {
      event,
      error,
      cause:
        detail.cause ??
        (detail.status === "TIMED_OUT" ? "the execution ran longer than its timeout (the maximum event age)" : "the execution was stopped (StopExecution)"),
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
