/**
 * The AWS plan role: what `terraform plan` needs to refresh the stacks, and nothing that
 * reads data. Written to docs/plan-role-policy.json by `npm run plan-role-policy`, which the
 * team pastes as the plan role's policy (docs/security.md#the-plan-role).
 *
 * REFRESH_READS maps every AWS resource type the stacks declare to the calls its refresh
 * makes, from the provider's Read functions (hashicorp/terraform-provider-aws
 * internal/service/<service>/<resource>.go; e.g. dynamodb/table.go: DescribeTable,
 * DescribeContinuousBackups, DescribeTimeToLive; secretsmanager/secret.go: DescribeSecret,
 * GetResourcePolicy), plus the tag listing the provider's transparent tagging adds. A type
 * the stacks start to use without an entry here fails test/lib/plan-role.test.ts.
 */

/** IAM actions the provider's refresh of each resource type calls. */
export const REFRESH_READS: Readonly<Record<string, readonly string[]>> = {
  aws_apigatewayv2_api: ["apigateway:GET"],
  aws_apigatewayv2_integration: ["apigateway:GET"],
  aws_apigatewayv2_route: ["apigateway:GET"],
  aws_apigatewayv2_stage: ["apigateway:GET"],
  aws_cloudwatch_dashboard: ["cloudwatch:GetDashboard"],
  aws_cloudwatch_event_archive: ["events:DescribeArchive"],
  aws_cloudwatch_event_bus: ["events:DescribeEventBus", "events:ListTagsForResource"],
  aws_cloudwatch_event_rule: ["events:DescribeRule", "events:ListTagsForResource"],
  aws_cloudwatch_event_target: ["events:ListTargetsByRule"],
  aws_cloudwatch_log_group: ["logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"],
  aws_cloudwatch_log_metric_filter: ["logs:DescribeMetricFilters"],
  aws_cloudwatch_metric_alarm: ["cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"],
  aws_default_security_group: ["ec2:DescribeSecurityGroups"],
  aws_dynamodb_table: ["dynamodb:DescribeTable", "dynamodb:DescribeContinuousBackups", "dynamodb:DescribeTimeToLive", "dynamodb:ListTagsOfResource"],
  aws_eip: ["ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute"],
  aws_flow_log: ["ec2:DescribeFlowLogs"],
  aws_iam_role: ["iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListRoleTags"],
  aws_iam_role_policy: ["iam:GetRolePolicy"],
  aws_internet_gateway: ["ec2:DescribeInternetGateways"],
  aws_kms_alias: ["kms:ListAliases"],
  aws_kms_key: ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"],
  aws_lambda_event_source_mapping: ["lambda:GetEventSourceMapping", "lambda:ListTags"],
  // GetFunction also returns a pre-signed URL of the deployment package: the functions' own
  // code, which holds no secret (configuration carries secret ARNs only).
  aws_lambda_function: ["lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction", "lambda:ListTags"],
  aws_lambda_permission: ["lambda:GetPolicy"],
  aws_nat_gateway: ["ec2:DescribeNatGateways"],
  aws_route: ["ec2:DescribeRouteTables"],
  aws_route_table: ["ec2:DescribeRouteTables"],
  aws_route_table_association: ["ec2:DescribeRouteTables"],
  aws_secretsmanager_secret: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
  aws_secretsmanager_secret_policy: ["secretsmanager:GetResourcePolicy"],
  // Refreshed with GetSecretValue (secretsmanager/secret_version.go): allowed only on the vault
  // coordinates secrets, see VAULT_COORDINATES_STATEMENT.
  aws_secretsmanager_secret_version: [],
  aws_security_group: ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"],
  aws_sfn_state_machine: ["states:DescribeStateMachine", "states:ListTagsForResource"],
  aws_sns_topic: ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
  aws_sns_topic_policy: ["sns:GetTopicAttributes"],
  aws_sns_topic_subscription: ["sns:GetSubscriptionAttributes"],
  aws_sqs_queue: ["sqs:GetQueueAttributes", "sqs:ListQueueTags"],
  aws_sqs_queue_policy: ["sqs:GetQueueAttributes"],
  aws_sqs_queue_redrive_allow_policy: ["sqs:GetQueueAttributes"],
  aws_subnet: ["ec2:DescribeSubnets"],
  aws_vpc: ["ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:DescribeNetworkAcls", "ec2:DescribeRouteTables", "ec2:DescribeSecurityGroups"],
  aws_vpc_endpoint: ["ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"],
};

