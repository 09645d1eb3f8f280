/**
 * Interaction dispatcher: SQS batch of Genesys conversation events -> at most
 * MAX_RUNNING_EXECUTIONS concurrent Step Functions STANDARD executions, one per event
 * (STATE_MACHINE_ARN), input = `{ "event": <the event as received>, "slot": "<slot key>" }`.
 *
 * Backpressure (dispatcher/slots.ts): an execution starts only after it acquired a slot of
 * the semaphore; an event that finds every slot taken stays in the queue, invisible for a
 * time computed by shared/interaction-backpressure.ts, and is reported failed so SQS
 * delivers it again later. The backlog of a burst therefore waits in SQS, not in running
 * executions.
 *
 * Deduplication: the execution name is derived from the event's business identity
 * (shared/interaction-event.ts), so a redelivery maps to the same name and Step Functions
 * refuses a second execution with `ExecutionAlreadyExists`, which counts as success (and
 * gives back the slot the redelivery took).
 *
 * Retries: a record may also be a retry of a failed event (shared/interaction-retry.ts, sent by
 * `npm run ops -- failures retry`): it waits for a slot like any event, and its execution is
 * named after the event plus the failure record it retries, so it is not refused as a duplicate
 * of the failed execution, and a second delivery of the same retry starts nothing new.
 *
 * Per record (ReportBatchItemFailures):
 * - malformed (not JSON, not a Genesys envelope, no conversation, over the 256 KiB
 *   execution-input limit): moved to the dead-letter queue at once with the reason as a
 *   message attribute, and logged at ERROR. (Counting on maxReceiveCount would take long:
 *   the queue's count is high so that waiting events never reach the DLQ.)
 * - waited longer than MAX_EVENT_AGE_SECONDS for a slot: moved to the dead-letter queue.
 * - StartExecution throttling or faults (after the SDK's own retries): slot given back,
 *   reported failed; SQS delivers it again after the visibility timeout.
 *
 * The same queue also carries "Step Functions Execution Status Change" events of this
 * workflow (FAILED, TIMED_OUT, ABORTED): the slot of that execution is released, and the
 * event of an execution that did not end through the workflow's own failure path (TIMED_OUT,
 * ABORTED, or FAILED with any other error) is put in the failure queue (status-change.ts).
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { intEnv, requireEnv } from "../shared/config";
import { InvalidEventError, parseEnvelope } from "../shared/envelope";
import { executionLeaseSeconds, pendingLeaseSeconds, slotWaitSeconds } from "../shared/interaction-backpressure";
import { executionNameFor, interactionEventIdentity } from "../shared/interaction-event";
import { parseRetryMessage, retryExecutionName } from "../shared/interaction-retry";
import type { LambdaContext, SqsBatchResponse, SqsEvent, SqsRecord } from "../shared/lambda-types";
import { correlatedLogger, errorFields, logger } from "../shared/logger";
import { BUSINESS_METRICS, countMetric, flushMetrics } from "../shared/metrics";
import { isSelfTestInvocation, type SelfTestRequest, type SelfTestResponse } from "../shared/self-test";
import { answerSelfTest } from "../shared/self-test-checks";
import { approximateBacklog, deferMessages, sendWithReason } from "./queue-actions";
import { dispatcherChecks } from "./self-test";
import { SlotPool } from "./slots";
import { isExecutionStatusChange, releaseEndedExecution } from "./status-change";

/** Step Functions' limit on an execution input, in UTF-8 bytes. */
const MAX_EXECUTION_INPUT_BYTES = 256 * 1024;
/** Room left in the execution input for the `{"event":...,"slot":"0000"}` wrapper. */
const WRAPPER_BYTES = 64;

// Module scope: reused across warm invocations. The SDK retries throttling with backoff
// (AWS_MAX_ATTEMPTS, default 3) before a record is reported failed and SQS redelivers it.
const stepFunctions = new SFNClient({});

/** Outcome of one record, for logs and tests. */
export type DispatchOutcome = "started" | "duplicate" | "waiting" | "dead-lettered" | "released" | "failed";

/** Settings read from the environment once per invocation. */
interface Settings {
  stateMachineArn: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  failureQueueUrl: string;
  maxEventAgeSeconds: number;
  drainPerSecond: number;
  slots: SlotPool;
}

