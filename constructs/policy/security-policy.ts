import { Annotations, type IAspect, TerraformResource } from "cdktf";
import type { IConstruct } from "constructs";
import { LOG_DELIVERY_ACTIONS } from "../../lib/iam";

/**
 * Actions AWS only grants on `Resource: "*"`: ENI management for Lambdas in a
 * VPC, Describe calls, X-Ray, CloudWatch metrics and log delivery. Any other action on `*` in an
 * identity policy fails synth.
 */
export const ACTIONS_REQUIRING_WILDCARD_RESOURCE: ReadonlySet<string> = new Set([
  "ec2:CreateNetworkInterface",
  "ec2:DescribeNetworkInterfaces",
  "ec2:DeleteNetworkInterface",
  "ec2:AssignPrivateIpAddresses",
  "ec2:UnassignPrivateIpAddresses",
  "ec2:DescribeSubnets",
  "ec2:DescribeSecurityGroups",
  "ec2:DescribeVpcs",
  "xray:PutTraceSegments",
  "xray:PutTelemetryRecords",
  "cloudwatch:PutMetricData",
  "cloudwatch:GetMetricData",
  "autoscaling:DescribeAutoScalingGroups",
  // No resource type: scoped instead by the sts:IdentityTokenAudience and sts:DurationSeconds conditions.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_outbound_getting_started.html
  "sts:GetWebIdentityToken",
  ...LOG_DELIVERY_ACTIONS,
]);

type Attrs = Record<string, unknown>;
type Rule = (attrs: Attrs) => string[];

const first = (v: unknown): Attrs | undefined => (Array.isArray(v) ? (v[0] as Attrs) : (v as Attrs | undefined));
const isSet = (v: unknown) => v !== undefined && v !== null && v !== "";
const asList = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Where policy JSON lives, per resource type, and whether `*` resources are judged there. */
const POLICY_ATTRIBUTES: Record<string, { attrs: string[]; identity: boolean }> = {
  aws_iam_role_policy: { attrs: ["policy"], identity: true },
  aws_iam_policy: { attrs: ["policy"], identity: true },
  aws_iam_role: { attrs: ["assume_role_policy"], identity: false },
  aws_sqs_queue_policy: { attrs: ["policy"], identity: false },
  aws_sqs_queue: { attrs: ["policy"], identity: false },
  aws_sns_topic_policy: { attrs: ["policy"], identity: false },
  aws_kms_key: { attrs: ["policy"], identity: false },
  aws_secretsmanager_secret_policy: { attrs: ["policy"], identity: false },
  aws_lambda_permission: { attrs: [], identity: false },
};

function policyProblems(json: unknown, identity: boolean): string[] {
  if (typeof json !== "string") return [];
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(json);
  } catch {
    return []; // a Terraform expression, not literal JSON: nothing to judge here
  }
  const problems: string[] = [];
  for (const st of asList(doc.Statement) as Array<Record<string, unknown>>) {
    if (st.Effect !== "Allow") continue;
    const actions = asList(st.Action) as string[];
    if (st.NotAction !== undefined) problems.push("an Allow statement uses NotAction (grants everything else)");
    if (actions.some((a) => a === "*" || a === "*:*")) problems.push(`an Allow statement grants Action "*"${st.Sid ? ` (Sid ${st.Sid})` : ""}`);
    if (identity && asList(st.Resource).includes("*")) {
      const unjustified = actions.filter((a) => !ACTIONS_REQUIRING_WILDCARD_RESOURCE.has(a));
      if (unjustified.length) problems.push(`grants ${unjustified.join(", ")} on Resource "*"; only actions AWS cannot scope may use "*"`);
    }
    if (!identity && st.Principal === "*" && st.Condition === undefined) problems.push("an Allow statement admits Principal \"*\" without a condition (public access)");
  }
  return problems;
}

const SECRET_LIKE_ENV = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CONNECTION_?STRING|SAS)/i;
const SAFE_ENV_SUFFIX = /(_ARN|_NAME|_ID|_HEADER|_URL|_ENDPOINT|_PARAMETER)$/i;

