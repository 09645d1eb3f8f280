import { validateSyncRules } from "../functions/shared/sync-rules";
import { validateWebhookActions } from "../functions/shared/webhook-actions";
import { CONVERSATION_TOPICS } from "./genesys-topics";
import { ENVIRONMENT_SPEC, shapeProblems } from "./schema";
import { closestMatch } from "../functions/shared/suggest";
import {
  ARCHIVE_TIER_REPLICATION_TYPES,
  AZURE_REPLICATION_TYPES,
  GENESYS_PROVIDER_REGIONS,
  GENESYS_REGION_DOMAINS,
  INTERFACE_ENDPOINT_SERVICES,
  VAULT_WRITER_AUTH_MODES,
  type DerivedNames,
  type EnvironmentConfig,
  type QueueConsumerConfig,
  type TranscriptVaultPipelineConfig,
} from "./types";

/** Thrown when configuration is invalid; the message names the environment and every bad field. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AWS_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)(-gov)?-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d$/;
const AZURE_LOCATION = /^[a-z]+[a-z0-9]*$/;
const ENV_NAME = /^[a-z][a-z0-9]{1,11}$/;
const STORAGE_ACCOUNT = /^[a-z0-9]{3,24}$/;
const CONTAINER = /^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const RESOURCE_GROUP = /^[-\w.()]{1,89}[-\w()]$/;
const EVENT_SOURCE_SUFFIX = /^[A-Za-z0-9._-]{1,64}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** An IAM role ARN (any partition, optional path). */
const IAM_ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Parses `a.b.c.d/n` into a 32-bit base and prefix length, or undefined. */
export function parseCidr(cidr: string): { base: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((base & mask) >>> 0 !== base) return undefined; // host bits set: not a network address
  return { base, prefix };
}

function isPrivate(base: number, prefix: number): boolean {
  const inRange = (net: string) => {
    const n = parseCidr(net)!;
    const mask = (0xffffffff << (32 - n.prefix)) >>> 0;
    return prefix >= n.prefix && (base & mask) >>> 0 === n.base;
  };
  return inRange("10.0.0.0/8") || inRange("172.16.0.0/12") || inRange("192.168.0.0/16");
}

/** Smallest subnet we carve: a /28 is the smallest AWS allows. */
const MIN_SUBNET_PREFIX = 28;

/**
 * Bits added to the VPC prefix for every subnet, whatever the AZ count: 16 equal
 * slots, public subnets in slots 0-5 and private ones in 8-13 (one of each per AZ,
 * up to the 6 AZs allowed). Fixed, so adding AZs never moves an existing subnet.
 */
export const SUBNET_NEW_BITS = 4;

/** Names that make an environment production by default (`prod...`, `stag...`). */
export const PRODUCTION_NAME = /^(prod|stag)/;

/**
 * The one rule for "is this a production environment", asked by every production-only
 * requirement (remote state, alarms that reach someone): `production: true`, or a name
 * starting with prod or stag. `production: false` on such a name is refused by validation
 * (docs/configuration.md#production-environments), so it never weakens the rule.
 */
export function isProduction(env: Pick<EnvironmentConfig, "name" | "production">): boolean {
  return env.production === true || (typeof env.name === "string" && PRODUCTION_NAME.test(env.name));
}

/** Why `env` is production, for messages: the field or the name. */
function productionBecause(env: Pick<EnvironmentConfig, "name" | "production">): string {
  return env.production === true ? "production: true" : "its name starts with prod or stag";
}

type Check = (ok: boolean, field: string, message: string) => void;

/** ` (got <value>)`, appended to every problem so the user sees what was read. */
const got = (v: unknown): string => ` (got ${JSON.stringify(v)})`;
const intIn = (v: unknown, lo: number, hi: number) => Number.isInteger(v) && (v as number) >= lo && (v as number) <= hi;

/**
 * Validates one environment. Returns every problem as
 * `environment "<name>": <field> <what is wrong> (got <value>)`.
 */