function settings(): Settings {
  return {
    stateMachineArn: requireEnv("STATE_MACHINE_ARN"),
    queueUrl: requireEnv("INTAKE_QUEUE_URL"),
    deadLetterQueueUrl: requireEnv("DEAD_LETTER_QUEUE_URL"),
    failureQueueUrl: requireEnv("FAILURE_QUEUE_URL"),
    maxEventAgeSeconds: intEnv("MAX_EVENT_AGE_SECONDS"),
    drainPerSecond: intEnv("GENESYS_REQUESTS_PER_MINUTE") / 60,
    slots: new SlotPool(requireEnv("SLOTS_TABLE_NAME"), intEnv("MAX_RUNNING_EXECUTIONS")),
  };
}

/** A record that parsed: what its execution would be. */
interface Candidate {
  record: SqsRecord;
  name: string;
  event: Record<string, unknown>;
  log: ReturnType<typeof correlatedLogger>;
}

/**
 * Parses a record into the execution it asks for: a Genesys event, or a retry of a failed one
 * (`body` is the record's parsed JSON, undefined when it is not JSON). @throws InvalidEventError
 */
function candidateOf(record: SqsRecord, body: unknown, log: Candidate["log"]): Candidate {
  const retry = parseRetryMessage(body);
  const event = parseEnvelope(retry ? retry.event : record.body, { maxBytes: MAX_EXECUTION_INPUT_BYTES });
  const businessName = executionNameFor(interactionEventIdentity(event));
  const name = retry ? retryExecutionName(businessName, retry.retryOf) : businessName;
  if (Buffer.byteLength(JSON.stringify(event.raw), "utf8") > MAX_EXECUTION_INPUT_BYTES - WRAPPER_BYTES) {
    throw new InvalidEventError(`event is over the ${MAX_EXECUTION_INPUT_BYTES}-byte Step Functions input limit`);
  }
  return {
    record,
    name,
    event: event.raw,
    log: correlatedLogger({ eventId: event.id, conversationId: event.conversationId, executionName: name, ...(retry ? { retryOf: retry.retryOf } : {}) }, log),
  };
}

async function deadLetter(s: Settings, record: SqsRecord, reason: string): Promise<DispatchOutcome> {
  await sendWithReason(s.deadLetterQueueUrl, record.body, {
    reason,
    sourceMessageId: record.messageId,
    receiveCount: record.attributes?.ApproximateReceiveCount ?? "1",
  });
  return "dead-lettered";
}

/** Starts the execution of a candidate holding `slot`; gives the slot back unless the execution runs. */
async function start(s: Settings, candidate: Candidate, slot: string): Promise<DispatchOutcome> {
  const { name, log } = candidate;
  let started = false;
  try {
    const input = JSON.stringify({ event: candidate.event, slot });
    const result = await stepFunctions.send(new StartExecutionCommand({ stateMachineArn: s.stateMachineArn, name, input }));
    started = true;
    // The execution runs whatever happens here; an unconfirmed slot only risks being reclaimed early (the limit exceeded by one for a while).
    const confirmed = await s.slots.confirm(slot, name, executionLeaseSeconds(s.maxEventAgeSeconds)).catch((error) => {
      log.warn("slot lease not extended (DynamoDB)", errorFields(error));
      return true;
    });
    if (!confirmed) log.warn("the slot's pending lease expired before the execution started; it runs, the limit may be exceeded by one", { slot });
    log.info("execution started", { executionArn: result.executionArn, slot });
    countMetric(BUSINESS_METRICS.executionsStarted);
    return "started";
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || (error as Error).name === "ExecutionAlreadyExists") {
      log.info("duplicate delivery: the execution for this event already exists");
      countMetric(BUSINESS_METRICS.duplicateDeliveries);
      return "duplicate";
    }
    log.warn("StartExecution failed: SQS will deliver the record again", errorFields(error));
    return "failed";
  } finally {
    if (!started) await s.slots.release(slot, name).catch((error) => log.warn("slot not released; its lease will expire", errorFields(error)));
  }
}

