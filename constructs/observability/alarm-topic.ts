import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { denyInsecureTransport, policyDocument } from "../../lib/iam";

export interface AlarmTopicProps {
  readonly topicName: string;
  readonly kmsKeyArn: string;
  readonly accountId: string;
  /** E-mail subscribed to alarms. @default no subscription */
  readonly email?: string;
  /** HTTPS endpoint subscribed to alarms (it must confirm the subscription). @default no subscription */
  readonly httpsEndpoint?: string;
}

/** The SNS topic every alarm of the environment notifies: encrypted, TLS only, published to by CloudWatch of this account. */
export class AlarmTopic extends Construct {
  public readonly topic: SnsTopic;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: props.kmsKeyArn });
    this.arn = this.topic.arn;
    new SnsTopicPolicy(this, "policy", {
      arn: this.topic.arn,
      policy: policyDocument(
        {
          Sid: "CloudWatchAlarmsOfThisAccountPublish",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: "sns:Publish",
          Resource: this.topic.arn,
          Condition: { StringEquals: { "aws:SourceAccount": props.accountId } },
        },
        denyInsecureTransport(this.topic.arn, "sns:Publish"),
      ),
    });
    if (props.email) {
      new SnsTopicSubscription(this, "email", { topicArn: this.topic.arn, protocol: "email", endpoint: props.email });
    }
    if (props.httpsEndpoint) {
      new SnsTopicSubscription(this, "https", { topicArn: this.topic.arn, protocol: "https", endpoint: props.httpsEndpoint });
    }
  }
}