/** Per resource type, the checks of its synthesized attributes. */
const RULES: Record<string, Rule> = {
  aws_sqs_queue: (a) =>
    isSet(a.kms_master_key_id) || a.sqs_managed_sse_enabled === true ? [] : ["is not encrypted at rest: set kms_master_key_id (or sqs_managed_sse_enabled)"],
  aws_dynamodb_table: (a) => (first(a.server_side_encryption)?.enabled === true ? [] : ["is not encrypted with a KMS key: set server_side_encryption { enabled = true }"]),
  aws_sns_topic: (a) => (isSet(a.kms_master_key_id) ? [] : ["is not encrypted at rest: set kms_master_key_id"]),
  aws_cloudwatch_log_group: (a) => [
    ...(isSet(a.kms_key_id) ? [] : ["is not encrypted with the environment key: set kms_key_id"]),
    ...(typeof a.retention_in_days === "number" && a.retention_in_days > 0 ? [] : ["keeps logs forever: set retention_in_days"]),
  ],
  aws_secretsmanager_secret: (a) => (isSet(a.kms_key_id) ? [] : ["is not encrypted with the environment key: set kms_key_id"]),
  aws_kms_key: (a) => (a.enable_key_rotation === true ? [] : ["does not rotate: set enable_key_rotation = true"]),
  aws_security_group: (a) =>
    (asList(a.ingress) as Attrs[]).some((r) => asList(r?.cidr_blocks).includes("0.0.0.0/0") || asList(r?.ipv6_cidr_blocks).includes("::/0"))
      ? ["admits inbound traffic from the internet"]
      : [],
  aws_lambda_function: (a) => {
    const vars = (first(a.environment)?.variables ?? {}) as Record<string, unknown>;
    return Object.keys(vars)
      .filter((k) => SECRET_LIKE_ENV.test(k) && !SAFE_ENV_SUFFIX.test(k))
      .map((k) => `has environment variable ${k} that looks like a secret: keep secrets in Secrets Manager and pass the ARN`);
  },
  aws_sfn_state_machine: (a) => (first(a.logging_configuration)?.level && first(a.logging_configuration)?.level !== "OFF" ? [] : ["has no execution logging: set logging_configuration"]),
  azurerm_storage_account: (a) => {
    const rules = first(a.network_rules);
    return [
      ...(a.allow_nested_items_to_be_public === false ? [] : ["allows public blob access: set allow_nested_items_to_be_public = false"]),
      ...(rules?.default_action === "Deny" ? [] : ["does not deny network access by default: set network_rules { default_action = \"Deny\" }"]),
      ...(a.min_tls_version === "TLS1_2" ? [] : ["accepts TLS below 1.2: set min_tls_version = \"TLS1_2\""]),
      ...(a.https_traffic_only_enabled === false ? ["accepts plain HTTP: set https_traffic_only_enabled = true"] : []),
    ];
  },
  azurerm_role_definition: (a) =>
    (asList(a.permissions) as Attrs[])
      .flatMap((p) => [...asList(p?.actions), ...asList(p?.data_actions)])
      .filter((action) => typeof action === "string" && (action === "*" || action.endsWith("/*")))
      .map((action) => `grants the wildcard action ${JSON.stringify(action)}: list the actions the role needs`),
  azurerm_storage_container: (a) =>
    a.container_access_type === undefined || a.container_access_type === "private" ? [] : [`is public (container_access_type = ${JSON.stringify(a.container_access_type)})`],
};

/** Returns the policy violations of one resource's synthesized attributes. */
export function violationsOf(resourceType: string, attrs: Attrs): string[] {
  const problems = [...(RULES[resourceType]?.(attrs) ?? [])];
  const policy = POLICY_ATTRIBUTES[resourceType];
  for (const key of policy?.attrs ?? []) problems.push(...policyProblems(attrs[key], policy!.identity));
  if (resourceType === "aws_iam_role") {
    for (const inline of asList(attrs.inline_policy) as Attrs[]) problems.push(...policyProblems(inline?.policy, true));
  }
  return problems;
}

/**
 * Fails synth, with an error annotation on the offending construct, when a
 * resource is insecure: unencrypted queues, tables, topics, log groups and
 * secrets; keys without rotation; IAM statements granting `*` (or any
 * non-exempt action on `*`); public resource policies; internet ingress;
 * secret-looking Lambda environment variables; storage accounts without
 * default-deny networking or with public access.
 */
export class SecurityPolicyAspect implements IAspect {
  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const type = node.terraformResourceType;
    const body = node.toTerraform() as { resource?: Record<string, Record<string, Attrs>> };
    const attrs = body.resource?.[type]?.[node.friendlyUniqueId];
    if (!attrs) return;
    for (const problem of violationsOf(type, attrs)) {
      Annotations.of(node).addError(`[security policy] ${type} ${node.node.path}: ${problem}`);
    }
  }
}
