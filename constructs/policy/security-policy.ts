import { Annotations, DefaultTokenResolver, type IAspect, StringConcat, TerraformResource, Token, Tokenization } from "cdktf";
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
type Rule = (attrs: Attrs, options: SecurityPolicyOptions) => string[];

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

/** Options that depend on the environment. */
export interface SecurityPolicyOptions {
  /** Shortest CloudWatch log retention allowed, in days. @default 1 (any finite retention) */
  readonly minLogRetentionDays?: number;
  /**
   * Storage accounts may keep shared-key (account key) authorization: only for an explicit
   * SAS mode, where the vault writer's service SAS is signed with the account key.
   * @default false
   */
  readonly allowSharedKey?: boolean;
}

/** `"*"`, or a principal object naming `*` (e.g. `{"AWS": "*"}`): anyone. */
function isEveryone(principal: unknown): boolean {
  if (principal === "*") return true;
  if (typeof principal !== "object" || principal === null) return false;
  return Object.values(principal).some((v) => asList(v).includes("*"));
}

/** The key policy statement that lets the account administer its key through IAM (AWS's default). */
function isAccountRootKeyAdministration(resourceType: string, st: Record<string, unknown>): boolean {
  const aws = (st.Principal as Record<string, unknown> | undefined)?.AWS;
  return resourceType === "aws_kms_key" && asList(aws).length === 1 && /^arn:[\w-]+:iam::\d{12}:root$/.test(String(asList(aws)[0]));
}

function policyProblems(json: unknown, identity: boolean, resourceType: string): string[] {
  if (json === undefined || json === null) return [];
  if (typeof json !== "string") return ["has a policy that is not a JSON document: build it with policyDocument()"];
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(json);
  } catch {
    // jsonencode(...), a data source or another expression: what AWS receives cannot be judged at synth.
    return ["has a policy written as a Terraform expression, which the policy check cannot read: build it with policyDocument()"];
  }
  const problems: string[] = [];
  for (const st of asList(doc.Statement) as Array<Record<string, unknown>>) {
    if (st.Effect !== "Allow") continue;
    const sid = st.Sid ? ` (Sid ${st.Sid})` : "";
    const actions = asList(st.Action) as string[];
    const resources = asList(st.Resource) as string[];
    if (st.NotAction !== undefined) problems.push("an Allow statement uses NotAction (grants everything else)");
    if (actions.some((a) => a === "*" || a === "*:*")) problems.push(`an Allow statement grants Action "*"${sid}`);
    const serviceWide = actions.filter((a) => /^[\w-]+:\*$/.test(a));
    if (serviceWide.length && !isAccountRootKeyAdministration(resourceType, st)) {
      problems.push(`an Allow statement grants every action of a service (${serviceWide.join(", ")})${sid}: list the actions needed`);
    }
    if (actions.some((a) => /^iam:(PassRole|\*)$/i.test(a)) && resources.some((r) => r.includes("*"))) {
      problems.push(`an Allow statement lets iam:PassRole pass any role (${resources.filter((r) => r.includes("*")).join(", ")})${sid}: name the roles`);
    }
    if (identity && resources.includes("*")) {
      const unjustified = actions.filter((a) => !ACTIONS_REQUIRING_WILDCARD_RESOURCE.has(a));
      if (unjustified.length) problems.push(`grants ${unjustified.join(", ")} on Resource "*"; only actions AWS cannot scope may use "*"`);
    }
    if (!identity && isEveryone(st.Principal) && st.Condition === undefined) {
      problems.push(`an Allow statement admits Principal ${JSON.stringify(st.Principal)} without a condition (public access)${sid}`);
    }
  }
  return problems;
}

/** An `ip_rules` entry admitting a huge part of the internet (0.0.0.0/0, or any prefix shorter than /8). */
const tooWide = (rule: unknown) => typeof rule === "string" && (rule === "*" || /\/([0-7])$/.test(rule));

function storageNetworkProblems(defaultAction: unknown, ipRules: unknown): string[] {
  const wide = asList(ipRules).filter(tooWide);
  return [
    ...(defaultAction === "Deny" ? [] : ['does not deny network access by default: set default_action = "Deny"']),
    ...(wide.length ? [`admits the internet through ip_rules ${wide.join(", ")}: list the sources`] : []),
  ];
}

const SECRET_LIKE_ENV = /(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|CONNECTION_?STRING|SAS)/i;
const SAFE_ENV_SUFFIX = /(_ARN|_NAME|_ID|_HEADER|_URL|_ENDPOINT|_PARAMETER)$/i;