export function validateEnvironment(env: EnvironmentConfig): string[] {
  const label = `environment "${env?.name ?? "?"}"`;
  const shape = shapeProblems(env, ENVIRONMENT_SPEC);
  // A key already reported for its type or as a typo gets no second message from the value rules.
  const settled = (problem: string) => {
    const field = problem.slice(label.length + 2).split(" ")[0]!.replace(/\[\d+\]/g, "");
    return shape.reported.some((path) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`));
  };
  let values: string[];
  try {
    values = valueProblems(env);
  } catch (error) {
    // A value of the wrong type can trip a value rule; its type error already says what is wrong.
    if (shape.problems.length === 0) throw error;
    values = [];
  }
  return [...shape.problems.map((p) => `${label}: ${p}`), ...values.filter((p) => !settled(p))];
}

/** The value rules of one environment: ranges, formats, cross-field checks. */
function valueProblems(env: EnvironmentConfig): string[] {
  const problems: string[] = [];
  const label = `environment "${env?.name ?? "?"}"`;
  const check: Check = (ok, field, message) => {
    if (!ok) problems.push(`${label}: ${field} ${message}`);
  };

  check(typeof env.name === "string" && ENV_NAME.test(env.name), "name", `must be 2-12 lowercase letters/digits starting with a letter${got(env.name)}`);
  if (env.production !== undefined) {
    check(typeof env.production === "boolean", "production", `must be true or false${got(env.production)}`);
    check(
      !(env.production === false && typeof env.name === "string" && PRODUCTION_NAME.test(env.name)),
      "production",
      `cannot be false for "${env.name}": a name starting with prod or stag is in every resource name and reads as production to everyone, so it gets every production requirement; remove the field, or give a non-production environment another name`,
    );
  }

  const aws = env.aws ?? ({} as EnvironmentConfig["aws"]);
  check(typeof aws.accountId === "string" && /^\d{12}$/.test(aws.accountId), "aws.accountId", `must be a 12-digit AWS account id${got(aws.accountId)}`);
  check(typeof aws.region === "string" && AWS_REGION.test(aws.region), "aws.region", `must be an AWS region such as eu-west-1${got(aws.region)}`);
  check(intIn(aws.azCount, 1, 6), "aws.azCount", `must be an integer from 1 to 6${got(aws.azCount)}`);
  if (aws.azSuffixes !== undefined) {
    check(
      Array.isArray(aws.azSuffixes) && aws.azSuffixes.length === aws.azCount && aws.azSuffixes.every((s) => /^[a-z]$/.test(s)) && new Set(aws.azSuffixes).size === aws.azSuffixes.length,
      "aws.azSuffixes",
      `must list azCount distinct single letters${got(aws.azSuffixes)}`,
    );
  }
  const cidr = typeof aws.vpcCidr === "string" ? parseCidr(aws.vpcCidr) : undefined;
  if (!cidr) {
    check(false, "aws.vpcCidr", `must be an IPv4 network address in CIDR form such as 10.40.0.0/20${got(aws.vpcCidr)}`);
  } else {
    check(isPrivate(cidr.base, cidr.prefix), "aws.vpcCidr", `must be inside a private (RFC 1918) range: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16${got(aws.vpcCidr)}`);
    check(cidr.prefix >= 16, "aws.vpcCidr", `must be /16 or smaller (AWS maximum)${got(aws.vpcCidr)}`);
    const subnetPrefix = cidr.prefix + SUBNET_NEW_BITS;
    check(
      subnetPrefix <= MIN_SUBNET_PREFIX,
      "aws.vpcCidr",
      `is too small: every subnet is 1/16 of the VPC (room for 6 AZs, so adding AZs never moves a subnet) and would be /${subnetPrefix}; AWS needs /${MIN_SUBNET_PREFIX} or larger, so the VPC must be /${MIN_SUBNET_PREFIX - SUBNET_NEW_BITS} or larger${got(aws.vpcCidr)}`,
    );
  }
  check(
    Number.isInteger(aws.natGateways) && aws.natGateways >= 1 && aws.natGateways <= (aws.azCount ?? 0),
    "aws.natGateways",
    `must be an integer from 1 to azCount (${aws.azCount})${got(aws.natGateways)}`,
  );
  for (const svc of aws.interfaceEndpoints ?? []) {
    check((INTERFACE_ENDPOINT_SERVICES as readonly string[]).includes(svc), "aws.interfaceEndpoints", `has unknown service; allowed: ${INTERFACE_ENDPOINT_SERVICES.join(", ")}${got(svc)}`);
  }
  const LOG_RETENTION = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
  check(LOG_RETENTION.includes(aws.logRetentionDays), "aws.logRetentionDays", `must be one of CloudWatch's values ${LOG_RETENTION.join(", ")}${got(aws.logRetentionDays)}`);
  check(intIn(aws.archiveRetentionDays, 0, 36500), "aws.archiveRetentionDays", `must be an integer from 0 (forever) to 36500${got(aws.archiveRetentionDays)}`);
  check(intIn(aws.secretRecoveryWindowDays, 7, 30), "aws.secretRecoveryWindowDays", `must be an integer from 7 to 30${got(aws.secretRecoveryWindowDays)}`);
  const deployers = aws.deployerRoleArns;
  check(
    Array.isArray(deployers) && deployers.length >= 1 && deployers.length <= 10,
    "aws.deployerRoleArns",
    `must list 1 to 10 IAM role ARNs that deploy the stacks (each secret's resource policy admits only them and its readers)${got(deployers)}`,
  );
  for (const arn of Array.isArray(deployers) ? deployers : []) {
    check(typeof arn === "string" && IAM_ROLE_ARN.test(arn), "aws.deployerRoleArns", `must hold IAM role ARNs like arn:aws:iam::123456789012:role/deploy${got(arn)}`);
  }
  const planners = aws.planRoleArns;
  check(
    Array.isArray(planners) && planners.length >= 1 && planners.length <= 10,
    "aws.planRoleArns",
    `must list 1 to 10 IAM role ARNs that plan the stacks (each secret's resource policy lets them read its metadata, never its value)${got(planners)}`,
  );
  for (const arn of Array.isArray(planners) ? planners : []) {
    check(typeof arn === "string" && IAM_ROLE_ARN.test(arn), "aws.planRoleArns", `must hold IAM role ARNs like arn:aws:iam::123456789012:role/plan${got(arn)}`);
    check(!(Array.isArray(deployers) && deployers.includes(arn)), "aws.planRoleArns", `must not name a deployer role: a plan role reads no secret value${got(arn)}`);
  }
  check(typeof aws.deletionProtection === "boolean", "aws.deletionProtection", `must be true or false${got(aws.deletionProtection)}`);
  if (aws.alarmEmail !== undefined) check(EMAIL.test(aws.alarmEmail), "aws.alarmEmail", `must be an e-mail address${got(aws.alarmEmail)}`);
  if (aws.outboundIdentityIssuer !== undefined) {
    const issuer = aws.outboundIdentityIssuer;
    if (!isIssuerUrl(issuer)) {
      check(false, "aws.outboundIdentityIssuer", `must be an https URL without query or fragment, as returned by \`aws iam enable-outbound-web-identity-federation\`${got(issuer)}`);
    } else {
      check(isExactIssuer(issuer), "aws.outboundIdentityIssuer", `${EXACT_ISSUER_RULE}${issuerFix(issuer)}${got(issuer)}`);
    }
  }
  problems.push(...validateAlarmSubscriptions(env).map((p) => `${label}: ${p}`));

  const g = env.genesys ?? ({} as EnvironmentConfig["genesys"]);
  check(typeof g.orgId === "string" && UUID.test(g.orgId), "genesys.orgId", `must be the Genesys Cloud organization id (a UUID)${got(g.orgId)}`);
  check((GENESYS_REGION_DOMAINS as readonly string[]).includes(g.regionDomain), "genesys.regionDomain", `must be a Genesys Cloud region domain (${GENESYS_REGION_DOMAINS.join(", ")})${got(g.regionDomain)}`);
  check(typeof g.eventSourceSuffix === "string" && EVENT_SOURCE_SUFFIX.test(g.eventSourceSuffix), "genesys.eventSourceSuffix", `must be 1-64 letters, digits, '.', '_' or '-'${got(g.eventSourceSuffix)}`);
  if (g.maxSilenceMinutes !== undefined) {
    check(
      g.maxSilenceMinutes === 0 || (intIn(g.maxSilenceMinutes, 5, 1440) && g.maxSilenceMinutes % 5 === 0),
      "genesys.maxSilenceMinutes",
      `must be 0 (no silence alarm) or a multiple of 5 from 5 to 1440 (CloudWatch evaluates at most one day)${got(g.maxSilenceMinutes)}`,
    );
  }

  const az = env.azure ?? ({} as EnvironmentConfig["azure"]);
  if (az.subscriptionId !== undefined) check(UUID.test(az.subscriptionId), "azure.subscriptionId", `must be a UUID${got(az.subscriptionId)}`);
  check(typeof az.location === "string" && AZURE_LOCATION.test(az.location), "azure.location", `must be an Azure location name such as westeurope${got(az.location)}`);
  check(typeof az.resourceGroupName === "string" && RESOURCE_GROUP.test(az.resourceGroupName), "azure.resourceGroupName", `must be 1-90 letters, digits, '-', '_', '.', '(' or ')' not ending in '.'${got(az.resourceGroupName)}`);
  check(
    typeof az.storageAccountName === "string" && STORAGE_ACCOUNT.test(az.storageAccountName),
    "azure.storageAccountName",
    `must be 3-24 lowercase letters and digits (Azure rejects anything else)${got(az.storageAccountName)}`,
  );
  check((AZURE_REPLICATION_TYPES as readonly string[]).includes(az.replicationType), "azure.replicationType", `must be one of ${AZURE_REPLICATION_TYPES.join(", ")}${got(az.replicationType)}`);
  check(typeof az.containerName === "string" && CONTAINER.test(az.containerName), "azure.containerName", `must be 3-63 lowercase letters, digits and single hyphens${got(az.containerName)}`);
  check(intIn(az.softDeleteRetentionDays, 1, 365), "azure.softDeleteRetentionDays", `must be an integer from 1 to 365${got(az.softDeleteRetentionDays)}`);
  check(intIn(az.immutabilityDays, 1, 146000), "azure.immutabilityDays", `must be an integer from 1 to 146000${got(az.immutabilityDays)}`);
  check(typeof az.immutabilityLocked === "boolean", "azure.immutabilityLocked", `must be true or false${got(az.immutabilityLocked)}`);
  check(intIn(az.coolAfterDays, 0, 99999), "azure.coolAfterDays", `must be an integer from 0 to 99999${got(az.coolAfterDays)}`);
  problems.push(...validateLifecycleTiers(az).map((p) => `${label}: ${p}`));
  check(
    az.writerAuth === undefined || (VAULT_WRITER_AUTH_MODES as readonly string[]).includes(az.writerAuth),
    "azure.writerAuth",
    `must be one of ${VAULT_WRITER_AUTH_MODES.join(", ")}${got(az.writerAuth)}`,
  );
  if ((az.writerAuth ?? "federated") === "federated" && aws.outboundIdentityIssuer === undefined) {
    check(false, "aws.outboundIdentityIssuer", 'is required when azure.writerAuth is "federated" (the default): run `aws iam enable-outbound-web-identity-federation` once in the account and set the IssuerIdentifier it returns, or set azure.writerAuth to "sas"');
  }
  // The SAS settings matter in sas mode only; given in federated mode they are checked but unused.
  const sasMode = az.writerAuth === "sas";
  if (sasMode || az.sasRotationDays !== undefined || az.sasValidityDays !== undefined) {
    const required = sasMode ? ' (required when azure.writerAuth is "sas")' : "";
    check(intIn(az.sasRotationDays, 1, 365), "azure.sasRotationDays", `must be an integer from 1 to 365${required}${got(az.sasRotationDays)}`);
    check(
      intIn(az.sasValidityDays, 1, 365) && az.sasValidityDays! > az.sasRotationDays!,
      "azure.sasValidityDays",
      `must be an integer from 1 to 365 and greater than sasRotationDays (${az.sasRotationDays}), so a token is replaced before it expires${required}${got(az.sasValidityDays)}`,
    );
  }
  if ((az.writerAuth ?? "federated") === "federated") {
    const owners = az.applicationOwnerObjectIds;
    check(
      Array.isArray(owners) && owners.length >= 1 && owners.length <= 10 && owners.every((o) => typeof o === "string" && UUID.test(o)),
      "azure.applicationOwnerObjectIds",
      `must list 1 to 10 Entra object ids (UUIDs) of the users or service principals that own the vault's Entra applications (break-glass owners; never the identity that applies) when azure.writerAuth is "federated"${got(owners)}`,
    );
  }

  check(intIn(az.auditLogRetentionDays, 30, 730), "azure.auditLogRetentionDays", `must be an integer from 30 to 730 (Log Analytics retention)${got(az.auditLogRetentionDays)}`);
  if (az.sasExpiryWarningDays !== undefined && az.sasValidityDays !== undefined && az.sasRotationDays !== undefined) {
    const most = az.sasValidityDays - az.sasRotationDays - 1;
    check(
      intIn(az.sasExpiryWarningDays, 1, Math.max(1, most)) && most >= 1,
      "azure.sasExpiryWarningDays",
      `must be an integer from 1 to sasValidityDays - sasRotationDays - 1 (${most}), so a token replaced on schedule never alarms${got(az.sasExpiryWarningDays)}`,
    );
  }

  if (az.compliance !== undefined) problems.push(...validateCompliance(az.compliance, aws.natGateways).map((p) => `${label}: ${p}`));

  check(
    env.tags !== null && typeof env.tags === "object" && Object.entries(env.tags).every(([k, v]) => typeof v === "string" && k.length > 0 && k.length <= 128 && v.length <= 256),
    "tags",
    `must map tag names (1-128 chars) to string values (<= 256 chars)${got(env.tags)}`,
  );

  problems.push(...validatePipelines(env, label));
  problems.push(...validateGenesysStack(env, label));

  const b = env.backends;
  if (isProduction(env)) {
    const missing = (["aws", "azure"] as const).filter((side) => !b?.[side]).map((side) => `backends.${side}`);
    check(
      missing.length === 0,
      missing.join(" and "),
      `must be set: "${env.name}" keeps its state remotely as a production environment (${productionBecause(env)}), because state holds the storage account keys, the vault SAS and every resource id, and local state is lost with the machine and unlocked between people; see docs/operations.md#state`,
    );
  }
  if (b?.aws) check(typeof b.aws.bucket === "string" && /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(b.aws.bucket), "backends.aws.bucket", `must be an S3 bucket name${got(b.aws.bucket)}`);
  if (b?.azure) {
    check(STORAGE_ACCOUNT.test(b.azure.storageAccountName ?? ""), "backends.azure.storageAccountName", `must be 3-24 lowercase letters and digits${got(b.azure.storageAccountName)}`);
    check(CONTAINER.test(b.azure.containerName ?? ""), "backends.azure.containerName", `must be a valid container name${got(b.azure.containerName)}`);
    check(RESOURCE_GROUP.test(b.azure.resourceGroupName ?? ""), "backends.azure.resourceGroupName", `must be a valid resource group name${got(b.azure.resourceGroupName)}`);
  }
  return problems;
}

/**
 * The vault's lifecycle tiers: each cooler tier later than the one before, and archive only
 * where the account's redundancy supports it (docs/configuration.md#lifecycle-tiers).
 */
function validateLifecycleTiers(az: EnvironmentConfig["azure"]): string[] {
  const problems: string[] = [];
  const { coolAfterDays: cool, coldAfterDays: cold, archiveAfterDays: archive, replicationType } = az;
  if (cold !== undefined && !(intIn(cold, 0, 99999) && cold > cool)) {
    problems.push(`azure.coldAfterDays must be an integer greater than coolAfterDays (${cool})${got(cold)}`);
  }
  if (archive === undefined) return problems;
  const after = cold === undefined ? `coolAfterDays (${cool})` : `coolAfterDays (${cool}) and coldAfterDays (${cold})`;
  if (!(intIn(archive, 0, 99999) && archive > cool && (cold === undefined || archive > cold))) {
    problems.push(`azure.archiveAfterDays must be an integer greater than ${after}${got(archive)}`);
  }
  if ((AZURE_REPLICATION_TYPES as readonly string[]).includes(replicationType) && !(ARCHIVE_TIER_REPLICATION_TYPES as readonly string[]).includes(replicationType)) {
    const instead = cold === undefined ? `set azure.coldAfterDays: ${archive} instead` : "remove it and keep azure.coldAfterDays";
    problems.push(
      `azure.archiveAfterDays cannot be used with azure.replicationType "${replicationType}": Azure supports the archive tier only on ${ARCHIVE_TIER_REPLICATION_TYPES.join(", ")} accounts, so the rule would never archive; ${instead} (the cold tier supports every redundancy), or choose replication ${ARCHIVE_TIER_REPLICATION_TYPES.join(", ")}${got(archive)}`,
    );
  }
  return problems;
}

/**
 * Non-public IPv4 ranges an auditor cannot connect from. Azure refuses the RFC 1918 ranges in
 * ip_rules; the others (RFC 6890 special-purpose) are never the source of an internet request.
 */
const NON_PUBLIC_RANGES = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4"].map(
  (r) => parseCidr(r)!,
);
/** Widest auditor network accepted: a firewall entry names the auditors' egress, not a provider's whole block. */
const WIDEST_AUDITOR_PREFIX = 16;
/** IP network rules per storage account: the lower of the limits Microsoft has published (200, now 400; docs/security.md). */
const MAX_STORAGE_IP_RULES = 200;

type Range = { first: number; last: number };
const rangeOf = (c: { base: number; prefix: number }): Range => ({ first: c.base, last: c.base + 2 ** (32 - c.prefix) - 1 });
const overlaps = (a: Range, b: Range) => a.first <= b.last && b.first <= a.last;

/** A storage firewall entry: a bare IPv4 address, or an IPv4 network in CIDR form from /0 to /30. */
function parseIpRule(value: unknown): { range: Range; problem?: string } | { range?: undefined; problem: string } {
  if (typeof value !== "string") return { problem: "must be a public IPv4 address or CIDR range" };
  const bare = /^\d{1,3}(\.\d{1,3}){3}$/.test(value);
  const cidr = parseCidr(bare ? `${value}/32` : value);
  if (!cidr) return { problem: "must be a public IPv4 address (203.0.113.7) or network in CIDR form with no host bits set (203.0.113.0/24)" };
  if (!bare && cidr.prefix > 30) return { problem: "must be written as a bare address (Azure refuses /31 and /32 ranges in ip_rules: list the addresses one by one)" };
  const range = rangeOf(cidr);
  if (NON_PUBLIC_RANGES.some((r) => overlaps(range, rangeOf(r)))) {
    return { range, problem: "must be public: Azure refuses private (RFC 1918) ranges in ip_rules, and loopback, link-local, shared (100.64.0.0/10) and multicast addresses never reach it" };
  }
  if (cidr.prefix < WIDEST_AUDITOR_PREFIX) return { range, problem: `is wider than /${WIDEST_AUDITOR_PREFIX}: list the auditors' egress addresses, not a whole provider block` };
  return { range };
}

/** `azure.compliance`: reader and legal-hold groups (UUIDs) and the readers' networks. */
function validateCompliance(c: EnvironmentConfig["azure"]["compliance"], natGateways: number): string[] {
  const problems: string[] = [];
  const groups = (field: string, ids: unknown, required: boolean) => {
    if (!Array.isArray(ids) || (required && ids.length === 0)) {
      problems.push(`azure.compliance.${field} must list ${required ? "at least one" : "the"} Entra group object id${required ? "" : "s"} (UUIDs)${got(ids)}`);
      return;
    }
    for (const id of ids) if (typeof id !== "string" || !UUID.test(id)) problems.push(`azure.compliance.${field} must hold Entra group object ids (UUIDs)${got(id)}`);
    const seen = new Set<string>();
    for (const id of ids) {
      if (typeof id !== "string") continue;
      if (seen.has(id.toLowerCase())) problems.push(`azure.compliance.${field} lists ${id} twice`);
      seen.add(id.toLowerCase());
    }
  };
  groups("readerGroupObjectIds", c?.readerGroupObjectIds, true);
  if (c?.legalHoldGroupObjectIds !== undefined) groups("legalHoldGroupObjectIds", c.legalHoldGroupObjectIds, false);

  const networks = c?.networks;
  if (!Array.isArray(networks) || networks.length === 0) {
    problems.push(`azure.compliance.networks must list at least one public IPv4 address or CIDR range the readers connect from (the vault's firewall admits nothing else)${got(networks)}`);
    return problems;
  }
  if (Number.isInteger(natGateways) && networks.length + natGateways > MAX_STORAGE_IP_RULES) {
    problems.push(`azure.compliance.networks has ${networks.length} entries: with the ${natGateways} NAT IPs that exceeds the ${MAX_STORAGE_IP_RULES} IP rules a storage account accepts`);
  }
  const parsed: { value: string; range: Range }[] = [];
  for (const value of networks) {
    const { range, problem } = parseIpRule(value);
    if (problem) problems.push(`azure.compliance.networks entry ${problem}${got(value)}`);
    if (!range || problem) continue;
    const clash = parsed.find((p) => overlaps(p.range, range));
    if (clash) problems.push(`azure.compliance.networks lists ${JSON.stringify(value)}, which ${clash.value === value ? "is a duplicate" : `overlaps ${JSON.stringify(clash.value)}`}: list each address once`);
    else parsed.push({ value: value as string, range });
  }
  return problems;
}

/** Alarms must reach a person: an e-mail or HTTPS subscription, or (outside production) an explicit opt-out. */
function validateAlarmSubscriptions(env: EnvironmentConfig): string[] {
  const aws = env.aws ?? ({} as EnvironmentConfig["aws"]);
  const problems: string[] = [];
  if (aws.alarmHttpsEndpoint !== undefined && !isHttpsUrl(aws.alarmHttpsEndpoint)) {
    problems.push(`aws.alarmHttpsEndpoint must be an https:// URL${got(aws.alarmHttpsEndpoint)}`);
  }
  const optOut = aws.alarmSubscriptionOptOut;
  if (optOut !== undefined && typeof optOut !== "boolean") problems.push(`aws.alarmSubscriptionOptOut must be true or false${got(optOut)}`);
  const subscribed = aws.alarmEmail !== undefined || aws.alarmHttpsEndpoint !== undefined;
  const mustSubscribe = isProduction(env);
  if (optOut === true && mustSubscribe) {
    problems.push(
      `aws.alarmSubscriptionOptOut cannot be true for ${env.name}: a production environment (${productionBecause(env)}) must have alarms that reach someone; set aws.alarmEmail or aws.alarmHttpsEndpoint`,
    );
  } else if (optOut === true && subscribed) {
    problems.push("aws.alarmSubscriptionOptOut is true but a subscription is configured: remove one of them");
  } else if (optOut !== true && !subscribed) {
    problems.push(
      `needs an alarm subscription, or alarms reach no one: set aws.alarmEmail or aws.alarmHttpsEndpoint${mustSubscribe ? "" : " (or, outside production environments, aws.alarmSubscriptionOptOut: true)"}`,
    );
  }
  return problems;
}

function isHttpsUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname.length > 0 && !/\s/.test(value);
  } catch {
    return false;
  }
}

