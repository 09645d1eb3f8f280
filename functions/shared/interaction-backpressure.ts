/**
 * Backpressure arithmetic of the interaction pipeline, shared by the dispatcher (how long a
 * message that found no free slot stays invisible) and the construct (the queue's
 * maxReceiveCount, the slot lease and the workflow's timeout). Pure functions, no I/O.
 *
 * Why it needs arithmetic: SQS counts every receive toward maxReceiveCount, including a
 * message the dispatcher hands back because every slot is taken. A message that waits for
 * a slot must never reach the dead-letter queue before it is `maxEventAgeSeconds` old, so
 * each hand-back makes the message invisible for a while (ChangeMessageVisibility), and the
 * shortest possible sequence of those waits must add up to `maxEventAgeSeconds` in fewer
 * receives than maxReceiveCount allows.
 *
 * The wait after the n-th receive (seconds), with r uniform in [0, 1):
 *
 *   wait = max(floor(n) * (0.5 + r/2), min(backlog / drainPerSecond, cap) * r)
 *   floor(n) = min(2^(n-1), floorCap)
 *
 * - `backlog / drainPerSecond` is how long the queue needs to drain at the rate Genesys
 *   allows: a wait uniform over that time spreads the re-receives of a burst evenly over
 *   the drain, so records keep coming back as fast as slots free up (no idle slots) while
 *   re-receive traffic stays near the processing rate instead of growing with the backlog.
 *   (Not "at least half the drain": then nothing would come back during the first half.)
 * - `floor(n)` grows with the receive count, so the number of receives within the maximum
 *   age is bounded whatever the backlog estimate says: `floorCap = ceil(maxEventAge / 450)`,
 *   and the shortest wait at the floor cap is floorCap / 2, so at most
 *   maxEventAge / (floorCap / 2) <= 900 receives happen at the cap, plus the doubling ramp
 *   before it (log2(floorCap) receives), plus {@link RECEIVE_MARGIN} for crashed or timed-out
 *   dispatcher invocations. For 24 h: floorCap 192 s, ramp 8, 900 + 8 + 20 = 928 <= 1000.
 * - `cap` bounds one wait (SQS allows 12 h; a quarter of the age keeps a message from
 *   sleeping through most of its budget).
 */

/** SQS limit on maxReceiveCount in a redrive policy. */
export const SQS_MAX_RECEIVE_COUNT = 1000;
/** SQS limit on a message's visibility timeout (12 h). */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;
/** Receives reserved for dispatcher invocations that crash or time out. */
export const RECEIVE_MARGIN = 20;
/** Receives at the floor cap allowed within the maximum age (leaves room for the ramp and margin under 1000). */
const RECEIVES_AT_FLOOR_CAP = 900;

/** Smallest wait floor that keeps the receives within `maxEventAgeSeconds` at or under 900. */
export function waitFloorCapSeconds(maxEventAgeSeconds: number): number {
  return Math.max(1, Math.ceil((2 * maxEventAgeSeconds) / RECEIVES_AT_FLOOR_CAP));
}

/** Largest single wait. */
export function waitCapSeconds(maxEventAgeSeconds: number): number {
  return Math.min(SQS_MAX_VISIBILITY_SECONDS, Math.max(waitFloorCapSeconds(maxEventAgeSeconds), Math.ceil(maxEventAgeSeconds / 4)));
}

/** Inputs of {@link slotWaitSeconds}. */
export interface SlotWaitInput {
  /** The message's ApproximateReceiveCount (1 on the first delivery). */
  receiveCount: number;
  /** Messages waiting in the queue (visible + in flight), or undefined when unknown. */
  backlog?: number;
  /** Events the pipeline completes per second at the Genesys rate. */
  drainPerSecond: number;
  maxEventAgeSeconds: number;
  /** A number in [0, 1): Math.random in production, fixed in tests. */
  random: number;
}

/** Seconds a message that found no free slot stays invisible (whole seconds, >= 1). */
export function slotWaitSeconds(input: SlotWaitInput): number {
  const floorCap = waitFloorCapSeconds(input.maxEventAgeSeconds);
  const floor = Math.min(2 ** Math.max(0, Math.min(30, input.receiveCount - 1)), floorCap);
  const cap = waitCapSeconds(input.maxEventAgeSeconds);
  const drain = input.backlog !== undefined && input.drainPerSecond > 0 ? input.backlog / input.drainPerSecond : 0;
  const wait = Math.max(floor * (0.5 + input.random / 2), Math.min(drain, cap) * input.random);
  return Math.max(1, Math.round(wait));
}

/**
 * The fewest receives after which a waiting message can be `maxEventAgeSeconds` old: every
 * wait at its shortest (half its floor), summed until the age is reached.
 */
export function receivesWithinMaxAge(maxEventAgeSeconds: number): number {
  let elapsed = 0;
  let receives = 0;
  while (elapsed < maxEventAgeSeconds) {
    receives++;
    elapsed += Math.max(1, Math.round(Math.min(2 ** (receives - 1), waitFloorCapSeconds(maxEventAgeSeconds)) / 2));
  }
  return receives;
}

/**
 * maxReceiveCount of the interaction queue: a waiting message reaches the DLQ only after it
 * has been waiting longer than `maxEventAgeSeconds` (the dispatcher dead-letters it itself at
 * that age; this count is the backstop). Never lower than the configured count.
 * @throws Error when the arithmetic does not fit the SQS limit of 1000
 */
export function interactionMaxReceiveCount(maxEventAgeSeconds: number, configured: number): number {
  const needed = receivesWithinMaxAge(maxEventAgeSeconds) + RECEIVE_MARGIN;
  if (needed > SQS_MAX_RECEIVE_COUNT) {
    throw new Error(`maxEventAgeSeconds ${maxEventAgeSeconds} needs maxReceiveCount ${needed}, over the SQS limit of ${SQS_MAX_RECEIVE_COUNT}`);
  }
  return Math.max(needed, configured);
}

/**
 * Workflow execution timeout: the retry budget for throttles (Lambda and Genesys) is the
 * maximum event age; the execution-level timeout is the hard stop behind it.
 */
export function executionTimeoutSeconds(maxEventAgeSeconds: number): number {
  return maxEventAgeSeconds;
}

/**
 * Lease of a slot held by a started execution: longer than the execution can run, so a
 * lease only expires when its holder is gone and its release was lost.
 */
export function executionLeaseSeconds(maxEventAgeSeconds: number): number {
  return executionTimeoutSeconds(maxEventAgeSeconds) + 900;
}

/**
 * Lease of a slot between its acquisition and the successful StartExecution: a dispatcher
 * that dies in between leaks the slot for at most this long.
 */
export function pendingLeaseSeconds(dispatcherTimeoutSeconds: number): number {
  return dispatcherTimeoutSeconds + 60;
}
