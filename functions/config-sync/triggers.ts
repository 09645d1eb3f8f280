/**
 * The two message shapes on the configuration sync queue, validated:
 * - an Auto Scaling "EC2 Instance Launch Successful" / "EC2 Instance Terminate Successful"
 *   event from the default event bus (source `aws.autoscaling`);
 * - a scheduled reconciliation: "Scheduled Event" from an EventBridge schedule rule
 *   (source `aws.events`) or EventBridge Scheduler (source `aws.scheduler`).
 * Both are delivered as the EventBridge event itself (no input transformer).
 */

import { carriesSelfTestRequest, SELF_TEST_VIA_TRIGGER_REASON } from "../shared/self-test";

/** Auto Scaling events that change the number of serving instances. */
export const SCALING_DETAIL_TYPES = ["EC2 Instance Launch Successful", "EC2 Instance Terminate Successful"] as const;
/** Detail type of schedule-rule and EventBridge Scheduler events. */
export const SCHEDULED_DETAIL_TYPE = "Scheduled Event";
const SCHEDULE_SOURCES = ["aws.events", "aws.scheduler"];

/** What started a sync: one Auto Scaling group changed, or it is time to reconcile everything. */
export type SyncTrigger =
  | {
      kind: "scaling";
      /** EventBridge event id: stable across redeliveries of one event. */
      eventId: string;
      /** Event time, ISO 8601. */
      time: string;
      detailType: (typeof SCALING_DETAIL_TYPES)[number];
      autoScalingGroupName: string;
      activityId?: string;
      instanceId?: string;
    }
  | { kind: "reconciliation"; eventId: string; time: string; detailType: typeof SCHEDULED_DETAIL_TYPE };

/** A queue message that is neither shape: it fails (and reaches the DLQ) with this reason. */
export class InvalidSyncMessageError extends Error {
  override readonly name = "InvalidSyncMessageError";
}

const EVENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
const ISO_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an SQS message body into a {@link SyncTrigger}.
 * @throws InvalidSyncMessageError naming what is wrong
 * @example parseSyncTrigger(record.body) // { kind: "scaling", autoScalingGroupName: "backend-asg", ... }
 */
export function parseSyncTrigger(body: string): SyncTrigger {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    throw new InvalidSyncMessageError("message body is not JSON");
  }
  if (!isRecord(event)) throw new InvalidSyncMessageError("message body must be a JSON object (an EventBridge event)");
  if (carriesSelfTestRequest(event)) throw new InvalidSyncMessageError(SELF_TEST_VIA_TRIGGER_REASON);
  const eventId = event.id;
  if (typeof eventId !== "string" || !EVENT_ID_PATTERN.test(eventId)) throw new InvalidSyncMessageError("event id is missing or malformed");
  const time = event.time;
  if (typeof time !== "string" || !ISO_TIME_PATTERN.test(time) || Number.isNaN(Date.parse(time))) {
    throw new InvalidSyncMessageError(`event ${eventId}: time must be an ISO 8601 timestamp`);
  }
  const detailType = event["detail-type"];
  const source = event.source;

  if (source === "aws.autoscaling") {
    if (!(SCALING_DETAIL_TYPES as readonly unknown[]).includes(detailType)) {
      throw new InvalidSyncMessageError(`event ${eventId}: Auto Scaling detail-type "${String(detailType)}" is not one of ${SCALING_DETAIL_TYPES.join(", ")}`);
    }
    const detail = event.detail;
    if (!isRecord(detail)) throw new InvalidSyncMessageError(`event ${eventId}: detail must be an object`);
    const groupName = detail.AutoScalingGroupName;
    if (typeof groupName !== "string" || !groupName || groupName.length > 255) {
      throw new InvalidSyncMessageError(`event ${eventId}: detail.AutoScalingGroupName is missing`);
    }
    return {
      kind: "scaling",
      eventId,
      time,
      detailType: detailType as (typeof SCALING_DETAIL_TYPES)[number],
      autoScalingGroupName: groupName,
      activityId: typeof detail.ActivityId === "string" ? detail.ActivityId : undefined,
      instanceId: typeof detail.EC2InstanceId === "string" ? detail.EC2InstanceId : undefined,
    };
  }
  if (typeof source === "string" && SCHEDULE_SOURCES.includes(source)) {
    if (detailType !== SCHEDULED_DETAIL_TYPE) {
      throw new InvalidSyncMessageError(`event ${eventId}: ${source} detail-type must be "${SCHEDULED_DETAIL_TYPE}", got "${String(detailType)}"`);
    }
    return { kind: "reconciliation", eventId, time, detailType: SCHEDULED_DETAIL_TYPE };
  }
  throw new InvalidSyncMessageError(`event ${eventId}: source "${String(source)}" is neither aws.autoscaling nor a schedule (aws.events, aws.scheduler)`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
