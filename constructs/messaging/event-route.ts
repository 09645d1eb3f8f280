import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import { denyInsecureTransport, policyDocument } from "../../lib/iam";
import { thresholdAlarm } from "../observability/metric-alarm";
import { MAX_RETENTION_SECONDS, type BufferedQueue } from "./buffered-queue";

export interface EventRouteProps {
  /** Rule name (also names the delivery DLQ). */
  readonly ruleName: string;
  readonly description: string;
  /** Bus of the rule. @default the account's default bus */
  readonly eventBusName?: string;
  /** Event pattern; exactly one of eventPattern and scheduleExpression. */
  readonly eventPattern?: Record<string, unknown>;
  /** `rate(...)` or `cron(...)`, for scheduled routes. */
  readonly scheduleExpression?: string;
  readonly target: BufferedQueue;
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  /** Message group for FIFO targets. */
  readonly messageGroupId?: string;
  /** Static JSON input instead of the event (scheduled routes). */
  readonly input?: string;
  /** How long EventBridge keeps retrying delivery. @default 86400 (24 h, the maximum) */
  readonly maximumEventAgeSeconds?: number;
  /** Delivery retries. @default 185 (the maximum) */
  readonly maximumRetryAttempts?: number;
}

/**
 * An EventBridge rule delivering to a buffered queue, with its own retry
 * policy and its own dead-letter queue for events EventBridge could not
 * deliver (so even a deleted or mis-policied queue loses nothing).
 */
export class EventRoute extends Construct {
  public readonly rule: CloudwatchEventRule;
  public readonly deliveryDeadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: EventRouteProps) {
    super(scope, id);
    if ((props.eventPattern === undefined) === (props.scheduleExpression === undefined)) {
      throw new Error(`${this.node.path}: give exactly one of eventPattern and scheduleExpression`);
    }
    this.rule = new CloudwatchEventRule(this, "rule", {
      name: props.ruleName,
      description: props.description,
      eventBusName: props.eventBusName,
      eventPattern: props.eventPattern ? JSON.stringify(props.eventPattern) : undefined,
      scheduleExpression: props.scheduleExpression,
      state: "ENABLED",
    });
    this.deliveryDeadLetterQueue = new SqsQueue(this, "delivery-dlq", {
      name: `${props.ruleName}-delivery-dlq`,
      kmsMasterKeyId: props.kmsKeyArn,
      messageRetentionSeconds: MAX_RETENTION_SECONDS,
    });
    new SqsQueuePolicy(this, "delivery-dlq-policy", {
      queueUrl: this.deliveryDeadLetterQueue.url,
      policy: policyDocument(
        {
          Sid: "OnlyThisRuleDeadLetters",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: this.deliveryDeadLetterQueue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": this.rule.arn } },
        },
        denyInsecureTransport(this.deliveryDeadLetterQueue.arn, "sqs:*"),
      ),
    });
    new CloudwatchEventTarget(this, "target", {
      rule: this.rule.name,
      eventBusName: props.eventBusName,
      targetId: "buffer",
      arn: props.target.queue.arn,
      input: props.input,
      sqsTarget: props.messageGroupId ? { messageGroupId: props.messageGroupId } : undefined,
      retryPolicy: {
        maximumEventAgeInSeconds: props.maximumEventAgeSeconds ?? 86_400,
        maximumRetryAttempts: props.maximumRetryAttempts ?? 185,
      },
      deadLetterConfig: { arn: this.deliveryDeadLetterQueue.arn },
    });
    thresholdAlarm(this, "delivery-dlq-not-empty", {
      alarmName: `${props.ruleName}-delivery-failed`,
      description: `EventBridge could not deliver events of ${props.ruleName} to its queue; they wait in the delivery DLQ. Fix the queue or its policy, then replay the period (docs/operations.md, "delivery failed")`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.deliveryDeadLetterQueue.name },
      statistic: "Maximum",
      threshold: 0,
      alarmTopicArn: props.alarmTopicArn,
    });
  }
}

/** An event pattern matching Genesys topics by EventBridge `detail-type` (the topic with `{id}` placeholders). */
export function genesysTopicPattern(topics: readonly string[]): Record<string, unknown> {
  return { "detail-type": [...topics] };
}
