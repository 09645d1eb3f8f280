import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import type { QueueConsumerConfig } from "../../config/types";
import { keyUseVia, policyDocument, serviceTrustPolicy, type PolicyStatement } from "../../lib/iam";
import type { BufferedQueue } from "../messaging/buffered-queue";
import { EncryptedLogGroup } from "../observability/encrypted-log-group";
import { thresholdAlarm } from "../observability/metric-alarm";

/** The Lambda runtime every function uses (AWS provider 5.100 knows it). */
export const LAMBDA_RUNTIME = "nodejs22.x";

export interface PipelineFunctionProps {
  /** Function name, e.g. `gcv-dev-transcript-archiver`. */
  readonly functionName: string;
  readonly description: string;
  /** The deployment package: a zip holding the esbuild bundle `index.mjs` (see lib/bundling.ts). */
  readonly packageZip: string;
  readonly accountId: string;
  readonly region: string;
  readonly kmsKeyArn: string;
  readonly logRetentionDays: number;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Configuration (never secrets: the policy aspect rejects secret-looking names). */
  readonly environment: Record<string, string>;
  /** What the function may do besides writing its own logs. */
  readonly statements: PolicyStatement[];
  /** Run in these private subnets, so egress leaves through the NAT EIPs. @default not in a VPC */
  readonly vpc?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
  /** Alarm topic for function errors. */
  readonly alarmTopicArn: string;
  /** CloudWatch namespace of the function's business metrics (one per environment). */
  readonly metricsNamespace: string;
  /** Reserved concurrency. @default unreserved */
  readonly reservedConcurrency?: number;
}

/** ENI management for VPC Lambdas: AWS only accepts `*` as the resource for these actions. */
const VPC_ENI_STATEMENT: PolicyStatement = {
  Sid: "ManageVpcNetworkInterfacesAwsRequiresWildcardResource",
  Effect: "Allow",
  Action: ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
  Resource: "*",
};

/**
 * A pipeline Lambda: its esbuild bundle as a Terraform asset, `nodejs22.x` on
 * arm64, JSON logs into its own encrypted, expiring log group, a role that can
 * do exactly what `statements` say plus write those logs, an errors alarm, and
 * optionally a place in the private subnets.
 */
export class PipelineFunction extends Construct {
  public readonly fn: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: EncryptedLogGroup;
  public readonly arn: string;
  private readonly region: string;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.region = props.region;
    this.logGroup = new EncryptedLogGroup(this, "logs", {
      name: `/aws/lambda/${props.functionName}`,
      kmsKeyArn: props.kmsKeyArn,
      retentionDays: props.logRetentionDays,
    });
    this.role = new IamRole(this, "role", {
      name: props.functionName,
      description: `Execution role of ${props.functionName}`,
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", props.accountId),
    });
    new IamRolePolicy(this, "policy", {
      role: this.role.id,
      name: "least-privilege",
      policy: policyDocument(
        { Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${this.logGroup.arn}:*` },
        // Environment variables, the secrets it reads and the items of its tables are encrypted with
        // the environment key; only those services may decrypt with it for this role.
        keyUseVia("DecryptOwnConfiguration", props.kmsKeyArn, "kms:Decrypt", props.region, ["lambda", "secretsmanager", "dynamodb"]),
        ...props.statements,
        ...(props.vpc ? [VPC_ENI_STATEMENT] : []),
      ),
    });

    // A FILE asset of the prebuilt deterministic zip: cdktf's own ARCHIVE zipping spawns a
    // process per asset and stamps file times, which is slow and changes bytes every build.
    const asset = new TerraformAsset(this, "package", { path: props.packageZip, type: AssetType.FILE });
    this.fn = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: asset.assetHash,
      timeout: props.timeoutSeconds,
      memorySize: props.memoryMb,
      kmsKeyArn: props.kmsKeyArn,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: {
        variables: {
          POWERTOOLS_SERVICE_NAME: props.functionName,
          POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
          ...props.environment,
        },
      },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name, applicationLogLevel: "INFO", systemLogLevel: "WARN" },
      vpcConfig: props.vpc ? { subnetIds: props.vpc.subnetIds, securityGroupIds: props.vpc.securityGroupIds } : undefined,
      dependsOn: [this.logGroup.logGroup],
    });
    this.arn = this.fn.arn;

    thresholdAlarm(this, "errors", {
      alarmName: `${props.functionName}-errors`,
      description: `${props.functionName} failed invocations`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: this.fn.functionName },
      statistic: "Sum",
      threshold: 0,
      periodSeconds: 300,
      alarmTopicArn: props.alarmTopicArn,
    });
  }

  /**
   * Consumes a buffered queue: partial batch responses (only failed records are
   * retried), batching and a maximum concurrency that caps how hard a backlog
   * can push the function and everything behind it.
   */
  consume(queue: BufferedQueue, config: Pick<QueueConsumerConfig, "batchSize" | "batchWindowSeconds" | "maxConcurrency">, kmsKeyArn: string): LambdaEventSourceMapping {
    const region = this.region;
    new IamRolePolicy(this, "consume-policy", {
      role: this.role.id,
      name: "consume-queue",
      policy: policyDocument(
        {
          Sid: "ConsumeOwnQueue",
          Effect: "Allow",
          Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
          Resource: queue.queue.arn,
        },
        keyUseVia("DecryptQueueMessages", kmsKeyArn, "kms:Decrypt", region, ["sqs"]),
      ),
    });
    return new LambdaEventSourceMapping(this, "queue-source", {
      eventSourceArn: queue.queue.arn,
      functionName: this.fn.arn,
      functionResponseTypes: ["ReportBatchItemFailures"],
      batchSize: config.batchSize,
      maximumBatchingWindowInSeconds: config.batchWindowSeconds || undefined,
      scalingConfig: { maximumConcurrency: config.maxConcurrency },
    });
  }
}
