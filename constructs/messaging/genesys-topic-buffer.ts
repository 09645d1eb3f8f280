import { Construct } from "constructs";
import type { QueueConsumerConfig } from "../../config/types";
import { BufferedQueue } from "./buffered-queue";
import { EventRoute, genesysTopicPattern } from "./event-route";

export interface GenesysTopicBufferProps {
  /** Queue and rule name, e.g. `gcv-dev-transcript-vault`. */
  readonly name: string;
  readonly description: string;
  /** The partner event bus. */
  readonly eventBusName: string;
  /** Genesys topics (EventBridge `detail-type`s) to buffer. */
  readonly topics: readonly string[];
  readonly consumer: Pick<QueueConsumerConfig, "timeoutSeconds" | "maxReceiveCount">;
  /** Age of the oldest message that raises the age alarm. @default the queue's default (900 s) */
  readonly maxMessageAgeSeconds?: number;
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
  /** More rules the queue admits (e.g. AWS service events on the default bus), each with its own retry policy and delivery DLQ. */
  readonly extraRoutes?: ReadonlyArray<{ id: string; ruleName: string; description: string; eventPattern: Record<string, unknown>; eventBusName?: string }>;
}

/** Genesys topics on the partner bus -> a rule (retry policy, delivery DLQ) -> a buffered queue that admits only that rule. */
export class GenesysTopicBuffer extends Construct {
  public readonly route: EventRoute;
  public readonly extraRoutes: EventRoute[];
  public readonly buffer: BufferedQueue;

  constructor(scope: Construct, id: string, props: GenesysTopicBufferProps) {
    super(scope, id);
    this.buffer = new BufferedQueue(this, "buffer", {
      name: props.name,
      kmsKeyArn: props.kmsKeyArn,
      consumerTimeoutSeconds: props.consumer.timeoutSeconds,
      maxReceiveCount: props.consumer.maxReceiveCount,
      maxMessageAgeSeconds: props.maxMessageAgeSeconds,
      alarmTopicArn: props.alarmTopicArn,
    });
    this.route = new EventRoute(this, "route", {
      ruleName: props.name,
      description: props.description,
      eventBusName: props.eventBusName,
      eventPattern: genesysTopicPattern(props.topics),
      target: this.buffer,
      kmsKeyArn: props.kmsKeyArn,
      alarmTopicArn: props.alarmTopicArn,
    });
    this.extraRoutes = (props.extraRoutes ?? []).map(
      (extra) =>
        new EventRoute(this, extra.id, {
          ruleName: extra.ruleName,
          description: extra.description,
          eventBusName: extra.eventBusName,
          eventPattern: extra.eventPattern,
          target: this.buffer,
          kmsKeyArn: props.kmsKeyArn,
          alarmTopicArn: props.alarmTopicArn,
        }),
    );
    this.buffer.admitEventRules([this.route.rule.arn, ...this.extraRoutes.map((r) => r.rule.arn)]);
  }
}