/** Processes one SQS batch; returns each record's outcome by message id. */
export async function dispatchBatch(records: SqsRecord[], context: LambdaContext, s = settings()): Promise<Map<string, DispatchOutcome>> {
  const outcomes = new Map<string, DispatchOutcome>();
  const candidates: Candidate[] = [];
  const statusChanges: SqsRecord[] = [];
  for (const record of records) {
    const log = correlatedLogger({ sqsMessageId: record.messageId });
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      // Not JSON: parseEnvelope below reports it.
    }
    if (isExecutionStatusChange(body)) {
      statusChanges.push(record);
      continue;
    }
    try {
      candidates.push(candidateOf(record, body, log));
    } catch (error) {
      log.error("malformed record: moved to the dead-letter queue", { ...errorFields(error), receiveCount: record.attributes?.ApproximateReceiveCount });
      outcomes.set(record.messageId, await deadLetter(s, record, `malformed: ${(error as Error).message}`).catch(() => "failed" as const));
    }
  }

  for (const record of statusChanges) {
    const outcome = await releaseEndedExecution(JSON.parse(record.body), s).then(
      () => "released" as const,
      (error) => {
        logger.warn("execution status change not handled: SQS will deliver it again", errorFields(error));
        return "failed" as const;
      },
    );
    outcomes.set(record.messageId, outcome);
  }

  // Oldest first, one slot per execution name (a batch can hold the same event twice).
  candidates.sort((a, b) => Number(a.record.attributes?.SentTimestamp ?? 0) - Number(b.record.attributes?.SentTimestamp ?? 0));
  const names = [...new Set(candidates.map((c) => c.name))];
  const pendingLease = pendingLeaseSeconds(Math.ceil(context.getRemainingTimeInMillis() / 1000));
  const granted = await s.slots.acquire(names, pendingLease).catch((error) => {
    logger.warn("slots could not be read or taken: the batch waits", errorFields(error));
    return new Map<string, string>();
  });

  const byName = new Map<string, Candidate[]>();
  for (const candidate of candidates) byName.set(candidate.name, [...(byName.get(candidate.name) ?? []), candidate]);
  await Promise.all(
    [...byName.entries()].map(async ([name, group]) => {
      const slot = granted.get(name);
      if (slot === undefined) return;
      const outcome = await start(s, group[0]!, slot);
      for (const [i, c] of group.entries()) outcomes.set(c.record.messageId, i === 0 || outcome === "failed" ? outcome : "duplicate");
    }),
  );

  const waiting = candidates.filter((c) => !outcomes.has(c.record.messageId));
  if (waiting.length) await deferWaiting(s, waiting, outcomes);
  return outcomes;
}

/** Waiting records: dead-letter the expired ones, make the others invisible for their computed wait. */
async function deferWaiting(s: Settings, waiting: Candidate[], outcomes: Map<string, DispatchOutcome>): Promise<void> {
  const now = Date.now();
  const backlog = await approximateBacklog(s.queueUrl, now);
  const deferred: Array<{ id: string; receiptHandle: string; seconds: number }> = [];
  for (const { record, log } of waiting) {
    const ageSeconds = (now - Number(record.attributes?.SentTimestamp ?? now)) / 1000;
    if (ageSeconds > s.maxEventAgeSeconds) {
      log.error("waited longer than MAX_EVENT_AGE_SECONDS for a workflow slot: moved to the dead-letter queue", { ageSeconds: Math.round(ageSeconds) });
      outcomes.set(record.messageId, await deadLetter(s, record, `no workflow slot within ${s.maxEventAgeSeconds} s`).catch(() => "failed" as const));
      continue;
    }
    const seconds = slotWaitSeconds({
      receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
      backlog,
      drainPerSecond: s.drainPerSecond,
      maxEventAgeSeconds: s.maxEventAgeSeconds,
      random: Math.random(),
    });
    deferred.push({ id: record.messageId, receiptHandle: record.receiptHandle, seconds });
    outcomes.set(record.messageId, "waiting");
  }
  const refused = await deferMessages(s.queueUrl, deferred).catch((error) => {
    logger.warn("visibility not changed: waiting records come back after the queue's visibility timeout", errorFields(error));
    return deferred.map((d) => d.id);
  });
  if (deferred.length) logger.debug("records wait for a workflow slot", { waiting: deferred.length, backlog, refused: refused.length });
}

/** Lambda entry point (SQS event source mapping with ReportBatchItemFailures). */
export async function handler(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse>;
export async function handler(event: SelfTestRequest, context: LambdaContext): Promise<SelfTestResponse>;
export async function handler(event: SqsEvent | SelfTestRequest, context: LambdaContext): Promise<SqsBatchResponse | SelfTestResponse> {
  logger.addContext(context as never);
  if (isSelfTestInvocation(event)) return answerSelfTest(event, context, () => dispatcherChecks(stepFunctions));
  return dispatch(event as SqsEvent, context);
}

async function dispatch(event: SqsEvent, context: LambdaContext): Promise<SqsBatchResponse> {
  const outcomes = await dispatchBatch(event.Records, context);
  flushMetrics();
  // Waiting and failed records are handed back: SQS delivers them again (waiting ones after their wait).
  return {
    batchItemFailures: [...outcomes.entries()]
      .filter(([, outcome]) => outcome === "waiting" || outcome === "failed")
      .map(([itemIdentifier]) => ({ itemIdentifier })),
  };
}