/** Validates all environments (plus cross-environment rules) and throws one ConfigError listing every problem. */
export function assertValidEnvironments(envs: readonly EnvironmentConfig[]): void {
  const problems = envs.flatMap(validateEnvironment);
  const names = envs.map((e) => e.name);
  const dupes = names.filter((n, i) => names.indexOf(n) !== i);
  if (dupes.length) problems.push(`environment names must be unique (duplicated: ${[...new Set(dupes)].join(", ")})`);
  const accounts = envs.map((e) => e.azure?.storageAccountName);
  const dupAccounts = accounts.filter((n, i) => accounts.indexOf(n) !== i);
  if (dupAccounts.length) problems.push(`azure.storageAccountName must differ between environments (duplicated: ${[...new Set(dupAccounts)].join(", ")})`);
  if (envs.length === 0) problems.push("no environments selected");
  if (problems.length) throw new ConfigError(problems);
}

/** Names derived from config that both stacks use (so the AWS side never reads Azure outputs). */
export function deriveNames(env: EnvironmentConfig): DerivedNames {
  return {
    partnerEventSourceName: `aws.partner/genesys.com/cloud/${env.genesys.orgId}/${env.genesys.eventSourceSuffix}`,
    vaultBlobEndpoint: `https://${env.azure.storageAccountName}.blob.core.windows.net`,
    awsPrefix: `gcv-${env.name}`,
    vaultWriterAuth: env.azure.writerAuth ?? "federated",
  };
}

