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
  readonly kmsKeyArn: string;
  readonly alarmTopicArn: string;
}

/** Genesys topics on the partner bus -> a rule (retry policy, delivery DLQ) -> a buffered queue that admits only that rule. */
export class GenesysTopicBuffer extends Construct {
  public readonly route: EventRoute;
  public readonly buffer: BufferedQueue;

  constructor(scope: Construct, id: string, props: GenesysTopicBufferProps) {
    super(scope, id);
    this.buffer = new BufferedQueue(this, "buffer", {
      name: props.name,
      kmsKeyArn: props.kmsKeyArn,
      consumerTimeoutSeconds: props.consumer.timeoutSeconds,
      maxReceiveCount: props.consumer.maxReceiveCount,
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
    this.buffer.admitEventRules([this.route.rule.arn]);
  }
}
