import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Construct } from "constructs";
import { denyInsecureTransport, policyDocument } from "../../lib/iam";
import { thresholdAlarm } from "../observability/metric-alarm";

/** 14 days, the SQS maximum: a long outage of a consumer loses nothing. */
export const MAX_RETENTION_SECONDS = 1_209_600;

export interface BufferedQueueProps {
  /** Queue name; the DLQ is `<name>-dlq` (FIFO names get the `.fifo` suffix). */
  readonly name: string;
  readonly kmsKeyArn: string;
  /** The consumer Lambda's timeout; the visibility timeout is 6x it, as AWS advises for event sources. */
  readonly consumerTimeoutSeconds: number;
  /** Deliveries before a message moves to the DLQ. */
  readonly maxReceiveCount: number;
  /** A FIFO queue (ordered per message group, deduplicated). @default false */
  readonly fifo?: boolean;
  /** Alarm topic for "DLQ not empty" and "oldest message too old". */
  readonly alarmTopicArn: string;
  /** Alarm when the oldest message is older than this many seconds. @default 900 */
  readonly maxMessageAgeSeconds?: number;
}

/**
 * A queue and its dead-letter queue: both encrypted with the environment key,
 * TLS-only, 14-day retention, the DLQ accepting redrives from this queue only,
 * and alarms on DLQ depth and message age. EventBridge rules allowed to send
 * are admitted with `admitEventRules` (one policy, so several rules can share it).
 */
export class BufferedQueue extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  private admitted = false;

  constructor(scope: Construct, id: string, props: BufferedQueueProps) {
    super(scope, id);
    const fifo = props.fifo ?? false;
    const name = (base: string) => (fifo ? `${base}.fifo` : base);

    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: name(`${props.name}-dlq`),
      fifoQueue: fifo || undefined,
      kmsMasterKeyId: props.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: MAX_RETENTION_SECONDS,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: name(props.name),
      fifoQueue: fifo || undefined,
      // FIFO: deduplicate by content within 5 minutes when the sender gives no id, but only
      // within a message group: two targets (groups) may legitimately receive byte-identical
      // events, e.g. one Auto Scaling event routed to two Genesys objects, and a queue-wide
      // scope would drop the second as a duplicate.
      contentBasedDeduplication: fifo || undefined,
      deduplicationScope: fifo ? "messageGroup" : undefined,
      fifoThroughputLimit: fifo ? "perMessageGroupId" : undefined,
      kmsMasterKeyId: props.kmsKeyArn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: MAX_RETENTION_SECONDS,
      visibilityTimeoutSeconds: 6 * props.consumerTimeoutSeconds,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: props.maxReceiveCount }),
    });
    new SqsQueueRedriveAllowPolicy(this, "dlq-redrive-allow", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: this.deadLetterQueue.url,
      policy: policyDocument(denyInsecureTransport(this.deadLetterQueue.arn, "sqs:*")),
    });

    thresholdAlarm(this, "dlq-not-empty", {
      alarmName: `${props.name}-dlq-not-empty`,
      description: `Messages in the dead-letter queue of ${props.name}: find the cause in the consumer's logs, fix it, then \`npm run ops -- redrive ${name(`${props.name}-dlq`)} --env <env>\` (docs/operations.md, "DLQ not empty")`,
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: this.deadLetterQueue.name },
      statistic: "Maximum",
      threshold: 0,
      alarmTopicArn: props.alarmTopicArn,
    });
    thresholdAlarm(this, "oldest-message-age", {
      alarmName: `${props.name}-oldest-message-age`,
      description: `The oldest message of ${props.name} waits too long: the consumer is failing or throttled`,
      namespace: "AWS/SQS",
      metricName: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: this.queue.name },
      statistic: "Maximum",
      threshold: props.maxMessageAgeSeconds ?? 900,
      evaluationPeriods: 3,
      alarmTopicArn: props.alarmTopicArn,
    });
  }

  /** Lets exactly these EventBridge rules send to the queue (over TLS); nothing else may. */
  admitEventRules(ruleArns: string[]): void {
    if (this.admitted) throw new Error(`${this.node.path}: admitEventRules may be called once (one queue policy per queue)`);
    this.admitted = true;
    new SqsQueuePolicy(this, "policy", {
      queueUrl: this.queue.url,
      policy: policyDocument(
        {
          Sid: "OnlyTheseEventBridgeRules",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: this.queue.arn,
          Condition: { ArnEquals: { "aws:SourceArn": ruleArns } },
        },
        denyInsecureTransport(this.queue.arn, "sqs:*"),
      ),
    });
  }
}