/**
 * Entra ID compares a federated credential's issuer with the `iss` claim of each presented
 * token as a string, so the configured value must be character for character the
 * IssuerIdentifier AWS returns (`https://<id>.tokens.sts.global.api.aws`: a bare origin).
 * A trailing slash, a path, a port or surrounding whitespace would make every token exchange
 * fail with AADSTS700211/70021 ("No matching federated identity record found").
 * Sources: docs/security.md#the-issuer-must-match-exactly.
 */
const EXACT_ISSUER_RULE =
  "must be exactly the IssuerIdentifier that `aws iam get-outbound-web-identity-federation-info` returns, https://<host> with no path, trailing slash, port or surrounding spaces: Entra ID compares it with the iss claim of every AWS token character for character, so any difference refuses every vault write";

/** `https://<host>` and nothing else (no userinfo, port, path, trailing slash, query, fragment or whitespace). */
function isExactIssuer(value: string): boolean {
  return /^https:\/\/[^\s/?#@:]+$/.test(value);
}

/** `; use "<value>"` when trimming spaces and trailing slashes is all the value needs. */
function issuerFix(value: string): string {
  const fixed = value.trim().replace(/\/+$/, "");
  return isExactIssuer(fixed) ? `; use ${JSON.stringify(fixed)}` : "";
}

/** An https URL with a host and no credentials, query or fragment (an OIDC issuer). */
function isIssuerUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.hostname !== "" && !url.username && !url.password && !url.search && !url.hash && !value.includes("#") && !value.includes("?");
  } catch {
    return false;
  }
}

