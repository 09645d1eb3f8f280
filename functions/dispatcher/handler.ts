/**
 * Interaction dispatcher: SQS batch of Genesys conversation events -> one Step Functions
 * STANDARD execution per event (STATE_MACHINE_ARN), input = the event as received.
 *
 * Deduplication: the execution name is derived from the event's business identity
 * (shared/interaction-event.ts), so a redelivery (SQS at-least-once, or Genesys re-sending
 * the same event under a new EventBridge id) maps to the same name, and Step Functions
 * refuses a second execution with `ExecutionAlreadyExists`, which counts as success.
 *
 * Failures are reported per record (ReportBatchItemFailures):
 * - a malformed record (not JSON, not a Genesys envelope, no conversation, over the
 *   256 KiB execution-input limit) is logged at ERROR with the SQS message id and the
 *   reason, and reported failed, so SQS redrives it to the pipeline's DLQ after the
 *   queue's maxReceiveCount: never dropped, never retried forever, and the DLQ alarm fires;
 * - StartExecution throttling or faults (after the SDK's own retries) are reported
 *   failed and SQS delivers them again after the visibility timeout.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { requireEnv } from "../shared/config";
import { InvalidEventError, parseEnvelope } from "../shared/envelope";
import { executionNameFor, interactionEventIdentity } from "../shared/interaction-event";
import type { LambdaContext, SqsBatchResponse, SqsEvent, SqsRecord } from "../shared/lambda-types";
import { correlatedLogger, errorFields, logger } from "../shared/logger";
import { BUSINESS_METRICS, countMetric, flushMetrics } from "../shared/metrics";

/** Step Functions' limit on an execution input, in UTF-8 bytes. */
const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;

const processor = new BatchProcessor(EventType.SQS);
// Module scope: reused across warm invocations. The SDK retries throttling with backoff
// (AWS_MAX_ATTEMPTS, default 3) before a record is reported failed and SQS redelivers it.
const stepFunctions = new SFNClient({});

/** Outcome of one record, for logs and tests. */
export type DispatchOutcome = "started" | "duplicate";

/** Starts the execution for one SQS record; throws to report the record failed. */
export async function dispatchRecord(record: SqsRecord, stateMachineArn: string): Promise<DispatchOutcome> {
  const log = correlatedLogger({ sqsMessageId: record.messageId });
  let event;
  let name: string;
  let input: string;
  try {
    event = parseEnvelope(record.body, { maxBytes: MAX_EXECUTION_INPUT_BYTES });
    name = executionNameFor(interactionEventIdentity(event));
    input = JSON.stringify(event.raw);
    if (Buffer.byteLength(input, "utf8") > MAX_EXECUTION_INPUT_BYTES) {
      throw new InvalidEventError(`event is over the ${MAX_EXECUTION_INPUT_BYTES}-byte Step Functions input limit`);
    }
  } catch (error) {
    log.error("malformed record: left for the DLQ after maxReceiveCount", {
      ...errorFields(error),
      receiveCount: record.attributes?.ApproximateReceiveCount,
    });
    throw error;
  }
  const eventLog = correlatedLogger({ eventId: event.id, conversationId: event.conversationId, executionName: name }, log);
  try {
    const started = await stepFunctions.send(new StartExecutionCommand({ stateMachineArn, name, input }));
    eventLog.info("execution started", { executionArn: started.executionArn });
    countMetric(BUSINESS_METRICS.executionsStarted);
    return "started";
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === "ExecutionAlreadyExists") {
      eventLog.info("duplicate delivery: the execution for this event already exists");
      countMetric(BUSINESS_METRICS.duplicateDeliveries);
      return "duplicate";
    }
    eventLog.warn("StartExecution failed: SQS will deliver the record again", errorFields(error));
    throw error;
  }
}

/** Lambda entry point (SQS event source mapping with ReportBatchItemFailures). */
export const handler = async (event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> => {
  logger.addContext(context as never);
  const stateMachineArn = requireEnv("STATE_MACHINE_ARN");
  const response = await processPartialResponse(event as never, (record: SqsRecord) => dispatchRecord(record, stateMachineArn), processor, {
    context: context as never,
    // Report every record failed instead of throwing: same redelivery, clearer logs.
    throwOnFullBatchFailure: false,
  });
  flushMetrics();
  return response as SqsBatchResponse;
};