/** Per resource type, the checks of its synthesized attributes. */
const RULES: Record<string, Rule> = {
  aws_sqs_queue: (a) =>
    isSet(a.kms_master_key_id) || a.sqs_managed_sse_enabled === true ? [] : ["is not encrypted at rest: set kms_master_key_id (or sqs_managed_sse_enabled)"],
  aws_dynamodb_table: (a) => [
    ...(first(a.server_side_encryption)?.enabled === true ? [] : ["is not encrypted with a KMS key: set server_side_encryption { enabled = true }"]),
    ...(first(a.point_in_time_recovery)?.enabled === true ? [] : ["has no point-in-time recovery: set point_in_time_recovery { enabled = true }"]),
  ],
  aws_sns_topic: (a) => (isSet(a.kms_master_key_id) ? [] : ["is not encrypted at rest: set kms_master_key_id"]),
  aws_cloudwatch_log_group: (a, o) => [
    ...(isSet(a.kms_key_id) ? [] : ["is not encrypted with the environment key: set kms_key_id"]),
    ...(typeof a.retention_in_days === "number" && a.retention_in_days > 0 ? [] : ["keeps logs forever: set retention_in_days"]),
    ...(typeof a.retention_in_days === "number" && a.retention_in_days > 0 && a.retention_in_days < (o.minLogRetentionDays ?? 1)
      ? [`keeps logs ${a.retention_in_days} days, under the environment's minimum of ${o.minLogRetentionDays}`]
      : []),
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
  aws_lambda_permission: (a) => {
    if (a.principal === "*") return ["lets anyone invoke the function (principal \"*\")"];
    const service = typeof a.principal === "string" && a.principal.endsWith(".amazonaws.com");
    return service && !isSet(a.source_arn) ? [`lets ${a.principal} invoke the function for any resource of any account: set source_arn`] : [];
  },
  azurerm_storage_account: (a, o) => {
    const rules = first(a.network_rules);
    const publicNetwork = a.public_network_access_enabled !== false; // the provider's default is true
    return [
      ...(a.allow_nested_items_to_be_public === false ? [] : ["allows public blob access: set allow_nested_items_to_be_public = false"]),
      ...(publicNetwork ? storageNetworkProblems(rules?.default_action, rules?.ip_rules).map((p) => `is reachable from public networks and ${p}`) : []),
      ...(a.min_tls_version === "TLS1_2" ? [] : ["accepts TLS below 1.2: set min_tls_version = \"TLS1_2\""]),
      ...(a.https_traffic_only_enabled === false ? ["accepts plain HTTP: set https_traffic_only_enabled = true"] : []),
      ...(a.shared_access_key_enabled !== false && !o.allowSharedKey
        ? ["accepts shared-key (account key) authorization outside a SAS mode: set shared_access_key_enabled = false"]
        : []),
    ];
  },
  azurerm_storage_account_network_rules: (a) => storageNetworkProblems(a.default_action, a.ip_rules),
  azurerm_role_definition: (a) =>
    (asList(a.permissions) as Attrs[])
      .flatMap((p) => [...asList(p?.actions), ...asList(p?.data_actions)])
      .filter((action) => typeof action === "string" && (action === "*" || action.endsWith("/*")))
      .map((action) => `grants the wildcard action ${JSON.stringify(action)}: list the actions the role needs`),
  azurerm_storage_container: (a) =>
    a.container_access_type === undefined || a.container_access_type === "private" ? [] : [`is public (container_access_type = ${JSON.stringify(a.container_access_type)})`],
};

/** Returns the policy violations of one resource's synthesized attributes. */
export function violationsOf(resourceType: string, attrs: Attrs, options: SecurityPolicyOptions = {}): string[] {
  const problems = [...(RULES[resourceType]?.(attrs, options) ?? [])];
  const policy = POLICY_ATTRIBUTES[resourceType];
  for (const key of policy?.attrs ?? []) problems.push(...policyProblems(attrs[key], policy!.identity, resourceType));
  if (resourceType === "aws_iam_role") {
    for (const inline of asList(attrs.inline_policy) as Attrs[]) problems.push(...policyProblems(inline?.policy, true, resourceType));
  }
  return problems;
}

/**
 * Fails synth, with an error annotation on the offending construct, when a
 * resource is insecure: unencrypted queues, tables, topics, log groups and
 * secrets; log retention missing or under the environment's minimum; keys
 * without rotation; IAM statements granting `*`, every action of a service,
 * any non-exempt action on `*`, or `iam:PassRole` on any role; public resource
 * policies (`"*"` or `{"AWS": "*"}` without a condition); policies written as
 * Terraform expressions; Lambda permissions for a service without a source ARN;
 * internet ingress; secret-looking Lambda environment variables; storage accounts
 * reachable from public networks without default Deny, with an internet-wide IP
 * rule, with shared-key access outside a SAS mode, or with public access.
 */
export class SecurityPolicyAspect implements IAspect {
  constructor(private readonly options: SecurityPolicyOptions = {}) {}

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformResource)) return;
    const type = node.terraformResourceType;
    const body = node.toTerraform() as { resource?: Record<string, Record<string, Attrs>> };
    const raw = body.resource?.[type]?.[node.friendlyUniqueId];
    if (!raw) return;
    // Policies rendered lazily (a secret's readers) are resolved first; what is still not JSON
    // after that is a real Terraform expression.
    const attrs = { ...raw };
    for (const key of POLICY_ATTRIBUTES[type]?.attrs ?? []) {
      if (Token.isUnresolved(attrs[key])) {
        attrs[key] = Tokenization.resolve(attrs[key], { scope: node, resolver: new DefaultTokenResolver(new StringConcat()), preparing: false });
      }
    }
    for (const problem of violationsOf(type, attrs, this.options)) {
      Annotations.of(node).addError(`[security policy] ${type} ${node.node.path}: ${problem}`);
    }
  }
}