const TOPIC = /^v2\.[A-Za-z0-9_.{}-]+$/;

function validateQueueConsumer(c: QueueConsumerConfig | undefined, field: string, check: Check, fifo = false): void {
  if (!c) return check(false, field, "is missing");
  check(intIn(c.batchSize, 1, fifo ? 10 : 10000), `${field}.batchSize`, `must be an integer from 1 to ${fifo ? 10 : 10000}${got(c.batchSize)}`);
  check(intIn(c.batchWindowSeconds, 0, 300), `${field}.batchWindowSeconds`, `must be an integer from 0 to 300${got(c.batchWindowSeconds)}`);
  check(intIn(c.maxConcurrency, 2, 1000), `${field}.maxConcurrency`, `must be an integer from 2 to 1000 (the SQS event source minimum is 2)${got(c.maxConcurrency)}`);
  check(intIn(c.maxReceiveCount, 1, 1000), `${field}.maxReceiveCount`, `must be an integer from 1 to 1000${got(c.maxReceiveCount)}`);
  // The queue's visibility timeout is 6x the consumer timeout and SQS caps it at 12 hours.
  check(intIn(c.timeoutSeconds, 1, 900), `${field}.timeoutSeconds`, `must be an integer from 1 to 900 (Lambda maximum)${got(c.timeoutSeconds)}`);
  check(intIn(c.memoryMb, 128, 10240), `${field}.memoryMb`, `must be an integer from 128 to 10240${got(c.memoryMb)}`);
  if (c.batchSize > 10) check(c.batchWindowSeconds >= 1, `${field}.batchWindowSeconds`, `must be at least 1 when batchSize is over 10 (an SQS event source rule)${got(c.batchWindowSeconds)}`);
}