/** Calls the provider makes whatever the resources: its credential and account checks. */
export const PROVIDER_READS = ["sts:GetCallerIdentity"] as const;

/**
 * Reads of stored data that no plan needs, and which the plan role must never hold. Checked
 * against every action (and wildcard) of the policy by the test.
 */
export const DATA_READS = [
  "s3:GetObject",
  "s3:GetObjectVersion",
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:GetRecords",
  "dynamodb:ExportTableToPointInTime",
  "sqs:ReceiveMessage",
  "secretsmanager:GetSecretValue",
  "secretsmanager:BatchGetSecretValue",
  "logs:GetLogEvents",
  "logs:FilterLogEvents",
  "logs:StartQuery",
  "logs:GetQueryResults",
  "logs:StartLiveTail",
  "kms:Decrypt",
  "states:GetExecutionHistory",
  "states:DescribeExecution",
  "events:StartReplay",
  "lambda:InvokeFunction",
  "ssm:GetParameter",
  "ssm:GetParameters",
  "ec2:GetConsoleOutput",
  "ec2:DescribeInstanceAttribute",
] as const;

interface Statement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

/** The vault coordinates secrets `<env>-azure` writes as secret versions (no credential in federated mode). */
export const VAULT_COORDINATES_SECRETS = "arn:aws:secretsmanager:*:<account>:secret:gcv-*/azure-vault-*";

/**
 * The one exception to "no data reads": `<env>-azure` refreshes its
 * aws_secretsmanager_secret_version resources with GetSecretValue, so the plan reads the
 * vault coordinates (endpoint, container, tenant id, client id; in `sas` mode the SAS, which
 * that plan signs itself anyway) and decrypts them through Secrets Manager only.
 */
export const VAULT_COORDINATES_STATEMENTS: readonly Statement[] = [
  { Sid: "VaultCoordinatesRefresh", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: VAULT_COORDINATES_SECRETS },
  {
    Sid: "VaultCoordinatesDecrypt",
    Effect: "Allow",
    Action: ["kms:Decrypt"],
    Resource: "arn:aws:kms:*:<account>:key/*",
    Condition: { StringLike: { "kms:ViaService": "secretsmanager.*.amazonaws.com", "kms:EncryptionContext:SecretARN": VAULT_COORDINATES_SECRETS } },
  },
];

/** Reading the Terraform state (S3 backend), and nothing else of the bucket. Plans run with -lock=false. */
export const STATE_STATEMENTS: readonly Statement[] = [
  { Sid: "StateList", Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::<state-bucket>" },
  { Sid: "StateRead", Effect: "Allow", Action: ["s3:GetObject"], Resource: "arn:aws:s3:::<state-bucket>/*.tfstate" },
  { Sid: "StateDecrypt", Effect: "Allow", Action: ["kms:Decrypt"], Resource: "<state-kms-key-arn>", Condition: { StringLike: { "kms:ViaService": "s3.*.amazonaws.com" } } },
];

/** The whole policy document for `resourceTypes` (the AWS types the synthesized stacks declare). */
export function planRolePolicy(resourceTypes: Iterable<string> = Object.keys(REFRESH_READS)) {
  const actions = new Set<string>(PROVIDER_READS);
  for (const type of resourceTypes) {
    const reads = REFRESH_READS[type];
    if (!reads) throw new Error(`no refresh reads listed for ${type} in lib/plan-role.ts: read its Read function in the AWS provider source and add them`);
    for (const a of reads) actions.add(a);
  }
  return {
    Version: "2012-10-17",
    Statement: [
      // Describe/List/Get-metadata calls: most have no resource-level permissions, so "*".
      { Sid: "RefreshMetadata", Effect: "Allow", Action: [...actions].sort(), Resource: "*" },
      ...VAULT_COORDINATES_STATEMENTS,
      ...STATE_STATEMENTS,
    ],
  };
}
