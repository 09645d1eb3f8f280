import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { policyDocument, type PolicyStatement } from "../../lib/iam";

export interface EncryptionKeyProps {
  /** Alias without the `alias/` prefix, e.g. `gcv-dev`. */
  readonly alias: string;
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  /** Days before a scheduled deletion happens (7-30). @default 30 */
  readonly deletionWindowInDays?: number;
}

/**
 * The environment's customer-managed KMS key, with yearly automatic rotation.
 * It encrypts queues, tables, log groups, secrets, the event bus and the alarm
 * topic. Principals of the account get access through IAM (the root statement);
 * the AWS services that encrypt on our behalf without an IAM role get exactly
 * the actions they need, limited to this account.
 */
export class EncryptionKey extends Construct {
  public readonly key: KmsKey;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: EncryptionKeyProps) {
    super(scope, id);
    const { accountId, region, partition } = props;
    // Service principals act for a resource of this account and region only (confused-deputy
    // protection): aws:SourceArn names the calling resource's kind, account and region.
    const from = (service: string, resource: string) => ({
      StringEquals: { "aws:SourceAccount": accountId },
      ArnLike: { "aws:SourceArn": `arn:${partition}:${service}:${region}:${accountId}:${resource}` },
    });
    // In a key policy, Resource "*" means "this key": AWS requires that form.
    const statements: PolicyStatement[] = [
      {
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        // CloudWatch Logs binds the key to the log group through the encryption context, the form its
        // documentation gives for this statement: the context names this account's log groups.
        Sid: "CloudWatchLogsEncryptsThisAccountsLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": `arn:${partition}:logs:${region}:${accountId}:log-group:*` } },
      },
      {
        Sid: "EventBridgeEncryptsBusAndDeliversToEncryptedQueues",
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:ReEncrypt*"],
        Resource: "*",
        // The bus and the rules delivering to encrypted queues.
        Condition: from("events", "*"),
      },
      {
        Sid: "CloudWatchAlarmsPublishToEncryptedTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: "*",
        Condition: from("cloudwatch", "alarm:*"),
      },
    ];

    this.key = new KmsKey(this, "key", {
      description: `Encrypts the ${props.alias} Genesys vault pipelines' data at rest`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      policy: policyDocument(...statements),
    });
    new KmsAlias(this, "alias", { name: `alias/${props.alias}`, targetKeyId: this.key.keyId });
    this.arn = this.key.arn;
  }
}