function validateTopics(topics: readonly string[] | undefined, field: string, check: Check): void {
  if (!Array.isArray(topics) || topics.length === 0) {
    return check(false, field, `must be a non-empty list of Genesys topics such as v2.conversations.{id}.transcription${got(topics)}`);
  }
  topics.forEach((topic, i) => {
    if (typeof topic === "string" && CONVERSATION_TOPICS.includes(topic)) return;
    const match = typeof topic === "string" ? closestMatch(topic, CONVERSATION_TOPICS) : undefined;
    const hint = match ? `did you mean "${match}"?` : `see docs/pipelines.md#topics for the list`;
    check(false, `${field}[${i}]`, `is not a Genesys conversation topic the pipelines can consume; ${hint}${got(topic)}`);
  });
  const dupes = topics.filter((t, i) => topics.indexOf(t) !== i);
  check(dupes.length === 0, field, `lists a topic twice${got(dupes)}`);
}

function validatePipelines(env: EnvironmentConfig, label: string): string[] {
  const problems: string[] = [];
  const check: Check = (ok, field, message) => {
    if (!ok) problems.push(`${label}: ${field} ${message}`);
  };
  const p = env.pipelines;
  if (!p) return [`${label}: pipelines is missing`];
  const tv = p.transcriptVault;
  validateQueueConsumer(tv, "pipelines.transcriptVault", check);
  validateTopics(tv?.topics, "pipelines.transcriptVault.topics", check);
  check(Number.isInteger(tv?.maxEventBytes) && tv.maxEventBytes >= 1024 && tv.maxEventBytes <= 16 * 1024 * 1024, "pipelines.transcriptVault.maxEventBytes", `must be an integer from 1024 to 16777216${got(tv?.maxEventBytes)}`);
  check(
    intIn(tv?.timeGuardSeconds, 1, 899) && tv.timeGuardSeconds < tv.timeoutSeconds,
    "pipelines.transcriptVault.timeGuardSeconds",
    `must be an integer from 1 to 899 and below timeoutSeconds (${tv?.timeoutSeconds})${got(tv?.timeGuardSeconds)}`,
  );
  const rc = tv?.reconciler ?? ({} as TranscriptVaultPipelineConfig["reconciler"]);
  const rcPath = "pipelines.transcriptVault.reconciler";
  check(typeof rc.enabled === "boolean", `${rcPath}.enabled`, `must be true or false${got(rc.enabled)}`);
  check(typeof rc.schedule === "string" && /^(rate|cron)\(.+\)$/.test(rc.schedule), `${rcPath}.schedule`, `must be an EventBridge schedule expression such as cron(0 3 * * ? *) or rate(1 day)${got(rc.schedule)}`);
  check(intIn(rc.windowHours, 1, 168), `${rcPath}.windowHours`, `must be an integer from 1 to 168${got(rc.windowHours)}`);
  check(intIn(rc.settleMinutes, 0, 1440), `${rcPath}.settleMinutes`, `must be an integer from 0 to 1440${got(rc.settleMinutes)}`);
  check(intIn(rc.sliceMinutes, 1, 1440), `${rcPath}.sliceMinutes`, `must be an integer from 1 to 1440${got(rc.sliceMinutes)}`);
  check(intIn(rc.maxConversationDays, 1, 90), `${rcPath}.maxConversationDays`, `must be an integer from 1 to 90${got(rc.maxConversationDays)}`);
  check(intIn(rc.requestsPerMinute, 1, 300), `${rcPath}.requestsPerMinute`, `must be an integer from 1 to 300 (the budget is about 300 per minute per token, shared with the other pipelines)${got(rc.requestsPerMinute)}`);
  check(intIn(rc.pageSize, 1, 100), `${rcPath}.pageSize`, `must be an integer from 1 to 100${got(rc.pageSize)}`);
  check(typeof rc.dryRun === "boolean", `${rcPath}.dryRun`, `must be true or false${got(rc.dryRun)}`);
  check(intIn(rc.timeoutSeconds, 60, 900), `${rcPath}.timeoutSeconds`, `must be an integer from 60 to 900${got(rc.timeoutSeconds)}`);
  check(intIn(rc.memoryMb, 128, 10240), `${rcPath}.memoryMb`, `must be an integer from 128 to 10240${got(rc.memoryMb)}`);
  const ip = p.interaction;
  validateQueueConsumer(ip, "pipelines.interaction", check);
  validateTopics(ip?.topics, "pipelines.interaction.topics", check);
  check(Number.isInteger(ip?.processorTimeoutSeconds) && ip.processorTimeoutSeconds >= 3 && ip.processorTimeoutSeconds <= 900, "pipelines.interaction.processorTimeoutSeconds", `must be an integer from 3 to 900${got(ip?.processorTimeoutSeconds)}`);
  check(Number.isInteger(ip?.processorConcurrency) && ip.processorConcurrency >= 1 && ip.processorConcurrency <= 1000, "pipelines.interaction.processorConcurrency", `must be an integer from 1 to 1000${got(ip?.processorConcurrency)}`);
  check(typeof ip?.attributePrefix === "string" && /^[A-Za-z0-9._-]{0,32}$/.test(ip.attributePrefix), "pipelines.interaction.attributePrefix", `must be up to 32 letters, digits, '.', '_' or '-'${got(ip?.attributePrefix)}`);
  check(intIn(ip?.maxRunningExecutions, 1, ip?.processorConcurrency ?? 1000), "pipelines.interaction.maxRunningExecutions", `must be an integer from 1 to processorConcurrency (${ip?.processorConcurrency}): more running executions than processor instances are throttled${got(ip?.maxRunningExecutions)}`);
  check(intIn(ip?.maxEventAgeSeconds, 3600, 604_800), "pipelines.interaction.maxEventAgeSeconds", `must be an integer from 3600 (1 hour) to 604800 (7 days)${got(ip?.maxEventAgeSeconds)}`);
  check(intIn(ip?.genesysRequestsPerMinute, 1, 100_000), "pipelines.interaction.genesysRequestsPerMinute", `must be an integer from 1 to 100000${got(ip?.genesysRequestsPerMinute)}`);

  const cs = p.configSync;
  validateQueueConsumer(cs, "pipelines.configSync", check, true);
  check(cs?.batchWindowSeconds === 0, "pipelines.configSync.batchWindowSeconds", `must be 0: FIFO event sources do not batch by time${got(cs?.batchWindowSeconds)}`);
  check(Number.isInteger(cs?.reconcileEveryMinutes) && cs.reconcileEveryMinutes >= 1 && cs.reconcileEveryMinutes <= 1440, "pipelines.configSync.reconcileEveryMinutes", `must be an integer from 1 to 1440${got(cs?.reconcileEveryMinutes)}`);
  check(typeof cs?.dryRun === "boolean", "pipelines.configSync.dryRun", `must be true or false${got(cs?.dryRun)}`);
  for (const e of validateSyncRules(cs?.rules, "pipelines.configSync.rules")) problems.push(`${label}: ${e}`);
  // Lambda caps all environment variables of a function at 4 KB together.
  check(JSON.stringify(cs?.rules ?? []).length <= 3000, "pipelines.configSync.rules", `are too many for one function's environment (${JSON.stringify(cs?.rules ?? []).length} of at most 3000 bytes as JSON)`);

  const wh = p.webhook;
  if (!wh) return [...problems, `${label}: pipelines.webhook is missing`];
  for (const e of validateWebhookActions(wh.actions, "pipelines.webhook.actions")) problems.push(`${label}: ${e}`);
  check(JSON.stringify(wh.actions ?? []).length <= 3000, "pipelines.webhook.actions", `are too many for one function's environment (${JSON.stringify(wh.actions ?? []).length} of at most 3000 bytes as JSON)`);
  check(intIn(wh.throttleRateLimit, 1, 10000), "pipelines.webhook.throttleRateLimit", `must be an integer from 1 to 10000 requests/s${got(wh.throttleRateLimit)}`);
  check(intIn(wh.throttleBurstLimit, 1, 5000) && wh.throttleBurstLimit >= wh.throttleRateLimit, "pipelines.webhook.throttleBurstLimit", `must be an integer from 1 to 5000 and at least throttleRateLimit${got(wh.throttleBurstLimit)}`);
  check(intIn(wh.maxBodyBytes, 256, 6 * 1024 * 1024), "pipelines.webhook.maxBodyBytes", `must be an integer from 256 to 6291456 (the Lambda payload limit)${got(wh.maxBodyBytes)}`);
  check(typeof wh.secretHeaderName === "string" && /^[a-z0-9-]{1,64}$/.test(wh.secretHeaderName), "pipelines.webhook.secretHeaderName", `must be a lowercase HTTP header name${got(wh.secretHeaderName)}`);
  check(intIn(wh.maxClockSkewSeconds, 0, 86400), "pipelines.webhook.maxClockSkewSeconds", `must be an integer from 0 to 86400${got(wh.maxClockSkewSeconds)}`);
  check(intIn(wh.timeoutSeconds, 1, 29), "pipelines.webhook.timeoutSeconds", `must be an integer from 1 to 29 (the HTTP API integration limit is 30 s)${got(wh.timeoutSeconds)}`);
  check(intIn(wh.memoryMb, 128, 10240), "pipelines.webhook.memoryMb", `must be an integer from 128 to 10240${got(wh.memoryMb)}`);
  return problems;
}

