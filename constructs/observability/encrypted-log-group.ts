import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Construct } from "constructs";

export interface EncryptedLogGroupProps {
  /** Full log group name, e.g. `/aws/lambda/gcv-dev-archiver`. */
  readonly name: string;
  /** KMS key ARN that encrypts the log data. */
  readonly kmsKeyArn: string;
  /** Retention in days; logs are never kept forever by accident. */
  readonly retentionDays: number;
}

/** A CloudWatch log group that is always encrypted with the environment key and always expires. */
export class EncryptedLogGroup extends Construct {
  public readonly logGroup: CloudwatchLogGroup;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: EncryptedLogGroupProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "group", {
      name: props.name,
      kmsKeyId: props.kmsKeyArn,
      retentionInDays: props.retentionDays,
    });
    this.name = this.logGroup.name;
    this.arn = this.logGroup.arn;
  }
}
