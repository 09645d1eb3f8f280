/**
 * Builders of what reaches the configuration sync queue: Auto Scaling events from the
 * default bus, scheduled reconciliation events, and the SQS FIFO records carrying them.
 */
import { randomUUID } from "node:crypto";
import type { SqsRecord } from "../../functions/shared/lambda-types";
import { sqsRecord } from "./events";

/** "EC2 Instance Launch Successful" / "EC2 Instance Terminate Successful" as EventBridge delivers it. */
export function autoScalingEvent(opts: {
  groupName: string;
  kind?: "launch" | "terminate";
  id?: string;
  time?: string;
}): Record<string, unknown> {
  const time = opts.time ?? "2024-05-01T10:15:30Z";
  const launch = (opts.kind ?? "launch") === "launch";
  const instanceId = `i-${randomUUID().replace(/-/g, "").slice(0, 17)}`;
  return {
    version: "0",
    id: opts.id ?? randomUUID(),
    "detail-type": launch ? "EC2 Instance Launch Successful" : "EC2 Instance Terminate Successful",
    source: "aws.autoscaling",
    account: "123456789012",
    time,
    region: "us-east-1",
    resources: [`arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${opts.groupName}`, `arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
    detail: {
      StatusCode: "InProgress",
      AutoScalingGroupName: opts.groupName,
      ActivityId: randomUUID(),
      Details: { "Availability Zone": "us-east-1a", "Subnet ID": "subnet-0123456789abcdef0" },
      RequestId: randomUUID(),
      EndTime: time,
      EC2InstanceId: instanceId,
      StartTime: time,
      Cause: launch ? "At 2024-05-01T10:14:00Z a user request update of AutoScalingGroup constraints ... increasing the capacity" : "... shrinking the capacity",
      Description: `${launch ? "Launching" : "Terminating"} EC2 instance: ${instanceId}`,
    },
  };
}

/** A "Scheduled Event" from an EventBridge schedule rule. */
export function scheduledEvent(opts: { id?: string; time?: string } = {}): Record<string, unknown> {
  return {
    version: "0",
    id: opts.id ?? randomUUID(),
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: opts.time ?? "2024-05-01T10:20:00Z",
    region: "us-east-1",
    resources: ["arn:aws:events:us-east-1:123456789012:rule/config-sync-reconcile"],
    detail: {},
  };
}

let sequence = 1000;

/** An SQS FIFO record (MessageGroupId, SequenceNumber) carrying `body`. */
export function fifoRecord(body: unknown, messageGroupId: string, opts: { messageId?: string } = {}): SqsRecord {
  const record = sqsRecord(body, { messageId: opts.messageId });
  return {
    ...record,
    attributes: {
      ...record.attributes,
      MessageGroupId: messageGroupId,
      MessageDeduplicationId: randomUUID(),
      SequenceNumber: String(++sequence).padStart(20, "0"),
    },
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:config-sync.fifo",
  };
}

/** A sync rule targeting a queue field: config sync then needs queue view and edit in Genesys. */
export const QUEUE_FIELD_RULE = {
  name: "queue-acw",
  source: { autoScalingGroupName: "asg" },
  target: { kind: "queueField" as const, queueId: "5f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", field: "acwSettings.timeoutMs" },
  perInstance: 1000,
  min: 1000,
  max: 60000,
};