/** `domain:entity:action`, as Genesys names permissions (e.g. `routing:queue:edit`). */
const GENESYS_PERMISSION = /^[A-Za-z][A-Za-z0-9_-]*:[A-Za-z*][A-Za-z0-9_*-]*:[A-Za-z*][A-Za-z0-9_*-]*$/;

function validateGenesysStack(env: EnvironmentConfig, label: string): string[] {
  const problems: string[] = [];
  const check: Check = (ok, field, message) => {
    if (!ok) problems.push(`${label}: ${field} ${message}`);
  };
  const g = env.genesysStack;
  if (!g) return [`${label}: genesysStack is missing`];
  check(typeof g.enabled === "boolean", "genesysStack.enabled", `must be true or false${got(g.enabled)}`);
  check(intIn(g.accessTokenValiditySeconds, 300, 172_800), "genesysStack.accessTokenValiditySeconds", `must be an integer from 300 to 172800 (5 min to 48 h, the Genesys limits)${got(g.accessTokenValiditySeconds)}`);
  for (const [pipeline, perms] of Object.entries(g.additionalPermissions ?? {})) {
    const field = `genesysStack.additionalPermissions.${pipeline}`;
    check(["transcriptVault", "interaction", "configSync"].includes(pipeline), field, "names no pipeline that calls Genesys; use transcriptVault, interaction or configSync");
    check(
      Array.isArray(perms) && perms.every((p) => typeof p === "string" && GENESYS_PERMISSION.test(p) && !p.startsWith("*")),
      field,
      `must be a list of Genesys permissions written domain:entity:action, such as routing:queue:view${got(perms)}`,
    );
  }
  const t = g.webhookTrigger;
  if (t) {
    check(typeof t.workflowId === "string" && UUID.test(t.workflowId), "genesysStack.webhookTrigger.workflowId", `must be the id (a UUID) of the Architect workflow to start${got(t.workflowId)}`);
    check(typeof t.topicName === "string" && TOPIC.test(t.topicName), "genesysStack.webhookTrigger.topicName", `must be a Genesys topic such as v2.detail.events.conversation.{id}.customer.end${got(t.topicName)}`);
    check(
      Array.isArray(t.matchCriteria) &&
        t.matchCriteria.length > 0 &&
        t.matchCriteria.every(
          (m) =>
            typeof m?.jsonPath === "string" &&
            m.jsonPath.length > 0 &&
            typeof m.operator === "string" &&
            m.operator.length > 0 &&
            (m.value === undefined || typeof m.value === "string") &&
            (m.values === undefined || (Array.isArray(m.values) && (m.values as unknown[]).every((v) => typeof v === "string"))),
        ),
      "genesysStack.webhookTrigger.matchCriteria",
      `must be a list of at least one { jsonPath, operator, value? or values? } with string values (the provider cannot create a trigger without criteria)${got(t.matchCriteria)}`,
    );
    if (t.eventTtlSeconds !== undefined) check(intIn(t.eventTtlSeconds, 10, 86_400 * 4), "genesysStack.webhookTrigger.eventTtlSeconds", `must be an integer of at least 10 (the provider's minimum) and at most 345600${got(t.eventTtlSeconds)}`);
    if (t.delayBySeconds !== undefined) check(intIn(t.delayBySeconds, 60, 900), "genesysStack.webhookTrigger.delayBySeconds", `must be an integer from 60 to 900 (the provider's range)${got(t.delayBySeconds)}`);
    check(t.delayBySeconds === undefined || t.eventTtlSeconds === undefined, "genesysStack.webhookTrigger", "takes eventTtlSeconds or delayBySeconds, not both (the provider refuses both)");
    check(t.dataFormat === undefined || t.dataFormat === "Json" || t.dataFormat === "TopLevelPrimitives", "genesysStack.webhookTrigger.dataFormat", `must be Json or TopLevelPrimitives${got(t.dataFormat)}`);
    check(g.enabled !== true || (env.pipelines?.webhook?.actions?.length ?? 0) > 0, "genesysStack.webhookTrigger", "needs webhook actions: without pipelines.webhook.actions there is no receiver for its workflow to call");
  }
  if (g.enabled === true) {
    check(
      env.genesys?.regionDomain === undefined || GENESYS_PROVIDER_REGIONS[env.genesys.regionDomain] !== undefined,
      "genesysStack.enabled",
      `cannot be true for region domain ${env.genesys?.regionDomain}: the genesyscloud provider has no region for it; keep the manual setup`,
    );
  }
  return problems;
}
