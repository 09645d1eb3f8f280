/**
 * Error names the interaction workflow's own Fail states end with, shared by the definition
 * (constructs/interaction/state-machine-definition.ts) and the dispatcher, which tells from
 * them whether a FAILED execution's event still needs keeping (dispatcher/status-change.ts).
 */

/**
 * The workflow's own failure path ended: the event is in the failure queue. Every other FAILED
 * execution never put its event there.
 */
export const EVENT_IN_FAILURE_QUEUE_ERROR = "EventInFailureQueue";
/** The failure queue kept refusing the event (alarmed on): the event is in the cause and the input. */
export const FAILURE_QUEUE_UNAVAILABLE_ERROR = "FailureQueueUnavailable";
/** The event was applied; its slot could not be released. */
export const SLOT_NOT_RELEASED_ERROR = "SlotNotReleased";
