/**
 * A retry of a failed interaction event: the message `npm run ops -- failures retry` puts on
 * the interaction queue for each failure record, so the retry takes the normal path (the
 * dispatcher waits for a slot and starts the execution with the workflow's input).
 *
 * Body: `{ "kind": "gcv.interaction-retry/v1", "retryOf": "<failure record's SQS message id>", "event": <the event> }`.
 *
 * The execution name is the event's business name plus `-r` and a hash of `retryOf`: different
 * from the failed execution's name (which Step Functions keeps for 90 days and would refuse as
 * a duplicate), and the same for every delivery of one retry (an operator's run interrupted
 * between send and delete sends it again; SQS may deliver it twice), so those start one
 * execution. A retry that fails again gets a new failure record, hence a new name next time.
 */
import { createHash } from "node:crypto";
import { InvalidEventError } from "./envelope";
import { EXECUTION_NAME_MAX_LENGTH } from "./interaction-event";

export const INTERACTION_RETRY_KIND = "gcv.interaction-retry/v1";

/** A retry message, parsed. */
export interface InteractionRetry {
  /** The SQS message id of the failure record being retried. */
  retryOf: string;
  /** The event as the failure record kept it (validated by the dispatcher like any event). */
  event: unknown;
}

/** The retry message body for the failure record `failureMessageId` holding `event`. */
export function retryMessageBody(event: unknown, failureMessageId: string): string {
  return JSON.stringify({ kind: INTERACTION_RETRY_KIND, retryOf: failureMessageId, event });
}

/**
 * The retry a message body asks for, or undefined when it is not a retry message.
 * @throws InvalidEventError when it is one but `retryOf` is unusable
 */
export function parseRetryMessage(body: unknown): InteractionRetry | undefined {
  if (typeof body !== "object" || body === null || (body as { kind?: unknown }).kind !== INTERACTION_RETRY_KIND) return undefined;
  const { retryOf, event } = body as { retryOf?: unknown; event?: unknown };
  if (typeof retryOf !== "string" || !/^[A-Za-z0-9._:-]{1,128}$/.test(retryOf)) {
    throw new InvalidEventError("retry message: retryOf must be the failure record's message id (1-128 letters, digits, '.', '_', ':' or '-')");
  }
  return { retryOf, event };
}

/**
 * The execution name of a retry: `baseName` (shared/interaction-event.ts `executionNameFor`)
 * with `-r<8 hex of sha256(retryOf)>` appended; the readable prefix is shortened to stay within
 * 80 characters, the business hash is kept whole.
 * @example retryExecutionName("c0ffee-customer_end-3f9a0c2b7d41e8a65c10", "5fa1...") // "c0ffee-customer_end-3f9a0c2b7d41e8a65c10-r1b2c3d4e"
 */
export function retryExecutionName(baseName: string, retryOf: string): string {
  const suffix = `-r${createHash("sha256").update(retryOf).digest("hex").slice(0, 8)}`;
  const hashStart = baseName.lastIndexOf("-");
  const readable = baseName.slice(0, hashStart).slice(0, EXECUTION_NAME_MAX_LENGTH - (baseName.length - hashStart) - suffix.length);
  return `${readable}${baseName.slice(hashStart)}${suffix}`;
}
